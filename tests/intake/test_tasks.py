"""Intake in the background (issue 19): the schedule enqueues a due source once, a worker polls it and extracts
each article in its own task (the same leads as `caim poll`), a queued article is not queued twice, failed
articles wait 1 h, 4 h, 1 d and are then given up, and a task whose worker died is taken back."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
from django_tasks_db.models import DBTaskResult

from caim import background
from caim.cli import main
from caim.intake import actions
from caim.intake.models import Lead, MonitoredSource, PendingArticle, SeenItem
from caim.intake.poll import poll, schedule
from caim.records.models import AuditEvent

START = datetime(2026, 11, 5, 12, 0, tzinfo=UTC)


class MovingClock:
    """The actions' clock (CAIM_CLOCK) for these tests: what `at` says."""

    at = START

    def now(self):
        return MovingClock.at


@pytest.fixture(autouse=True)
def quick_and_local(db, settings, tmp_path):
    settings.CAIM_CLOCK = "tests.intake.test_tasks.MovingClock"
    MovingClock.at = START
    settings.CAIM_POLL_LOCK_FILE = tmp_path / "poll.lock"
    settings.CAIM_POLL_MIN_RELEVANCE = 0.25
    settings.CAIM_POLL_RETRY_HOURS = [1, 4, 24]
    # the fetcher the tasks make from the settings: the local fixture server, quick failures
    settings.CAIM_FETCH_ALLOW_PRIVATE = True
    settings.CAIM_FETCH_HOST_INTERVAL = 0
    settings.CAIM_FETCH_READ_TIMEOUT = 0.3
    settings.CAIM_FETCH_BACKOFF = 0.001
    settings.CAIM_FETCH_MAX_BYTES = 50_000
    DBTaskResult.objects.all().delete()  # what the demo's publications queued


def source(site, feed: str, **fields) -> MonitoredSource:
    values = {"kind": "feed", "name": feed, "url": site.url(f"/feeds/{feed}"), "language": "en", "active": True,
              "created_at": START, "updated_at": START, **fields}  # fmt: skip
    return MonitoredSource.objects.create(**values)


def tasks(name: str = "", status: str = "") -> list[DBTaskResult]:
    found = DBTaskResult.objects.order_by("enqueued_at")
    if name:
        found = found.filter(task_path=f"caim.intake.tasks.{name}")
    return list(found.filter(status=status) if status else found)


def test_the_schedule_enqueues_each_due_source_once_and_moves_it_one_interval_on(db, site, capsys):
    due = source(site, "mixed.xml", poll_minutes=30)
    later = source(site, "rss20.xml", next_poll_at=START + timedelta(minutes=5))
    source(site, "fr.xml", active=False)
    assert main(["poll", "--enqueue"]) == 0
    assert "1 source(s) due: queued\n  mixed.xml" in capsys.readouterr().out
    assert [t.args_kwargs["args"] for t in tasks("poll_source")] == [[due.pk]]
    due.refresh_from_db()
    assert due.next_poll_at == START + timedelta(minutes=30)
    assert schedule() == []  # not due any more: not enqueued twice
    MovingClock.at = START + timedelta(minutes=10)
    assert [s.pk for s in schedule()] == [later.pk]
    MovingClock.at = START + timedelta(minutes=30)
    assert [s.pk for s in schedule()] == [due.pk]
    assert len(tasks("poll_source")) == 3


def test_two_schedulers_reading_the_same_due_source_enqueue_it_once(db, site, run_tasks):
    due = source(site, "mixed.xml")
    seen_by_the_other = MonitoredSource.objects.get(pk=due.pk)  # read before this one claims it
    assert [s.pk for s in schedule()] == [due.pk]
    assert actions.claim_source(seen_by_the_other, START) is False
    # deactivated after it was queued: the task does nothing
    MonitoredSource.objects.filter(pk=due.pk).update(active=False)
    run_tasks()
    assert tasks("poll_source")[0].return_value == {} and site.hits.get("/feeds/mixed.xml") is None


def test_a_worker_makes_the_leads_the_inline_poll_makes_and_a_second_round_makes_none(db, site, run_tasks):
    feed = source(site, "mixed.xml")
    schedule()
    run_tasks()
    assert [t.status for t in tasks()] == ["SUCCESSFUL"] * 4  # the poll, then one task per article
    assert tasks("poll_source")[0].return_value["queued"] == 3
    leads = Lead.objects.filter(extracted__source=feed.pk)
    titles = sorted(lead.extracted["title"][:20] for lead in leads)
    assert titles == ["Chatbot refund rulin", "Reconnaissance facia", "Toronto police facia"]
    assert leads.get(language="fr").extracted["relevance"]["score"] > 0.5
    feed.refresh_from_db()
    assert feed.leads_total == 3 and feed.last_counts["queued"] == 3 and feed.last_error == ""
    assert PendingArticle.objects.count() == 0

    MovingClock.at = START + timedelta(hours=2)
    fetched = dict(site.hits)
    schedule()
    run_tasks()
    assert Lead.objects.filter(extracted__source=feed.pk).count() == 3
    assert (
        len(tasks("extract_article")) == 3 and site.hits["/articles/en.html"] == fetched["/articles/en.html"]
    )


