"""Monitored sources in the editorial area (SPEC §6.2): who may see and change them, the form through the
actions with their audit events, deactivation, and the list's query count."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from caim.intake import actions
from caim.intake.actions import create_source
from caim.intake.models import MonitoredSource
from caim.intake.tasks import extract_article, poll_source
from caim.records.models import AuditEvent

FEED = {"kind": "feed", "name": "CBC Technology", "url": "https://cbc.example/tech.rss", "language": "en",
        "keywords": "", "active": "on"}  # fmt: skip


def make(editor, n: int) -> MonitoredSource:
    return create_source(actor=editor, data={**FEED, "name": f"Feed {n}", "active": True})


def test_anonymous_visitors_and_translators_are_refused(client, editor, translator):
    source = make(editor, 1)
    for url in ("/staff/sources/", "/staff/sources/new/", f"/staff/sources/{source.pk}/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/staff/login/"), url
    client.force_login(translator)
    for url in ("/staff/sources/", "/staff/sources/new/", f"/staff/sources/{source.pk}/"):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/staff/sources/{source.pk}/active/", {"active": "0"}).status_code == 403
    assert client.post("/staff/sources/new/", FEED).status_code == 403
    assert MonitoredSource.objects.count() == 1 and MonitoredSource.objects.get().active


def test_a_reviewer_sees_the_list_but_cannot_change_it(client, editor, reviewer):
    make(editor, 1)
    client.force_login(reviewer)
    page = client.get("/staff/sources/")
    assert page.status_code == 200 and "Feed 1" in page.content.decode()
    assert "Deactivate" not in page.content.decode()
    assert client.post("/staff/sources/new/", FEED).status_code == 403


def test_an_editor_adds_changes_and_deactivates_a_source_with_audit_events(client, editor):
    client.force_login(editor)
    assert client.post("/staff/sources/new/", FEED).status_code == 302
    source = MonitoredSource.objects.get()
    assert (source.name, source.url, source.active) == ("CBC Technology", FEED["url"], True)
    changed = {**FEED, "kind": "keywords", "keywords": "intelligence artificielle\nIA", "language": "fr"}
    assert client.post(f"/staff/sources/{source.pk}/", changed).status_code == 302
    assert client.post(f"/staff/sources/{source.pk}/active/", {"active": "0"}).status_code == 302
    source.refresh_from_db()
    assert source.kind == "keywords" and source.keyword_list() == ["intelligence artificielle", "IA"]
    assert not source.active
    verbs = list(
        AuditEvent.objects.filter(subject_type="source", subject_id=source.pk).values_list("verb", "after")
    )
    assert verbs[0][0] == "source.created"
    assert verbs[1] == ("source.changed", {"kind": "keywords", "keywords": "intelligence artificielle\nIA",
                                           "language": "fr"})  # fmt: skip
    assert verbs[2] == ("source.changed", {"active": False})


def test_bad_input_is_refused_and_nothing_is_stored(client, editor):
    client.force_login(editor)
    response = client.post("/staff/sources/new/", {**FEED, "url": "ftp://x.example/feed"})
    assert response.status_code == 400
    response = client.post("/staff/sources/new/", {**FEED, "kind": "keywords", "keywords": ""})
    assert (
        response.status_code == 400
        and "A keyword watch needs at least one keyword." in response.content.decode()
    )
    assert MonitoredSource.objects.count() == 0


def test_the_list_query_count_does_not_grow_with_the_sources(client, editor, django_assert_num_queries):
    for n in range(5):
        make(editor, n)
    client.force_login(editor)
    client.get("/staff/sources/")  # warm the session and the roles
    with django_assert_num_queries(6):  # session, user, roles, sources; the queue's counts and last failure
        page = client.get("/staff/sources/")
    assert page.content.decode().count("source-active") == 5


def test_the_list_shows_the_queue_and_each_source_s_schedule(client, editor, reviewer):
    source = create_source(actor=editor, data={**FEED, "active": True, "poll_minutes": 30})
    queued = DBTaskResult.objects.ready().count()  # the demo's publications queued some
    DBTaskResult.objects.exclude(status="READY").delete()
    poll_source.enqueue(source.pk)
    poll_source.enqueue(source.pk)
    running = extract_article.enqueue(1)
    DBTaskResult.objects.filter(pk=running.id).update(status="RUNNING", started_at=timezone.now())
    failed = extract_article.enqueue(2)
    DBTaskResult.objects.filter(pk=failed.id).update(
        status="FAILED", finished_at=timezone.now(), exception_class_path="caim.intake.fetch.FetchError",
        traceback="Traceback (most recent call last):\n  ...\nFetchError: <b>timed out</b>\n",
    )  # fmt: skip
    client.force_login(reviewer)
    page = client.get("/staff/sources/").content.decode()
    assert f'<dd class="queue-queued">{queued + 2}</dd>' in page
    assert '<dd class="queue-running">1</dd>' in page and '<dd class="queue-failed">1</dd>' in page
    assert "extract_article: FetchError: &lt;b&gt;timed out&lt;/b&gt;" in page  # escaped
    assert "due" in page and "every 30 minutes" in page
    later = timezone.now() + timedelta(minutes=30)
    MonitoredSource.objects.filter(pk=source.pk).update(next_poll_at=later)
    page = client.get("/staff/sources/").content.decode()
    assert f'<time datetime="{timezone.localtime(later).isoformat()}">' in page


def test_the_source_page_shows_its_failed_articles_waiting_or_given_up(client, editor, settings):
    settings.CAIM_POLL_RETRY_HOURS = [1]
    source = make(editor, 1)
    item = {"title": "<script>alert(1)</script> Facial recognition", "summary": ""}
    for url in ("https://news.example/a", "https://news.example/b"):
        actions.article_failed(source, url=url, canonical=url, item=item, error=f"timed out: {url}")
    actions.article_failed(source, url="https://news.example/b", canonical="https://news.example/b", item=item,
                           error="HTTP error: https://news.example/b")  # fmt: skip
    client.force_login(editor)
    page = client.get(f"/staff/sources/{source.pk}/").content.decode()
    assert page.count('class="retrying"') == 1 and page.count('class="given-up"') == 1
    assert "timed out: https://news.example/a" in page and "HTTP error: https://news.example/b" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Facial recognition" in page and "<script>alert" not in page
    listing = client.get("/staff/sources/").content.decode()
    assert "1 article waiting for a retry; 1 article given up" in listing
    given_up = AuditEvent.objects.get(
        subject_type="source", subject_id=source.pk, verb="source.article_given_up"
    )
    assert given_up.after == {"url": "https://news.example/b", "attempts": 2}
