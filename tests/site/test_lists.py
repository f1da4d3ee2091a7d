"""Incident and hazard lists: every filter, several values per filter, date ranges, a combination, facet counts,
search, sorting, htmx, clean addresses, page titles, bad input.

The oracle is independent of the list code: it filters the published version documents in Python.
"""

from __future__ import annotations

import calendar
import html
import re
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caim.records.models import PublicRecord
from caim.taxonomy.loader import get_taxonomy

LINK = re.compile(r'<h2><a href="/(?:fr/)?(?:incidents|hazards)/([^/"]+)/"')
FACET_OPTION = re.compile(r'<fieldset class="facet" id="f-(\w+)">(.*?)</fieldset>', re.S)
OPTION = re.compile(
    r'<input type="checkbox" id="[^"]+" name="\w+" value="([^"]+)"(?: checked)?>.*?\((\d+)\)</span></label>',
    re.S,
)
TAG_PATHS = {"domain": ("taxonomy", "domains"), "harm_type": ("taxonomy", "harm_types"),
             "ai_pathway": ("taxonomy", "ai_pathways"), "lifecycle_phase": ("taxonomy", "lifecycle_phases"),
             "province": ("canada_nexus", "provinces")}  # fmt: skip


def public_docs(record_type: str) -> list[dict]:
    rows = PublicRecord.objects.filter(withdrawn=False, record_type=record_type).select_related("version")
    return [p.version.document for p in rows]


def period(text: str) -> tuple[date, date]:
    """The first and last day of "2024", "2024-03" or "2024-03-15"."""
    parts = [int(p) for p in text.split("-")]
    if len(parts) == 1:
        return date(parts[0], 1, 1), date(parts[0], 12, 31)
    if len(parts) == 2:
        return date(*parts, 1), date(*parts, calendar.monthrange(*parts)[1])
    return date(*parts), date(*parts)


def event_period(doc: dict) -> tuple[date, date] | None:
    """The period of a document's event date at its precision (an approximate date stands for its year)."""
    key = "occurred" if doc["type"] == "incident" else "identified"
    if not doc.get(key):
        return None
    day = date.fromisoformat(doc[key])
    precision = doc.get(f"{key}_precision") or "day"
    if precision == "month":
        return period(day.strftime("%Y-%m"))
    if precision in ("year", "approximate"):
        return period(str(day.year))
    return day, day


def matches(doc: dict, name: str, value) -> bool:
    """Whether a document passes one filter; a list of values passes when any of them does."""
    if isinstance(value, list | tuple):
        return any(matches(doc, name, v) for v in value)
    if name in TAG_PATHS:
        group, key = TAG_PATHS[name]
        return value in ((doc.get(group) or {}).get(key) or [])
    if name == "entity":
        return value in [e["slug"] for e in doc["entities"]]
    if name == "system":
        return value in [s["slug"] for s in doc["systems"]]
    if name == "fr":
        return bool(doc["title_fr"] and doc["summary_fr"])
    if name in ("year_from", "year_to", "from", "to"):
        event = event_period(doc)
        if event is None:
            return False
        first, last = period(str(value))
        return event[1] >= first if name in ("year_from", "from") else event[0] <= last
    return doc.get(name) == value


def oracle(record_type: str, **filters) -> set[str]:
    """Slugs of public records matching `filters`, computed from the documents alone."""
    return {
        doc["slug"]
        for doc in public_docs(record_type)
        if all(matches(doc, name, value) for name, value in filters.items())
    }


def listed(client, path: str, params: dict) -> tuple[set[str], int, str]:
    response = client.get(path, params)
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
        pairs.append(("province", "ca_on"))
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
    years = re.findall(r'<a href="([^"]*from=(\d+)[^"]*)">\d+</a>[^:]*: (\d+)', page)
    assert years
    for _url, year, count in years:
        assert int(count) == len({s for s, d in docs.items() if (d.get("occurred") or "")[:4] == year})


# -- several values per facet, date ranges, provinces ----------------------------------------------------------

FACET_KEYS = ("severity", "verification", "hazard_status", "confidence", *TAG_PATHS, "entity", "system")


def value_pool(record_type: str) -> dict[str, list[str]]:
    """Per facet, the values the demo's public records of this type hold."""
    pool: dict[str, set[str]] = {name: set() for name in FACET_KEYS}
    for doc in public_docs(record_type):
        for name, (group, key) in TAG_PATHS.items():
            pool[name] |= set((doc.get(group) or {}).get(key) or [])
        pool["entity"] |= {e["slug"] for e in doc["entities"]}
        pool["system"] |= {s["slug"] for s in doc["systems"]}
        for name in ("severity", "verification", "hazard_status", "confidence"):
            if doc.get(name):
                pool[name].add(doc[name])
    return {name: sorted(values) for name, values in pool.items() if values}


