"""Publishing is refused for each rule of the record lint (SPEC §3.2), with a message that says what to do."""

from __future__ import annotations

import pytest

from caim.records import actions
from caim.records.actions import PublishRefused, check_record
from caim.records.models import Record, RecordSource, RecordVersion, Status
from tests import factories


def publish_refusal(record, editor, reviewer, clock) -> list:
    actions.set_status(record, actor=editor, status=Status.REVIEW, clock=clock)
    with pytest.raises(PublishRefused) as excinfo:
        actions.publish_record(
            record, actor=reviewer, changelog_en="Initial.", changelog_fr="Initiale.", clock=clock
        )
    assert not RecordVersion.objects.filter(record=record).exists()
    record.refresh_from_db()
    assert record.status == Status.REVIEW and record.current_version_id is None
    return [i for i in excinfo.value.issues if i.level == "error"]


def refused_incident(editor, reviewer, clock, **overrides):
    record = factories.draft(editor, "incident", factories.incident_data(**overrides), clock)
    return publish_refusal(record, editor, reviewer, clock)


def only_issue(issues, rule: str):
    matching = [i for i in issues if i.rule == rule]
    assert matching, f"no {rule} issue in {issues}"
    assert all(i.rule == rule for i in issues), f"unexpected extra errors: {issues}"
    return matching[0]


def test_valid_incident_publishes_with_no_lint_error(editor, reviewer, entities, clock):
    record = factories.draft(editor, "incident", factories.incident_data(), clock)
    assert [i for i in check_record(record, today=clock.now().date()) if i.level == "error"] == []


@pytest.mark.parametrize(
    ("field", "overrides", "message"),
    [
        ("title_en", {"title_en": "", "title_fr": ""}, "The record has no title"),
        ("summary_en", {"summary_en": "", "summary_fr": ""}, "has no summary"),
        ("severity", {"severity": ""}, "Set the record's severity"),
        ("harms", {"harms": []}, "Describe at least one harm"),
        (
            "taxonomy.domains",
            {
                "taxonomy": {
                    "domains": [],
                    "harm_types": ["economic_harm"],
                    "ai_pathways": ["performance_failure"],
                }
            },
            "Choose at least one domain",
        ),
        (
            "taxonomy.harm_types",
            {"taxonomy": {"domains": ["health"], "harm_types": [], "ai_pathways": ["performance_failure"]}},
            "at least one harm type",
        ),
        ("verification", {"verification": ""}, "verification level"),
    ],
)
def test_required_fields(editor, reviewer, entities, clock, field, overrides, message):
    issue = only_issue(refused_incident(editor, reviewer, clock, **overrides), "required")
    assert issue.field == field
    assert message in issue.message


def test_required_sources(editor, reviewer, entities, clock):
    data = factories.incident_data(sources=[], responses=[], policy_recommendations=[])
    for name in ("narrative_en", "narrative_fr", "editorial_assessment_en", "editorial_assessment_fr"):
        data[name] = "Text without citations."
    record = factories.draft(editor, "incident", data, clock)
    issues = publish_refusal(record, editor, reviewer, clock)
    assert {(i.rule, i.field) for i in issues} >= {("required", "sources")}
    assert "Attach at least one source" in next(i for i in issues if i.field == "sources").message


@pytest.mark.parametrize(
    ("field", "message"),
    [("hazard_status", "Set the hazard's status"), ("confidence", "confidence of the hazard")],
)
def test_required_hazard_fields(editor, reviewer, entities, clock, field, message):
    record = factories.draft(editor, "hazard", factories.hazard_data(**{field: ""}), clock)
    issue = only_issue(publish_refusal(record, editor, reviewer, clock), "required")
    assert issue.field == field and message in issue.message


def test_hazard_without_governance_gap(editor, reviewer, entities, clock):
    record = factories.draft(
        editor, "hazard", factories.hazard_data(governance_gap_en="", governance_gap_fr=""), clock
    )
    issue = only_issue(publish_refusal(record, editor, reviewer, clock), "hazard-governance-gap-missing")
    assert "governance gap" in issue.message


def test_unresolved_citation(editor, reviewer, entities, clock):
    issues = refused_incident(
        editor,
        reviewer,
        clock,
        narrative_en="It happened (Daily News, 2025). Then (RCMP, 2024; Test Regulator, 2025).",
    )
    issue = only_issue(issues, "citation-unresolved")
    assert issue.field == "narrative_en"
    assert "“(RCMP, 2024)” matches no source" in issue.message
    assert "Daily News, 2025; Test Regulator, 2025" in issue.message


