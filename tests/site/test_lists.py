"""Incident and hazard lists: every filter, a combination, facet counts, search, sorting, htmx, bad input.

The oracle is independent of the list code: it filters the published version documents in Python.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from caim.records.models import PublicRecord
from caim.taxonomy.loader import get_taxonomy

LINK = re.compile(r'<h2><a href="/(?:fr/)?(?:incidents|hazards)/([^/"]+)/"')
FACET_OPTION = re.compile(r'<select id="f-(\w+)" name="\w+">(.*?)</select>', re.S)
OPTION = re.compile(r'<option value="([^"]+)"(?: selected)?>[^<]*\((\d+)\)</option>')


def public_docs(record_type: str) -> list[dict]:
    rows = PublicRecord.objects.filter(withdrawn=False, record_type=record_type).select_related("version")
    return [p.version.document for p in rows]


def oracle(record_type: str, **filters) -> set[str]:
    """Slugs of public records matching `filters`, computed from the documents alone."""
    out = set()
    for doc in public_docs(record_type):
        ok = True
        for name, value in filters.items():
            if name in ("domain", "harm_type", "ai_pathway", "lifecycle_phase"):
                key = {"domain": "domains", "harm_type": "harm_types", "ai_pathway": "ai_pathways",
                       "lifecycle_phase": "lifecycle_phases"}[name]  # fmt: skip
                ok &= value in doc["taxonomy"][key]
            elif name == "entity":
                ok &= value in [e["slug"] for e in doc["entities"]]
            elif name == "system":
                ok &= value in [s["slug"] for s in doc["systems"]]
            elif name == "fr":
                ok &= bool(doc["title_fr"] and doc["summary_fr"])
            elif name in ("year_from", "year_to"):
                event = doc.get("occurred") if record_type == "incident" else doc.get("identified")
                year = date.fromisoformat(event).year if event else None
                ok &= year is not None and (year >= int(value) if name == "year_from" else year <= int(value))
            else:
                ok &= doc.get(name) == value
        if ok:
            out.add(doc["slug"])
    return out


def listed(client, path: str, params: dict) -> tuple[set[str], int, str]:
    response = client.get(path, {**params, "page": 1})
    assert response.status_code == 200, response.content.decode()[:500]
    page = response.content.decode()
    total = int(re.search(r'<p class="result-count">(\d+) ', page).group(1))
    assert total <= 25, "the demo set fits on one page"
    return set(LINK.findall(page)), total, page


def sample_values(record_type: str) -> list[tuple[str, str]]:
    """One (filter, value) per filter that has at least one public record, from the demo set."""
    docs = public_docs(record_type)
    pairs = []
    for name, key in (("domain", "domains"), ("harm_type", "harm_types"), ("ai_pathway", "ai_pathways"),
                      ("lifecycle_phase", "lifecycle_phases")):  # fmt: skip
        pairs.append((name, next(v for d in docs for v in d["taxonomy"][key])))
    pairs.append(("severity", docs[0]["severity"]))
    pairs.append(("entity", docs[0]["entities"][0]["slug"]))
    pairs.append(("system", next(s["slug"] for d in docs for s in d["systems"])))
    pairs.append(("fr", "1"))
    if record_type == "incident":
        pairs.append(("verification", "confirmed"))
        pairs.append(("year_from", "2023"))
        pairs.append(("year_to", "2023"))
    else:
        pairs.append(("hazard_status", "escalating"))
        pairs.append(("confidence", "high"))
    return pairs


@pytest.mark.parametrize("record_type", ["incident", "hazard"])
def test_each_filter_matches_the_oracle(client, db, record_type):
    path = f"/{record_type}s/"
    for name, value in sample_values(record_type):
        slugs, total, _page = listed(client, path, {name: value})
        expected = oracle(record_type, **{name: value})
        assert slugs == expected and total == len(expected), (name, value)
        assert expected, (name, value)


def test_a_combination_of_three(client, db):
    params = {"domain": "law_enforcement", "verification": "confirmed", "year_from": "2019"}
    slugs, total, _ = listed(client, "/incidents/", params)
    assert slugs == oracle("incident", **params) and total == len(slugs) > 0


@pytest.mark.parametrize("record_type", ["incident", "hazard"])
def test_facet_counts_equal_the_counts_of_choosing_them(client, db, record_type):
    path = f"/{record_type}s/"
    base = {"severity": "significant"}
    _slugs, _total, page = listed(client, path, base)
    checked = 0
    for facet, options in FACET_OPTION.findall(page):
        for value, count in OPTION.findall(options):
            params = {**base, facet: value}
            expected = oracle(record_type, **params)
            assert int(count) == len(expected), (facet, value)
            checked += 1
    assert checked > 20


def test_search_and_filter_together(client, db):
    slugs, _total, page = listed(client, "/incidents/", {"q": "clearview", "verification": "confirmed"})
    assert slugs and all("clearview" in s or "police" in s or "rcmp" in s for s in slugs), slugs
    assert "<mark>" in page
    assert slugs <= oracle("incident", verification="confirmed")


def test_sorts(client, db):
    rows = PublicRecord.objects.filter(withdrawn=False, record_type="incident")
    _, _, page = listed(client, "/incidents/", {"sort": "severity"})
    order = LINK.findall(page)
    ranks = {p.slug: p.severity_rank for p in rows}
    assert [ranks[s] for s in order] == sorted((ranks[s] for s in order), reverse=True)
    _, _, page = listed(client, "/incidents/", {"sort": "published"})
    published = {p.slug: p.first_published_at for p in rows}
    assert [published[s] for s in LINK.findall(page)] == sorted(published.values(), reverse=True)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"domain": "moon"}, "is not a valid value for the filter “domain”"),
        ({"severity": "x"}, "is not a valid value for the filter “severity”"),
        ({"entity": "nobody-at-all"}, "No entity “nobody-at-all” appears"),
        ({"year_from": "20x1"}, "must be a year between"),
        ({"year_from": "2024", "year_to": "2020"}, "is after"),
        ({"sort": "random"}, "is not a way to sort"),
        ({"sort": "relevance"}, "is not a way to sort"),
        ({"fr": "yes"}, "only takes the value 1"),
        ({"page": "-1"}, "must be a page number"),
    ],
)
def test_bad_input_is_a_400_with_a_message(client, db, params, message):
    response = client.get("/incidents/", params)
    assert response.status_code == 400
    assert message in response.content.decode()
    french = client.get("/fr/incidents/", params)
    assert french.status_code == 400 and '<html lang="fr">' in french.content.decode()


def test_hazard_only_filters_are_ignored_on_incidents(client, db):
    slugs, total, _ = listed(client, "/incidents/", {"hazard_status": "escalating"})
    assert total == len(oracle("incident"))


def test_htmx_request_gets_the_results_fragment(client, db):
    response = client.get("/incidents/", {"severity": "severe"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body and 'id="list-region"' in body
    assert "HX-Request" in response["Vary"]
    restore = client.get("/incidents/", {"severity": "severe"}, headers={"HX-Request": "true",
                                                                         "HX-History-Restore-Request": "true"})  # fmt: skip
    assert "<html" in restore.content.decode()


def test_labels_and_counts_in_french(client, db):
    page = client.get("/fr/incidents/").content.decode()
    tax = get_taxonomy()
    assert "Gravité" in page and tax.label("severity", "significant", "fr") in page
    assert "fiches" in page


def test_lists_never_show_unpublished_records(client, editor, entities, clock):
    from tests import factories

    factories.draft(editor, "incident", factories.incident_data(title_en="Hidden draft xylophone"), clock)
    for params in ({}, {"q": "xylophone"}):
        page = client.get("/incidents/", params).content.decode()
        assert "xylophone" not in page.split('<ol class="record-list">', 1)[1].lower()
    # an entity named only by drafts is not public: filtering by it is refused, without revealing anything
    response = client.get("/incidents/", {"entity": "t-acme-ai"})
    assert response.status_code == 400 and "Acme" not in response.content.decode()


def test_facet_counts_under_a_word_search_match_the_listing(client, db):
    base = {"q": "facial"}
    slugs, total, page = listed(client, "/incidents/", base)
    assert total == len(slugs) > 0
    docs = {d["slug"]: d for d in public_docs("incident") if d["slug"] in slugs}
    checked = 0
    for facet, options in FACET_OPTION.findall(page):
        for value, count in OPTION.findall(options):
            narrowed, narrowed_total, _ = listed(client, "/incidents/", {**base, facet: value})
            assert int(count) == narrowed_total and narrowed <= slugs, (facet, value)
            if facet in ("severity", "verification"):
                assert narrowed == {s for s, d in docs.items() if d.get(facet) == value}
            checked += 1
    assert checked > 5
    years = re.findall(r'<a href="([^"]*year_from=(\d+)[^"]*)">\d+</a>[^:]*: (\d+)', page)
    assert years
    for _url, year, count in years:
        assert int(count) == len({s for s, d in docs.items() if (d.get("occurred") or "")[:4] == year})
