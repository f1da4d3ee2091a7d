"""The field declaration is complete and every reader follows it: each declared public field is in the version
document, on the record page (or declared hidden there), in records.json and in the API documentation; a column
added to a model without a declaration fails here."""

from __future__ import annotations

import copy
import json

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import translation

from caim.records import fields as declared
from caim.records.fields import CHILD_LISTS, HIDDEN, INTERNAL, RECORD_FIELDS, fields_of, get_path, set_path
from caim.records.models import (
    Harm,
    Mitigation,
    PolicyRecommendation,
    PublicRecord,
    Record,
    RecordEntity,
    RecordSource,
    RecordSystem,
    Response,
)
from caim.records.presenters import RecordPage
from caim.taxonomy.loader import get_taxonomy
from tests import factories

CHILD_MODELS = {
    "harms": Harm,
    "sources": RecordSource,
    "entities": RecordEntity,
    "systems": RecordSystem,
    "responses": Response,
    "policy_recommendations": PolicyRecommendation,
    "mitigations": Mitigation,
}
CHILD_INTERNAL = {"id", "record", "position", "source"}  # the row's identity; a source's URL row


def test_every_model_column_is_declared():
    columns = {f.attname.removesuffix("_id") for f in Record._meta.concrete_fields}
    declared_attributes = {a for f in RECORD_FIELDS for a in f.attributes()}
    assert columns - declared_attributes - INTERNAL == set(), "declare it in records/fields.py"
    assert declared_attributes - columns - {"materialized_from"} == set()
    for child in CHILD_LISTS:
        model = CHILD_MODELS[child.name]
        columns = {f.attname.removesuffix("_id") for f in model._meta.concrete_fields}
        declared_attributes = {a for f in child.fields for a in f.attributes()}
        assert columns - declared_attributes - CHILD_INTERNAL == set(), child.name
    assert set(CHILD_MODELS) == {c.name for c in CHILD_LISTS}


def test_every_field_has_a_known_section_and_kind():
    for f in RECORD_FIELDS:
        assert f.page == HIDDEN or f.section in declared.SECTIONS, f.name
        assert f.kind in declared.KIND_LABELS, f.name
        assert not f.facet or f.public, f.name
    for child in CHILD_LISTS:
        assert child.section in declared.SECTIONS


@pytest.fixture
def published(editor, reviewer, entities, clock):
    """One published hazard and one published incident linked to it, every field filled."""
    hazard = factories.published_hazard(editor, reviewer, clock, same_as=[{"db": "wikidata", "id": "Q1"}])
    incident = factories.published_incident(
        editor, reviewer, clock, hazard=hazard, occurred_end="2025-01-31", occurred_end_precision="day",
        dispute="contested", dispute_note_en="The company disputes the count.",
        dispute_note_fr="L'entreprise conteste le nombre.", same_as=[{"db": "aiid", "id": "1"}],
    )  # fmt: skip
    return {"incident": incident, "hazard": hazard}


@pytest.mark.parametrize("record_type", ["incident", "hazard"])
def test_every_public_field_is_in_the_document_and_records_json(client, published, record_type):
    public = PublicRecord.objects.get(pk=published[record_type].pk)
    doc = public.version.document
    records = json.loads(b"".join(client.get("/api/v3/records.json").streaming_content))["records"]
    entry = next(r for r in records if r["id"] == public.pk)
    for f in fields_of(record_type):
        for key in f.document_keys():
            missing = object()
            if f.public:
                assert get_path(doc, key, missing) is not missing, key
                assert get_path(entry, key, missing) is not missing, key
            else:
                assert get_path(doc, key, missing) is missing and get_path(entry, key, missing) is missing, (
                    key
                )
    for child in CHILD_LISTS:
        for item in doc[child.name]:
            for f in child.fields:
                assert all(k in item for k in f.document_keys()), f"{child.name}.{f.name}"


