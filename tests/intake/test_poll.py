"""The poller (SPEC §6.2) against the local fixture server: leads with the extracted article, nothing twice,
failures written on the source and skipped, a run interrupted midway completed by the next, one run at a time."""

from __future__ import annotations

import pytest

from caim.cli import main
from caim.intake.canonical import canonical_url
from caim.intake.models import Lead, MonitoredSource, Origin, SeenItem, SeenOutcome
from caim.intake.poll import PollRunning, poll, poll_lock
from caim.records.models import AuditEvent


@pytest.fixture(autouse=True)
def lock_file(settings, tmp_path):
    settings.CAIM_POLL_LOCK_FILE = tmp_path / "poll.lock"
    settings.CAIM_POLL_MIN_RELEVANCE = 0.25
    return settings.CAIM_POLL_LOCK_FILE


def source(site, feed: str, **fields) -> MonitoredSource:
    values = {"kind": "feed", "name": feed, "url": site.url(f"/feeds/{feed}"), "language": "en", "active": True,
              "created_at": "2026-11-01T00:00Z", "updated_at": "2026-11-01T00:00Z", **fields}  # fmt: skip
    return MonitoredSource.objects.create(**values)


def test_a_lead_carries_the_extracted_article_and_a_second_run_creates_nothing(db, site, fetcher):
    rss = source(site, "rss20.xml")
    first = poll(fetcher=fetcher)
    lead = Lead.objects.get()
    assert lead.origin == Origin.FEED and lead.status == "received"
    assert lead.urls == [site.url("/articles/en.html?utm_source=rss&utm_medium=feed")] or lead.urls[
        0
    ].startswith(site.url("/articles/en.html"))
    got = lead.extracted
    assert got["title"] == "Toronto police facial recognition led to wrongful arrest, lawsuit says"
    assert got["published"] == "2026-11-03"
    assert "wrongful" in got["text"] and len(got["text"]) > 200
    assert got["relevance"]["score"] > 0.9 and "canada:toronto" in got["relevance"]["reasons"]
    assert got["source"] == rss.pk
    assert AuditEvent.objects.filter(subject_type="lead", subject_id=lead.pk, verb="lead.received").exists()
    assert first[0].counts["leads"] == 1
    # the bakery page answers 404: written on the source, skipped
    rss.refresh_from_db()
    assert "HTTP error" in rss.last_error and "bakery" in rss.last_error
    assert rss.leads_total == 1 and rss.last_polled_at is not None

    fetched = site.hits.get("/articles/en.html", 0)
    second = poll(fetcher=fetcher)
    assert Lead.objects.count() == 1
    assert site.hits.get("/articles/en.html", 0) == fetched  # a seen item is not even fetched again
    assert second[0].counts["leads"] == 0
    assert SeenItem.objects.filter(outcome=SeenOutcome.LEAD, lead=lead).count() == 1


def test_the_same_article_in_another_feed_is_not_a_new_lead(db, site, fetcher):
    source(site, "rss20.xml")
    source(site, "atom.xml")  # its entry links to the same article, without the tracking parameters
    poll(fetcher=fetcher)
    assert Lead.objects.count() == 1


def test_a_french_feed_gives_a_french_lead(db, site, fetcher):
    source(site, "fr.xml", language="fr")
    poll(fetcher=fetcher)
    lead = Lead.objects.get()
    assert lead.language == "fr"
    assert lead.extracted["title"].startswith("Reconnaissance faciale")
    assert SeenItem.objects.get().canonical_url == canonical_url(site.url("/articles/fr.html"))


def test_failures_are_written_on_the_source_and_the_run_goes_on(db, site, make_fetcher):
    broken = source(site, "broken.xml", name="a broken feed")
    failing = source(site, "failing.xml", name="b failing pages")
    runs = poll(fetcher=make_fetcher())
    broken.refresh_from_db()
    failing.refresh_from_db()
    assert broken.last_error.startswith("feed: ") and broken.failures_total == 1
    errors = failing.last_error
    for reason, path in [("timed out", "/slow"), ("response too large", "/big"), ("too many redirects", "/loop/a"),
                         ("disallowed by robots.txt", "/private/secret")]:  # fmt: skip
        assert f"{reason}: {site.url(path)}" in errors, reason
    assert runs[1].counts["failed"] == 4 and runs[1].counts["leads"] == 1
    assert Lead.objects.get().extracted["title"].startswith("Reconnaissance faciale")
    # a failed article is not marked seen: the next run tries it again
    assert not SeenItem.objects.filter(canonical_url=canonical_url(site.url("/slow"))).exists()


