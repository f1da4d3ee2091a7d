"""Monitored sources in the editorial area (SPEC §6.2): who may see and change them, the form through the
actions with their audit events, deactivation, and the list's query count."""

from __future__ import annotations

from caim.intake.actions import create_source
from caim.intake.models import MonitoredSource
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
    with django_assert_num_queries(4):
        page = client.get("/staff/sources/")
    assert page.content.decode().count("source-active") == 5
