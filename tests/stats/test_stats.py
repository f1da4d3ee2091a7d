"""The statistics page and its CSV files (SPEC §4): every number equals an independent count over the published
version documents; drafts and withdrawn records never count; the SVG is deterministic, escaped and accessible;
both languages; the query count is pinned."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from collections import Counter
from html.parser import HTMLParser

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from caim.records import actions
from caim.records.models import PublicRecord, Status
from caim.site.listindex import get_index
from caim.stats import charts
from caim.stats.views import CHARTS
from caim.taxonomy.loader import get_taxonomy
from tests import factories

SLUGS = [chart.slug for chart in CHARTS]
SPLIT = {"domain": "domains", "harm-type": "harm_types"}  # chart -> taxonomy key of the document
# The public-layer token, one GROUP BY per chart (8) and the hazard watch list; charts are then cached until
# the next publication, which leaves the token and the hazard watch. Plus the list index's token ("Records over
# time" counts on the lists' index, which the first request after a publication patches: tests/site/test_listindex.py).
PAGE_QUERIES = 11
CACHED_PAGE_QUERIES = 3
SVG = "{http://www.w3.org/2000/svg}"


# -- helpers ------------------------------------------------------------------------------------------------------


class Tables(HTMLParser):
    """Collects every <table id=...> of a page: {id: [[cell text, ...] per body row]} (header row excluded)."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.captions: dict[str, str] = {}
        self._table = self._row = self._cell = None
        self._in_head = self._in_caption = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id"):
            self._table = attrs["id"]
            self.tables[self._table] = []
            self.captions[self._table] = ""
        elif self._table and tag == "thead":
            self._in_head = True
        elif self._table and tag == "caption":
            self._in_caption = True
        elif self._table and tag == "tr" and not self._in_head:
            self._row = []
        elif self._row is not None and tag in ("th", "td"):
            self._cell = ""

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None
        elif tag == "thead":
            self._in_head = False
        elif tag == "caption":
            self._in_caption = False
        elif tag == "tr" and self._row is not None:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag in ("th", "td") and self._cell is not None:
            self._row.append(self._cell.strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data
        elif self._in_caption:
            self.captions[self._table] += data


def page_tables(client, prefix: str = "") -> dict[str, list[list[str]]]:
    response = client.get(f"{prefix}/stats/")
    assert response.status_code == 200
    parser = Tables()
    parser.feed(response.content.decode())
    return {key.removeprefix("table-"): rows for key, rows in parser.tables.items()}


def get_csv(client, slug: str, prefix: str = "") -> list[list[str]]:
    response = client.get(f"{prefix}/stats/{slug}.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode("utf-8"))))


def number(text: str) -> float:
    """A number as the page shows it, in either language: "1,234", "1 234", "42.9%", "42,9 %"."""
    text = text.replace("\u00a0", "").replace("\u202f", "").replace(" ", "").rstrip("%")
    if "," in text and "." not in text and len(text.rsplit(",", 1)[1]) == 1:
        text = text.replace(",", ".")  # French decimal comma
    return float(text.replace(",", ""))


def documents() -> list[dict]:
    """The independent source: the published version document of every public, non-withdrawn record."""
    return [
        p.version.document for p in PublicRecord.objects.filter(withdrawn=False).select_related("version")
    ]


def by_type(pairs) -> dict[str, tuple[int, int, int]]:
    """Counter of (key, type) -> {key: (incidents, hazards, total)}."""
    counts = Counter(pairs)
    keys = {key for key, _type in counts}
    return {
        k: (counts[k, "incident"], counts[k, "hazard"], counts[k, "incident"] + counts[k, "hazard"])
        for k in keys
    }


def expected() -> dict[str, dict]:
    """Every chart's numbers, computed from the documents alone: {chart: {key: values}}."""
    docs = documents()
    out: dict[str, dict] = {}
    for chart, key in SPLIT.items():
        out[chart] = by_type((slug, d["type"]) for d in docs for slug in d["taxonomy"][key])
    out["severity"] = by_type((d["severity"] or "", d["type"]) for d in docs)
    out["year"] = by_type(
        (((d["occurred"] if d["type"] == "incident" else d["identified"]) or "")[:4], d["type"]) for d in docs
    )
    incidents = [d for d in docs if d["type"] == "incident"]
    hazards = [d for d in docs if d["type"] == "hazard"]
    out["verification"] = {k: (n,) for k, n in Counter(d["verification"] or "" for d in incidents).items()}
    out["hazard-status"] = {k: (n,) for k, n in Counter(d["hazard_status"] or "" for d in hazards).items()}
    coverage = {}
    for key, group in (("incident", incidents), ("hazard", hazards), ("all", docs)):
        answered = sum(1 for d in group if d["responses"])
        coverage[key] = (answered, len(group), round(100 * answered / len(group), 1) if group else 0.0)
    out["response-coverage"] = coverage
    out["co-occurrence"] = dict(
        Counter(
            (h, p) for d in docs for h in d["taxonomy"]["harm_types"] for p in d["taxonomy"]["ai_pathways"]
        )
    )
    return out


def csv_values(rows: list[list[str]]) -> dict:
    """A chart CSV as {key: numbers}, or {(harm, pathway): n} for the co-occurrence file."""
    header, body = rows[0], rows[1:]
    if header[-1] == "records" and len(header) == 5:
        return {(r[0], r[2]): int(r[4]) for r in body}
    return {r[0]: tuple(float(v) if "." in v else int(v) for v in r[2:]) for r in body}


def add_records(editor, reviewer, clock):
    """Records of every kind beside the demo set: published (counted), draft and withdrawn (never counted)."""
    factories.published_incident(
        editor,
        reviewer,
        clock,
        severity="severe",
        verification="corroborated",
        occurred="2019-05-01",
        mitigations=[],
        taxonomy={
            "domains": ["housing", "finance"],
            "harm_types": ["economic_harm", "discrimination_bias"],
            "ai_pathways": ["data_issue", "design_flaw"],
            "lifecycle_phases": [],
        },
    )
    factories.published_incident(editor, reviewer, clock, responses=[])
    factories.published_hazard(editor, reviewer, clock, hazard_status="escalating", severity="critical")
    factories.published_hazard(editor, reviewer, clock, identified="2015-01-01", hazard_status="dormant")
    unusual = {
        "domains": ["immigration", "environment"],
        "harm_types": ["environmental_harm"],
        "ai_pathways": ["emergent_behaviour"],
        "lifecycle_phases": [],
    }
    draft = factories.draft(
        editor, "incident", factories.incident_data(taxonomy=unusual, occurred="1999-01-01"), clock
    )
    actions.set_status(draft, actor=editor, status=Status.REVIEW, clock=clock)
    withdrawn = factories.published_hazard(
        editor, reviewer, clock, taxonomy=unusual, hazard_status="escalating", identified="1998-01-01"
    )
    actions.withdraw_record(withdrawn, actor=reviewer, reason_en="A duplicate.", reason_fr="Un doublon.")
    return draft, withdrawn


# -- numbers ------------------------------------------------------------------------------------------------------


def test_demo_records_are_there(db):
    assert len(documents()) >= 27


@pytest.mark.parametrize("prefix", ["", "/fr"])
def test_every_number_in_csv_and_page_equals_an_independent_count(
    client, editor, reviewer, entities, clock, prefix
):
    add_records(editor, reviewer, clock)
    want = expected()
    tables = page_tables(client, prefix)
    for slug in SLUGS:
        rows = get_csv(client, slug, prefix)
        got = csv_values(rows)
        if slug == "co-occurrence":
            assert {k: n for k, n in got.items() if n} == want[slug], slug
            harms, pathways = get_taxonomy()["harm_type"].slugs(), get_taxonomy()["ai_pathway"].slugs()
            assert len(got) == len(harms) * len(pathways)
        else:
            zero = tuple(0 for _ in next(iter(got.values())))
            assert {k: v for k, v in got.items() if v != zero} == {
                k: v for k, v in want[slug].items() if v != zero
            }, slug
        # The page's table holds the same labels and numbers as the CSV.
        table = tables[slug]
        if slug == "co-occurrence":
            labels = dict.fromkeys(r[1] for r in rows[1:])
            assert [r[0] for r in table] == list(labels)
            assert [number(c) for r in table for c in r[1:]] == [int(r[4]) for r in rows[1:]]
        else:
            assert [r[0] for r in table] == [r[1] for r in rows[1:]], slug
            assert [[number(c) for c in r[1:]] for r in table] == [
                [float(v) for v in r[2:]] for r in rows[1:]
            ]


def test_rows_cover_every_vocabulary_value_in_order(client, db):
    tax = get_taxonomy()
    keys = {slug: [r[0] for r in get_csv(client, slug)[1:]] for slug in SLUGS if slug != "co-occurrence"}
    assert sorted(keys["domain"]) == sorted(tax["domain"].slugs())
    assert sorted(keys["harm-type"]) == sorted(tax["harm_type"].slugs())
    assert keys["severity"][:4] == ["critical", "severe", "significant", "minor"]  # most severe first
    assert keys["verification"][:5] == ["confirmed", "corroborated", "reported", "unverified", "refuted"]
    assert keys["hazard-status"][:5] == tax["hazard_status"].slugs()
    assert keys["response-coverage"] == ["incident", "hazard", "all"]
    years = [int(k) for k in keys["year"] if k]
    assert years == list(range(years[0], years[-1] + 1))  # every year of the span, gaps included
    domain = get_csv(client, "domain")[1:]
    totals = [int(r[-1]) for r in domain]
    assert totals == sorted(totals, reverse=True)  # nominal values: most frequent first


def test_drafts_and_withdrawn_records_never_count(client, editor, reviewer, entities, clock):
    files = {slug: client.get(f"/stats/{slug}.csv").content for slug in SLUGS}
    page = page_tables(client)
    draft = factories.draft(
        editor,
        "incident",
        factories.incident_data(
            severity="critical",
            occurred="1990-06-01",
            taxonomy={
                "domains": ["environment"],
                "harm_types": ["environmental_harm"],
                "ai_pathways": ["emergent_behaviour"],
                "lifecycle_phases": [],
            },
        ),
        clock,
    )
    actions.set_status(draft, actor=editor, status=Status.REVIEW, clock=clock)
    withdrawn = factories.published_hazard(
        editor, reviewer, clock, hazard_status="escalating", severity="critical"
    )
    assert client.get("/stats/hazard-status.csv").content != files["hazard-status"]  # it counted while public
    actions.withdraw_record(withdrawn, actor=reviewer, reason_en="A duplicate.", reason_fr="Un doublon.")
    assert {slug: client.get(f"/stats/{slug}.csv").content for slug in SLUGS} == files
    assert page_tables(client) == page
    assert withdrawn.slug not in client.get("/stats/").content.decode()


def test_published_record_counts_once_per_tag(client, editor, reviewer, entities, clock):
    before = csv_values(get_csv(client, "domain"))
    factories.published_incident(
        editor,
        reviewer,
        clock,
        mitigations=[],
        taxonomy={
            "domains": ["housing", "education"],
            "harm_types": ["economic_harm"],
            "ai_pathways": ["data_issue"],
            "lifecycle_phases": [],
        },
    )
    after = csv_values(get_csv(client, "domain"))
    changed = {k: (before[k], after[k]) for k in after if after[k] != before[k]}
    assert changed == {
        k: (before[k], (before[k][0] + 1, before[k][1], before[k][2] + 1)) for k in ("housing", "education")
    }


def test_hazard_watch_lists_escalating_or_critical_hazards(client, editor, reviewer, entities, clock):
    escalating = factories.published_hazard(editor, reviewer, clock, hazard_status="escalating")
    critical = factories.published_hazard(
        editor, reviewer, clock, severity="critical", hazard_status="active"
    )
    calm = factories.published_hazard(editor, reviewer, clock, hazard_status="dormant")
    page = client.get("/stats/").content.decode()
    watch = page[page.index('id="hazard-watch"') :]
    watch = watch[: watch.index("</section>")]
    assert escalating.slug in watch and critical.slug in watch and calm.slug not in watch
    assert watch.index(critical.slug) < watch.index(escalating.slug)  # most severe first
    want = {
        d["slug"]
        for d in documents()
        if d["type"] == "hazard" and (d["hazard_status"] == "escalating" or d["severity"] == "critical")
    }
    assert {s for s in want if f"/hazards/{s}/" in watch} == want


# -- page, languages, CSV ------------------------------------------------------------------------------------


def test_page_in_english_and_french(client, db):
    en = client.get("/stats/")
    fr = client.get("/fr/stats/")
    assert en.status_code == fr.status_code == 200
    en, fr = en.content.decode(), fr.content.decode()
    assert '<html lang="en">' in en and '<html lang="fr">' in fr
    tax = get_taxonomy()
    for vocabulary, slug in (("domain", "finance"), ("harm_type", "economic_harm"), ("severity", "critical")):
        assert tax.label(vocabulary, slug, "en") in en
        assert tax.label(vocabulary, slug, "fr") in fr
    assert "Préjudice économique" in fr and "Economic harm" not in fr
    assert 'href="/fr/stats/domain.csv"' in fr and 'href="/stats/domain.csv"' in en
    for slug in SLUGS:
        assert f'id="table-{slug}"' in en and f'id="chart-{slug}-title"' in en
    assert en.count("<caption") == len(SLUGS) + 1 and en.count('<th scope="row">') > 40
    assert ' style="' not in en and "<style" not in en  # the CSP forbids inline styles


def test_french_csv_has_french_labels(client, db):
    tax = get_taxonomy()
    rows = get_csv(client, "harm-type", "/fr")
    assert rows[0] == ["harm_type", "label", "incidents", "hazards", "total"]  # stable column names
    assert {r[0]: r[1] for r in rows[1:]} == {v.slug: v.label_in("fr") for v in tax["harm_type"].values}
    en = get_csv(client, "harm-type")
    assert sorted(r[2:] for r in en[1:]) == sorted(r[2:] for r in rows[1:])  # same numbers
    pairs = get_csv(client, "co-occurrence", "/fr")
    assert pairs[0] == ["harm_type", "harm_type_label", "ai_pathway", "ai_pathway_label", "records"]
    assert ("economic_harm", "Préjudice économique") in {(r[0], r[1]) for r in pairs[1:]}
    disposition = client.get("/fr/stats/year.csv")["Content-Disposition"]
    assert disposition == 'attachment; filename="caim-stats-year-fr.csv"'


@pytest.mark.parametrize("url", ["/stats/nope.csv", "/fr/stats/nope.csv", "/stats/stats.csv"])
def test_unknown_chart_is_404(client, db, url):
    assert client.get(url).status_code == 404


def test_statistics_in_the_main_navigation(client, db):
    assert '<a href="/stats/">Statistics</a>' in client.get("/").content.decode()
    assert 'href="/fr/stats/"' in client.get("/fr/").content.decode()


@pytest.mark.parametrize("prefix", ["", "/fr"])
def test_page_query_count_is_constant(client, editor, reviewer, entities, clock, prefix):
    counts = []
    for extra in (1, 3):
        for _ in range(extra):  # a publication: the charts are computed again
            factories.published_incident(editor, reviewer, clock)
            factories.published_hazard(editor, reviewer, clock, hazard_status="escalating")
        get_index()  # brought up to date after the publications, as by any list request
        for _ in range(2):
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(f"{prefix}/stats/").status_code == 200
            counts.append(len(ctx.captured_queries))
    assert counts == [PAGE_QUERIES, CACHED_PAGE_QUERIES] * 2, counts


@pytest.mark.parametrize("slug", SLUGS)
def test_csv_is_one_query(client, db, slug):
    """A chart's numbers are one query, made once per state of the public layer; then only the state is read."""
    caches["local"].clear()
    with CaptureQueriesContext(connection) as cold:
        assert client.get(f"/stats/{slug}.csv").status_code == 200
    with CaptureQueriesContext(connection) as kept:
        assert client.get(f"/stats/{slug}.csv").status_code == 200
    assert len(cold.captured_queries) == 2 and len(kept.captured_queries) == 1


# -- SVG ------------------------------------------------------------------------------------------------------


HOSTILE = '<script>alert("x")</script> & "quotes"'


def sample_bars(label: str = "Finance") -> list[charts.Bar]:
    return [
        charts.Bar(label, (3.0, 2.0), ("3", "2"), "5"),
        charts.Bar("Health", (0.0, 1.0), ("0", "1"), "1"),
        charts.Bar("Housing", (0.0, 0.0), ("0", "0"), "0"),
    ]


def render_bar(label: str = "Finance") -> str:
    return charts.bar_chart(
        ident="t",
        title="Records",
        description="A test.",
        bars=sample_bars(label),
        series=("Incidents", "Hazards"),
    )


def render_heat(label: str = "Fraud") -> str:
    return charts.heat_map(
        ident="h",
        title="Pairs",
        description="A test.",
        row_labels=[label, "Privacy"],
        column_labels=["Malicious use", "Data issue (bias, quality, consent) and a very long label indeed"],
        cells=[[4, 0], [1, 2]],
        texts=[["4", "0"], ["1", "2"]],
    )


def test_svg_is_deterministic(client, db):
    assert render_bar() == render_bar()
    assert render_heat() == render_heat()
    first, second = client.get("/fr/stats/").content, client.get("/fr/stats/").content
    assert first == second


def test_svg_escapes_every_text():
    for svg in (render_bar(HOSTILE), render_heat(HOSTILE)):
        assert "<script" not in svg and "&lt;script&gt;" in svg
        ET.fromstring(svg)  # well-formed XML
    hostile_title = charts.bar_chart(
        ident='x" onload="alert(1)',
        title="</title><script>",
        description="<b>",
        bars=sample_bars(),
        series=("A",),
    )
    assert "<script" not in hostile_title and "<b>" not in hostile_title and 'onload="' not in hostile_title
    ET.fromstring(hostile_title)


def test_bar_chart_is_accessible():
    root = ET.fromstring(render_bar())
    assert root.get("role") == "img" and root.get("aria-labelledby") == "t-title t-desc"
    assert root[0].tag == f"{SVG}title" and root[0].text == "Records" and root[0].get("id") == "t-title"
    assert root[1].tag == f"{SVG}desc" and "Finance: 5 (Incidents: 3, Hazards: 2)" in root[1].text
    bars = [
        r
        for r in root.iter(f"{SVG}rect")
        if "chart-bar" in r.get("class", "") and r.find(f"{SVG}title") is not None
    ]
    assert [b.find(f"{SVG}title").text for b in bars] == [
        "Finance, Incidents: 3",
        "Finance, Hazards: 2",
        "Health, Hazards: 1",
    ]
    assert float(bars[0].get("width")) > float(bars[1].get("width")) > 0
    assert not [e for e in root.iter() if e.get("style") is not None]


def test_heat_map_cells_have_titles_and_shades():
    root = ET.fromstring(render_heat())
    cells = [r for r in root.iter(f"{SVG}rect") if "heat" in r.get("class", "").split()]
    assert len(cells) == 4 and all(c.find(f"{SVG}title") is not None for c in cells)
    assert cells[0].find(f"{SVG}title").text == "Fraud × Malicious use: 4"
    assert [c.get("class") for c in cells] == ["heat heat-4", "heat heat-0", "heat heat-1", "heat heat-2"]
    assert not [e for e in root.iter() if e.get("style") is not None]


def test_empty_chart_renders():
    svg = charts.bar_chart(ident="e", title="Empty", description="", bars=[], series=("Records",))
    ET.fromstring(svg)
    ET.fromstring(
        charts.heat_map(
            ident="z", title="Z", description="", row_labels=[], column_labels=[], cells=[], texts=[]
        )
    )


SNAPSHOT = """<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" role="img" aria-labelledby="s-title s-desc" viewBox="0 0 360 80" width="360" height="80" font-family="system-ui, -apple-system, &quot;Segoe UI&quot;, Roboto, &quot;Noto Sans&quot;, Arial, sans-serif" font-size="13">
<title id="s-title">T</title>
<desc id="s-desc">D. A: 2; B: 1</desc>
<g class="chart-row">
<text class="chart-label" x="2" y="17" fill="#1b1f24">A</text>
<rect class="chart-track" x="2" y="21" width="294" height="14" fill="#f4f6f8"/>
<rect class="chart-bar chart-series-0" x="2" y="21" width="294" height="14" fill="#0b5cad" stroke="#ffffff" stroke-width="1"><title>A: 2</title></rect>
<text class="chart-value" x="302" y="32.5" fill="#4a5360">2</text>
</g>
<g class="chart-row">
<text class="chart-label" x="2" y="53" fill="#1b1f24">B</text>
<rect class="chart-track" x="2" y="57" width="294" height="14" fill="#f4f6f8"/>
<rect class="chart-bar chart-series-0" x="2" y="57" width="147" height="14" fill="#0b5cad" stroke="#ffffff" stroke-width="1"><title>B: 1</title></rect>
<text class="chart-value" x="155" y="68.5" fill="#4a5360">1</text>
</g>
</svg>"""


def test_bar_chart_snapshot():
    """The exact markup of a small chart: a change to the drawing code shows here first."""
    bars = [charts.Bar("A", (2.0,), ("2",), "2"), charts.Bar("B", (1.0,), ("1",), "1")]
    assert (
        charts.bar_chart(ident="s", title="T", description="D.", bars=bars, series=("Records",)) == SNAPSHOT
    )
