"""The downloads of a list: every record the list shows for its filters, on all its pages and in its order, as
CSV (read with the csv module) and JSON; a bad filter is the list's 400."""

from __future__ import annotations

import csv
import io
import json
import re
from urllib.parse import urlencode

import pytest
from django.http import QueryDict
from django.urls import resolve
from django.utils import translation

from caim.api import bulk
from caim.records import actions
from caim.site import downloads, lists
from tests import factories

LINK = re.compile(r'<h2><a href="/(?:fr/)?(?:incidents|hazards)/([^/"]+)/"')

CASES = [
    ("incident", {}),
    ("incident", {"sort": "severity"}),
    ("incident", {"sort": "published", "fr": "1"}),
    ("incident", {"domain": "law_enforcement", "verification": "confirmed", "year_from": "2019"}),
    ("incident", {"q": "facial"}),  # sorted by relevance
    ("incident", {"q": "facial", "sort": "occurred"}),
    ("incident", {"severity": "significant", "page": "1"}),
    ("hazard", {}),
    ("hazard", {"hazard_status": "escalating"}),
    ("hazard", {"sort": "severity", "confidence": "high"}),
    (
        "incident",
        {"domain": ["law_enforcement", "health"], "severity": ["significant", "severe"], "from": "2019-06"},
    ),
    ("hazard", {"province": ["ca_on", "federal"], "to": "2024-02"}),
]
# How the JSON download's meta names each filter: a facet's values as a list, a date bound as written (the older
# year_from and year_to as from and to).
META_NAMES = {"year_from": "from", "year_to": "to"}


def streamed(response) -> str:
    assert response.streaming
    return b"".join(response.streaming_content).decode("utf-8")


def download_csv(client, path: str, params: dict) -> list[dict]:
    response = client.get(path, params)
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(streamed(response), newline="")))
    return rows


def download_json(client, path: str, params: dict) -> dict:
    response = client.get(path, params)
    assert response.status_code == 200 and response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(streamed(response))


def the_list(client, record_type: str, params: dict) -> tuple[int, list[str]]:
    """(the list page's result count, the slugs it shows, in order): the demo set fits on one page."""
    page = client.get(
        f"/{record_type}s/", params, follow=True
    ).content.decode()  # page=1: to the clean address
    total = int(re.search(r'<p class="result-count">(\d+) ', page).group(1))
    assert total <= lists.PAGE_SIZE
    return total, LINK.findall(page)


@pytest.mark.parametrize(("record_type", "params"), CASES)
def test_a_download_is_what_the_list_shows(client, db, record_type, params):
    total, slugs = the_list(client, record_type, params)
    rows = download_csv(client, f"/{record_type}s/download.csv", params)
    assert rows and list(rows[0]) == list(bulk.RECORD_COLUMNS)
    assert len(rows) == total and [r["slug"] for r in rows] == slugs
    assert {r["type"] for r in rows} <= {record_type}
    # the same ids, in the same order, as the list code gives
    index = lists.get_index()
    state = lists.parse_state(record_type, QueryDict(urlencode(params, doseq=True)), index)
    result = lists.run_list(state, 1, index)
    assert [int(r["id"]) for r in rows] == result.ids == lists.matching_ids(state, index)
    data = download_json(client, f"/{record_type}s/download.json", params)
    assert data["meta"]["record_count"] == total == len(data["records"])
    assert [r["slug"] for r in data["records"]] == slugs
    assert data["meta"]["sort"] == state.sort and data["meta"]["record_type"] == record_type
    filters = {
        META_NAMES.get(k, k): v
        if k in ("q", "from", "to", "year_from", "year_to")
        else list(v)
        if isinstance(v, list)
        else [v]
        for k, v in params.items()
        if k not in ("sort", "page")
    }
    assert data["meta"]["filters"] == filters


def test_json_entries_are_records_json_entries_and_carry_the_licence(client, db):
    whole = json.loads(b"".join(client.get("/api/v3/records.json").streaming_content))
    by_id = {r["id"]: r for r in whole["records"]}
    data = download_json(client, "/hazards/download.json", {"sort": "severity"})
    assert data["records"] and all(r == by_id[r["id"]] for r in data["records"])
    assert (
        data["meta"]["licence"]["name"] == "CC BY 4.0" and data["meta"]["licence"]["url"] == bulk.LICENCE_URL
    )
    assert data["meta"]["licence"]["notice"].endswith("/api/v3/bulk/LICENCE.txt")
    assert data["meta"]["schema_version"] == whole["meta"]["schema_version"]