def test_every_public_field_is_in_the_api_documentation(client, db):
    for prefix in ("", "/fr"):
        page = client.get(f"{prefix}/api/").content.decode()
        for f in RECORD_FIELDS:
            for key in f.document_keys():
                assert (f"<code>{key}</code>" in page) == f.public, key
        for child in CHILD_LISTS:
            for f in child.fields:
                for key in f.document_keys():
                    assert f"<code>{child.name}[].{key}</code>" in page, key


# -- the record page shows every declared field -----------------------------------------------------------------


def render_page(doc: dict, lang: str) -> str:
    """The record page of a document, as the view renders it (linked hazards read from the public layer)."""
    public = PublicRecord.objects.get(pk=doc["id"])
    ids = [link["id"] for link in doc.get("materialized_from", [])]
    page = RecordPage(doc, lang, changelog=[], linked=list(PublicRecord.objects.filter(pk__in=ids)),
                      current_number=doc["version"], slug=public.slug)  # fmt: skip
    with translation.override(lang):
        return render_to_string(
            "records/record_detail.html",
            {"page": page, "public": public, "citation": "", "canonical_path": "/"},
            request=RequestFactory().get("/"),
        )


def changed(f, value, doc: dict):
    """Another value for field `f` (holding `value`): the page must show the difference."""
    tax = get_taxonomy()
    if f.bilingual:
        return None
    if f.kind in (declared.TEXT, declared.PROSE):
        return "A different text"
    if f.kind == declared.VOCABULARY:
        return next((s for s in tax[f.vocabulary].slugs() if s != value), None)
    if f.kind == declared.VOCABULARIES:
        return [next(s for s in tax[f.vocabulary].slugs() if s not in (value or []))]
    if f.kind == declared.DATE:
        return "2001-02-03"
    if f.kind == declared.PRECISION:
        return "year" if value != "year" else "approximate"
    if f.kind == declared.URL:
        return "https://elsewhere.example.org/x"
    if f.kind == declared.FLAG:
        return not value
    if f.kind == declared.LANGUAGE:
        return "de"
    if f.kind == declared.SAME_AS:
        return [{"db": "oecd", "id": "2099-01-01-abcd"}]
    if f.kind == declared.LINKS:
        return []
    if f.kind == declared.REFERENCE:
        return None
    raise AssertionError(f"no other value for {f.name} ({f.kind})")


def bilingual_variants(f, path: str):
    for lang in declared.LANGUAGES:
        yield f"{path}_{lang}", "A different text (Test Regulator, 2025)" if f.cites else "A different text"


@pytest.mark.parametrize("record_type", ["incident", "hazard"])
def test_the_record_page_shows_every_declared_field(published, record_type):
    doc = PublicRecord.objects.get(pk=published[record_type].pk).version.document
    shown = {}
    for lang in declared.LANGUAGES:
        shown[lang] = render_page(doc, lang)
    for f in fields_of(record_type, public=True):
        if f.page == HIDDEN or not f.editable:
            continue
        variants = (
            list(bilingual_variants(f, f.path))
            if f.bilingual
            else [(f.path, changed(f, get_path(doc, f.path), doc))]
        )
        for path, value in variants:
            other = copy.deepcopy(doc)
            set_path(other, path, value)
            lang = path.rsplit("_", 1)[1] if f.bilingual else "en"
            assert render_page(other, lang) != shown[lang], f"the page does not show {path}"
    for child in CHILD_LISTS:
        if not doc[child.name]:
            continue
        for f in child.fields:
            if not f.editable or f.kind == declared.REFERENCE:
                continue
            item = doc[child.name][0]
            variants = (
                list(bilingual_variants(f, f.name))
                if f.bilingual
                else [(f.name, changed(f, item.get(f.name), doc))]
            )
            for key, value in variants:
                other = copy.deepcopy(doc)
                other[child.name][0][key] = value
                lang = key.rsplit("_", 1)[1] if f.bilingual else "en"
                assert render_page(other, lang) != shown[lang], f"the page does not show {child.name}[].{key}"
