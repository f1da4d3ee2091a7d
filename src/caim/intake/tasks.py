"""Intake's background tasks (Django's task framework; caim.background): thin functions over caim.intake.poll and
caim.intake.actions, each safe to run twice (a task whose worker died is run again).

- `poll_source(source_id)`: read one source's feed; each new article is leased and queued as `extract_article`
  (`caim poll --enqueue` enqueues one per due source).
- `extract_article(pending_id, attempts)`: fetch, extract and score one queued article; a lead, a "below the
  threshold", or a failure with its next try (nothing when it failed since it was queued: a second run).
- `find_candidates(lead_id)`: the duplicate candidates of a lead, computed again (a public submission whose
  matching failed is stored without them, and this task is queued to try again).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django_tasks import task

from caim.intake import actions, poll
from caim.intake.fetch import Fetcher, get_fetcher
from caim.intake.models import Lead, MonitoredSource


@contextmanager
def _fetcher() -> Iterator[Fetcher]:
    fetcher = get_fetcher()
    try:
        yield fetcher
    finally:
        if hasattr(fetcher, "close"):
            fetcher.close()


@task()
def poll_source(source_id: int) -> dict:
    source = MonitoredSource.objects.filter(pk=source_id, active=True).first()
    if source is None:  # deleted or deactivated since it was queued
        return {}
    with _fetcher() as fetcher:
        return poll.poll_source(source, fetcher, enqueue=True).counts


@task()
def extract_article(pending_id: int, attempts: int | None = None) -> dict:
    with _fetcher() as fetcher:
        run = poll.take_pending(pending_id, fetcher, attempts)
    return run.counts if run is not None else {}


@task()
def find_candidates(lead_id: int) -> int:
    lead = Lead.objects.filter(pk=lead_id).first()
    return len(actions.store_candidates(lead)) if lead is not None else 0