def test_uncited_source(editor, reviewer, entities, clock):
    data = factories.incident_data()
    data["sources"] = [
        *data["sources"],
        {
            **data["sources"][1],
            "citation_key": "Other Paper, 2025",
            "url": "https://other.example.ca/a",
            "publisher": "Other Paper",
        },
    ]
    record = factories.draft(editor, "incident", data, clock)
    issue = only_issue(publish_refusal(record, editor, reviewer, clock), "source-uncited")
    assert issue.field == "sources[3]"
    assert "Cite it or mark it as background" in issue.message


def test_background_source_needs_no_citation(editor, reviewer, entities, clock):
    data = factories.incident_data()
    data["sources"] = [
        *data["sources"],
        {
            **data["sources"][1],
            "citation_key": "Other Paper, 2025",
            "url": "https://other.example.ca/b",
            "background": True,
        },
    ]
    record = factories.draft(editor, "incident", data, clock)
    assert not [i for i in check_record(record, today=clock.now().date()) if i.level == "error"]


def test_confirmed_needs_primary_source(editor, reviewer, entities, clock):
    data = factories.incident_data()
    data["sources"][0]["source_type"] = "media"
    issue = only_issue(
        refused_incident(editor, reviewer, clock, sources=data["sources"]), "confirmed-needs-primary-source"
    )
    assert issue.field == "verification"
    assert "official, court or regulator source" in issue.message


def test_corroborated_needs_two_publishers(editor, reviewer, entities, clock):
    data = factories.incident_data(verification="corroborated")
    data["sources"][1]["publisher"] = "test privacy REGULATOR"  # same publisher, other case
    issue = only_issue(refused_incident(editor, reviewer, clock, **data), "corroborated-needs-two-publishers")
    assert "two independent publishers" in issue.message


def test_unverified_is_never_public(editor, reviewer, entities, clock):
    issue = only_issue(
        refused_incident(editor, reviewer, clock, verification="unverified"), "unverified-not-public"
    )
    assert "never published" in issue.message


def test_contested_needs_a_note(editor, reviewer, entities, clock):
    issue = only_issue(refused_incident(editor, reviewer, clock, dispute="contested"), "contested-needs-note")
    assert "who disputes what" in issue.message


def test_end_before_start(editor, reviewer, entities, clock):
    issue = only_issue(
        refused_incident(editor, reviewer, clock, occurred_end="2024-01-01"), "date-end-before-start"
    )
    assert issue.field == "occurred_end"


def test_reported_before_occurred(editor, reviewer, entities, clock):
    issue = only_issue(
        refused_incident(editor, reviewer, clock, reported="2024-10-01"), "date-reported-before-occurred"
    )
    assert "before it occurred" in issue.message


def test_future_date(editor, reviewer, entities, clock):
    issue = only_issue(refused_incident(editor, reviewer, clock, reported="2026-03-03"), "date-in-future")
    assert issue.field == "reported" and "in the future" in issue.message


@pytest.mark.parametrize("written", ["Jane Roe", "JANE ROE", "Jane Roé"])
def test_private_person_named(editor, reviewer, entities, clock, written):
    issues = refused_incident(editor, reviewer, clock, summary_fr=f"Une cliente, {written}, a été lésée.")
    issue = only_issue(issues, "private-person-named")
    assert issue.field == "summary_fr"
    assert "Describe the person instead" in issue.message


def test_private_person_in_a_harm_description(editor, reviewer, entities, clock):
    data = factories.incident_data()
    data["harms"][0]["description_en"] = "Jane Roe lost money."
    issue = only_issue(refused_incident(editor, reviewer, clock, harms=data["harms"]), "private-person-named")
    assert issue.field == "harms[1].description_en"


def test_unknown_vocabulary_value_left_by_a_taxonomy_change(editor, reviewer, entities, clock):
    record = factories.draft(editor, "incident", factories.incident_data(), clock)
    Record.objects.filter(pk=record.pk).update(domains=["space_mining"])  # e.g. a value removed from the file
    issue = only_issue(publish_refusal(record, editor, reviewer, clock), "unknown-vocabulary-value")
    assert issue.field == "taxonomy.domains" and "“space_mining” is not a domain value" in issue.message