@pytest.mark.parametrize("path", ["/incidents/download.csv", "/fr/hazards/download.json"])
def test_headers_licence_and_file_name(client, db, path):
    response = client.get(path)
    assert f'<{bulk.LICENCE_URL}>; rel="license"' in response["Link"]
    name = path.rsplit("/", 2)[-2] + "." + path.rsplit(".", 1)[-1]
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    assert response["Access-Control-Allow-Origin"] == "*"


def test_csv_rows_equal_the_bulk_file_rows(client, db):
    bulk_rows = {r["id"]: r for r in csv.DictReader(io.StringIO(streamed(client.get("/api/v3/bulk/records.csv")),
                                                                 newline=""))}  # fmt: skip
    rows = download_csv(client, "/incidents/download.csv", {"severity": "significant"})
    assert rows and all(r == bulk_rows[r["id"]] for r in rows)


def test_drafts_and_withdrawn_records_are_never_downloaded(client, editor, reviewer, entities, clock):
    factories.draft(editor, "incident", factories.incident_data(title_en="Unpublished zebra"), clock)
    kept = factories.published_incident(editor, reviewer, clock, title_en="Published okapi")
    gone = factories.published_incident(editor, reviewer, clock, title_en="Withdrawn walrus")
    actions.withdraw_record(gone, actor=reviewer, reason_en="Duplicate.", reason_fr="Doublon.")
    for params in ({}, {"q": "okapi"}, {"entity": "t-acme-ai"}):
        text = json.dumps(download_csv(client, "/incidents/download.csv", params))
        assert "okapi" in text and "zebra" not in text and "walrus" not in text
        records = download_json(client, "/incidents/download.json", params)["records"]
        assert kept.pk in {r["id"] for r in records} and gone.pk not in {r["id"] for r in records}
    for word in ("zebra", "walrus"):
        assert download_csv(client, "/incidents/download.csv", {"q": word}) == []
        assert download_json(client, "/incidents/download.json", {"q": word})["meta"]["record_count"] == 0


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"domain": "moon"}, "is not a valid value for the filter “domain”"),
        ({"entity": "nobody-at-all"}, "No entity “nobody-at-all” appears"),
        ({"year_from": "2024", "year_to": "2020"}, "is after"),
        ({"sort": "relevance"}, "is not a way to sort"),
    ],
)
def test_a_bad_filter_is_the_lists_400(client, db, params, message):
    listed = client.get("/incidents/", params)
    assert listed.status_code == 400 and message in listed.content.decode()
    for fmt in ("csv", "json"):
        response = client.get(f"/incidents/download.{fmt}", params)
        assert response.status_code == 400 and message in response.content.decode()
    french = client.get("/fr/incidents/download.csv", params)
    assert french.status_code == 400 and '<html lang="fr">' in french.content.decode()


def test_the_list_links_its_downloads_with_its_filters(client, db):
    page = client.get(
        "/incidents/", {"severity": "significant", "page": "1", "sort": "severity"}, follow=True
    ).content.decode()
    total = re.search(r'<p class="result-count">(\d+) ', page).group(1)
    assert f"Download these {total} records:" in page
    assert 'href="/incidents/download.csv?severity=significant&amp;sort=severity"' in page
    assert 'href="/incidents/download.json?severity=significant&amp;sort=severity"' in page
    french = client.get("/fr/hazards/").content.decode()
    assert "Télécharger ces" in french and 'href="/fr/hazards/download.csv"' in french
    empty = client.get("/incidents/", {"q": "qwxzv"}).content.decode()
    assert "download.csv" not in empty  # nothing to download


def test_download_addresses_are_not_record_addresses(db):
    for lang, prefix in (("en", ""), ("fr", "/fr")):
        with translation.override(lang):
            for path in ("/incidents/download.csv", "/hazards/download.json"):
                assert resolve(prefix + path).func is downloads.download
            assert resolve(f"{prefix}/incidents/download/").url_name == "incident_detail"
