"""The type and date line of a record in every list (RecordLink.meta_html), and the record page's own
publication dates (SPEC §4, §1.6): what a reader sees, in English and in French, at a constant query count."""

from __future__ import annotations

import importlib
import re
from datetime import date

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from caim.records import actions
from caim.records.formatting import iso_at, period_html
from caim.records.models import PublicRecord
from tests import factories

META = re.compile(
    r'<span class="record-meta"><span class="record-type">([^<]+)</span> · (.*?)</span>\n?', re.S
)


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def meta_of(html: str, slug: str) -> tuple[str, str]:
    """(type label, date markup) of the line that follows the link to the record `slug`."""
    after = html.split(f"/{slug}/", 1)[1]
    found = META.search(after)
    assert found, after[:400]
    return found.group(1), found.group(2)


# -- formatting ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("precision", "iso", "en", "fr"),
    [
        ("day", "2025-07-16", "July 16, 2025", "16 juillet 2025"),
        ("month", "2025-07", "July 2025", "juillet 2025"),
        ("year", "2025", "2025", "2025"),
        ("approximate", "2025-07-16", "July 16, 2025 (approximate)", "16 juillet 2025 (approximatif)"),
    ],
)
def test_a_date_at_its_precision_in_a_time_element(precision, iso, en, fr):
    assert iso_at(date(2025, 7, 16), precision) == iso
    assert (
        period_html(date(2025, 7, 16), precision, None, None, "en") == f'<time datetime="{iso}">{en}</time>'
    )
    assert period_html("2025-07-16", precision, None, None, "fr") == f'<time datetime="{iso}">{fr}</time>'


def test_a_period_has_two_time_elements_and_the_words_of_the_page_language():
    assert period_html("2024-02-01", "month", "2025-12-31", "day", "en") == (
        '<time datetime="2024-02">February 2024</time> to <time datetime="2025-12-31">December 31, 2025</time>'
    )
    assert period_html("2024-02-01", "month", "2025-12-01", "month", "fr") == (
        'de <time datetime="2024-02">février 2024</time> à <time datetime="2025-12">décembre 2025</time>'
    )


# -- the public rows ----------------------------------------------------------------------------------------
def test_public_rows_keep_the_event_precision_and_end(editor, reviewer, entities, clock):
    ranged = factories.published_incident(
        editor, reviewer, clock, occurred_end="2025-03-01", occurred_end_precision="month"
    )
    hazard = factories.published_hazard(editor, reviewer, clock)
    undated = factories.published_hazard(editor, reviewer, clock, identified=None)
    rows = {p.pk: p for p in PublicRecord.objects.filter(pk__in=[ranged.pk, hazard.pk, undated.pk])}
    assert (
        rows[ranged.pk].event_precision,
        rows[ranged.pk].event_end,
        rows[ranged.pk].event_end_precision,
    ) == (
        "month",
        date(2025, 3, 1),
        "month",
    )
    assert (rows[hazard.pk].event_date, rows[hazard.pk].event_precision) == (date(2024, 1, 1), "year")
    assert rows[undated.pk].event_date is None


def test_the_migration_fills_the_columns_from_the_documents(editor, reviewer, entities, clock):
    ranged = factories.published_incident(
        editor, reviewer, clock, occurred_end="2025-03-01", occurred_end_precision="month"
    )
    hazard = factories.published_hazard(editor, reviewer, clock)
    PublicRecord.objects.update(event_precision="day", event_end=None, event_end_precision="day")
    migration = importlib.import_module("caim.records.migrations.0012_public_event_precision")
    migration.fill_from_documents(apps, None)
    assert PublicRecord.objects.filter(pk=ranged.pk).values_list(
        "event_precision", "event_end", "event_end_precision"
    ).get() == ("month", date(2025, 3, 1), "month")
    assert PublicRecord.objects.get(pk=hazard.pk).event_precision == "year"


# -- every list of records ----------------------------------------------------------------------------------
@pytest.fixture
def dated(editor, reviewer, entities, clock):
    """An incident over a period, a hazard identified in a year, and a hazard without a date."""
    hazard = factories.published_hazard(editor, reviewer, clock, hazard_status="escalating")
    incident = factories.published_incident(
        editor, reviewer, clock, hazard=hazard, occurred_end="2025-03-01", occurred_end_precision="month"
    )
    undated = factories.published_hazard(editor, reviewer, clock, identified=None, hazard_status="escalating")
    return incident, hazard, undated


INCIDENT_EN = '<time datetime="2024-11">November 2024</time> to <time datetime="2025-03">March 2025</time>'
INCIDENT_FR = 'de <time datetime="2024-11">novembre 2024</time> à <time datetime="2025-03">mars 2025</time>'
PUBLISHED_EN = 'Published <time datetime="2026-03-02">March 2, 2026</time>'
PUBLISHED_FR = 'Publié le <time datetime="2026-03-02">2 mars 2026</time>'


def _check(html: str, incident, hazard, undated, prefix: str) -> None:
    fr = prefix == "/fr"
    if incident is not None:
        assert meta_of(html, incident.slug) == ("Incident", INCIDENT_FR if fr else INCIDENT_EN)
    if hazard is not None:
        assert meta_of(html, hazard.slug) == (
            "Danger" if fr else "Hazard",
            '<time datetime="2024">2024</time>',
        )
    if undated is not None:
        assert meta_of(html, undated.slug) == (
            "Danger" if fr else "Hazard",
            PUBLISHED_FR if fr else PUBLISHED_EN,
        )


