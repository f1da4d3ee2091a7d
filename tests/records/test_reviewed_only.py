"""A published version holds reviewed content only: the record's own working copy as a reviewer approved it,
and other records' public layer. Each test is a leak that existed: an unpublished edit of one record reaching
another record's public outputs at that record's next publication."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from caim.records import actions
from caim.records.bulk import bulk_create_drafts
from caim.records.models import AuditEvent, PublicRecord, RecordVersion, Status
from tests import factories

MARKER = "UNREVIEWED-MARKER"


def edit(record, actor, clock=None, **data):
    record.refresh_from_db()
    return actions.update_record(
        record, actor=actor, expected_lock_version=record.lock_version, data=data, clock=clock
    )


def republish(record, editor, reviewer, clock=None, **data):
    """A routine correction of a published record."""
    edit(record, editor, clock, **data)
    return actions.publish_record(
        record, actor=reviewer, changelog_en="Correction.", changelog_fr="Correction.", clock=clock
    )


def public_outputs(client, record) -> str:
    public = PublicRecord.objects.get(pk=record.pk)
    kind = "incidents" if public.record_type == "incident" else "hazards"
    urls = [
        f"/{kind}/{public.slug}/",
        f"/fr/{kind}/{public.slug}/",
        f"/{kind}/{public.slug}/v/1/",
        f"/{kind}/{public.slug}/oecd.json",
        f"/{kind}/{public.slug}/cite.ris",
        f"/api/v3/records/{public.slug}.json",
        f"/api/v3/records/{public.slug}/versions.json",
        "/api/v3/records.json",
    ]
    out = []
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        out.append(b"".join(response.streaming_content) if response.streaming else response.content)
    return b"\n".join(out).decode()


def shared_source_draft(editor, clock, url: str):
    """A draft of another record citing the same URL, describing it with unreviewed text."""
    data = factories.incident_data()
    data["sources"][0] = {**data["sources"][0], "url": url, "title": MARKER, "publisher": MARKER}
    return factories.draft(editor, "incident", data, clock)


def test_a_draft_citing_the_same_url_does_not_change_a_published_source(
    client, editor, reviewer, incident, clock
):
    url = factories.SOURCES[0]["url"]
    shared_source_draft(editor, clock, url)
    republish(incident, editor, reviewer, clock, summary_en="A reviewed correction.")
    [source] = [s for s in RecordVersion.objects.filter(record=incident).last().document["sources"]
                if s["url"] == url]  # fmt: skip
    assert source["title"] == factories.SOURCES[0]["title"]
    assert MARKER not in public_outputs(client, incident)


def test_the_batch_path_keeps_the_same_rule(client, editor, reviewer, incident, clock):
    data = factories.incident_data()
    data["sources"][0] = {**data["sources"][0], "title": MARKER}
    bulk_create_drafts([("incident", "t-batch-shared-url", data)], actor=editor, origin="editorial")
    republish(incident, editor, reviewer, clock, summary_en="A reviewed correction.")
    assert MARKER not in public_outputs(client, incident)


def test_each_record_keeps_its_own_description_of_a_shared_url(editor, reviewer, incident, clock):
    url = factories.SOURCES[0]["url"]
    other = shared_source_draft(editor, clock, url)
    other.refresh_from_db()
    sources = {rs.source.url: rs for rs in other.record_sources.select_related("source")}
    assert sources[url].title == MARKER
    ours = {rs.source.url: rs for rs in incident.record_sources.select_related("source")}
    assert ours[url].title == factories.SOURCES[0]["title"] and ours[url].source_id == sources[url].source_id


def test_an_unpublished_hazard_rename_stays_out_of_a_linked_incident(
    client, editor, reviewer, hazard, entities, clock
):
    public_slug = hazard.slug
    edit(hazard, editor, clock, slug="t-renamed-unreviewed-marker")
    incident = factories.published_incident(editor, reviewer, clock, hazard=hazard)
    doc = RecordVersion.objects.get(record=incident).document
    assert doc["materialized_from"] == [{"id": hazard.pk, "slug": public_slug}]
    assert "renamed-unreviewed-marker" not in public_outputs(client, incident)


def test_revert_keeps_the_public_slug(client, editor, reviewer, incident, clock):
    public_slug = incident.slug
    republish(incident, editor, reviewer, clock, summary_en="Second version.")
    edit(incident, editor, clock, slug="t-pending-rename-marker", summary_en=MARKER)
    actions.revert_record(incident, actor=reviewer, to_version=1, clock=clock)
    public = PublicRecord.objects.get(pk=incident.pk)
    assert public.slug == public_slug and public.version_number == 3
    assert public.version.document["summary_en"] == factories.INCIDENT["summary_en"]
    assert "pending-rename-marker" not in public_outputs(client, incident)
    assert MARKER not in public_outputs(client, incident)
    assert client.get("/incidents/t-pending-rename-marker/").status_code == 404


def test_revert_restores_the_translation_statuses_of_the_version(editor, reviewer, incident, clock):
    edit(incident, editor, clock, translation_status={"summary_fr": "machine"})
    actions.publish_record(incident, actor=reviewer, changelog_en="x", changelog_fr="y", clock=clock)
    actions.revert_record(incident, actor=reviewer, to_version=1, clock=clock)
    public = PublicRecord.objects.get(pk=incident.pk)
    assert public.version.document["translation_status"]["summary_fr"] == "human"


@pytest.fixture
def editor_reviewer(db):
    """One account with both roles, as a one-person team would set it up."""
    return factories.make_user("t-editor-reviewer", "editor", "reviewer")


def test_the_author_of_a_draft_cannot_approve_it(editor_reviewer, reviewer, entities, clock):
    record = factories.draft(editor_reviewer, "incident", factories.incident_data(), clock)
    actions.set_status(record, actor=editor_reviewer, status=Status.REVIEW, clock=clock)
    events_before = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied, match="another reviewer"):
        actions.publish_record(record, actor=editor_reviewer, changelog_en="x", changelog_fr="y", clock=clock)
    assert not PublicRecord.objects.filter(pk=record.pk).exists()
    assert AuditEvent.objects.count() == events_before
    actions.publish_record(record, actor=reviewer, changelog_en="x", changelog_fr="y", clock=clock)
    assert PublicRecord.objects.filter(pk=record.pk).exists()


def test_a_reviewer_who_edited_since_the_last_publication_cannot_approve(
    editor, editor_reviewer, reviewer, incident, clock
):
    edit(incident, editor_reviewer, clock, summary_en="An edit by the reviewer.")
    with pytest.raises(PermissionDenied):
        actions.publish_record(
            incident, actor=editor_reviewer, changelog_en="x", changelog_fr="y", clock=clock
        )
    actions.publish_record(incident, actor=reviewer, changelog_en="x", changelog_fr="y", clock=clock)
    # Changes before the last publication were approved by someone else: the next ones are what counts.
    edit(incident, editor, clock, summary_en="An edit by the editor.")
    actions.publish_record(incident, actor=editor_reviewer, changelog_en="x", changelog_fr="y", clock=clock)
    assert PublicRecord.objects.get(pk=incident.pk).version_number == 3


def test_a_reviewer_can_revert_alone(editor, reviewer, incident, clock):
    republish(incident, editor, reviewer, clock, summary_en="Second version.")
    version = actions.revert_record(incident, actor=reviewer, to_version=1, clock=clock)
    assert version.kind == "revert" and version.document["summary_en"] == factories.INCIDENT["summary_en"]
