"""The statistics page (SPEC §4): each chart as inline SVG beside its data table, and each chart's data as CSV.

The page and the CSV files are built from the same `queries` result, so the numbers of a table and of its CSV
are the same. The page issues one query per chart plus one for the hazard watch list, whatever the number of
records; a CSV file issues one.

Every bar that counts records of a list links to that list with the filter it counts (a domain's incidents:
`/incidents/?domain=…`), so the list shows as many records as the bar says (tested for every bar). "Records over
time" (over_time.py) counts the records of any filter of the lists: the page takes the lists' query string.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from babel.numbers import format_decimal
from django.core.cache import caches
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from caim.i18n import page_language
from caim.records.bilingual import record_links
from caim.records.models import PublicState
from caim.site import lists
from caim.stats import charts, over_time, queries
from caim.stats.queries import NO_VALUE, Matrix, Table


@dataclass(frozen=True)
class Chart:
    slug: str  # URL of its CSV: /stats/<slug>.csv
    title: Promise
    note: Promise
    build: Callable[[str], Table | Matrix]
    plot: tuple[str, ...] = ("incidents", "hazards")  # columns drawn as (stacked) bars
    total: str = "total"  # column written after each bar
    maximum: float | None = None
    # The list filter a row's key is a value of ("year": the year range), so that each bar links to the list it
    # counts; None: the bars count no list (a share, pairs of values).
    param: str | None = None


SEVERAL = gettext_lazy(
    "A record can carry several values, so the counts add up to more than the number of records."
)
CHARTS = (
    Chart("domain", gettext_lazy("Records by domain"), SEVERAL, queries.records_by_domain, param="domain"),
    Chart(
        "severity",
        gettext_lazy("Records by severity"),
        gettext_lazy(
            "Severity of the worst well-supported harm: harm that occurred (incidents) or that could "
            "realistically occur (hazards)."
        ),
        queries.records_by_severity,
        param="severity",
    ),
    Chart(
        "harm-type",
        gettext_lazy("Records by harm type"),
        SEVERAL,
        queries.records_by_harm_type,
        param="harm_type",
    ),
    Chart(
        "year",
        gettext_lazy("Records by year"),
        gettext_lazy("Year in which the incident occurred or the hazard was identified."),
        queries.records_by_year,
        param="year",
    ),
    Chart(
        "verification",
        gettext_lazy("Incidents by verification level"),
        gettext_lazy("How well the facts of each incident are established by its sources."),
        queries.incidents_by_verification,
        plot=("incidents",),
        total="incidents",
        param="verification",
    ),
    Chart(
        "response-coverage",
        gettext_lazy("Response coverage"),
        gettext_lazy(
            "Share of records with at least one documented response: an investigation, a ruling, a policy "
            "change, a statement…"
        ),
        queries.response_coverage,
        plot=("share_percent",),
        total="share_percent",
        maximum=100.0,
    ),
    Chart(
        "hazard-status",
        gettext_lazy("Hazards by status"),
        gettext_lazy("Where each hazard stands now, as last assessed by the editors."),
        queries.hazards_by_status,
        plot=("hazards",),
        total="hazards",
        param="hazard_status",
    ),
    Chart(
        "co-occurrence",
        gettext_lazy("Harm types and AI pathways"),
        gettext_lazy(
            "Number of records that carry both the harm type (row) and the AI pathway (column). A record with "
            "several harm types and pathways counts in each of their pairs."
        ),
        queries.harm_pathway_cooccurrence,
    ),
)
CHARTS_BY_SLUG = {chart.slug: chart for chart in CHARTS}


def format_number(value: float, lang: str, *, percent: bool = False) -> str:
    """A count or a percentage as the page shows it: "1,234" / "1 234", "42.9%" / "42,9 %"."""
    locale = "fr_CA" if lang == "fr" else "en_CA"
    if percent:
        return format_decimal(value, format="#,##0.0", locale=locale) + ("\u00a0%" if lang == "fr" else "%")
    return format_decimal(value, locale=locale)


# The list each count column counts.
COLUMN_LISTS = {"incidents": "incident", "hazards": "hazard"}


def list_url(record_type: str, params: QueryDict | dict) -> str:
    """The address of the incident or hazard list (in the page language) with these filters."""
    query = params.urlencode() if isinstance(params, QueryDict) else urlencode(params)
    return reverse(f"{record_type}_list") + (f"?{query}" if query else "")


def row_filter(param: str, key: str) -> dict[str, str]:
    """The list filter of a chart row: a value of a filter, or a year as a year range."""
    return {"from": key, "to": key} if param == "year" else {param: key}


def chart_links(chart: Chart, filters: QueryDict | None = None) -> Callable[[str, str], str | None]:
    """(row key, column name) -> the list that bar segment counts, or None (a row without a value, a share)."""

    def link(key: str, column: str) -> str | None:
        if chart.param is None or key == NO_VALUE or column not in COLUMN_LISTS:
            return None
        params = filters.copy() if filters is not None else QueryDict(mutable=True)
        for name, value in row_filter(chart.param, key).items():
            params[name] = value
        return list_url(COLUMN_LISTS[column], params)

    return link


def _table_section(
    chart: Chart, table: Table, lang: str, link: Callable[[str, str], str | None] | None = None
) -> dict:
    names = [column.name for column in table.columns]
    shown = [
        (
            key,
            label,
            [format_number(v, lang, percent=c.percent) for v, c in zip(values, table.columns, strict=True)],
        )
        for key, label, values in table.rows
    ]
    plotted = [names.index(name) for name in chart.plot]
    link = link or chart_links(chart)
    series = [table.columns[i].label for i in plotted]

    def links(key: str, label: str, texts: list[str]) -> tuple[tuple[str, str] | None, ...]:
        out = []
        for position, i in enumerate(plotted):
            href = link(key, names[i])
            what = f"{label}, {series[position]}: {texts[i]}" if len(plotted) > 1 else f"{label}: {texts[i]}"
            out.append((href, _("%(bar)s (show these records)") % {"bar": what}) if href else None)
        return tuple(out)

    bars = [
        charts.Bar(
            label=label,
            values=tuple(float(values[i]) for i in plotted),
            texts=tuple(texts[i] for i in plotted),
            total=texts[names.index(chart.total)],
            links=links(key, label, texts),
        )
        for (key, label, values), (_k, _l, texts) in zip(table.rows, shown, strict=True)
    ]
    svg = charts.bar_chart(
        ident=f"chart-{chart.slug}",
        title=str(chart.title),
        description=str(chart.note),
        bars=bars,
        series=series,
        maximum=chart.maximum,
    )
    return {
        "head": [table.key_label, *(column.label for column in table.columns)],
        "body": [(label, texts) for _key, label, texts in shown],
        "svg": svg,
    }


def _matrix_section(chart: Chart, matrix: Matrix, lang: str) -> dict:
    texts = [[format_number(n, lang) for n in row] for row in matrix.cells]
    svg = charts.heat_map(
        ident=f"chart-{chart.slug}",
        title=str(chart.title),
        description=str(chart.note),
        row_labels=[label for _key, label in matrix.rows],
        column_labels=[label for _key, label in matrix.columns],
        cells=matrix.cells,
        texts=texts,
    )
    return {
        "head": [matrix.row_label, *(label for _key, label in matrix.columns)],
        "body": [(label, texts[i]) for i, (_key, label) in enumerate(matrix.rows)],
        "svg": svg,
        "wide": True,
    }


STATS_CACHE_SECONDS = 24 * 3600


def chart_data(chart: Chart, lang: str, token: str | None = None):
    """A chart's numbers, computed once per state of the public layer (its token is in the cache key)."""
    key = f"caim:stats:{token if token is not None else PublicState.current()}:{chart.slug}:{lang}"
    return caches["local"].get_or_set(key, lambda: chart.build(lang), STATS_CACHE_SECONDS)