def test_dangling_source_reference(editor, reviewer, entities, clock):
    data = factories.incident_data()
    data["responses"][0]["source_key"] = "Nobody, 2020"
    issue = only_issue(
        refused_incident(editor, reviewer, clock, responses=data["responses"]), "dangling-link"
    )
    assert issue.field == "responses[1].source_key"


def test_materialized_from_an_incident_is_a_dangling_link(editor, reviewer, entities, clock, incident):
    record = factories.draft(editor, "incident", factories.incident_data(), clock)
    record.materialized_from.add(incident)  # bypassing the action's own check
    issue = only_issue(publish_refusal(record, editor, reviewer, clock), "dangling-link")
    assert "is not a hazard" in issue.message


def test_mitigation_pathway_must_be_on_the_record(editor, reviewer, entities, clock):
    data = factories.incident_data()
    data["mitigations"][0]["pathway"] = "malicious_use"
    issue = only_issue(
        refused_incident(editor, reviewer, clock, mitigations=data["mitigations"]),
        "mitigation-pathway-not-on-record",
    )
    assert "malicious_use" in issue.message


def test_missing_translation_warns_but_does_not_block(editor, reviewer, entities, clock):
    record = factories.draft(editor, "incident", factories.incident_data(summary_fr="", title_fr=""), clock)
    issues = check_record(record, today=clock.now().date())
    warnings = {(i.rule, i.field) for i in issues if i.level == "warning"}
    assert ("translation-missing", "summary_fr") in warnings and (
        "translation-missing",
        "title_fr",
    ) in warnings
    assert not [i for i in issues if i.level == "error"]
    factories.submit_and_publish(record, editor, reviewer, clock)


def test_link_to_unpublished_hazard_blocks_publication(editor, reviewer, entities, clock):
    hazard = factories.draft(editor, "hazard", factories.hazard_data(), clock)
    record = factories.draft(
        editor, "incident", factories.incident_data(materialized_from=[hazard.slug]), clock
    )
    issue = only_issue(publish_refusal(record, editor, reviewer, clock), "materialized-from-unpublished")
    assert "publish it first, or remove the link" in issue.message


def test_lint_messages_are_translated(editor, entities, clock):
    from django.utils import translation

    record = factories.draft(editor, "incident", factories.incident_data(severity=""), clock)
    with translation.override("fr"):
        issues = check_record(record, today=clock.now().date())
    message = next(i.message for i in issues if i.field == "severity")
    assert "gravité" in message


def test_citation_keys_are_unique_per_record(editor, entities, clock):
    data = factories.incident_data()
    data["sources"][1]["citation_key"] = data["sources"][0]["citation_key"]
    before = (Record.objects.count(), RecordSource.objects.count())
    with pytest.raises(actions.InvalidRecordData) as excinfo:
        factories.draft(editor, "incident", data, clock)
    assert "sources[2].citation_key: “Test Regulator, 2025” is used by two sources" in str(excinfo.value)
    assert (Record.objects.count(), RecordSource.objects.count()) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [("url", "https://news.example.ca/2025/jane-roe-v-acme"), ("citation_key", "Jane Roe, 2025"),
     ("title", "JANE-ROE v. Acme")],
)  # fmt: skip
def test_private_person_in_source_urls_keys_and_titles(editor, reviewer, entities, clock, field, value):
    data = factories.incident_data()
    data["sources"][1][field] = value
    if field == "citation_key":
        for name in ("narrative_en", "narrative_fr"):
            data[name] = data[name].replace("Daily News, 2025", value)
    issues = refused_incident(editor, reviewer, clock, sources=data["sources"],
                              narrative_en=data["narrative_en"], narrative_fr=data["narrative_fr"])  # fmt: skip
    assert "private-person-named" in {i.rule for i in issues}, issues


def test_private_person_in_changelog_note_or_withdrawal_reason(editor, reviewer, entities, clock, incident):
    actions.update_record(
        incident, actor=editor, expected_lock_version=incident.lock_version, data={"title_en": "T"}
    )
    with pytest.raises(PublishRefused) as excinfo:
        actions.publish_record(incident, actor=reviewer, changelog_en="Removed Jane Roe's name.",
                               changelog_fr="Nom retiré.", clock=clock)  # fmt: skip
    assert [i.field for i in excinfo.value.issues if i.rule == "private-person-named"] == ["changelog_en"]
    with pytest.raises(actions.ActionRefused, match="private person"):
        actions.withdraw_record(
            incident, actor=reviewer, reason_en="Duplicate.", reason_fr="Jane Roé l'a demandé."
        )
    assert RecordVersion.objects.filter(record=incident).count() == 1


