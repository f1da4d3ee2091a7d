"""Record pages are rendered once per state of the public layer and revalidated without rendering."""

from __future__ import annotations

import time

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from caim.records import actions
from caim.records.models import DRAFT_STATUSES
from tests import factories


@pytest.fixture(autouse=True)
def empty_page_cache():
    caches["pages"].clear()
    yield
    caches["pages"].clear()


def get(client, url, **headers):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers=headers)
    return response, len(queries)


def correct(record, editor, reviewer, clock, summary_en: str):
    record.refresh_from_db()
    actions.update_record(
        record,
        actor=editor,
        expected_lock_version=record.lock_version,
        data={"summary_en": summary_en},
        clock=clock,
    )
    republish(record, reviewer, clock)


def republish(record, reviewer, clock):
    """A published record's edits go out as its next version, without a review stage."""
    actions.publish_record(
        record, actor=reviewer, changelog_en="Corrected.", changelog_fr="Corrigé.", clock=clock
    )


def test_a_page_is_rendered_once_then_revalidated_with_one_query(client, incident):
    url = f"/incidents/{incident.slug}/"
    first, rendering = get(client, url)
    assert first.status_code == 200 and rendering > 2
    etag = first["ETag"]
    assert etag and first["Cache-Control"] == "public, no-cache" and first["Last-Modified"]

    again, queries = get(client, url)
    assert again.status_code == 200 and queries == 1  # the state row only
    assert again.content == first.content and again["ETag"] == etag

    revalidated, queries = get(client, url, if_none_match=etag)
    assert revalidated.status_code == 304 and queries == 1 and revalidated.content == b""
    assert revalidated["ETag"] == etag

    french, _ = get(client, f"/fr{url}")
    assert french.status_code == 200 and 'lang="fr"' in french.content.decode()


def test_a_correction_shows_at_once_and_old_etags_are_stale(client, incident, editor, reviewer, clock):
    url = f"/incidents/{incident.slug}/"
    before, _ = get(client, url)
    correct(incident, editor, reviewer, clock, "A corrected summary with the word zanzibar.")
    after, queries = get(client, url, if_none_match=before["ETag"])
    assert after.status_code == 200 and queries > 1
    assert "zanzibar" in after.content.decode() and "zanzibar" not in before.content.decode()
    assert after["ETag"] != before["ETag"]


def test_a_change_to_another_record_renews_the_page(client, incident, hazard, editor, reviewer, clock):
    """The incident's page shows the hazard it materialized from: a correction of the hazard shows there."""
    url = f"/incidents/{incident.slug}/"
    get(client, url)
    hazard.refresh_from_db()
    actions.update_record(
        hazard, actor=editor, expected_lock_version=hazard.lock_version,
        data={"title_en": "A renamed hazard zanzibar"}, clock=clock,
    )  # fmt: skip
    draft_only, _ = get(client, url)
    assert "zanzibar" not in draft_only.content.decode()  # an unpublished edit changes nothing
    republish(hazard, reviewer, clock)
    renewed, _ = get(client, url)
    assert "A renamed hazard zanzibar" in renewed.content.decode()


def test_a_withdrawal_shows_at_once(client, incident, reviewer, clock):
    url = f"/incidents/{incident.slug}/"
    get(client, url)
    actions.withdraw_record(
        incident, actor=reviewer, reason_en="Duplicate.", reason_fr="Doublon.", clock=clock
    )
    withdrawn, _ = get(client, url)
    assert withdrawn.status_code == 200 and "Duplicate." in withdrawn.content.decode()


def test_addresses_with_a_query_string_are_rendered_each_time(client, incident):
    url = f"/incidents/{incident.slug}/?utm_source=x"
    get(client, url)
    again, queries = get(client, url)
    assert again.status_code == 200 and queries > 1
    assert "utm_source=x" in again.content.decode()  # the language switch keeps it