OVER_TIME = "over-time"
OVER_TIME_TITLE = gettext_lazy("Records over time")


def _over_time_chart(found: over_time.OverTime) -> Chart:
    plot = {"incident": ("incidents",), "hazard": ("hazards",)}.get(
        found.record_type, ("incidents", "hazards")
    )
    note = (
        gettext_lazy("Records by the month in which the incident occurred or the hazard was identified.")
        if found.monthly
        else gettext_lazy("Records by the year in which the incident occurred or the hazard was identified.")
    )
    return Chart(
        OVER_TIME,
        OVER_TIME_TITLE,
        note,
        lambda _lang: found.table,
        plot=plot,
        total=plot[0] if len(plot) == 1 else "total",
        param=None if found.monthly else "year",  # the lists filter by year, not by month
    )


def _over_time_section(found: over_time.OverTime, lang: str) -> dict:
    chart = _over_time_chart(found)
    section = _table_section(chart, found.table, lang, chart_links(chart, found.filters))
    types = (found.record_type,) if found.record_type else over_time.RECORD_TYPES
    query = found.filters.copy()
    if found.record_type:
        query[over_time.TYPE_PARAM] = found.record_type
    section.update(
        slug=OVER_TIME,
        title=chart.title,
        note=chart.note,
        csv_url=reverse("stats_csv", kwargs={"chart": OVER_TIME})
        + (f"?{query.urlencode()}" if query else ""),
        # the lists these records are those of, when the page was given filters
        lists=[
            (_("Incidents") if t == "incident" else _("Hazards"), list_url(t, found.filters)) for t in types
        ]
        if query
        else [],
    )
    return section