def test_canada_nexus_missing_warns(editor, entities, clock):
    record = factories.draft(editor, "incident", factories.incident_data(canada_nexus=""), clock)
    warnings = [i for i in check_record(record, today=clock.now().date()) if i.level == "warning"]
    assert [(i.rule, i.field) for i in warnings] == [("canada-nexus-missing", "canada_nexus.criterion")]
    assert "Canada nexus criterion" in warnings[0].message


def test_translation_statuses(editor, reviewer, entities, clock):
    data = factories.incident_data(summary_fr="", translation_status={"title_fr": "machine"})
    record = factories.draft(editor, "incident", data, clock)
    version = factories.submit_and_publish(record, editor, reviewer, clock)
    statuses = version.document["translation_status"]
    assert statuses["title_en"] == "original" and statuses["title_fr"] == "machine"
    assert statuses["summary_fr"] == "missing" and statuses["narrative_fr"] == "human"


@pytest.mark.parametrize(
    "text",
    [
        "https://x.example.ca/a?who=Jane%20Roe",
        "https://x.example.ca/jane+roe",
        "Ja\u00adne Roe",
        "Jane\u200b Roe",
    ],
)
def test_private_names_hidden_by_encoding_or_invisible_characters(editor, reviewer, entities, clock, text):
    data = factories.incident_data()
    data["sources"][1]["url" if text.startswith("http") else "title"] = text
    issues = refused_incident(editor, reviewer, clock, sources=data["sources"])
    assert "private-person-named" in {i.rule for i in issues}


def test_private_name_in_the_slug(editor, reviewer, entities, clock):
    record = factories.draft(editor, "incident", factories.incident_data(), clock, slug="t-jane-roe-refunds")
    issue = only_issue(publish_refusal(record, editor, reviewer, clock), "private-person-named")
    assert issue.field == "slug"


def test_letters_without_decomposition_are_folded(editor, entities, clock):
    from caim.records.lint import names_found

    assert names_found("Søren Łukasz was there", ["Soren Lukasz"]) == ["Soren Lukasz"]


def test_revert_keeps_names_marked_private_since(editor, reviewer, entities, clock):
    data = factories.incident_data(private_persons=[])
    data["summary_en"] = "John Doe was refused a refund."
    record = factories.draft(editor, "incident", data, clock)
    factories.submit_and_publish(record, editor, reviewer, clock)
    record.refresh_from_db()
    actions.update_record(record, actor=editor, expected_lock_version=record.lock_version,
                          data={"summary_en": "A customer was refused a refund.", "private_persons": ["John Doe"]})  # fmt: skip
    actions.publish_record(
        record, actor=reviewer, changelog_en="Name removed.", changelog_fr="Nom retiré.", clock=clock
    )
    with pytest.raises(PublishRefused) as excinfo:
        actions.revert_record(record, actor=reviewer, to_version=1, clock=clock)
    assert "private-person-named" in {i.rule for i in excinfo.value.issues}
    assert RecordVersion.objects.filter(record=record).count() == 2


def test_a_citation_without_its_comma_is_flagged(editor, reviewer, entities, clock):
    data = factories.incident_data()
    data["narrative_en"] += " The regulator said so (Test Regulator 2025)."
    issue = only_issue(
        refused_incident(editor, reviewer, clock, narrative_en=data["narrative_en"]), "citation-malformed"
    )
    assert issue.field == "narrative_en" and "Write “(Test Regulator, 2025)”" in issue.message


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("(RCMP 2025)", True),
        ("(Globe and Mail 2024a; RCMP, 2025)", True),
        ("(March 2025)", False),
        ("(in 2025)", False),
        ("(AIDA)", False),
        ("(RCMP, 2025)", False),
        ("(mars 2024)", False),
    ],
)
def test_what_reads_like_a_citation(text, flagged):
    from caim.records.inline_citations import loose_citations

    assert bool(list(loose_citations(f"Text {text}."))) == flagged


def test_an_unknown_loose_citation_is_a_warning(editor, entities, clock):
    data = factories.incident_data()
    data["narrative_en"] += " Police confirmed it (Montreal Police 2024)."
    record = factories.draft(editor, "incident", data, clock)
    [issue] = [i for i in check_record(record, today=clock.now().date()) if i.rule == "citation-malformed"]
    assert issue.level == "warning"