def test_below_the_threshold_is_seen_and_counted_but_makes_no_lead(db, site, fetcher, settings):
    settings.CAIM_POLL_MIN_RELEVANCE = 0.5  # the short chatbot page scores 0.35
    source(site, "mixed.xml")
    run = poll(fetcher=fetcher)[0]
    assert run.counts["below"] == 1 and run.counts["leads"] == 2
    below = SeenItem.objects.get(outcome=SeenOutcome.BELOW)
    assert below.canonical_url.endswith("/articles/short.html") and below.lead is None
    assert 0.3 < below.score < 0.5
    assert Lead.objects.count() == 2
    poll(fetcher=fetcher)
    assert site.hits["/articles/short.html"] == 1  # seen below the threshold: not fetched again


def test_a_keyword_watch_keeps_only_the_items_with_its_keywords(db, site, fetcher):
    source(site, "mixed.xml", kind="keywords", keywords="montreal\nquébec")
    run = poll(fetcher=fetcher)[0]
    assert run.counts["filtered"] == 2 and run.counts["leads"] == 1
    assert Lead.objects.get().language == "fr"


def test_an_interrupted_run_keeps_its_leads_and_the_rerun_completes_without_duplicates(db, site, fetcher):
    source(site, "mixed.xml")

    def crash(run, item):
        if run.counts["leads"] == 1:
            raise KeyboardInterrupt  # the process killed after the first lead

    with pytest.raises(KeyboardInterrupt):
        poll(fetcher=fetcher, on_item=crash)
    kept = Lead.objects.get()
    assert kept.extracted["title"].startswith("Toronto police")
    rerun = poll(fetcher=fetcher)[0]  # the lock was released by the interrupted run
    assert rerun.counts["leads"] == 2 and Lead.objects.count() == 3
    urls = [canonical_url(lead.urls[0]) for lead in Lead.objects.all()]
    assert len(urls) == len(set(urls))


def test_an_article_already_held_as_a_record_source_is_not_a_lead(db, site, fetcher):
    from caim.records.models import Source

    Source.objects.create(url=site.url("/articles/en.html"))
    run = poll(fetcher=fetcher, source_id=source(site, "mixed.xml").pk)[0]
    assert run.counts["known"] == 1
    assert not Lead.objects.filter(urls__icontains="/articles/en.html").exists()


def test_limit_bounds_the_new_items_per_source(db, site, fetcher):
    source(site, "mixed.xml")
    assert poll(fetcher=fetcher, limit=1)[0].counts["new"] == 1
    assert Lead.objects.count() == 1


def test_inactive_sources_are_not_polled(db, site, fetcher):
    source(site, "mixed.xml", active=False)
    assert poll(fetcher=fetcher) == []


def test_two_runs_never_overlap(db, site, fetcher, capsys, lock_file):
    source(site, "mixed.xml")
    with poll_lock():
        with pytest.raises(PollRunning):
            poll(fetcher=fetcher)
        assert main(["poll"]) == 0
    assert "Another poll is running" in capsys.readouterr().out
    assert Lead.objects.count() == 0 and site.hits == {}


def test_the_command_prints_a_summary_per_source(db, site, settings, capsys):
    settings.CAIM_FETCH_ALLOW_PRIVATE = True
    settings.CAIM_FETCH_HOST_INTERVAL = 0
    settings.CAIM_FETCH_BACKOFF = 0.001
    settings.CAIM_FETCH_READ_TIMEOUT = 0.3
    feed = source(site, "mixed.xml", name="Mixed news")
    assert main(["poll", "--source", str(feed.pk)]) == 0
    out = capsys.readouterr().out
    assert f"Mixed news (#{feed.pk}): 3 item(s), 3 new: 3 lead(s)" in out
    assert Lead.objects.count() == 3