def test_articles_failing_in_workers_are_written_on_the_source_and_wait_for_their_retry(db, site, run_tasks):
    failing = source(site, "failing.xml")
    schedule()
    run_tasks()
    assert {t.status for t in tasks()} == {"SUCCESSFUL"}  # a page that fails is no failed task
    failing.refresh_from_db()
    assert sorted(line.split(":", 1)[0] for line in failing.last_error.splitlines()) == [
        "disallowed by robots.txt", "response too large", "timed out", "too many redirects"]  # fmt: skip
    assert failing.leads_total == 1 and failing.failures_total == 4
    assert list(PendingArticle.objects.values_list("attempts", flat=True)) == [1, 1, 1, 1]
    # a task run again after it recorded its failure (its worker died just after) does not try again
    hits = site.hits["/slow"]
    slow = PendingArticle.objects.get(url=site.url("/slow"))
    again = next(t for t in tasks("extract_article") if t.args_kwargs["args"] == [slow.pk, 0])
    DBTaskResult.objects.filter(pk=again.pk).update(status="READY")
    run_tasks()
    assert site.hits["/slow"] == hits and DBTaskResult.objects.get(pk=again.pk).return_value["waiting"] == 1
    MovingClock.at = START + timedelta(minutes=61)
    schedule()
    run_tasks()
    assert list(PendingArticle.objects.values_list("attempts", flat=True)) == [2, 2, 2, 2]