def _bad_filter(request, message: str):
    return render(
        request,
        "site/bad_filter.html",
        {"message": message, "back_url": reverse("stats"), "back_label": _("All statistics")},
        status=400,
    )


@require_safe
def stats(request):
    lang = page_language()
    index = lists.get_index()
    try:
        state, filters = over_time.parse(request.GET, index)
    except lists.BadFilter as exc:
        return _bad_filter(request, str(exc))
    sections = [_over_time_section(over_time.records_over_time(state, filters, index, lang), lang)]
    coverage = None
    token = PublicState.current()
    for chart in CHARTS:
        data = chart_data(chart, lang, token)
        if chart.build is queries.response_coverage:
            coverage = data
        section = (
            _matrix_section(chart, data, lang)
            if isinstance(data, Matrix)
            else _table_section(chart, data, lang)
        )
        section.update(
            slug=chart.slug,
            title=chart.title,
            note=chart.note,
            csv_url=reverse("stats_csv", kwargs={"chart": chart.slug}),
        )
        sections.append(section)
    totals = coverage.column("records") if coverage else {}
    watch = record_links(queries.hazard_watch(), lang)
    return render(
        request,
        "stats/stats.html",
        {
            "sections": sections,
            "watch": watch,
            "incident_count": totals.get("incident", 0),
            "hazard_count": totals.get("hazard", 0),
        },
    )


def _csv_value(value: object) -> object:
    return f"{value:.1f}" if isinstance(value, float) else value


@require_safe
def stats_csv(request, chart: str):
    lang = page_language()
    if chart == OVER_TIME:  # for the filters given, as the page
        index = lists.get_index()
        try:
            state, filters = over_time.parse(request.GET, index)
        except lists.BadFilter as exc:
            return _bad_filter(request, str(exc))
        return _csv_response(OVER_TIME, lang, over_time.records_over_time(state, filters, index, lang).table)
    spec = CHARTS_BY_SLUG.get(chart)
    if spec is None:
        raise Http404
    return _csv_response(spec.slug, lang, chart_data(spec, lang))


def _csv_response(slug: str, lang: str, data: Table | Matrix) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="caim-stats-{slug}-{lang}.csv"'
    writer = csv.writer(response)
    if isinstance(data, Matrix):
        writer.writerow(
            [
                data.row_name,
                f"{data.row_name}_label",
                data.column_name,
                f"{data.column_name}_label",
                "records",
            ]
        )
        writer.writerows(data.pairs())
    else:
        writer.writerow([data.key_name, "label", *(column.name for column in data.columns)])
        for key, label, values in data.rows:
            writer.writerow([key, label, *(_csv_value(v) for v in values)])
    return response
