"""Lint rules that the first mutation run of lint.py showed untested (see docs/quality.md).

Each test lints a working document built from the factories' valid incident (or hazard), changed in one place,
and checks what an editor sees: the rule, the level, the field named and the message.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import translation

from caim.records.lint import lint_document
from caim.records.versions import build_document, build_staff_document, load_record
from tests import factories

TODAY = date(2026, 3, 2)


def document(editor, record_type: str = "incident", **overrides) -> tuple[dict, dict]:
    data = (
        factories.incident_data(**overrides)
        if record_type == "incident"
        else factories.hazard_data(**overrides)
    )
    record = load_record(factories.draft(editor, record_type, data).pk)
    return build_document(record, version=0, published_at=None), build_staff_document(record)


@pytest.fixture
def incident_doc(editor, entities):
    return document(editor)


def lint(doc: dict, staff: dict, **kwargs) -> list:
    return lint_document(doc, staff, today=TODAY, **kwargs)


def issues_of(issues, rule: str) -> list:
    return [i for i in issues if i.rule == rule]


def only(issues, rule: str):
    """The one issue of the document (the valid document has none but the one the test caused)."""
    found = [i for i in issues if i.level == "error" or i.rule == rule]
    assert [i.rule for i in found] == [rule], issues
    return found[0]


def test_the_valid_document_has_no_issue(incident_doc):
    assert lint(*incident_doc) == []


# -- vocabularies ---------------------------------------------------------------------------------------------
def test_unknown_value_of_a_single_choice_field(incident_doc):
    doc, staff = incident_doc
    doc["severity"] = "apocalyptic"
    issue = only(lint(doc, staff), "unknown-vocabulary-value")
    assert issue.field == "severity"
    assert issue.message.startswith("“apocalyptic” is not a severity value. Use one of: ")
    known = issue.message.removeprefix("“apocalyptic” is not a severity value. Use one of: ").removesuffix(
        "."
    )
    assert "significant" in known.split(", ")


def test_unknown_value_in_a_child_list_names_the_item(incident_doc):
    doc, staff = incident_doc
    doc["harms"].append({**doc["harms"][0], "severity": "apocalyptic"})
    issue = only(lint(doc, staff), "unknown-vocabulary-value")
    assert issue.field == "harms[2].severity"
    assert "“apocalyptic” is not a severity value" in issue.message


def test_mitigation_pathway_issue_names_the_mitigation(incident_doc):
    doc, staff = incident_doc
    doc["mitigations"].append({**doc["mitigations"][0], "pathway": "malicious_use"})
    issue = only(lint(doc, staff), "mitigation-pathway-not-on-record")
    assert issue.field == "mitigations[2].pathway"
    assert "“malicious_use”" in issue.message


# -- every rule: the field it names, and its message in the staff member's language ---------------------------
def _add_uncited_source(doc):
    doc["sources"].append({**doc["sources"][1], "number": 3, "citation_key": "Other Paper, 2025"})


def _set(path: str, value):
    def change(doc):
        *groups, key = path.split(".")
        target = doc
        for group in groups:
            target = target[group]
        target[key] = value

    return change


def _append(field: str, text: str):
    return lambda doc: doc.update({field: doc[field] + text})


def _all_sources(key: str, value):
    return lambda doc: [source.update({key: value}) for source in doc["sources"]]


def _corroborated_by_one_publisher(doc):
    doc["verification"] = "corroborated"
    _all_sources("publisher", "Daily News")(doc)


RULES = [
    # (change to the valid incident, rule, level, field)
    (_set("title_en", ""), "required", "error", "title_en"),
    (_set("canada_nexus.criterion", None), "canada-nexus-missing", "warning", "canada_nexus.criterion"),
    (_set("severity", "apocalyptic"), "unknown-vocabulary-value", "error", "severity"),
    (_set("mitigations", [{"pathway": "malicious_use", "text_en": "x", "text_fr": "x"}]),
     "mitigation-pathway-not-on-record", "error", "mitigations[1].pathway"),
    (_append("narrative_en", " (Nobody, 2020)."), "citation-unresolved", "error", "narrative_en"),
    (_append("summary_fr", " (Test Regulator 2025)."), "citation-malformed", "error", "summary_fr"),
    (_append("editorial_assessment_fr", " (Montreal Police 2024)."), "citation-malformed", "warning",
     "editorial_assessment_fr"),
    (_add_uncited_source, "source-uncited", "error", "sources[3]"),
    (_all_sources("source_type", "media"), "confirmed-needs-primary-source", "error", "verification"),
    (_corroborated_by_one_publisher, "corroborated-needs-two-publishers", "error", "verification"),
    (_set("verification", "unverified"), "unverified-not-public", "error", "verification"),
    (_set("dispute", "contested"), "contested-needs-note", "error", "dispute_note_en"),
    (_set("reported", "2026-03-03"), "date-in-future", "error", "reported"),
    (_set("occurred_end", "2024-10-31"), "date-end-before-start", "error", "occurred_end"),
    (_set("reported", "2024-10-31"), "date-reported-before-occurred", "error", "reported"),
    (_append("summary_en", " Jane Roe complained."), "private-person-named", "error", "summary_en"),
    (_set("policy_recommendations", [{"text_en": "x", "text_fr": "x", "source_key": None}]), "dangling-link",
     "error", "policy_recommendations[1].source_key"),
    (_set("translation_status", {"summary_fr": "missing"}), "translation-missing", "warning", "summary_fr"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "rule", "level", "field"), RULES)
def test_each_rule_names_its_field_and_speaks_french(incident_doc, change, rule, level, field):
    doc, staff = incident_doc
    change(doc)
    [issue] = [i for i in lint(doc, staff) if i.rule == rule]
    assert (issue.level, issue.field) == (level, field)
    with translation.override("fr"):
        [french] = [i for i in lint(doc, staff) if i.rule == rule]
    assert french.message != issue.message, f"{rule}: the message has no French translation"


# -- private persons ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_private_person_in_the_canada_nexus_note(incident_doc, lang):
    doc, staff = incident_doc
    doc["canada_nexus"][f"canada_nexus_note_{lang}"] = "Jane Roe lives in Montréal."
    issue = only(lint(doc, staff), "private-person-named")
    assert issue.field == f"canada_nexus.note_{lang}"
    assert "(“Jane Roe”) is named here" in issue.message


def test_private_person_in_the_french_text_of_a_list_item(incident_doc):
    doc, staff = incident_doc
    doc["harms"][0]["description_fr"] = "Jane Roe a perdu de l'argent."
    issue = only(lint(doc, staff), "private-person-named")
    assert issue.field == "harms[1].description_fr"


# -- the record's original language -----------------------------------------------------------------------------
def test_a_french_record_needs_its_french_title(editor, entities):
    doc, staff = document(editor, original_language="fr")
    doc["title_fr"] = "  "
    issue = only(lint(doc, staff), "required")
    assert issue.field == "title_fr"


def test_a_french_contested_record_is_asked_for_a_french_note(editor, entities):
    doc, staff = document(editor, original_language="fr", dispute="contested")
    assert only(lint(doc, staff), "contested-needs-note").field == "dispute_note_fr"
    doc["dispute_note_en"] = "Acme disputes the findings."
    assert lint(doc, staff) == []


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_dispute_note_in_either_language_is_enough(incident_doc, lang):
    doc, staff = incident_doc
    doc["dispute"] = "contested"
    doc[f"dispute_note_{lang}"] = "Acme disputes the findings."
    assert lint(doc, staff) == []


def test_a_french_hazard_without_governance_gap(editor, entities):
    doc, staff = document(
        editor, "hazard", original_language="fr", governance_gap_en="", governance_gap_fr=""
    )
    issue = only(lint(doc, staff), "hazard-governance-gap-missing")
    assert issue.field == "governance_gap_fr"
    assert issue.message.startswith("A hazard must state its governance gap")
    with translation.override("fr"):
        assert only(lint(doc, staff), "hazard-governance-gap-missing").message != issue.message


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_governance_gap_in_either_language_is_enough(editor, entities, lang):
    doc, staff = document(editor, "hazard", governance_gap_en="", governance_gap_fr="")
    doc[f"governance_gap_{lang}"] = "No rule requires testing."
    assert lint(doc, staff) == []


# -- dates: the limits are allowed ------------------------------------------------------------------------------
def test_a_date_of_today_is_not_in_the_future(incident_doc):
    doc, staff = incident_doc
    doc["reported"] = TODAY.isoformat()
    assert lint(doc, staff) == []


def test_same_day_start_end_and_report(incident_doc):
    doc, staff = incident_doc
    doc["occurred_end"] = doc["reported"] = doc["occurred"]
    assert lint(doc, staff) == []


def test_future_date_of_a_list_item(incident_doc):
    doc, staff = incident_doc
    doc["responses"][0]["date"] = "2026-03-03"
    issue = only(lint(doc, staff), "date-in-future")
    assert issue.field == "responses[1].date"
    assert issue.message == "The date 2026-03-03 is in the future. Correct it."


def test_date_messages_give_both_dates(incident_doc):
    doc, staff = incident_doc
    doc["occurred_end"] = "2024-10-31"
    doc["reported"] = "2024-10-30"
    issues = lint(doc, staff)
    [end] = issues_of(issues, "date-end-before-start")
    assert end.message == "The end of the period (2024-10-31) is before its start (2024-11-01)."
    [reported] = issues_of(issues, "date-reported-before-occurred")
    assert "(2024-10-30) before it occurred (2024-11-01)" in reported.message


# -- verification ---------------------------------------------------------------------------------------------
def test_two_publishers_corroborate(incident_doc):
    doc, staff = incident_doc
    doc["verification"] = "corroborated"
    assert lint(doc, staff) == []


def test_publishers_differing_only_by_spaces_and_accents_are_one(incident_doc):
    doc, staff = incident_doc
    doc["verification"] = "corroborated"
    doc["sources"][0]["publisher"] = " Daily Néws "
    assert only(lint(doc, staff), "corroborated-needs-two-publishers").field == "verification"


def test_a_hazard_has_no_verification_rules(editor, entities):
    doc, staff = document(editor, "hazard")
    doc["verification"] = "unverified"
    assert lint(doc, staff) == []


# -- citations ------------------------------------------------------------------------------------------------
def test_unresolved_citation_in_a_record_without_sources(incident_doc):
    doc, staff = incident_doc
    doc["sources"] = []
    [issue] = issues_of(lint(doc, staff), "citation-unresolved")[:1]
    assert issue.message.endswith("correct the citation to one of: (no sources).")


def test_a_loose_group_with_one_known_key_is_an_error(incident_doc):
    doc, staff = incident_doc
    doc["narrative_en"] += " See (Nobody 2020; Test Regulator, 2025)."
    issue = only(lint(doc, staff), "citation-malformed")
    assert issue.level == "error"
    assert "Write “(Nobody, 2020; Test Regulator, 2025)”" in issue.message


def test_a_loose_citation_message_quotes_the_text(incident_doc):
    doc, staff = incident_doc
    doc["narrative_fr"] += " (Montreal Police 2024)."
    issue = only(lint(doc, staff), "citation-malformed")
    assert (issue.level, issue.field) == ("warning", "narrative_fr")
    assert issue.message.startswith("“(Montreal Police 2024)” reads like a citation but links to no source.")


def test_uncited_source_message(incident_doc):
    doc, staff = incident_doc
    _add_uncited_source(doc)
    issue = only(lint(doc, staff), "source-uncited")
    assert issue.message.startswith("Source 3 (“Other Paper, 2025”) is not cited")


# -- links ----------------------------------------------------------------------------------------------------
def test_dangling_response_source_lists_the_keys(incident_doc):
    doc, staff = incident_doc
    doc["responses"][0]["source_key"] = "Nobody, 2020"
    issue = only(lint(doc, staff), "dangling-link")
    assert issue.field == "responses[1].source_key"
    assert issue.message == (
        "“Nobody, 2020” is not one of the record's sources. Pick one of: Daily News, 2025; Test Regulator, 2025."
    )


def test_a_response_without_source_is_fine(incident_doc):
    doc, staff = incident_doc
    doc["responses"][0]["source_key"] = None
    assert lint(doc, staff) == []


@pytest.mark.parametrize(
    ("links", "rule", "message"),
    [
        ({}, "dangling-link", "The linked record t-gone no longer exists. Remove the link."),
        (
            {7: ("incident", True)},
            "dangling-link",
            "t-gone is not a hazard: an incident can only materialize hazards.",
        ),
        ({7: ("hazard", False)}, "materialized-from-unpublished", "The hazard t-gone is not published"),
    ],
)
def test_materialized_from(incident_doc, links, rule, message):
    doc, staff = incident_doc
    doc["materialized_from"] = [{"id": 7, "slug": "t-gone"}]
    issue = only(lint(doc, staff, links=links), rule)
    assert issue.field == "materialized_from"
    assert issue.message.startswith(message)


def test_materialized_from_a_published_hazard(incident_doc):
    doc, staff = incident_doc
    doc["materialized_from"] = [{"id": 7, "slug": "t-hazard"}]
    assert lint(doc, staff, links={7: ("hazard", True)}) == []


# -- translations ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("field", "language"), [("summary_fr", "French"), ("summary_en", "English")])
def test_missing_translation_names_the_language(incident_doc, field, language):
    doc, staff = incident_doc
    doc["translation_status"] = {field: "missing", "title_fr": "machine"}
    [issue] = issues_of(lint(doc, staff), "translation-missing")
    assert (issue.level, issue.field) == ("warning", field)
    assert issue.message == f"No {language} text yet; the page falls back to the other language."


@pytest.mark.parametrize(
    ("missing", "present", "language"), [("fr", "en", "French"), ("en", "fr", "English")]
)
def test_missing_translation_in_a_list_item(incident_doc, missing, present, language):
    doc, staff = incident_doc
    doc["policy_recommendations"].append({"text_en": "", "text_fr": "", "source_key": "Test Regulator, 2025"})
    doc["policy_recommendations"][1][f"text_{present}"] = "Text."
    [issue] = issues_of(lint(doc, staff), "translation-missing")
    assert (issue.level, issue.field) == ("warning", f"policy_recommendations[2].text_{missing}")
    assert f"No {language} text yet" in issue.message