BOUNDS = st.builds(
    lambda y, m, d, form: (str(y), f"{y}-{m:02d}", f"{y}-{m:02d}-{d:02d}")[form],
    st.integers(2016, 2026), st.integers(1, 12), st.integers(1, 28), st.integers(0, 2),
)  # fmt: skip
WORDS = ("facial", "deepfake", "police", "chatbot", "hypertrucage")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_combinations_of_values_match_the_oracle_on_the_list_and_the_api(client, db, data):
    record_type = data.draw(st.sampled_from(["incident", "hazard"]))
    pool = value_pool(record_type)
    facets = data.draw(st.lists(st.sampled_from(sorted(pool)), min_size=1, max_size=3, unique=True))
    params: dict = {name: data.draw(st.lists(st.sampled_from(pool[name]), min_size=1, max_size=3, unique=True))
                    for name in facets}  # fmt: skip
    for name in ("from", "to"):
        if data.draw(st.booleans()):
            params[name] = data.draw(BOUNDS)
    if "from" in params and "to" in params and period(params["from"])[0] > period(params["to"])[1]:
        params["from"], params["to"] = params["to"], params["from"]
    expected = oracle(record_type, **params)
    word = data.draw(st.sampled_from((None, *WORDS)))
    if word:  # the words go to the search backend: the filters narrow what the words alone find
        expected &= listed(client, f"/{record_type}s/", {"q": word})[0]
        params["q"] = word
    slugs, total, page = listed(client, f"/{record_type}s/", params)
    assert slugs == expected and total == len(expected), params
    api = client.get("/api/v3/records", {**params, "type": record_type, "limit": 200})
    assert api.status_code == 200, api.content
    assert {r["slug"] for r in api.json()["records"]} == expected and api.json()["meta"]["count"] == len(
        expected
    )
    # each chosen value is ticked, and its count is what the list shows with that value alone in its facet
    for name in facets:
        for value in params[name]:
            found = re.search(
                rf'name="{name}" value="{re.escape(value)}" checked>.*?\((\d+)\)</span>', page, re.S
            )
            alone = oracle(
                record_type, **{k: v for k, v in params.items() if k not in (name, "q")}, **{name: value}
            )
            if word:
                alone &= listed(client, f"/{record_type}s/", {"q": word})[0]
            assert found and int(found.group(1)) == len(alone), (name, value)


def test_values_of_a_facet_widen_and_facets_narrow(client, db):
    domains = value_pool("incident")["domain"]
    first, second = next(
        (a, b) for a in domains for b in domains
        if oracle("incident", domain=a) - oracle("incident", domain=b) and oracle("incident", domain=b) - oracle("incident", domain=a)
    )  # fmt: skip
    either = oracle("incident", domain=[first, second])
    assert either == oracle("incident", domain=first) | oracle("incident", domain=second)
    assert either > oracle("incident", domain=first)
    slugs, total, _ = listed(client, "/incidents/", {"domain": [first, second]})
    assert slugs == either and total == len(either)
    both = oracle("incident", domain=[first, second], severity=["significant", "severe"])
    slugs, _, _ = listed(
        client, "/incidents/", {"domain": [first, second], "severity": ["significant", "severe"]}
    )
    assert slugs == both and both < either


def test_a_chip_per_value_removes_only_that_value(client, db):
    response = client.get("/incidents/?domain=law_enforcement&domain=health&severity=significant")
    page = response.content.decode()
    chips = re.findall(r'<li><span>([^<]*)<strong[^>]*>([^<]*)</strong></span> <a href="([^"]*)"', page)
    removals = {value: html.unescape(url) for _label, value, url in chips}
    tax = get_taxonomy()
    law, health = tax.label("domain", "law_enforcement"), tax.label("domain", "health")
    assert removals[law] == "?severity=significant&domain=health"
    assert removals[health] == "?severity=significant&domain=law_enforcement"
    assert removals[tax.label("severity", "significant")] == "?domain=law_enforcement&domain=health"


@pytest.mark.parametrize("record_type", ["incident", "hazard"])
@pytest.mark.parametrize(
    ("start", "end"),
    [("2023", None), (None, "2019"), ("2023-03", "2023-03"), ("2023-03-15", "2023-03-20"), ("2018-07", "2019-10-31"),
     ("2023-10-31", "2024-02-01"), ("2025", "2025")],
)  # fmt: skip
def test_date_ranges_at_the_records_precision(client, db, record_type, start, end):
    params = {k: v for k, v in (("from", start), ("to", end)) if v}
    expected = oracle(record_type, **params)
    slugs, total, _ = listed(client, f"/{record_type}s/", params)
    assert slugs == expected and total == len(expected)
    data = client.get("/api/v3/records", {**params, "type": record_type, "limit": 200}).json()
    assert {r["slug"] for r in data["records"]} == expected


