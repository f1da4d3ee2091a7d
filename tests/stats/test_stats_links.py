"""Every bar of the statistics page links to the list it counts, and that list holds as many records as the bar
says; "Records over time" counts the records of any filter of the lists (SPEC §4)."""

from __future__ import annotations

import csv
import html
import io
import re
from collections import defaultdict

import pytest

from tests import factories

BAR_LINK = re.compile(
    r'<a class="chart-link" href="([^"]+)" aria-label="([^"]+)"><rect [^>]*><title>([^<]*)</title></rect></a>'
)
SECTION = re.compile(r'<section class="stats-section" id="([\w-]+)"(.*?)</section>', re.S)
RESULT_COUNT = re.compile(r'<p class="result-count">([\d\s,\u00a0\u202f]+)')
LINKED_CHARTS = {"domain", "severity", "harm-type", "year", "verification", "hazard-status", "over-time"}


def number(text: str) -> int:
    return int(re.sub(r"\D", "", text))


def bar_links(page: str) -> dict[str, list[tuple[str, str, int]]]:
    """Per chart: (href, accessible name, the number the bar shows) of each linked bar segment."""
    out = defaultdict(list)
    for slug, body in SECTION.findall(page):
        for href, name, title in BAR_LINK.findall(body):
            out[slug].append((html.unescape(href), html.unescape(name), number(title.rsplit(":", 1)[1])))
    return out


def list_count(client, href: str) -> int:
    response = client.get(href)
    assert response.status_code == 200, (href, response.status_code)
    return number(RESULT_COUNT.search(response.content.decode()).group(1))


def get(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def test_every_bar_opens_a_list_of_as_many_records(client, db):
    links = bar_links(get(client, "/stats/"))
    assert set(links) == LINKED_CHARTS
    for slug, bars in links.items():
        for href, name, value in bars:
            assert href.startswith(("/incidents/?", "/hazards/?")), href
            assert name.endswith("(show these records)") and f": {value:,}" in name
            assert list_count(client, href) == value, (slug, href, name)


def test_french_bars_open_french_lists(client, db):
    links = bar_links(get(client, "/fr/stats/"))
    assert set(links) == LINKED_CHARTS
    for slug, bars in links.items():
        for href, name, value in bars[:3]:
            assert href.startswith(("/fr/incidents/?", "/fr/hazards/?")) and name.endswith(
                "(afficher ces fiches)"
            )
            assert list_count(client, href) == value, (slug, href)


def test_charts_without_a_list_have_no_links_and_linked_charts_are_groups(client, db):
    page = get(client, "/stats/")
    sections = dict(SECTION.findall(page))
    for slug in ("response-coverage", "co-occurrence"):
        assert "chart-link" not in sections[slug] and 'role="img"' in sections[slug]
    for slug in LINKED_CHARTS:
        assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" role="group"' in sections[slug]


def test_a_bar_links_with_the_filter_it_counts(client, db):
    bars = bar_links(get(client, "/stats/"))
    assert any(href.startswith("/incidents/?domain=") for href, _n, _v in bars["domain"])
    assert any(href.startswith("/hazards/?harm_type=") for href, _n, _v in bars["harm-type"])
    assert all(re.fullmatch(r"/(incidents|hazards)/\?from=(\d+)&to=\2", h) for h, _n, _v in bars["year"])
    assert all(h.startswith("/hazards/?hazard_status=") for h, _n, _v in bars["hazard-status"])


@pytest.mark.parametrize(
    "query",
    [
        "type=incident&domain=finance",
        "type=hazard&severity=critical",
        "domain=health&fr=1",
        "type=incident&q=facial",
    ],
)
def test_records_over_time_counts_the_records_of_the_list(client, db, query):
    page = get(client, f"/stats/?{query}")
    bars = bar_links(page)["over-time"]
    for href, _name, value in bars:
        assert list_count(client, href) == value, href
    # the whole: the over-time table adds up to the records of the list(s)
    params = dict(p.split("=") for p in query.split("&"))
    types = [params.pop("type")] if "type" in params else ["incident", "hazard"]
    expected = sum(
        list_count(client, f"/{t}s/?" + "&".join(f"{k}={v}" for k, v in params.items())) for t in types
    )
    rows = list(csv.reader(io.StringIO(get(client, f"/stats/over-time.csv?{query}"))))
    assert rows[0][:2] in (["year", "label"], ["month", "label"])
    assert sum(int(row[-1]) for row in rows[1:]) == expected
    assert "Only the records of the list for these filters" in page


def test_records_over_time_by_month_for_a_short_span(client, editor, reviewer, entities, clock):
    factories.published_incident(editor, reviewer, clock)  # occurred November 2024, month precision
    factories.published_incident(editor, reviewer, clock, occurred="2025-01-20", occurred_precision="day")
    rows = list(csv.reader(io.StringIO(get(client, "/stats/over-time.csv?type=incident&entity=t-acme-ai"))))
    assert rows == [
        ["month", "label", "incidents", "hazards", "total"],
        ["2024-11", "November 2024", "1", "0", "1"],
        ["2024-12", "December 2024", "0", "0", "0"],
        ["2025-01", "January 2025", "1", "0", "1"],
    ]
    fr = get(client, "/fr/stats/?type=incident&entity=t-acme-ai")
    table = fr.split('id="table-over-time"', 1)[1].split("</table>", 1)[0]
    assert "novembre 2024" in table and "janvier 2025" in table
    assert 'href="/fr/incidents/?entity=t-acme-ai"' in fr  # back to the list
    # months cannot be filtered in the lists: month bars are not links
    assert "chart-link" not in fr.split('id="over-time"', 1)[1].split("</section>", 1)[0]


def test_list_pages_link_to_their_records_over_time(client, db):
    page = get(client, "/incidents/?domain=finance&sort=severity")
    assert 'href="/stats/?domain=finance&amp;type=incident#over-time"' in page
    fr = get(client, "/fr/hazards/")
    assert 'href="/fr/stats/?type=hazard#over-time">Voir ces fiches au fil du temps' in fr


@pytest.mark.parametrize(
    "query", ["type=dataset", "domain=no-such-domain", "year_from=1800", "type=hazard&sort=nonsense"]
)
def test_bad_filters_are_400_with_a_message(client, db, query):
    for url in (f"/stats/?{query}", f"/stats/over-time.csv?{query}"):
        response = client.get(url)
        assert response.status_code == 400 and b"error-message" in response.content, url