def test_revalidation_never_answers_for_a_missing_or_moved_page(client, incident, editor, clock):
    first, _ = get(client, f"/incidents/{incident.slug}/")
    etag, last_modified = first["ETag"], first["Last-Modified"]
    missing, _ = get(
        client, "/incidents/no-such-record/", if_none_match=etag, if_modified_since=last_modified
    )
    assert missing.status_code == 404
    by_id, _ = get(client, f"/incidents/{incident.pk}/", if_modified_since=last_modified)
    assert by_id.status_code == 301
    draft = factories.draft(editor, "incident", factories.incident_data(), clock)
    assert draft.status in DRAFT_STATUSES
    unpublished, _ = get(client, f"/incidents/{draft.slug}/", if_modified_since=last_modified)
    assert unpublished.status_code == 404


# -- lists: kept per state and query string --------------------------------------------------------------------


def test_a_list_is_kept_per_state_and_query_and_shows_a_publication_at_once(
    client, editor, reviewer, entities, clock
):
    first, _n = get(client, "/incidents/?severity=significant")
    again, queries = get(client, "/incidents/?severity=significant")
    assert again.content == first.content and queries == 1  # the state only
    other, _n = get(client, "/incidents/?severity=minor")
    assert other.content != first.content
    new = factories.published_incident(editor, reviewer, clock)
    after, queries = get(client, "/incidents/")
    assert new.slug in after.content.decode() and queries > 1


def test_a_partial_list_is_kept_apart_with_its_pushed_address(client, db):
    full, _n = get(client, "/incidents/?domain=health")
    partial, _n = get(client, "/incidents/?domain=health", **{"HX-Request": "true"})
    kept, queries = get(client, "/incidents/?domain=health", **{"HX-Request": "true"})
    assert queries == 1 and kept.content == partial.content != full.content
    assert kept["HX-Push-Url"] == "/incidents/?domain=health" and "HX-Request" in kept["Vary"]
    assert b"<html" in get(client, "/incidents/?domain=health")[0].content


def test_a_list_answered_from_an_older_index_is_not_kept(client, db, monkeypatch):
    from dataclasses import replace

    from caim.site import lists

    real = lists.get_index()
    monkeypatch.setattr(lists, "get_index", lambda: replace(real, version="an-older-state"))
    stale = client.get("/incidents/")
    assert stale.status_code == 200 and "ETag" not in stale  # no validators for an answer of another state
    monkeypatch.undo()
    fresh, queries = get(client, "/incidents/")
    assert queries > 1 and "ETag" in fresh  # rendered again, not served from the cache


def test_an_api_answer_from_an_older_index_is_not_kept(client, db, monkeypatch):
    from dataclasses import replace

    from caim.site import lists

    real = lists.get_index()
    monkeypatch.setattr(lists, "get_index", lambda: replace(real, version="an-older-state"))
    stale = client.get("/api/v3/records?limit=5")
    assert stale.status_code == 200 and "ETag" not in stale
    monkeypatch.undo()
    fresh = client.get("/api/v3/records?limit=5")
    assert "ETag" in fresh
    with CaptureQueriesContext(connection) as queries:
        kept = client.get("/api/v3/records?limit=5")
    assert kept.content == fresh.content and len(queries) == 1  # kept once built from the current state


def test_a_list_being_brought_up_to_date_answers_its_previous_page_meanwhile(
    client, editor, reviewer, entities, clock
):
    """Under a publication a second, readers do not all render the lists again: while another thread of the
    process brings the list index up to date (its lock held), a list answers the page it kept last, without
    validators; once that is done, the current page."""
    from caim.site import listindex

    before, _n = get(client, "/incidents/")
    new = factories.published_incident(editor, reviewer, clock)
    with listindex._lock:  # what a thread bringing the index up to date holds
        meanwhile, queries = get(client, "/incidents/")
        never_kept, _n = get(client, "/incidents/?severity=minor")
    assert meanwhile.content == before.content and new.slug not in meanwhile.content.decode()
    assert queries == 1 and "ETag" not in meanwhile and meanwhile["Cache-Control"] == "no-cache"
    assert never_kept.status_code == 200  # nothing kept for this address: rendered, from the index as it was
    after, _n = get(client, "/incidents/")
    assert new.slug in after.content.decode() and "ETag" in after