def test_a_month_known_record_is_in_a_range_overlapping_its_month(client, db):
    month_known = [d for d in public_docs("incident") if d.get("occurred_precision") == "month"]
    assert month_known
    doc = month_known[0]
    month = doc["occurred"][:7]
    last = period(month)[1].isoformat()
    for params in ({"from": last}, {"to": f"{month}-01"}, {"from": f"{month}-10", "to": f"{month}-12"}):
        assert doc["slug"] in listed(client, "/incidents/", params)[0], params
    after = (period(month)[1].replace(day=28) + (period(month)[1] - period(month)[0])).strftime("%Y-%m")
    assert doc["slug"] not in listed(client, "/incidents/", {"from": after})[0]


def test_year_from_and_year_to_stay_aliases(client, db):
    old = listed(client, "/incidents/", {"year_from": "2019", "year_to": "2023"})
    new = listed(client, "/incidents/", {"from": "2019", "to": "2023"})
    assert old[0] == new[0] == oracle("incident", **{"from": "2019", "to": "2023"})


@pytest.mark.parametrize(
    ("params", "english", "french"),
    [({"from": "2024-13"}, "“from” must be a date written YYYY", "«\u00a0from\u00a0» doit être une date"),
     ({"to": "20x4"}, "“to” must be a date written YYYY", "«\u00a0to\u00a0» doit être une date"),
     ({"from": "2023-02-30"}, "“from” must be a date", "«\u00a0from\u00a0» doit être une date"),
     ({"from": "1066"}, "between the years 1950 and 2100", "entre les années 1950 et 2100"),
     ({"from": "2024-05", "to": "2024-04-30"}, "The start of the period (2024-05) is after its end (2024-04-30).",
      "Le début de la période (2024-05) est postérieur à sa fin (2024-04-30)."),
     ({"from": "2020", "year_from": "2020"}, "Give “from” or “year_from”, not both.",
      "Donnez «\u00a0from\u00a0» ou «\u00a0year_from\u00a0», pas les deux.")],
)  # fmt: skip
def test_bad_dates_are_400s_in_both_languages(client, db, params, english, french):
    response = client.get("/incidents/", params)
    assert response.status_code == 400 and english in html.unescape(response.content.decode())
    response = client.get("/fr/incidents/", params)
    assert response.status_code == 400 and french in html.unescape(response.content.decode())
    api = client.get("/api/v3/records", params)
    assert api.status_code == 400 and english in api.json()["message"]


def test_the_province_facet(client, db):
    ontario = oracle("incident", province="ca_on")
    assert ontario
    slugs, _, page = listed(client, "/incidents/", {"province": ["ca_on", "ca_bc"]})
    assert slugs == ontario | oracle("incident", province="ca_bc")
    assert 'id="f-province"' in page and "Ontario" in page
    french = client.get("/fr/incidents/", {"province": "ca_qc"}).content.decode()
    assert "Province ou territoire" in french and "Québec" in french
    record = client.get(f"/incidents/{sorted(ontario)[0]}/").content.decode()
    assert "Province or territory" in record and "Ontario" in record


# -- clean addresses, titles, htmx -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "clean"),
    [("q=&severity=&sort=occurred", "/incidents/"),
     ("severity=significant&q=&from=&to=&sort=occurred", "/incidents/?severity=significant"),
     ("sort=severity&domain=health&q=&domain=law_enforcement&page=1", "/incidents/?domain=health&domain=law_enforcement&sort=severity"),
     ("q=facial&sort=relevance&from=", "/incidents/?q=facial"), ("year_from=2020&to=", "/incidents/?from=2020"),
     ("q=facial&sort=occurred&verification=", "/incidents/?q=facial&sort=occurred")],
)  # fmt: skip
def test_empty_and_default_parameters_redirect_to_the_clean_address(client, db, query, clean):
    response = client.get(f"/incidents/?{query}")
    assert response.status_code == 302 and response["Location"] == clean
    assert client.get(clean).status_code == 200


def test_clean_addresses_are_not_redirected_and_links_are_clean(client, db):
    response = client.get("/incidents/?severity=significant&domain=law_enforcement")
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert "severity=significant&amp;" not in page and "q=&" not in page and "sort=occurred" not in page
    assert "/incidents/download.csv?severity=significant&domain=law_enforcement" in page