@pytest.mark.parametrize("prefix", ["", "/fr"])
def test_lists_show_type_and_date(client, dated, prefix):
    incident, hazard, undated = dated
    _check(page(client, f"{prefix}/incidents/?entity=t-acme-ai"), incident, None, None, prefix)
    _check(page(client, f"{prefix}/hazards/?q=assistants"), None, hazard, undated, prefix)
    # every row of a whole list has its line
    html = page(client, f"{prefix}/incidents/")
    assert html.count('<li class="record-item">') == len(META.findall(html)) > 0


@pytest.mark.parametrize("prefix", ["", "/fr"])
def test_search_home_entity_stats_and_record_pages_show_type_and_date(client, dated, prefix):
    incident, hazard, undated = dated
    _check(page(client, f"{prefix}/search/?q=assistants"), None, hazard, undated, prefix)
    home = page(client, f"{prefix}/")
    _check(home.split('id="h-latest"', 1)[1], incident, hazard, undated, prefix)
    _check(home.split('id="h-watch"', 1)[1], None, hazard, undated, prefix)
    _check(page(client, f"{prefix}/entities/t-acme-ai/"), incident, None, None, prefix)
    _check(page(client, f"{prefix}/stats/").split('id="h-hazard-watch"', 1)[1], None, hazard, undated, prefix)
    # a record's linked records (Materialized From / Materialized Incidents)
    _check(page(client, f"{prefix}/incidents/{incident.slug}/").split('id="h-linked"', 1)[1], None, hazard, None,
           prefix)  # fmt: skip


def test_user_text_in_the_line_is_escaped(client, editor, reviewer, entities, clock):
    factories.published_incident(editor, reviewer, clock, title_en="<b>Bold</b> title")
    html = page(client, "/incidents/?q=Bold")
    assert "&lt;b&gt;Bold&lt;/b&gt;" in html and "<b>Bold</b>" not in html


def _queries(client, url: str) -> int:
    client.get(url)  # the first request after a publication brings the list index up to date
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_line_costs_no_query(client, editor, reviewer, entities, clock):
    factories.published_hazard(editor, reviewer, clock, hazard_status="escalating")
    factories.published_incident(editor, reviewer, clock)
    urls = ["/", "/search/?q=assistants", "/entities/t-acme-ai/", "/stats/", "/incidents/", "/hazards/"]
    before = [_queries(client, url) for url in urls]
    for _ in range(3):
        factories.published_incident(editor, reviewer, clock)
        factories.published_hazard(editor, reviewer, clock, hazard_status="escalating", identified=None)
    assert [_queries(client, url) for url in urls] == before


# -- the record page's own dates ----------------------------------------------------------------------------
def dates_of(html: str) -> dict[str, str]:
    block = html.split('<dl class="dates">', 1)[1].split("</dl>", 1)[0]
    return dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", block))


def test_record_page_first_published_and_last_updated(client, editor, reviewer, entities, clock):
    record = factories.published_incident(editor, reviewer, clock)
    first = dates_of(page(client, f"/incidents/{record.slug}/"))
    assert first["First published"] == "March 2, 2026" and "Last updated" not in first
    clock.advance(days=40)
    record.refresh_from_db()
    data = factories.incident_data(summary_en=factories.INCIDENT["summary_en"] + " More.")
    actions.update_record(
        record, actor=editor, expected_lock_version=record.lock_version, data=data, clock=clock
    )
    actions.publish_record(record, actor=reviewer, changelog_en="More.", changelog_fr="Plus.", clock=clock)
    current = dates_of(page(client, f"/incidents/{record.slug}/"))
    assert current["First published"] == "March 2, 2026"
    assert current["Last updated"] == "April 11, 2026"
    fr = dates_of(page(client, f"/fr/incidents/{record.slug}/"))
    assert fr["Première publication"] == "2 mars 2026" and fr["Dernière mise à jour"] == "11 avril 2026"
    # an earlier version's page: when that version was published, never "last updated"
    assert "This version published" not in current
    old = dates_of(page(client, f"/incidents/{record.slug}/v/1/"))
    assert old["First published"] == "March 2, 2026"
    assert "Last updated" not in old and "This version published" not in old  # v1 is the first publication
    clock.advance(days=1)
    record.refresh_from_db()
    actions.update_record(record, actor=editor, expected_lock_version=record.lock_version, data=data | {
        "summary_en": data["summary_en"] + " Again."}, clock=clock)  # fmt: skip
    actions.publish_record(record, actor=reviewer, changelog_en="Again.", changelog_fr="Encore.", clock=clock)
    second = dates_of(page(client, f"/incidents/{record.slug}/v/2/"))
    assert second["This version published"] == "April 11, 2026" and "Last updated" not in second
    assert (
        dates_of(page(client, f"/fr/incidents/{record.slug}/v/2/"))["Publication de cette version"]
        == "11 avril 2026"
    )
    assert dates_of(page(client, f"/incidents/{record.slug}/"))["Last updated"] == "April 12, 2026"