def wait_for_background() -> None:
    from caim.records.views import reuse

    deadline = time.monotonic() + 20
    while reuse._background.pending and time.monotonic() < deadline:
        time.sleep(0.01)


@pytest.mark.django_db(transaction=True)
def test_a_busy_process_answers_the_previous_list_and_renders_the_new_one_in_the_background(
    client, editor, reviewer, entities, clock, monkeypatch
):
    """Under a publication a second, no reader waits for a list to be rendered again: while the process is busy
    (here: answering another request), a list answers the page it kept last (without validators) and the background thread renders
    the current one, which the next reader gets from the cache."""
    from caim.records.views import reuse

    before, _n = get(client, "/incidents/")
    new = factories.published_incident(editor, reviewer, clock)
    monkeypatch.setattr(reuse._load, "count", 2)  # the pages other threads are answering
    meanwhile, queries = get(client, "/incidents/")
    assert meanwhile.content == before.content and new.slug not in meanwhile.content.decode()
    assert queries == 1 and "ETag" not in meanwhile and meanwhile["Cache-Control"] == "no-cache"
    wait_for_background()
    after, queries = get(client, "/incidents/")
    assert new.slug in after.content.decode() and "ETag" in after
    assert queries == 1  # rendered and kept by the background thread
    fresh_after = client.get("/fr/incidents/?severity=minor")  # nothing kept for this address: rendered now
    assert fresh_after.status_code == 200 and "ETag" in fresh_after

    # The query API too: a busy process answers from the index as it was while its background thread brings
    # the index up to date.
    newer = factories.published_incident(editor, reviewer, clock)
    meanwhile = client.get("/api/v3/records?sort=published&limit=5")
    assert (
        meanwhile.status_code == 200
        and "ETag" not in meanwhile
        and newer.slug not in meanwhile.content.decode()
    )
    wait_for_background()
    after = client.get("/api/v3/records?sort=published&limit=5")
    assert newer.slug in after.content.decode() and "ETag" in after


def test_a_process_is_busy_with_other_pages_in_flight_or_many_a_second():
    """Counted only in a server that answers in threads: in a single-threaded one, no other reader waits."""
    from types import SimpleNamespace

    from caim.records.views import reuse

    load = reuse._Load()
    threaded = SimpleNamespace(META={"wsgi.multithread": True})
    with load.answering(threaded):
        assert load.count == 1 and not load.busy()  # one person clicking
        with load.answering(threaded):  # a page another thread answers
            assert load.busy()
    assert load.count == 0 and not load.busy()
    with load.answering(SimpleNamespace(META={"wsgi.multithread": False})):
        assert load.count == 0 and len(load.started) == 2  # not counted
    for _ in range(reuse._Load.BUSY_RATE - 3):
        with load.answering(threaded):
            pass
    assert not load.busy()  # 49 begun this second
    with load.answering(threaded):  # the fiftieth
        assert load.count == 1 and load.busy()
    load.started.extend([time.monotonic() - 2] * load.BUSY_RATE)  # a second later
    assert not load.busy()


def test_the_home_page_is_kept_per_state(client, editor, reviewer, entities, clock):
    first, _n = get(client, "/")
    again, queries = get(client, "/")
    assert queries == 1 and again.content == first.content and "ETag" in again
    french, _n = get(client, "/fr/")
    assert french.content != first.content and 'lang="fr"' in french.content.decode()
    new = factories.published_incident(editor, reviewer, clock)
    after, queries = get(client, "/")
    assert queries > 1 and new.slug in after.content.decode()
