"""The actions: the only writers of records. Versions, audit, optimistic locking, permissions, public layer."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from caim.records import actions
from caim.records.models import AuditEvent, PublicRecord, Record, RecordVersion, SlugRedirect, Source, Status
from tests import factories


def events(record, verb=None):
    qs = AuditEvent.objects.filter(subject_type="record", subject_id=record.pk)
    return list(qs.filter(verb=verb) if verb else qs)


def test_create_draft_writes_one_audit_event(editor, entities, clock):
    record = factories.draft(editor, "incident", factories.incident_data(), clock)
    assert record.status == Status.SCREENING
    [event] = events(record)
    assert event.verb == "record.created" and event.actor == editor and event.at == clock.now()
    assert event.after["title_en"] == factories.INCIDENT["title_en"]
    assert not PublicRecord.objects.filter(pk=record.pk).exists()


def test_both_types_share_one_id_sequence(editor, entities, clock):
    hazard = factories.draft(editor, "hazard", factories.hazard_data(), clock)
    incident = factories.draft(editor, "incident", factories.incident_data(), clock)
    assert incident.pk > hazard.pk
    assert Record.objects.filter(pk__in=[hazard.pk, incident.pk]).count() == 2


def test_publish_creates_version_with_changelog_and_audit(editor, reviewer, entities, clock):
    record = factories.draft(editor, "incident", factories.incident_data(), clock)
    version = factories.submit_and_publish(record, editor, reviewer, clock, note="First publication.")
    record.refresh_from_db()
    assert (version.number, version.changelog_en, version.changelog_fr) == (
        1,
        "First publication.",
        "FR: First publication.",
    )
    assert record.status == Status.PUBLISHED and record.current_version == version
    assert record.first_published_at == clock.now()
    assert version.document["title_en"] == factories.INCIDENT["title_en"]
    assert "private_persons" not in version.document and version.staff_document["private_persons"] == [
        "Jane Roe"
    ]
    [published] = events(record, "record.published")
    assert published.actor == reviewer and published.after == {"status": "published", "version": 1}
    public = PublicRecord.objects.get(pk=record.pk)
    assert public.version_number == 1 and public.slug == record.slug

    clock.advance(days=3)
    actions.update_record(
        record,
        actor=editor,
        expected_lock_version=record.lock_version,
        data={"summary_en": "A corrected summary."},
        clock=clock,
    )
    v2 = actions.publish_record(
        record,
        actor=reviewer,
        changelog_en="Corrected the summary.",
        changelog_fr="Correction du résumé.",
        clock=clock,
    )
    assert v2.number == 2
    assert (
        RecordVersion.objects.get(record=record, number=1).document["summary_en"]
        == factories.INCIDENT["summary_en"]
    )
    assert v2.document["summary_en"] == "A corrected summary."
    assert len(events(record, "record.published")) == 2
    record.refresh_from_db()
    assert record.first_published_at == clock.now().replace(day=clock.now().day - 3)


def test_edits_to_a_published_record_stay_private_until_published(editor, reviewer, incident, client):
    actions.update_record(
        incident,
        actor=editor,
        expected_lock_version=incident.lock_version,
        data={"title_en": "Unpublished new title"},
    )
    page = client.get(f"/incidents/{incident.slug}/")
    assert page.status_code == 200
    assert "Unpublished new title" not in page.content.decode()
    assert PublicRecord.objects.get(pk=incident.pk).title_en == factories.INCIDENT["title_en"]


def test_publish_needs_changelog_in_both_languages(editor, reviewer, entities, clock):
    record = factories.draft(editor, "incident", factories.incident_data(), clock)
    actions.set_status(record, actor=editor, status=Status.REVIEW, clock=clock)
    with pytest.raises(actions.PublishRefused, match="changelog note in English and in French"):
        actions.publish_record(record, actor=reviewer, changelog_en="Done.", changelog_fr="  ", clock=clock)
    assert not RecordVersion.objects.filter(record=record).exists()


def test_publish_needs_review_first_and_a_reviewer(editor, reviewer, entities, clock):
    record = factories.draft(editor, "incident", factories.incident_data(), clock)
    with pytest.raises(actions.PublishRefused, match="Submit the draft for review"):
        actions.publish_record(record, actor=reviewer, changelog_en="a", changelog_fr="b", clock=clock)
    actions.set_status(record, actor=editor, status=Status.REVIEW, clock=clock)
    with pytest.raises(PermissionDenied):
        actions.publish_record(record, actor=editor, changelog_en="a", changelog_fr="b", clock=clock)
    assert not RecordVersion.objects.filter(record=record).exists()


def test_stale_update_raises_conflict_and_changes_nothing(editor, entities, clock):
    record = factories.draft(editor, "incident", factories.incident_data(), clock)
    stale = record.lock_version
    actions.update_record(
        record, actor=editor, expected_lock_version=stale, data={"title_en": "First editor"}
    )
    before = Record.objects.get(pk=record.pk)
    audit_count = AuditEvent.objects.count()
    with pytest.raises(actions.EditConflict) as excinfo:
        actions.update_record(
            record, actor=editor, expected_lock_version=stale, data={"title_en": "Second editor", "harms": []}
        )
    after = Record.objects.get(pk=record.pk)
    assert after.title_en == "First editor" and after.lock_version == before.lock_version
    assert after.harms.count() == 1
    assert AuditEvent.objects.count() == audit_count
    conflict = excinfo.value
    assert conflict.current_data["title_en"] == "First editor"
    assert conflict.attempted["title_en"] == "Second editor"
    assert "changed by someone else" in str(conflict)


def test_invalid_update_changes_nothing(editor, entities, clock):
    record = factories.draft(editor, "incident", factories.incident_data(), clock)
    data = {
        "severity": "apocalyptic",
        "harms": [{"harm_types": ["economic_harm"], "reach": "planet"}],
        "sources": [
            {
                "citation_key": "X, 2020",
                "url": "javascript:alert(1)",
                "publisher": "X",
                "title": "T",
                "source_type": "media",
            }
        ],
    }
    with pytest.raises(actions.InvalidRecordData) as excinfo:
        actions.update_record(record, actor=editor, expected_lock_version=record.lock_version, data=data)
    text = str(excinfo.value)
    assert "severity: unknown severity value 'apocalyptic'" in text
    assert "harms[1].reach: unknown reach value 'planet'" in text
    assert "sources[1].url: 'javascript:alert(1)' is not an http(s) URL" in text
    fresh = Record.objects.get(pk=record.pk)
    assert fresh.severity == "significant" and fresh.lock_version == record.lock_version
    assert fresh.record_sources.count() == 2


def test_unknown_field_is_rejected(editor, entities, clock):
    with pytest.raises(actions.InvalidRecordData, match="colour: is not a field of a record"):
        factories.draft(editor, "incident", factories.incident_data(colour="red"), clock)


def test_hazard_fields_are_refused_on_incidents(editor, entities, clock):
    with pytest.raises(actions.InvalidRecordData, match="hazard_status: is a field of hazards"):
        factories.draft(editor, "incident", factories.incident_data(hazard_status="active"), clock)


def test_sources_are_reused_across_records(editor, entities, clock):
    first = factories.draft(editor, "incident", factories.incident_data(), clock)
    second = factories.draft(editor, "incident", factories.incident_data(), clock)
    url = factories.SOURCES[0]["url"]
    assert Source.objects.filter(url=url).count() == 1
    assert first.record_sources.get(number=1).source_id == second.record_sources.get(number=1).source_id


def test_translator_edits_text_only(translator, editor, entities, clock):
    record = factories.draft(editor, "incident", factories.incident_data(), clock)
    actions.update_record(
        record,
        actor=translator,
        expected_lock_version=record.lock_version,
        data={"summary_fr": "Nouveau résumé."},
    )
    record.refresh_from_db()
    with pytest.raises(PermissionDenied):
        actions.update_record(
            record, actor=translator, expected_lock_version=record.lock_version, data={"severity": "critical"}
        )
    assert Record.objects.get(pk=record.pk).severity == "significant"


def test_outsider_cannot_create(outsider, entities, clock):
    with pytest.raises(PermissionDenied):
        factories.draft(outsider, "incident", factories.incident_data(), clock)


def test_slug_change_keeps_a_redirect(editor, reviewer, incident, client):
    old = incident.slug
    actions.update_record(
        incident, actor=editor, expected_lock_version=incident.lock_version, data={"slug": "t-renamed"}
    )
    actions.publish_record(incident, actor=reviewer, changelog_en="Renamed.", changelog_fr="Renommé.")
    assert SlugRedirect.objects.get(old_slug=old).record_id == incident.pk
    response = client.get(f"/incidents/{old}/")
    assert response.status_code == 301 and response["Location"] == "/incidents/t-renamed/"
    assert client.get("/fr/incidents/t-renamed/").status_code == 200


def test_withdraw_keeps_page_with_notice_and_leaves_lists(editor, reviewer, incident, client):
    version = actions.withdraw_record(
        incident, actor=reviewer, reason_en="Found to be a duplicate.", reason_fr="Doublon."
    )
    assert version.kind == "withdrawal" and version.number == 2
    page = client.get(f"/incidents/{incident.slug}/").content.decode()
    assert "This record has been withdrawn." in page and "Found to be a duplicate." in page
    assert incident.slug not in client.get("/incidents/").content.decode()
    [event] = events(incident, "record.withdrawn")
    assert event.actor == reviewer
    with pytest.raises(actions.ActionRefused):
        actions.update_record(incident, actor=editor, expected_lock_version=0, data={"title_en": "x"})


def test_revert_publishes_a_new_version(editor, reviewer, incident, clock):
    actions.update_record(
        incident,
        actor=editor,
        expected_lock_version=incident.lock_version,
        data={"title_en": "A wrong title", "harms": []},
        clock=clock,
    )
    incident.refresh_from_db()
    actions.update_record(
        incident,
        actor=editor,
        expected_lock_version=incident.lock_version,
        data={"harms": factories.INCIDENT["harms"]},
        clock=clock,
    )
    actions.publish_record(
        incident, actor=reviewer, changelog_en="Retitled.", changelog_fr="Nouveau titre.", clock=clock
    )
    version = actions.revert_record(incident, actor=reviewer, to_version=1, clock=clock)
    assert version.number == 3 and version.kind == "revert"
    assert version.document["title_en"] == factories.INCIDENT["title_en"]
    assert "version 1" in version.changelog_en
    assert RecordVersion.objects.get(record=incident, number=2).document["title_en"] == "A wrong title"


def test_an_incident_links_only_to_published_hazards(editor, reviewer, entities, clock, client):
    hazard = factories.draft(editor, "hazard", factories.hazard_data(), clock)
    incident = factories.draft(
        editor, "incident", factories.incident_data(materialized_from=[hazard.slug]), clock
    )
    actions.set_status(incident, actor=editor, status=Status.REVIEW, clock=clock)
    with pytest.raises(actions.PublishRefused) as excinfo:
        actions.publish_record(incident, actor=reviewer, changelog_en="a", changelog_fr="b", clock=clock)
    assert [i.rule for i in excinfo.value.issues if i.level == "error"] == ["materialized-from-unpublished"]
    factories.submit_and_publish(hazard, editor, reviewer, clock)
    actions.publish_record(incident, actor=reviewer, changelog_en="a", changelog_fr="b", clock=clock)
    assert list(PublicRecord.objects.get(pk=incident.pk).materialized_from.values_list("pk", flat=True)) == [
        hazard.pk
    ]
    page = client.get(f"/hazards/{hazard.slug}/").content.decode()
    assert "Materialized Incidents" in page and f"/incidents/{incident.slug}/" in page


def test_versions_are_immutable(incident):
    version = RecordVersion.objects.get(record=incident, number=1)
    version.changelog_en = "Rewritten history"
    with pytest.raises(ValueError, match="immutable"):
        version.save()
    with pytest.raises(ValueError, match="never deleted"):
        version.delete()
    assert RecordVersion.objects.get(record=incident, number=1).changelog_en == "Initial publication."


def test_control_characters_are_removed_and_titles_stay_on_one_line(
    client, editor, reviewer, entities, clock
):
    data = factories.incident_data(
        title_en="Refunds\r\nTY  - JOUR\x07 promised",
        summary_en="First line.\r\nSecond\x1b line.\u2028Third.",
    )
    data["sources"][0]["title"] = "Findings\non\tthe assistant"
    record = factories.draft(editor, "incident", data, clock)
    record.refresh_from_db()
    assert record.title_en == "Refunds TY - JOUR promised"
    assert record.summary_en == "First line.\nSecond line.\nThird."
    assert record.record_sources.get(number=1).title == "Findings on the assistant"
    factories.submit_and_publish(record, editor, reviewer, clock)
    ris = client.get(f"/incidents/{record.slug}/cite.ris").content.decode()
    assert [line[:2] for line in ris.splitlines()].count("TY") == 1


def test_translator_edits_the_texts_of_child_lists_only(translator, editor, entities, clock):
    from caim.records.models import AuditEvent

    record = factories.draft(editor, "incident", factories.incident_data(), clock)
    harms = factories.incident_data()["harms"]
    harms[0]["description_fr"] = "Des clients ont perdu des sommes importantes."
    actions.update_record(
        record, actor=translator, expected_lock_version=record.lock_version, data={"harms": harms}
    )
    record.refresh_from_db()
    assert record.harms.get().description_fr == "Des clients ont perdu des sommes importantes."
    events = AuditEvent.objects.count()
    harms[0]["severity"] = "critical"
    with pytest.raises(PermissionDenied, match="harms"):
        actions.update_record(
            record, actor=translator, expected_lock_version=record.lock_version, data={"harms": harms}
        )
    assert record.harms.get().severity == "minor" and AuditEvent.objects.count() == events
    assert Record.objects.get(pk=record.pk).lock_version == record.lock_version
