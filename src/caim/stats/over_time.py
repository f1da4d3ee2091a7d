"""Records over time for any filter of the incident and hazard lists (SPEC §4, statistics).

The statistics page takes the lists' own query string: the filters are parsed and applied by the lists' code
(`caim.site.lists.parse_state` and `matching_ids`, on the in-memory list index), never re-implemented, so that a
year's bar counts exactly the records the list shows for those filters and that year. This module is therefore
part of the pages, like stats/views.py, not of the page-free `queries`: it is the one place where the statistics
read the site's list index (docs/decisions.md).

Records are counted by the year of their event date (incident occurred, hazard identified), and by month when
the dated records span at most `MONTHLY_YEARS` years; records without an event date have a row of their own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from babel.dates import format_date
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import override

from caim.site import lists
from caim.site.listindex import ListIndex
from caim.stats.queries import NO_VALUE, Column, Table

MONTHLY_YEARS = 3  # a span of at most this many years is counted by month
TYPE_PARAM = "type"  # the list the filters are those of: "incident", "hazard", or both when absent
RECORD_TYPES = ("incident", "hazard")
# Parameters of a list's query string that do not change which records it holds.
NOT_FILTERS = ("page", "sort", TYPE_PARAM)


@dataclass(frozen=True)
class OverTime:
    table: Table
    monthly: bool
    record_type: str  # "" for both lists
    filters: QueryDict  # the list's filters, as given (without page, sort and type)


def parse(params: QueryDict, index: ListIndex) -> tuple[lists.ListState, QueryDict]:
    """The list state of the statistics page's query string, and its filters alone; BadFilter when unusable."""
    record_type = (params.get(TYPE_PARAM) or "").strip()
    if record_type and record_type not in RECORD_TYPES:
        raise lists.BadFilter(
            _("“%(value)s” is not a record type. Use one of: %(known)s.")
            % {"value": record_type, "known": ", ".join(RECORD_TYPES)}
        )
    state = lists.parse_state(record_type, params, index)
    state.sort = "occurred"  # the order is irrelevant to a count: no ranking query
    filters = params.copy()
    for name in NOT_FILTERS:
        filters.pop(name, None)
    return state, filters


def records_over_time(state: lists.ListState, filters: QueryDict, index: ListIndex, lang: str) -> OverTime:
    """The records the list shows for `state`, per year (or month) of their event date, split by type."""
    positions = index.positions_of(lists.matching_ids(state, index))
    types = index.fields["record_type"]
    is_incident = types.codes[positions] == types.code("incident")
    all_years = index.years[positions]  # the year the lists filter on
    dated = all_years > 0
    years = all_years[dated].astype(np.int64)
    monthly = bool(len(years)) and int(years.max() - years.min()) < MONTHLY_YEARS
    if monthly:  # the event dates are whole days in seconds, rounded against the database's float arithmetic
        days = np.round(index.keys["event"][positions][dated] / 86400).astype(np.int64)
        periods = (
            days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
        )  # months since 1970-01
    else:
        periods = years
    counts: dict[tuple[int, bool], int] = {}
    for period, incident in zip(periods.tolist(), is_incident[dated].tolist(), strict=True):
        counts[(period, incident)] = counts.get((period, incident), 0) + 1
    rows = []
    if len(periods):
        for period in range(int(periods.min()), int(periods.max()) + 1):
            key, label = _period(period, monthly, lang)
            incidents, hazards = counts.get((period, True), 0), counts.get((period, False), 0)
            rows.append((key, label, (incidents, hazards, incidents + hazards)))
    undated = int(np.count_nonzero(~dated))
    if undated:
        incidents = int(np.count_nonzero(~dated & is_incident))
        with override(lang):
            rows.append((NO_VALUE, _("No date"), (incidents, undated - incidents, undated)))
    with override(lang):
        table = Table(
            key_name="month" if monthly else "year",
            key_label=_("Month") if monthly else _("Year"),
            columns=(
                Column("incidents", _("Incidents")),
                Column("hazards", _("Hazards")),
                Column("total", _("Total")),
            ),
            rows=tuple(rows),
        )
    return OverTime(table, monthly, state.record_type, filters)


def _period(period: int, monthly: bool, lang: str) -> tuple[str, str]:
    """(key, label) of a year, or of a month counted from January 1970."""
    if not monthly:
        return str(period), str(period)
    year, month = 1970 + period // 12, period % 12 + 1
    label = format_date(
        np.datetime64(f"{year:04d}-{month:02d}-01").astype(object),
        format="LLLL y",
        locale="fr_CA" if lang == "fr" else "en_CA",
    )
    return f"{year:04d}-{month:02d}", label
