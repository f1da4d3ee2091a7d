"""Related records after a publication (issue 19): the publication computes the record's own list in its
transaction, as before; the records that listed it are computed again by a `refresh_related` task queued with
it, so that a withdrawal leaves no gap in their lists once a worker has run."""

from __future__ import annotations

import re

from django_tasks_db.models import DBTaskResult

from caim.records import actions
from caim.records.models import PublicState, RelatedRecord
from caim.records.public import refresh_related
from tests import factories


def related_on_page(client, record) -> list[str]:
    page = client.get(f"/incidents/{record.slug}/").content.decode()
    if 'id="h-related"' not in page:
        return []
    section = page.split('id="h-related"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'href="/incidents/([^/"]+)/"', section)


def test_a_withdrawal_leaves_no_gap_in_the_lists_once_the_refresh_ran(
    client, editor, reviewer, entities, clock, run_tasks
):
    # seven records alike: each one's five most similar are among the others
    alike = [factories.published_incident(editor, reviewer, clock) for _ in range(7)]
    DBTaskResult.objects.all().delete()
    gone, rest = alike[0], alike[1:]
    listers = set(RelatedRecord.objects.filter(related_id=gone.pk).values_list("record_id", flat=True))
    assert listers  # someone listed it
    actions.withdraw_record(gone, actor=reviewer, reason_en="Duplicate.", reason_fr="Doublon.")

    queued = DBTaskResult.objects.get(task_path="caim.records.tasks.refresh_related")
    assert set(queued.args_kwargs["args"][0]) == listers
    before = {r.slug: related_on_page(client, r) for r in rest}
    assert gone.slug not in sum(before.values(), [])
    assert any(len(links) == 4 for links in before.values())  # the gap the withdrawal left
    token = PublicState.current()

    run_tasks()

    assert DBTaskResult.objects.get(pk=queued.pk).status == "SUCCESSFUL"
    assert PublicState.current() != token  # the pages that changed are rendered again
    others = {r.slug for r in rest}
    for record in rest:
        links = related_on_page(client, record)
        assert len(links) == 5 and set(links) <= others - {record.slug}, record.slug
    assert refresh_related([r.pk for r in rest]) == []  # run again: nothing changes


def test_a_first_publication_queues_nothing(editor, reviewer, entities, clock):
    DBTaskResult.objects.all().delete()
    factories.published_incident(editor, reviewer, clock)
    assert not DBTaskResult.objects.exists()
