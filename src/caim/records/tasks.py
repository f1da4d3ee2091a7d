"""The records' background tasks (Django's task framework; caim.background).

`refresh_related(record_ids)`: after a publication or a withdrawal, the related-records lists of the records
that listed the changed one are computed again from every listed record's vector. The publication itself still
computes the record's own list and offers it to its neighbours in its transaction (its public outputs are as
they were); this task only repairs what that incremental step leaves behind, once the publication is committed.

`prune_change_log()`: delete the public-change log past `PublicChange.KEPT` (queued once a day by
`caim poll --enqueue`). No task rebuilds the list index: it lives in each web process's memory, which a worker
cannot reach (docs/decisions.md, "Background work").
"""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from caim.records import public
from caim.records.models import PublicChange


@task()
def refresh_related(record_ids: list[int]) -> list[int]:
    return public.refresh_related(record_ids)


@task()
def prune_change_log() -> int:
    return PublicChange.prune(timezone.now())
