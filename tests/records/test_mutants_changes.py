"""What an editor writes into a record's lists is kept, or refused with the field named (gaps found by mutation
testing of changes.py, see docs/quality.md)."""

from __future__ import annotations

import pytest

from caim.records import actions
from caim.records.versions import build_document, load_record
from tests import factories


def saved(editor, **overrides) -> dict:
    record = factories.draft(editor, "incident", factories.incident_data(**overrides))
    return build_document(load_record(record.pk), version=0, published_at=None)


def refusal(editor, **overrides) -> str:
    with pytest.raises(actions.InvalidRecordData) as excinfo:
        factories.draft(editor, "incident", factories.incident_data(**overrides))
    return str(excinfo.value)


def test_a_response_keeps_its_actor_and_date(editor, entities):
    [response] = saved(editor)["responses"]
    assert response["actor"]["slug"] == "t-privacy-regulator"
    assert (response["date"], response["kind"]) == ("2025-03-04", "investigation")


def test_a_source_keeps_its_language_and_date(editor, entities):
    sources = factories.incident_data()["sources"]
    sources[1]["language"] = "fr"
    doc = saved(editor, sources=sources)
    assert [(s["language"], s["date_published"]) for s in doc["sources"]] == [
        ("en", "2025-03-04"),
        ("fr", "2025-02-01"),
    ]


def test_an_entity_given_by_its_entity_key(editor, entities):
    data = factories.incident_data()
    first = data["entities"][0]
    first["entity"] = first.pop("slug")
    assert [e["slug"] for e in saved(editor, entities=data["entities"])["entities"]] == [
        "t-acme-ai",
        "t-privacy-regulator",
    ]


def test_an_entity_listed_twice(editor, entities):
    data = factories.incident_data()
    data["entities"].append(data["entities"][0])
    assert "entities[3].slug: t-acme-ai is listed twice; give it several roles instead" in refusal(
        editor, entities=data["entities"]
    )


@pytest.mark.parametrize(
    ("list_name", "key", "value", "message"),
    [
        ("responses", "kind", "", "responses[1].kind: a response_kind value is required"),
        ("mitigations", "pathway", "", "mitigations[1].pathway: a ai_pathway value is required"),
        ("sources", "source_type", None, "sources[1].source_type: a source_type value is required"),
        ("harms", "severity", "apocalyptic", "harms[1].severity: unknown severity value 'apocalyptic'"),
        ("sources", "language", "French", "sources[1].language: expected a language code such as en or fr"),
        (
            "responses",
            "source_key",
            "K" * 151,
            "responses[1].source_key: is 151 characters long; the limit is 150",
        ),
        (
            "policy_recommendations",
            "source_key",
            "K" * 151,
            "policy_recommendations[1].source_key: is 151 characters long; the limit is 150",
        ),
    ],
)
def test_a_list_item_refused_names_its_field(editor, entities, list_name, key, value, message):
    data = factories.incident_data()
    data[list_name][0][key] = value
    assert message in refusal(editor, **{list_name: data[list_name]})


@pytest.mark.parametrize("list_name", ["responses", "policy_recommendations"])
def test_a_source_key_is_one_line(editor, entities, list_name):
    data = factories.incident_data()
    data[list_name][0]["source_key"] = "Test Regulator,\n2025"
    assert saved(editor, **{list_name: data[list_name]})[list_name][0]["source_key"] == "Test Regulator, 2025"
