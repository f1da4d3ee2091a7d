"""The poller of monitored sources (SPEC §6.2): `caim poll`, safe from cron.

For each active source: fetch the feed through the one fetcher; for each item whose canonical URL the poller has
not seen (`SeenItem`) and that no lead or record source already holds, fetch the article, score its relevance,
and make a lead (origin "feed") with the extracted title, date and text, the score and its reasons, and the
duplicate candidates: one transaction per item (`actions.feed_lead`), so that a run killed midway keeps every
lead it made and the next run carries on where it stopped.

- Below `CAIM_POLL_MIN_RELEVANCE`: recorded as seen, counted, no lead.
- A keyword watch (or a feed with keywords): an item whose title and summary contain none of the keywords
  (accents and case ignored) is recorded as seen ("filtered"), without fetching its article.
- Failures (the feed does not answer or is not a feed; an article page that is slow, too large, a redirect
  loop, forbidden by robots.txt, not HTML) are written on the source (`last_error`) and skipped: the run goes on.
  A failed article is not recorded as seen but kept as pending (`PendingArticle`): it is tried again after
  1 h, 4 h and 1 d (CAIM_POLL_RETRY_HOURS), then given up with its error shown on the source's page.
- Two runs never overlap: `poll_lock()` holds an exclusive lock on `CAIM_POLL_LOCK_FILE` (flock, released by the
  system when the process dies, so a killed run leaves no stale lock); the second run gets `PollRunning`.

In the background (`caim poll --enqueue`, caim.intake.tasks): `schedule()` enqueues one `poll_source` task per
due source; that task reads the feed as above but, instead of fetching each new article itself, leases it
(`actions.lease_article`) and enqueues one `extract_article` task for it, which `take_pending` runs. The lock is
not needed there: the schedule enqueues a due source once, a leased article is not leased again before its
lease ends, and `feed_lead` makes one lead of an article however many workers take it.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import transaction

from caim import background
from caim.intake import actions, dedup
from caim.intake.extract import ExtractionError, fetch_article
from caim.intake.feeds import FeedError, FeedItem, fetch_feed
from caim.intake.fetch import Fetcher, FetchError, get_fetcher
from caim.intake.models import MonitoredSource, PendingArticle, SeenItem, SeenOutcome, url_key
from caim.intake.relevance import normalise, relevance
from caim.records.clock import get_clock


class PollRunning(Exception):
    """Another poll holds the lock."""


@contextmanager
def poll_lock(path: Path | str | None = None) -> Iterator[None]:
    path = Path(path or settings.CAIM_POLL_LOCK_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise PollRunning(str(path)) from error
        os.ftruncate(handle, 0)
        os.write(handle, f"{os.getpid()}\n".encode())
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        os.close(handle)


@dataclass
class SourceRun:
    source: MonitoredSource
    counts: dict = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    errors: list[str] = field(default_factory=list)


# new: not seen before and not waiting; waiting: failed earlier and not due again yet (or given up), or queued
# by an earlier poll and not done yet; queued: sent to a worker (`--enqueue`).
COUNTS = ("items", "new", "leads", "below", "known", "filtered", "failed", "waiting", "queued")


def wanted(source: MonitoredSource, item: FeedItem) -> bool:
    keywords = source.keyword_list()
    if not keywords:
        return True
    haystack = normalise(f"{item.title} {item.summary}")
    return any(normalise(word) in haystack for word in keywords)


def _already_seen(canonical: str) -> bool:
    return SeenItem.objects.filter(url_hash=url_key(canonical)).exists()


def _waiting(canonical: str, now) -> bool:
    """Failed before and not due yet, given up, or leased to a worker."""
    pending = PendingArticle.objects.filter(url_hash=url_key(canonical)).only("next_attempt_at", "gave_up_at")
    pending = pending.first()
    return pending is not None and (pending.gave_up_at is not None or pending.next_attempt_at > now)


def item_data(item: FeedItem) -> dict:
    """A feed item as JSON, kept with a pending article so that a retry needs no feed."""
    return {"url": item.url, "canonical_url": item.canonical_url, "title": item.title, "summary": item.summary,
            "language": item.language, "published": item.published.isoformat() if item.published else None}  # fmt: skip


def item_from(data: dict) -> FeedItem:
    published = datetime.fromisoformat(data["published"]) if data.get("published") else None
    return FeedItem(url=data["url"], canonical_url=data["canonical_url"], title=data.get("title", ""),
                    published=published, summary=data.get("summary", ""), language=data.get("language"))  # fmt: skip


def poll_source(
    source: MonitoredSource,
    fetcher: Fetcher,
    *,
    limit: int | None = None,
    on_item: Callable[[SourceRun, FeedItem], None] | None = None,
    enqueue: bool = False,
) -> SourceRun:
    """One source; never raises for what a site does (the errors are in the result and on the source). With
    `enqueue`, each new article becomes an `extract_article` task instead of being fetched here."""
    run = SourceRun(source)
    now = get_clock().now()
    try:
        feed = fetch_feed(fetcher, source.url)
    except (FetchError, FeedError) as error:
        run.errors.append(f"feed: {getattr(error, 'reason', 'failed')} ({source.url})")
        run.counts["failed"] += 1
        actions.record_poll(source, counts=run.counts, errors=run.errors)
        return run
    threshold = settings.CAIM_POLL_MIN_RELEVANCE
    for item in feed.items:
        if limit is not None and run.counts["new"] >= limit:  # new items per source: bounds a run's time
            break
        run.counts["items"] += 1
        if _already_seen(item.canonical_url):
            continue
        if _waiting(item.canonical_url, now):
            run.counts["waiting"] += 1
            continue
        run.counts["new"] += 1
        if not wanted(source, item):
            actions.mark_seen(source, item.canonical_url, SeenOutcome.FILTERED)
            run.counts["filtered"] += 1
        elif dedup.known_url(item.url):
            actions.mark_seen(source, item.canonical_url, SeenOutcome.KNOWN)
            run.counts["known"] += 1
        elif enqueue:
            run.counts["queued" if _queue(source, item) else "waiting"] += 1
        else:
            _take(source, item, run, fetcher, threshold)
        if on_item is not None:
            on_item(run, item)
    actions.record_poll(source, counts=run.counts, errors=run.errors)
    return run


def _take(
    source: MonitoredSource, item: FeedItem, run: SourceRun, fetcher: Fetcher, threshold: float
) -> None:
    try:
        article = fetch_article(fetcher, item.url)
    except (FetchError, ExtractionError) as error:
        message = f"{error.reason}: {item.url}"
        pending = actions.article_failed(source, url=item.url, canonical=item.canonical_url, item=item_data(item),
                                         error=message)  # fmt: skip
        if pending.gave_up_at:
            message += f" (given up after {pending.attempts} attempts)"
        run.errors.append(message)
        run.counts["failed"] += 1
        return
    title = article.title or item.title
    score, reasons = relevance(title, article.text or item.summary)
    if score < threshold:
        actions.mark_seen(source, item.canonical_url, SeenOutcome.BELOW, score=score)
        run.counts["below"] += 1
        return
    published = article.published.isoformat() if article.published else (
        item.published.date().isoformat() if item.published else None
    )  # fmt: skip
    lead = actions.feed_lead(
        source,
        url=article.url or item.url,
        canonical=item.canonical_url,
        title=title,
        published=published,
        text=article.text,
        summary=item.summary,
        language=article.language or item.language or source.language,
        extracted={
            "method": article.method,
            "site_name": article.site_name,
            "description": article.description,
            "feed_url": source.url,
        },  # fmt: skip
        score=score,
        reasons=reasons,
    )
    run.counts["leads" if lead is not None else "known"] += 1  # None: another worker made it meanwhile


def _queue(source: MonitoredSource, item: FeedItem) -> bool:
    """Lease the article and enqueue its task, together (the database backend stores the task in the same
    transaction: both or neither)."""
    from caim.intake.tasks import extract_article

    with transaction.atomic():
        pending = actions.lease_article(source, url=item.url, canonical=item.canonical_url, item=item_data(item),
                                        seconds=settings.CAIM_TASKS_STALE_SECONDS)  # fmt: skip
        if pending is not None:
            background.enqueue(extract_article, pending.pk, pending.attempts)
    return pending is not None


def take_pending(pending_id: int, fetcher: Fetcher, attempts: int | None = None) -> SourceRun | None:
    """A queued article (`extract_article`): fetched, scored, a lead or not, or failed with its next try set.
    None when it is gone (an earlier run of this task, or an inline poll, dealt with it). `attempts`: its failed
    attempts when it was queued; more now means this task ran already (its worker died after recording the
    failure) and the article waits for its next try."""
    pending = PendingArticle.objects.select_related("source").filter(pk=pending_id).first()
    if pending is None:
        return None
    run = SourceRun(pending.source)
    if _already_seen(pending.canonical_url):
        PendingArticle.objects.filter(pk=pending.pk).delete()
        return run
    if pending.gave_up_at or (attempts is not None and pending.attempts != attempts):
        run.counts["waiting"] += 1
        return run
    _take(pending.source, item_from(pending.item), run, fetcher, settings.CAIM_POLL_MIN_RELEVANCE)
    actions.record_article(pending.source, leads=run.counts["leads"], errors=run.errors)
    return run


def schedule() -> list[MonitoredSource]:
    """Enqueue one `poll_source` task per active source that is due, and move each one interval on, together."""
    from caim.intake.tasks import poll_source as poll_source_task

    with transaction.atomic():
        sources = actions.claim_due_sources()
        for source in sources:
            background.enqueue(poll_source_task, source.pk)
    return sources


def active_sources(source_id: int | None = None):
    sources = MonitoredSource.objects.filter(active=True)
    return sources.filter(pk=source_id) if source_id else sources


def poll(
    *,
    source_id: int | None = None,
    limit: int | None = None,
    fetcher: Fetcher | None = None,
    on_item: Callable[[SourceRun, FeedItem], None] | None = None,
    on_source: Callable[[SourceRun], None] | None = None,
) -> list[SourceRun]:
    """Every active source (or one), under the lock; raises PollRunning when another run holds it."""
    with poll_lock():
        own = fetcher is None
        fetcher = fetcher or get_fetcher()
        runs = []
        try:
            for source in active_sources(source_id):
                run = poll_source(source, fetcher, limit=limit, on_item=on_item)
                runs.append(run)
                if on_source is not None:
                    on_source(run)
        finally:
            if own and hasattr(fetcher, "close"):
                fetcher.close()
        return runs
