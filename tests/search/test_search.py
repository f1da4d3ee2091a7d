"""Search: accents and stemming in both languages, the same on SQLite and PostgreSQL, public records only."""

from __future__ import annotations

import pytest

from caim.cli import main
from caim.records import actions
from caim.search.indexer import clear
from caim.search.models import SearchEntry
from caim.search.text import highlight, parse_query
from tests import factories


@pytest.fixture
def bilingual(db, editor, reviewer, entities, clock):
    return factories.published_incident(
        editor,
        reviewer,
        clock,
        title_en="Deepfakes of a société d'État executive",
        title_fr="Des hypertrucages d'un dirigeant de société d'État",
        summary_fr="Une vidéo hypertruquée a circulé sur les réseaux sociaux (Daily News, 2025).",
    )


def found(client, q: str, lang: str = "") -> str:
    response = client.get(f"{lang}/search/", {"q": q})
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    "query",
    ["societe", "SOCIÉTÉ", "hypertrucages", "hypertrucage", "deepfake", "deepfakes", "dirigeants"],
)
def test_accents_and_stems(client, bilingual, query):
    assert f"/incidents/{bilingual.slug}/" in found(client, query)


def test_french_query_finds_french_text(client, bilingual):
    page = found(client, "vidéo réseaux", "/fr")
    assert f"/fr/incidents/{bilingual.slug}/" in page
    assert "<mark>vidéo</mark>" in page or "<mark>réseaux</mark>" in page


def test_no_match(client, bilingual):
    assert "Nothing matches" in found(client, "zzyzx")


def test_drafts_and_withdrawn_records_are_never_found(client, editor, reviewer, entities, clock, bilingual):
    draft = factories.draft(
        editor, "incident", factories.incident_data(title_en="Quuxination secret draft"), clock
    )
    assert "Nothing matches" in found(client, "quuxination")
    assert not SearchEntry.objects.filter(kind="record", obj_id=draft.pk).exists()
    actions.update_record(
        bilingual,
        actor=editor,
        expected_lock_version=bilingual.lock_version,
        data={"title_en": "Unpublished zorblax edit"},
    )
    assert "Nothing matches" in found(client, "zorblax")
    actions.withdraw_record(bilingual, actor=reviewer, reason_en="Duplicate.", reason_fr="Doublon.")
    assert f"/incidents/{bilingual.slug}/" not in found(client, "hypertrucage")
    listing = client.get("/incidents/", {"q": "hypertrucage"}).content.decode()
    assert f"/incidents/{bilingual.slug}/" not in listing


def test_entities_are_found_only_when_public(client, editor, reviewer, entities, clock):
    secret = actions.create_entity(
        actor=editor, slug="t-frobnicator", name="Frobnicator Labs", kind="company"
    )
    data = factories.incident_data()
    data["entities"] = [*data["entities"], {"slug": secret.slug, "roles": ["developer"]}]
    record = factories.draft(editor, "incident", data, clock)
    assert "Nothing matches" in found(client, "frobnicator")
    factories.submit_and_publish(record, editor, reviewer, clock)
    assert "<mark>Frobnicator</mark> Labs" in found(client, "frobnicator")


def test_query_syntax_is_not_interpreted(client, bilingual):
    for q in ['"', "NEAR(", "a OR", "*", "-x", "'; DROP TABLE", "é" * 300]:
        assert client.get("/search/", {"q": q}).status_code == 200
        assert client.get("/incidents/", {"q": q}).status_code == 200
    assert client.get("/search/", {"q": "a\x00b"}).status_code == 400  # never a valid parameter


def test_reindex_rebuilds_the_same_index(client, bilingual, capsys):
    before = set(SearchEntry.objects.values_list("kind", "obj_id", "stems"))
    clear()
    assert "Nothing matches" in found(client, "hypertrucage")
    assert main(["reindex"]) == 0
    assert "Search index rebuilt" in capsys.readouterr().out
    assert set(SearchEntry.objects.values_list("kind", "obj_id", "stems")) == before
    assert f"/incidents/{bilingual.slug}/" in found(client, "hypertrucage")


def test_highlight_escapes_and_marks():
    query = parse_query("société")
    html = highlight("<b>La Société</b> et les sociétés", query)
    assert html == "&lt;b&gt;La <mark>Société</mark>&lt;/b&gt; et les <mark>sociétés</mark>"


def test_an_entity_dropped_from_its_only_record_leaves_the_index(client, editor, reviewer, entities, clock):
    lonely = actions.create_entity(actor=editor, slug="t-lonely-corp", name="Lonelycorp", kind="company")
    data = factories.incident_data()
    data["entities"] = [*data["entities"], {"slug": lonely.slug, "roles": ["developer"]}]
    record = factories.published_incident(editor, reviewer, clock, entities=data["entities"])
    assert "<mark>Lonelycorp</mark>" in found(client, "lonelycorp")
    actions.update_record(record, actor=editor, expected_lock_version=record.lock_version,
                          data={"entities": factories.INCIDENT["entities"]})  # fmt: skip
    actions.publish_record(
        record, actor=reviewer, changelog_en="Entity removed.", changelog_fr="Entité retirée."
    )
    assert "Nothing matches" in found(client, "lonelycorp")
    assert client.get(f"/entities/{lonely.slug}/").status_code == 404
