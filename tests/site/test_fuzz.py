"""Odd input never crashes a public page: every list, search and record-address parameter, fed digits from
other scripts, huge numbers, NUL, control characters and bytes that are not UTF-8, answers 2xx, 3xx or 4xx."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caim.site.lists import FACETS

LIST_PARAMS = [f.param for f in FACETS] + ["q", "sort", "page", "from", "to", "year_from", "year_to"]
PAGES = {
    "/incidents/": LIST_PARAMS,
    "/hazards/": LIST_PARAMS,
    "/fr/incidents/": LIST_PARAMS,
    "/search/": ["q", "page", "kind"],
    "/entities/": ["kind", "page"],
    "/systems/": ["page", "kind"],
    "/corrections/": ["page"],
    "/stats/": ["year"],
}
# Raw (already percent-encoded) values that broke parsers before: digits int() refuses or misreads, numbers
# beyond any database integer, NUL, control characters and invalid UTF-8.
ODD = [
    "%C2%B2",  # ²
    "%D9%A1%D9%A2",  # Arabic-Indic 12
    "%EF%BC%91",  # fullwidth 1
    "99999999999999999999999999999",
    "9223372036854775808",
    "-1",
    "0",
    "1e9",
    "%00",
    "a%00b",
    "%0D%0AX-Injected:%201",
    "%FF%FE",
    "%ED%A0%80",  # a lone surrogate in UTF-8
    "%C0%AF",
    quote("<script>alert(1)</script>"),
    quote("' OR 1=1 --"),
    "x" * 3000,
]
IDENTS = [
    "%C2%B2",
    "99999999999999999999999999999",
    "9223372036854775808",
    "0",
    "-1",
    "%00",
    "%FF",
    "a" * 300,
]


def ok(response, url):
    assert response.status_code < 500, f"{url} answered {response.status_code}"


@pytest.mark.django_db
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    page=st.sampled_from(sorted(PAGES)),
    data=st.data(),
)
def test_list_and_search_parameters(client, page, data):
    names = data.draw(st.lists(st.sampled_from(PAGES[page]), min_size=1, max_size=3, unique=True))
    values = [data.draw(st.one_of(st.sampled_from(ODD), st.text(max_size=20).map(quote))) for _ in names]
    url = page + "?" + "&".join(f"{n}={v}" for n, v in zip(names, values, strict=True))
    ok(client.get(url), url)


@pytest.mark.django_db
@pytest.mark.parametrize("ident", IDENTS)
@pytest.mark.parametrize(
    "pattern",
    [
        "/incidents/{}/",
        "/hazards/{}/",
        "/fr/incidents/{}/",
        "/incidents/{}/v/1/",
        "/incidents/{}/cite.ris",
        "/incidents/{}/oecd.json",
        "/hazards/{}/oecd.json",
        "/incidents/{}/aiid.json",
        "/entities/{}/",
        "/systems/{}/",
        "/api/v3/records/{}.json",
        "/api/v3/records/{}/versions.json",
    ],
)
def test_record_and_entity_addresses(client, pattern, ident):
    url = pattern.format(ident)
    response = client.get(url)
    ok(response, url)
    assert response.status_code in (301, 302, 400, 404), url


@pytest.mark.django_db
def test_a_huge_version_number_is_a_404(client):
    assert (
        client.get("/incidents/air-canada-chatbot-bereavement-fare/v/99999999999999999999999/").status_code
        == 404
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/incidents/%00/", "/search/?q=a%00b", "/incidents/?domain=%00", "/fr/hazards/x%00y/"]
)
def test_a_nul_character_is_a_clear_400(client, url):
    response = client.get(url)
    assert response.status_code == 400 and "NUL" in response.content.decode()