def test_the_immediate_backend_runs_the_same_tasks_without_a_worker(db, site, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    feed = source(site, "mixed.xml")
    assert not background.uses_database()
    schedule()
    assert Lead.objects.filter(extracted__source=feed.pk).count() == 3
    assert DBTaskResult.objects.count() == 0


def test_a_queued_article_is_not_queued_again_until_its_task_may_have_been_lost(db, site, settings):
    settings.CAIM_TASKS_STALE_SECONDS = 600
    feed = source(site, "mixed.xml", poll_minutes=5)
    schedule()
    from caim.intake.poll import poll_source
    from caim.intake.tasks import _fetcher

    with _fetcher() as fetcher:
        assert poll_source(feed, fetcher, enqueue=True).counts["queued"] == 3
        # the tasks are lost (their queue emptied) before any worker ran them
        DBTaskResult.objects.all().delete()
        MovingClock.at = START + timedelta(minutes=5)
        again = poll_source(feed, fetcher, enqueue=True).counts
        assert (again["queued"], again["waiting"], again["new"]) == (0, 3, 0)
        MovingClock.at = START + timedelta(minutes=11)  # the lease is over: queued again
        assert poll_source(feed, fetcher, enqueue=True).counts["queued"] == 3
    assert len(tasks("extract_article")) == 3
    assert PendingArticle.objects.filter(source=feed).count() == 3 and not Lead.objects.filter(origin="feed")


def test_failed_articles_are_retried_after_1_h_4_h_1_d_then_given_up(db, site, fetcher):
    failing = source(site, "failing.xml")
    slow = site.url("/slow")

    def attempt(hours_later: float) -> dict:
        MovingClock.at += timedelta(hours=hours_later)
        return poll(fetcher=fetcher)[0].counts

    first = attempt(0)
    assert first["failed"] == 4 and first["leads"] == 1
    pending = PendingArticle.objects.get(url=slow)
    assert pending.attempts == 1 and pending.next_attempt_at == START + timedelta(hours=1)
    assert pending.last_error == f"timed out: {slow}" and pending.item["title"] == "Slow"
    hits = site.hits["/slow"]
    again = attempt(0.5)  # too early: not fetched
    assert (again["failed"], again["waiting"], again["new"]) == (0, 4, 0) and site.hits["/slow"] == hits
    assert attempt(0.5)["failed"] == 4  # 1 h after the first failure
    assert PendingArticle.objects.get(url=slow).next_attempt_at == MovingClock.at + timedelta(hours=4)
    assert attempt(3.9)["waiting"] == 4
    assert attempt(0.1)["failed"] == 4
    assert PendingArticle.objects.get(url=slow).next_attempt_at == MovingClock.at + timedelta(hours=24)
    assert attempt(24)["failed"] == 4  # the fourth failure: given up
    given_up = PendingArticle.objects.get(url=slow)
    assert given_up.attempts == 4 and given_up.gave_up_at == MovingClock.at
    failing.refresh_from_db()
    assert f"timed out: {slow} (given up after 4 attempts)" in failing.last_error
    assert AuditEvent.objects.filter(subject_type="source", subject_id=failing.pk,
                                     verb="source.article_given_up").count() == 4  # fmt: skip
    hits = site.hits["/slow"]
    assert attempt(24 * 30)["waiting"] == 4 and site.hits["/slow"] == hits  # never again
    assert not SeenItem.objects.filter(canonical_url__endswith="/slow").exists()


def test_a_failed_article_that_later_succeeds_is_a_lead_and_pending_no_more(db, site, fetcher, monkeypatch):
    from caim.intake import poll as poll_module
    from caim.intake.extract import ExtractionError

    feed = source(site, "fr.xml", language="fr")
    real = poll_module.fetch_article
    monkeypatch.setattr(
        poll_module, "fetch_article", lambda f, url: (_ for _ in ()).throw(ExtractionError(url, "not HTML"))
    )
    assert poll(fetcher=fetcher)[0].counts["failed"] == 1
    assert PendingArticle.objects.get(source=feed).attempts == 1
    monkeypatch.setattr(poll_module, "fetch_article", real)
    MovingClock.at += timedelta(hours=1)
    assert poll(fetcher=fetcher)[0].counts["leads"] == 1
    assert not PendingArticle.objects.exists() and SeenItem.objects.get().lead is not None


def test_two_workers_taking_one_article_make_one_lead(db):
    feed = MonitoredSource.objects.create(kind="feed", name="f", url="https://f.example/rss", created_at=START,
                                          updated_at=START)  # fmt: skip
    made = [actions.feed_lead(feed, url="https://n.example/a", canonical="https://n.example/a", title="A story",
                              published=None, text="", summary="", language="en", extracted={}, score=0.9,
                              reasons=[]) for _ in range(2)]  # fmt: skip
    assert made[0] is not None and made[1] is None
    assert Lead.objects.filter(urls=["https://n.example/a"]).count() == 1


def test_a_submission_whose_matching_failed_gets_its_candidates_from_a_task(db, run_tasks, monkeypatch):
    from caim.intake import dedup

    def broken(query):
        raise RuntimeError("matcher down")

    real = dedup.find_candidates
    monkeypatch.setattr(dedup, "find_candidates", broken)
    lead = actions.submit_lead(origin="submission", raw_text="Clearview AI facial recognition RCMP privacy",
                               urls=[], consent=True, language="en", address_hash="").lead  # fmt: skip
    assert "candidates" not in Lead.objects.get(pk=lead.pk).extracted
    assert [t.args_kwargs["args"] for t in tasks("find_candidates")] == [[lead.pk]]
    monkeypatch.setattr(dedup, "find_candidates", real)
    run_tasks()
    found = Lead.objects.get(pk=lead.pk).extracted["candidates"]
    assert tasks("find_candidates")[0].status == "SUCCESSFUL" and found
    assert any(c["kind"] == "record" for c in found)


# -- workers that died ------------------------------------------------------------------------------------------


def running(worker: str, started: datetime, attempts: int = 1) -> DBTaskResult:
    from caim.intake.tasks import find_candidates

    result = find_candidates.enqueue(0)
    DBTaskResult.objects.filter(pk=result.id).update(
        status="RUNNING", started_at=started, worker_ids=[f"old-{n}" for n in range(attempts - 1)] + [worker]
    )
    return DBTaskResult.objects.get(pk=result.id)


def test_recovery_takes_back_the_tasks_of_dead_workers_only(db):
    import socket
    import subprocess
    import sys

    from django.utils import timezone

    now = timezone.now()
    host = socket.gethostname()[:40]
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a process that ran and is gone
    alive = background.worker_id(os.getppid())  # pytest's parent: running
    reused = f"{host}:{os.getppid()}:1"  # its number, but another start time: a process that died
    tasks_ = {
        "dead here": running(f"{host}:{dead.pid}:123", now),
        "alive here": running(alive, now - timedelta(hours=5)),
        "reused number": running(reused, now),
        "elsewhere, recent": running("another-host:42:7", now - timedelta(minutes=5)),
        "elsewhere, stale": running("another-host:43:7", now - timedelta(hours=1)),
        "died three times": running(f"{host}:{dead.pid}:123", now, attempts=3),
    }
    recovered = background.recover_stale(now)
    status = {name: DBTaskResult.objects.get(pk=t.pk).status for name, t in tasks_.items()}
    assert status == {"dead here": "READY", "alive here": "RUNNING", "reused number": "READY",
                      "elsewhere, recent": "RUNNING", "elsewhere, stale": "READY",
                      "died three times": "FAILED"}  # fmt: skip
    assert len(recovered.requeued) == 3 and len(recovered.failed) == 1
    lost = DBTaskResult.objects.get(pk=tasks_["died three times"].pk)
    assert (
        lost.exception_class_path == "caim.background.WorkerLost"
        and "died while running it 3 times" in lost.traceback
    )
    requeued = DBTaskResult.objects.get(pk=tasks_["dead here"].pk)
    assert requeued.started_at is None and requeued.worker_ids == [f"{host}:{dead.pid}:123"]


def test_the_worker_command_refuses_other_backends(db, settings, capsys):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    assert main(["worker", "--batch"]) == 2
    assert "caim worker runs the database backend's" in capsys.readouterr().err
