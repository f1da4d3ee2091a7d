"""What the mutation run of records/actions.py found untested (docs/quality.md): the exact messages of refused
actions, the fields of audit events (actor, before, after), version numbers of withdrawals and merges, merges of
records and entities that name the same things on both sides, and updates that must touch one record only."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from caim.records import actions
from caim.records.models import (
    AISystem,
    AuditEvent,
    Entity,
    EntityRedirect,
    Mitigation,
    PublicEntityRole,
    PublicRecord,
    Record,
    RecordEntity,
    RecordSystem,
    Status,
)
from caim.records.signals import entities_merged
from caim.taxonomy.loader import UnknownSlug
from tests import factories


def event(subject, verb, subject_type="record"):
    return AuditEvent.objects.get(subject_type=subject_type, subject_id=subject.pk, verb=verb)


def entity(editor, clock, slug, name, kind="company"):
    return actions.create_entity(actor=editor, slug=slug, name=name, kind=kind, clock=clock)


# -- drafts and their audit -------------------------------------------------------------------------------------


def test_a_draft_keeps_its_mitigations(editor, entities, clock):
    record = factories.draft(editor, "incident", factories.incident_data(), clock)
    assert list(Mitigation.objects.filter(record=record).values_list("pathway", "text_en")) == [
        ("performance_failure", "Check answers against policy.")
    ]


def test_the_creation_event_holds_the_content_not_the_timestamps(editor, entities, clock):
    record = factories.draft(editor, "incident", factories.incident_data(), clock)
    after = event(record, "record.created").after
    assert after["title_en"] == factories.INCIDENT["title_en"]
    for key in ("schema_version", "version", "created_at", "first_published_at", "published_at"):
        assert key not in after


def test_a_stale_lock_version_changes_only_its_own_record(editor, entities, clock):
    first = factories.draft(editor, "incident", factories.incident_data(), clock)
    other = factories.draft(editor, "incident", factories.incident_data(), clock)
    assert first.lock_version == other.lock_version
    actions.update_record(first, actor=editor, expected_lock_version=first.lock_version,
                          data={"summary_en": "Corrected."}, clock=clock)  # fmt: skip
    assert Record.objects.get(pk=first.pk).lock_version == first.lock_version + 1
    assert Record.objects.get(pk=other.pk).lock_version == other.lock_version


def test_an_old_public_slug_of_another_record_cannot_be_taken(editor, reviewer, incident, entities, clock):
    old = incident.slug
    actions.update_record(incident, actor=editor, expected_lock_version=incident.lock_version,
                          data={"slug": "t-renamed-m"}, clock=clock)  # fmt: skip
    actions.publish_record(
        incident, actor=reviewer, changelog_en="Renamed.", changelog_fr="Renommé.", clock=clock
    )
    other = factories.draft(editor, "incident", factories.incident_data(), clock)
    with pytest.raises(actions.InvalidRecordData, match=f"slug: '{old}' is already used by another record"):
        actions.update_record(
            other, actor=editor, expected_lock_version=other.lock_version, data={"slug": old}
        )
    assert Record.objects.get(pk=other.pk).slug == other.slug


def test_a_translator_changing_two_child_lists_is_told_both(translator, editor, entities, clock):
    record = factories.draft(editor, "incident", factories.incident_data(), clock)
    data = factories.incident_data()
    data["harms"][0]["severity"] = "critical"
    data["mitigations"][0]["pathway"] = "malicious_use"
    with pytest.raises(PermissionDenied) as refused:
        actions.update_record(record, actor=translator, expected_lock_version=record.lock_version,
                              data={"harms": data["harms"], "mitigations": data["mitigations"]})  # fmt: skip
    assert str(refused.value) == "Translators edit text fields only, not: harms, mitigations."


# -- workflow ---------------------------------------------------------------------------------------------------


def test_status_changes_are_audited_and_open_to_reviewers(editor, reviewer, entities, clock):
    record = factories.draft(editor, "incident", factories.incident_data(), clock)
    actions.set_status(record, actor=reviewer, status=Status.VERIFICATION, clock=clock)
    changed = event(record, "record.status_changed")
    assert (changed.actor, changed.before, changed.after) == (reviewer, {"status": "screening"},
                                                              {"status": "verification"})  # fmt: skip


def test_assignment_returns_the_record_and_audits_both_sides(editor, reviewer, entities, clock):
    record = factories.draft(editor, "incident", factories.incident_data(), clock)
    assigned = actions.assign_record(record, actor=editor, assignee=reviewer, clock=clock)
    assert assigned.assignee == reviewer
    first = event(record, "record.assigned")
    assert (first.before, first.after) == ({"assignee": None}, {"assignee": "t-reviewer"})
    actions.assign_record(record, actor=editor, assignee=None, clock=clock)
    last = AuditEvent.objects.filter(subject_id=record.pk, verb="record.assigned").last()
    assert (last.before, last.after) == ({"assignee": "t-reviewer"}, {"assignee": None})


def test_comments_and_returns_name_their_author_and_refuse_with_a_message(editor, reviewer, entities, clock):
    record = factories.draft(editor, "incident", factories.incident_data(), clock)
    comment = actions.comment_record(record, actor=reviewer, text="Check it.", clock=clock)
    assert AuditEvent.objects.get(pk=comment.pk).actor == reviewer
    with pytest.raises(actions.ActionRefused) as refused:
        actions.comment_record(record, actor=reviewer, text=" ", clock=clock)
    assert str(refused.value) == "Write the comment first."
    with pytest.raises(actions.ActionRefused) as refused:
        actions.return_record(record, actor=reviewer, comment="Not in review.", clock=clock)
    assert str(refused.value) == "Only a record in review can be returned."
    actions.set_status(record, actor=editor, status=Status.REVIEW, clock=clock)
    with pytest.raises(actions.ActionRefused) as refused:
        actions.return_record(record, actor=reviewer, comment="", clock=clock)
    assert str(refused.value) == "Say what must change before the record can be published."
    actions.return_record(record, actor=reviewer, comment="Cite it.", clock=clock)
    returned = event(record, "record.returned")
    assert (returned.actor, returned.after, returned.note) == (reviewer, {"status": "assessment"}, "Cite it.")


# -- publication, withdrawal, revert ----------------------------------------------------------------------------


def test_a_missing_changelog_is_refused_even_when_none(editor, reviewer, entities, clock):
    record = factories.draft(editor, "incident", factories.incident_data(), clock)
    actions.set_status(record, actor=editor, status=Status.REVIEW, clock=clock)
    for en, fr in ((None, "Note."), ("Note.", None)):
        with pytest.raises(actions.PublishRefused, match="needs a changelog note in English and in French"):
            actions.publish_record(record, actor=reviewer, changelog_en=en, changelog_fr=fr, clock=clock)


def test_a_changelog_naming_a_private_person_is_refused_with_the_issue(editor, reviewer, entities, clock):
    record = factories.draft(editor, "incident", factories.incident_data(), clock)
    actions.set_status(record, actor=editor, status=Status.REVIEW, clock=clock)
    with pytest.raises(actions.PublishRefused) as refused:
        actions.publish_record(record, actor=reviewer, changelog_en="Jane Roe asked for it.",
                               changelog_fr="Demande de la cliente.", clock=clock)  # fmt: skip
    [issue] = [i for i in refused.value.issues if i.level == "error"]
    assert (issue.rule, issue.field, issue.message) == (
        "private-person-named",
        "changelog_en",
        "A private person listed in the record (“Jane Roe”) is named here. Describe the person instead.",
    )


def test_a_withdrawal_is_version_n_plus_1_and_refuses_with_messages(editor, reviewer, incident, clock):
    with pytest.raises(actions.ActionRefused) as refused:
        actions.withdraw_record(incident, actor=reviewer, reason_en="Jane Roe complained.",
                                reason_fr="Plainte.", clock=clock)  # fmt: skip
    assert str(refused.value) == (
        "A private person listed in the record (“Jane Roe”) is named here. Describe the person instead."
    )
    version = actions.withdraw_record(incident, actor=reviewer, reason_en="Duplicate.", reason_fr="Doublon.",
                                      clock=clock)  # fmt: skip
    assert version.number == 2 and version.document["version"] == 2
    withdrawn = event(incident, "record.withdrawn")
    assert (withdrawn.before, withdrawn.after) == (
        {"status": "published"},
        {"status": "withdrawn", "version": 2},
    )
    with pytest.raises(actions.ActionRefused) as refused:
        actions.withdraw_record(
            incident, actor=reviewer, reason_en="Again.", reason_fr="Encore.", clock=clock
        )
    assert str(refused.value) == "Only a published record can be withdrawn."
    # Version 2 is the withdrawal: there is nothing to restore from it.
    with pytest.raises(actions.ActionRefused) as refused:
        actions.revert_record(incident, actor=reviewer, to_version=2, clock=clock)
    assert str(refused.value) == "There is no published version 2 to restore."


def test_a_revert_keeps_the_private_persons_of_the_restored_version(editor, reviewer, incident, clock):
    actions.update_record(incident, actor=editor, expected_lock_version=incident.lock_version,
                          data={"private_persons": []}, clock=clock)  # fmt: skip
    assert Record.objects.get(pk=incident.pk).private_persons == []
    version = actions.revert_record(incident, actor=reviewer, to_version=1, clock=clock)
    assert Record.objects.get(pk=incident.pk).private_persons == ["Jane Roe"]
    assert version.staff_document["private_persons"] == ["Jane Roe"]


# -- entities and systems ---------------------------------------------------------------------------------------


def test_creations_of_entities_and_systems_are_audited_at_the_clock_time(editor, entities, clock):
    made = entity(editor, clock, "t-m-entity", "M Entity")
    created = event(made, "entity.created", "entity")
    assert (created.actor, created.at) == (editor, clock.now())
    system = actions.create_system(
        actor=editor, slug="t-m-bot", name="M Bot", system_type="chatbot", clock=clock
    )
    created = event(system, "system.created", "system")
    assert (created.actor, created.at, created.after) == (
        editor,
        clock.now(),
        {"slug": "t-m-bot", "name": "M Bot"},
    )
    with pytest.raises(UnknownSlug):
        actions.create_system(actor=editor, slug="t-m-x", name="X", system_type="toaster", clock=clock)
    assert not AISystem.objects.filter(slug="t-m-x").exists()


def test_merging_entities_moves_everything_once_and_audits_it(editor, reviewer, entities, clock):
    acme = entities["t-acme-ai"]
    dup = entity(editor, clock, "t-acme-dup", "Acme Duplicate")
    older = entity(editor, clock, "t-acme-older", "Acme Older")
    actions.merge_entities(older, dup, actor=editor, clock=clock)  # dup already redirects t-acme-older
    data = factories.incident_data()
    # The record names both: same role on both sides, and a role only the duplicate has.
    data["entities"].append({"slug": "t-acme-dup", "roles": ["developer", "reporter"]})
    record = factories.published_incident(editor, reviewer, clock, entities=data["entities"])
    own = actions.create_system(actor=editor, slug="t-m-dup-bot", name="Dup Bot", system_type="chatbot",
                                developer=dup, clock=clock)  # fmt: skip
    orphan = actions.create_system(actor=editor, slug="t-m-orphan", name="Orphan", system_type="chatbot",
                                   clock=clock)  # fmt: skip
    received = []

    def receiver(sender, loser_id, survivor, **kwargs):
        received.append((loser_id, survivor.pk))

    entities_merged.connect(receiver, sender=Entity)
    try:
        actions.merge_entities(dup, acme, actor=editor, clock=clock)
    finally:
        entities_merged.disconnect(receiver, sender=Entity)
    assert received == [(dup.pk, acme.pk)]
    assert RecordEntity.objects.get(record=record, entity=acme).roles == ["developer", "deployer", "reporter"]
    assert sorted(PublicEntityRole.objects.filter(record_id=record.pk, entity=acme).values_list("role", flat=True)) \
        == ["deployer", "developer", "reporter"]  # fmt: skip
    assert AISystem.objects.get(pk=own.pk).developer == acme
    assert AISystem.objects.get(pk=orphan.pk).developer is None
    # The address of the entity merged earlier leads to the survivor too.
    assert EntityRedirect.objects.get(old_slug="t-acme-older").entity == acme
    into = event(dup, "entity.merged_into", "entity")
    assert (into.before, into.after) == ({"slug": "t-acme-dup", "name": "Acme Duplicate"},
                                         {"into": "t-acme-ai", "records": [record.pk]})  # fmt: skip
    merged = event(acme, "entity.merged", "entity")
    assert (merged.before, merged.after) == ({"slug": "t-acme-dup", "name": "Acme Duplicate"},
                                             {"slug": "t-acme-ai", "records": [record.pk]})  # fmt: skip


# -- merging records --------------------------------------------------------------------------------------------


def test_records_merge_only_with_their_own_type(editor, reviewer, entities, clock):
    incident = factories.draft(editor, "incident", factories.incident_data(), clock)
    hazard = factories.draft(editor, "hazard", factories.hazard_data(), clock)
    with pytest.raises(actions.ActionRefused) as refused:
        actions.merge_records(hazard, incident, actor=reviewer, clock=clock)
    assert str(refused.value) == "A record merges only into another record of the same type."


def test_merged_drafts_combine_sources_entities_and_systems(editor, reviewer, entities, clock):
    bot = actions.create_system(
        actor=editor, slug="t-m-merge-bot", name="Bot", system_type="chatbot", clock=clock
    )
    sources = factories.incident_data()["sources"]
    ours_sources = [sources[0], {**sources[1], "citation_key": "Daily News, 2025 (2)",
                                 "url": "https://news.example.ca/2025/second"}]  # fmt: skip
    survivor = factories.draft(editor, "incident", factories.incident_data(
        sources=[*ours_sources, {**sources[1]}],
        entities=[{"slug": "t-acme-ai", "roles": ["developer"]}]), clock)  # fmt: skip
    loser = factories.draft(editor, "incident", factories.incident_data(
        sources=[{**sources[1], "url": "https://news.example.ca/2025/third"}],
        systems=[{"slug": "t-m-merge-bot"}]), clock)  # fmt: skip
    clock.advance(days=1)
    actions.merge_records(loser, survivor, actor=reviewer, clock=clock)
    merged = Record.objects.get(pk=survivor.pk)
    keys = list(merged.record_sources.order_by("number").values_list("citation_key", flat=True))
    assert keys[-1] == "Daily News, 2025 (3)"
    assert sorted(RecordEntity.objects.filter(record=merged).values_list("entity__slug", flat=True)) == [
        "t-acme-ai", "t-privacy-regulator"]  # fmt: skip
    assert RecordEntity.objects.get(record=merged, entity__slug="t-acme-ai").roles == [
        "developer",
        "deployer",
    ]
    assert list(RecordSystem.objects.filter(record=merged).values_list("system", flat=True)) == [bot.pk]
    closed = Record.objects.get(pk=loser.pk)
    assert (closed.status, closed.updated_at) == (Status.MERGED, clock.now())
    into = event(loser, "record.merged_into")
    assert (into.actor, into.before, into.after) == (
        reviewer,
        {"status": "screening"},
        {"status": "merged", "into": {"id": survivor.pk, "slug": survivor.slug}},
    )


def test_a_merged_public_hazard_hands_its_incidents_to_the_survivor(editor, reviewer, entities, clock):
    survivor = factories.published_hazard(editor, reviewer, clock)
    loser = factories.published_hazard(editor, reviewer, clock)
    one = factories.published_incident(editor, reviewer, clock, hazard=loser)
    data = factories.incident_data(materialized_from=[loser.slug, survivor.slug])
    both = factories.draft(editor, "incident", data, clock)
    factories.submit_and_publish(both, editor, reviewer, clock)
    actions.merge_records(loser, survivor, actor=reviewer, clock=clock)
    for incident in (one, both):
        assert list(
            PublicRecord.objects.get(pk=incident.pk).materialized_from.values_list("pk", flat=True)
        ) == [survivor.pk]
    # The hazard's last version says where it went.
    last = Record.objects.get(pk=loser.pk).current_version
    assert (last.number, last.document["version"], last.document["merged_into"]["id"]) == (2, 2, survivor.pk)