def test_htmx_gets_the_clean_address_pushed_instead_of_a_redirect(client, db):
    response = client.get("/incidents/?q=&severity=significant&sort=occurred", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "<html" not in response.content.decode()
    assert response["HX-Push-Url"] == "/incidents/?severity=significant"
    assert re.match(
        r"\s*<title>Incidents · Severity: [^<]+ — ", response.content.decode()
    )  # htmx sets the title
    french = client.get("/fr/hazards/?q=&from=2023", headers={"HX-Request": "true"})
    assert french["HX-Push-Url"] == "/fr/hazards/?from=2023"


def test_filtered_lists_have_descriptive_titles(client, db):
    def title(url):
        return html.unescape(
            re.search(r"<title>(.*?)</title>", client.get(url).content.decode(), re.S).group(1)
        )

    tax = get_taxonomy()
    plain = title("/incidents/")
    assert plain.startswith("Incidents · ") and ":" not in plain
    assert title("/incidents/?domain=law_enforcement&severity=significant").startswith(
        f"Incidents · Severity: {tax.label('severity', 'significant')}, Domain: {tax.label('domain', 'law_enforcement')} — "
    )
    assert title("/incidents/?domain=law_enforcement&domain=health").startswith(
        f"Incidents · Domain: {tax.label('domain', 'law_enforcement')} or {tax.label('domain', 'health')} — "
    )
    french = title("/fr/hazards/?severity=significant&from=2023")
    assert french.startswith(
        f"Dangers · Gravité\u00a0: {tax.label('severity', 'significant', 'fr')}, De\u00a0: 2023 — "
    )
    assert "<h1>Incidents</h1>" in client.get("/incidents/?domain=health").content.decode()


# -- finding an entity or AI system by part of its name --------------------------------------------------------


def options(page: str, facet: str) -> list[tuple[str, int]]:
    """(value, count) of each choice a facet of the page offers."""
    found = dict(FACET_OPTION.findall(page))
    return [(value, int(count)) for value, count in OPTION.findall(found.get(facet, ""))]


def _named_counts(record_type: str, key: str) -> dict[str, tuple[dict, int]]:
    """Each entity (or system) the public documents name: (its document entry, the records naming it)."""
    out: dict[str, tuple[dict, int]] = {}
    for doc in public_docs(record_type):
        for entry in {e["slug"]: e for e in doc.get(key, [])}.values():
            out[entry["slug"]] = (entry, out.get(entry["slug"], (entry, 0))[1] + 1)
    return out


def test_typing_part_of_a_name_offers_every_entity_containing_it_with_its_count(client, db):
    named = _named_counts("incident", "entities")
    offered = dict(options(client.get("/incidents/").content.decode(), "entity"))
    assert len(offered) == 15 < len(named)  # the facet alone offers the most frequent ones
    slug, (entry, count) = next((s, v) for s, v in sorted(named.items()) if s not in offered)
    typed = entry["name"][1:-1].upper()  # part of the name, in another case
    found = dict(options(client.get("/incidents/", {"entity_q": typed}).content.decode(), "entity"))
    assert found[slug] == count
    containing = {s for s, (e, _n) in named.items() if typed.casefold() in e["name"].casefold()}
    assert containing <= set(found)  # every entity whose name contains the text, not only the first 15
    slugs, total, _page = listed(client, "/incidents/", {"entity": slug})
    assert total == count and slugs == oracle("incident", entity=slug)


def test_a_french_name_is_found_without_its_accents(client, db):
    named = _named_counts("incident", "entities")
    slug, entry = next(
        (s, e) for s, (e, _n) in sorted(named.items()) if e.get("name_fr") and "é" in e["name_fr"]
    )
    word = next(w for w in entry["name_fr"].split() if "é" in w).replace("é", "e")
    page = client.get("/fr/incidents/", {"entity_q": word}).content.decode()
    assert slug in dict(options(page, "entity"))


def test_the_typed_text_survives_the_clean_address_and_says_when_nothing_matches(client, db):
    response = client.get("/incidents/?q=&entity_q=police&severity=")
    assert response.status_code == 302 and response["Location"] == "/incidents/?entity_q=police"
    page = client.get("/incidents/", {"system_q": "zzzqqq"}).content.decode()
    assert "No name containing “zzzqqq” among these records." in page and 'value="zzzqqq"' in page
    french = client.get("/fr/incidents/", {"system_q": "zzzqqq"}).content.decode()
    assert "Aucun nom contenant «\u00a0zzzqqq\u00a0» parmi ces fiches." in french
