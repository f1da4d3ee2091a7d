"""The actions behind the editorial workspace: assignment, comments, returning a record, merges."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from caim.records import actions
from caim.records.models import (
    AuditEvent,
    Entity,
    EntityRedirect,
    PublicEntityRole,
    PublicRecord,
    Record,
    RecordEntity,
    Status,
)
from tests import factories


def verbs(record):
    return list(
        AuditEvent.objects.filter(subject_type="record", subject_id=record.pk).values_list("verb", flat=True)
    )


def test_assign_and_comment(editor, reviewer, outsider, entities, clock):
    record = factories.draft(editor, "incident", factories.incident_data(), clock)
    actions.assign_record(record, actor=editor, assignee=reviewer, clock=clock)
    assert Record.objects.get(pk=record.pk).assignee == reviewer
    with pytest.raises(actions.ActionRefused):
        actions.assign_record(record, actor=editor, assignee=outsider, clock=clock)
    event = actions.comment_record(record, actor=reviewer, text="Check the second source.", clock=clock)
    assert event.note == "Check the second source." and verbs(record)[-2:] == [
        "record.assigned",
        "record.commented",
    ]
    with pytest.raises(actions.ActionRefused):
        actions.comment_record(record, actor=reviewer, text="   ", clock=clock)
    with pytest.raises(PermissionDenied):
        actions.comment_record(record, actor=outsider, text="Hello", clock=clock)


def test_a_reviewer_returns_a_record_with_a_comment(editor, reviewer, entities, clock):
    record = factories.draft(editor, "incident", factories.incident_data(), clock)
    actions.set_status(record, actor=editor, status=Status.REVIEW, clock=clock)
    with pytest.raises(actions.ActionRefused):
        actions.return_record(record, actor=reviewer, comment="", clock=clock)
    actions.return_record(record, actor=reviewer, comment="Cite the ruling.", clock=clock)
    record.refresh_from_db()
    assert record.status == Status.ASSESSMENT
    event = AuditEvent.objects.filter(subject_id=record.pk, verb="record.returned").get()
    assert event.note == "Cite the ruling." and event.before == {"status": "review"}
    with pytest.raises(PermissionDenied):
        actions.return_record(record, actor=editor, comment="x", clock=clock)


def test_merging_entities_moves_links_and_redirects(client, editor, reviewer, entities, clock, incident):
    loser = actions.create_entity(actor=editor, slug="t-acme-duplicate", name="ACME Artificial Intelligence",
                                  kind="company", clock=clock)  # fmt: skip
    data = factories.incident_data()
    data["entities"][0]["slug"] = "t-acme-duplicate"
    other = factories.published_incident(editor, reviewer, clock, entities=data["entities"])
    survivor = Entity.objects.get(slug="t-acme-ai")
    assert client.get("/entities/t-acme-duplicate/").status_code == 200
    actions.merge_entities(loser, survivor, actor=editor, clock=clock)
    assert not Entity.objects.filter(slug="t-acme-duplicate").exists()
    assert RecordEntity.objects.filter(record=other, entity=survivor).exists()
    assert PublicEntityRole.objects.filter(record_id=other.pk, entity=survivor).exists()
    assert "ACME Artificial Intelligence" in Entity.objects.get(pk=survivor.pk).aliases
    response = client.get("/entities/t-acme-duplicate/")
    assert response.status_code == 301 and response["Location"] == "/entities/t-acme-ai/"
    fr = client.get("/fr/entities/t-acme-duplicate/")
    assert fr.status_code == 301 and fr["Location"] == "/fr/entities/t-acme-ai/"
    page = client.get("/entities/t-acme-ai/").content.decode()
    assert other.slug in page and incident.slug in page
    redirect = EntityRedirect.objects.get(old_slug="t-acme-duplicate")
    events = AuditEvent.objects.filter(subject_type="entity", subject_id__in=[survivor.pk, redirect.old_id])
    assert {e.verb for e in events} >= {"entity.merged", "entity.merged_into", "entity.created"}


def test_merging_records_moves_evidence_and_redirects(client, editor, reviewer, entities, clock, incident):
    data = factories.incident_data()
    data["sources"][1] = {
        **data["sources"][1],
        "url": "https://other.example.ca/report",
        "publisher": "Other",
    }
    duplicate = factories.published_incident(editor, reviewer, clock, sources=data["sources"])
    actions.merge_records(duplicate, incident, actor=reviewer, clock=clock)
    duplicate.refresh_from_db()
    assert duplicate.status == Status.MERGED and duplicate.merged_into_id == incident.pk
    survivor = Record.objects.get(pk=incident.pk)
    moved = survivor.record_sources.get(source__url="https://other.example.ca/report")
    assert moved.background and moved.citation_key == "Daily News, 2025 (2)"
    assert "record.merged_from" in verbs(incident) and "record.merged_into" in verbs(duplicate)
    # The duplicate's addresses lead to the survivor; it leaves the lists.
    for url in (f"/incidents/{duplicate.slug}/", f"/incidents/{duplicate.pk}/"):
        response = client.get(url)
        assert response.status_code == 301 and response["Location"] == f"/incidents/{incident.slug}/"
    assert PublicRecord.objects.get(pk=duplicate.pk).withdrawn
    assert duplicate.slug not in client.get("/incidents/").content.decode()
    # Its changelog says where it went; the survivor's next version is reviewed as usual.
    assert duplicate.current_version.changelog_en.startswith(f"Merged into record {incident.pk}")
    with pytest.raises(PermissionDenied):  # the reviewer who merged changed the survivor
        actions.publish_record(survivor, actor=reviewer, changelog_en="x", changelog_fr="y", clock=clock)
    with pytest.raises(actions.ActionRefused):
        actions.update_record(duplicate, actor=editor, expected_lock_version=duplicate.lock_version,
                              data={"summary_en": "x"})  # fmt: skip


def test_a_public_record_merges_only_into_a_public_one(editor, reviewer, entities, clock, incident):
    draft = factories.draft(editor, "incident", factories.incident_data(), clock)
    with pytest.raises(actions.ActionRefused, match="Publish the surviving record first"):
        actions.merge_records(incident, draft, actor=reviewer, clock=clock)
    hazard = factories.draft(editor, "hazard", factories.hazard_data(), clock)
    with pytest.raises(actions.ActionRefused):
        actions.merge_records(hazard, incident, actor=reviewer, clock=clock)
