"""The incident and hazard lists, declared: which filters exist, how each narrows the public records, and how
its facet counts are computed (SPEC §4).

A filter state is a query string, so every state has a shareable URL. A facet may hold several values, given by
repeating its parameter (`?domain=policing&domain=health`): a record matches a facet when it has any of them (OR
within a facet), and the list shows the records matching every facet (AND across facets). The count beside a
value is computed over the records matching every *other* facet's filter: the number of records the list shows
when that value is the facet's only one.

`from` and `to` bound the event date (occurred for incidents, identified for hazards), each written `YYYY`,
`YYYY-MM` or `YYYY-MM-DD`; `year_from` and `year_to` (the older parameters, in shared URLs) are their aliases.

Filtering and counting run on the in-memory ListIndex (listindex.py); only the words of a query go to the
search backend, and only the records of the page are read from the database.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from django.db import connection
from django.http import QueryDict
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from caim.i18n import page_language
from caim.params import parse_int
from caim.records.bilingual import name_in
from caim.records.fields import facets
from caim.records.lint import fold
from caim.search.backends import get_backend
from caim.search.text import Query, parse_query
from caim.site.listindex import ListIndex, get_index
from caim.taxonomy.loader import get_taxonomy

PAGE_SIZE = 25
RELEVANCE_LIMIT = 2000
TOP_NAMED = 15  # entities and systems offered in their facet
FOUND_NAMED = 50  # entities or systems offered when the reader types part of a name
FIND = {"entity": "entity_q", "system": "system_q"}  # the text that looks for names in a named facet
MAX_VALUES = 50  # values of one facet in one query string
YEAR_MIN, YEAR_MAX = 1950, 2100
DEFAULT_SORT = "occurred"


@dataclass(frozen=True)
class Facet:
    param: str  # query-string name
    vocabulary: str  # taxonomy vocabulary of its values ("" for entity/system/french)
    kind: str  # field | tag | named | french
    types: tuple[str, ...] = ("incident", "hazard")  # lists where the facet exists


# The declared filters (records/fields.py): single-valued fields, then taxonomy tags; then entities, AI systems
# and the French version, which are links and a language rather than fields.
FACETS = (
    *(Facet(f.name, f.vocabulary, "field", f.types) for f in facets("field")),
    *(Facet(f.vocabulary, f.vocabulary, "tag", f.types) for f in facets("tag")),
    Facet("entity", "", "named"),
    Facet("system", "", "named"),
    Facet("fr", "", "french"),
)

SORTS = {
    "occurred": gettext_lazy("Newest event"),
    "published": gettext_lazy("Newest published"),
    "severity": gettext_lazy("Most severe"),
    "relevance": gettext_lazy("Best match"),
}
# The date bounds, and the older year-only parameters each one stands for.
DATE_PARAMS = {"from": "year_from", "to": "year_to"}
LIST_COLUMNS = ("slug", "record_type", "title_en", "title_fr", "summary_en", "summary_fr", "severity",
                "verification", "contested", "hazard_status", "confidence", "occurred", "occurred_precision",
                "event_date", "first_published_at", "severity_rank")  # fmt: skip


class BadFilter(ValueError):
    """A query-string value the list cannot use; the message names the parameter and says what is allowed."""


@dataclass(frozen=True)
class Bound:
    """A date bound as written (`2024`, `2024-03`, `2024-03-15`), and the first and last day of that period."""

    text: str
    first: date
    last: date


BOUND = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def parse_bound(raw: str) -> Bound | None:
    """The period `raw` names (a year, a month or a day between YEAR_MIN and YEAR_MAX), or None."""
    match = BOUND.fullmatch(raw) if raw.isascii() else None
    if not match:
        return None
    year, month, day = (int(part) if part else None for part in match.groups())
    if not YEAR_MIN <= year <= YEAR_MAX:
        return None
    try:
        if month is None:
            return Bound(raw, date(year, 1, 1), date(year, 12, 31))
        if day is None:
            return Bound(raw, date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))
        return Bound(raw, date(year, month, day), date(year, month, day))
    except ValueError:  # month 13, 30 February
        return None


@dataclass
class ListState:
    record_type: str
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)  # facet param -> its chosen values
    date_from: Bound | None = None
    date_to: Bound | None = None
    q: str = ""
    query: Query = field(default_factory=lambda: Query(()))
    sort: str = DEFAULT_SORT
    finding: dict[str, str] = field(default_factory=dict)  # named facet param -> part of a name typed

    def facets(self) -> list[Facet]:
        """The filters of this list (every filter when the list holds both record types, as the API's)."""
        return [f for f in FACETS if not self.record_type or self.record_type in f.types]

    def default_sort(self) -> str:
        return "relevance" if self.query else DEFAULT_SORT

    def params(self, **changes) -> list[tuple[str, str]]:
        """The state as query-string pairs, in the canonical order (words, facets in declared order, dates,
        sort), without defaults. `changes` replace a parameter's values (a tuple, or None to drop it)."""
        pairs: list[tuple[str, str]] = []
        q = changes.get("q", self.q) or ""
        if q:
            pairs.append(("q", q))
        for facet in self.facets():
            chosen = changes[facet.param] if facet.param in changes else self.values.get(facet.param)
            pairs += [(facet.param, value) for value in chosen or ()]
            if facet.param in self.finding:
                pairs.append((FIND[facet.param], self.finding[facet.param]))
        for name, bound in (("from", self.date_from), ("to", self.date_to)):
            text = changes.get(name, bound.text if bound else "")
            if text:
                pairs.append((name, text))
        sort = changes.get("sort", self.sort)
        if sort and sort != ("relevance" if q else DEFAULT_SORT) and (q or sort != "relevance"):
            pairs.append(("sort", sort))
        return pairs

    def url(self, page: int = 1, **changes) -> str:
        """The canonical query string of this state (with `changes`) at `page`: "?" when it has none."""
        pairs = self.params(**changes)
        if page > 1:
            pairs.append(("page", str(page)))
        return "?" + urlencode(pairs) if pairs else "?"

    def without(self, param: str, value: str) -> str:
        """The query string of this state with one value of a facet taken out."""
        return self.url(**{param: tuple(v for v in self.values.get(param, ()) if v != value)})


@dataclass
class ListResult:
    total: int
    ids: list[int]  # the page's record ids, in display order
    counts: dict[str, list[tuple[str, str, int]]]  # facet param (and "year") -> (value, label, count)


def _values(params: QueryDict, name: str) -> list[str]:
    """The non-empty values of a repeated parameter, each once, in the order given."""
    return list(dict.fromkeys(v.strip() for v in params.getlist(name) if v and v.strip()))


def _facet_value(facet: Facet, value: str, index: ListIndex) -> None:
    tax = get_taxonomy()
    if facet.kind in ("field", "tag") and value not in tax[facet.vocabulary]:
        raise BadFilter(
            _("“%(value)s” is not a valid value for the filter “%(param)s”. Valid values: %(known)s.")
            % {"value": value, "param": facet.param, "known": ", ".join(tax[facet.vocabulary].slugs())}
        )
    if facet.param == "entity" and value not in index.slugs["entity"]:
        raise BadFilter(_("No entity “%(value)s” appears in a published record.") % {"value": value})
    if facet.param == "system" and value not in index.slugs["system"]:
        raise BadFilter(_("No AI system “%(value)s” appears in a published record.") % {"value": value})
    if facet.kind == "french" and value != "1":
        raise BadFilter(_("The filter “fr” only takes the value 1 (records with a French version)."))


def _bound(params: QueryDict, name: str) -> Bound | None:
    """`from` or `to`, or its older year-only alias (`year_from`, `year_to`): never both."""
    alias = DATE_PARAMS[name]
    raw, old = (params.get(name) or "").strip(), (params.get(alias) or "").strip()
    if raw and old:
        raise BadFilter(_("Give “%(param)s” or “%(alias)s”, not both.") % {"param": name, "alias": alias})
    if old:
        if parse_int(old, low=YEAR_MIN, high=YEAR_MAX) is None:
            raise BadFilter(
                _("“%(param)s” must be a year between %(min)s and %(max)s.")
                % {"param": alias, "min": YEAR_MIN, "max": YEAR_MAX}
            )
        return parse_bound(old)
    if not raw:
        return None
    bound = parse_bound(raw)
    if bound is None:
        raise BadFilter(
            _(
                "“%(param)s” must be a date written YYYY, YYYY-MM or YYYY-MM-DD (for example 2024, 2024-03 or "
                "2024-03-15), between the years %(min)s and %(max)s."
            )
            % {"param": name, "min": YEAR_MIN, "max": YEAR_MAX}
        )
    return bound


def parse_state(record_type: str, params: QueryDict, index: ListIndex) -> ListState:
    """Validate the query string; raise BadFilter with a clear message on any unusable value."""
    state = ListState(record_type=record_type)
    for facet in state.facets():
        values = _values(params, facet.param)
        if len(values) > MAX_VALUES:
            raise BadFilter(
                _("The filter “%(param)s” takes at most %(max)s values.")
                % {"param": facet.param, "max": MAX_VALUES}
            )
        for value in values:
            _facet_value(facet, value, index)
        if values:
            state.values[facet.param] = tuple(values)
        if facet.kind == "named" and (typed := (params.get(FIND[facet.param]) or "").strip()[:100]):
            state.finding[facet.param] = typed
    state.date_from, state.date_to = _bound(params, "from"), _bound(params, "to")
    if state.date_from and state.date_to and state.date_from.first > state.date_to.last:
        raise BadFilter(
            _("The start of the period (%(start)s) is after its end (%(end)s).")
            % {"start": state.date_from.text, "end": state.date_to.text}
        )
    state.q = (params.get("q") or "").strip()[:200]
    state.query = parse_query(state.q)
    sort = (params.get("sort") or "").strip() or state.default_sort()
    if sort not in SORTS or (sort == "relevance" and not state.query):
        raise BadFilter(
            _("“%(value)s” is not a way to sort this list. Use one of: %(known)s.")
            % {"value": sort, "known": ", ".join(s for s in SORTS if s != "relevance" or state.query)}
        )
    state.sort = sort
    return state


def clean_url(params: QueryDict, state: ListState, page: int) -> str | None:
    """The canonical query string of a request whose query string holds an empty parameter or a default one
    (`?q=&severity=&sort=occurred`, as a form without JavaScript submits it), or None when it holds neither.
    Parameters the list does not know are dropped with them."""
    defaults = {"sort": state.default_sort(), "page": "1"}
    for name, values in params.lists():
        if any(not value.strip() or value.strip() == defaults.get(name) for value in values):
            return state.url(page)
    return None


def _matching_ids(query: Query) -> list[int]:
    sql = get_backend().matching(query, "record")
    with connection.cursor() as cursor:
        cursor.execute(sql.sql, sql.params)
        return [row[0] for row in cursor.fetchall()]


def filter_masks(index: ListIndex, state: ListState) -> dict[str, np.ndarray]:
    """One boolean mask per active filter (and "type" for the list's record type): a facet's mask holds the
    records having any of its chosen values."""
    types = index.fields["record_type"]
    masks = {"type": types.codes == types.code(state.record_type)} if state.record_type else {}
    for facet in state.facets():
        chosen = state.values.get(facet.param)
        if not chosen:
            continue
        if facet.kind == "field":
            column = index.fields[facet.param]
            wanted = np.zeros(len(column.values) + 1, dtype=bool)  # by code; the last one is code -1 (empty)
            wanted[[code for code in (column.code(value) for value in chosen) if code >= 0]] = True
            masks[facet.param] = wanted[column.codes]  # (np.isin is 3x slower)
        elif facet.kind == "tag":
            tags = index.multi[facet.vocabulary]
            masks[facet.param] = tags.mask_any([tags.values.index(value) for value in chosen], index.size)
        elif facet.kind == "named":
            named, slugs = index.multi[facet.param], index.slugs[facet.param]
            masks[facet.param] = named.mask_any([slugs[value] for value in chosen], index.size)
        else:
            masks[facet.param] = index.has_french
    if state.date_from or state.date_to:
        masks["date"] = in_period(index, state.date_from, state.date_to)
    if state.query:
        words = np.zeros(index.size, dtype=bool)
        words[index.positions_of(_matching_ids(state.query))] = True
        masks["q"] = words
    return masks


def in_period(index: ListIndex, start: Bound | None, end: Bound | None) -> np.ndarray:
    """The records whose event date falls in the period from `start` to `end` (either may be open), at the
    record's precision: an event date is the period it names (`listindex.event_period`: a day; a whole month
    when only the month is known; a whole year when only the year is known or the date is approximate), and a
    record is in the range when that period overlaps it. A record known only to "March 2024" is in
    `from=2024-03-15` and in `to=2024-03-01`; one known only to "2024" is in `from=2024-06`. A record without an
    event date is in no range."""
    first, last = index.event_first, index.event_last
    out = first > 0
    if start is not None:
        out &= last >= start.first.toordinal()
    if end is not None:
        out &= first <= end.last.toordinal()
    return out


def _combine(masks: dict[str, np.ndarray], size: int, skip: str | None = None) -> np.ndarray:
    out = np.ones(size, dtype=bool)
    for name, mask in masks.items():
        if name != skip:
            out &= mask
    return out


def _in_order(index: ListIndex, state: ListState, selected: np.ndarray) -> np.ndarray:
    """The positions of the selected records, in the list's display order."""
    if state.sort == "relevance":
        # The best matches first (the backend scores at most RELEVANCE_LIMIT of them), then every other
        # match, newest first: the total always counts every match, like the facets.
        ranked = index.positions_of(
            pk for pk, _score in get_backend().ranked(state.query, "record", RELEVANCE_LIMIT)
        )
        ranked = ranked[selected[ranked]]
        rest = selected.copy()
        rest[ranked] = False
        order = index.orders["occurred"]
        return np.concatenate([ranked, order[rest[order]]])
    order = index.orders[state.sort]
    return order[selected[order]]


def run_list(state: ListState, page: int, index: ListIndex) -> ListResult:
    masks = filter_masks(index, state)
    in_order = _in_order(index, state, _combine(masks, index.size))
    start = (page - 1) * PAGE_SIZE
    total = len(in_order)
    page_ids = [int(pk) for pk in index.ids[in_order[start : start + PAGE_SIZE]]]
    return ListResult(total, page_ids, facet_counts(index, state, masks))


def matching_ids(state: ListState, index: ListIndex) -> list[int]:
    """Every record the list shows for `state`, on all its pages, in its display order (the downloads)."""
    in_order = _in_order(index, state, _combine(filter_masks(index, state), index.size))
    return [int(pk) for pk in index.ids[in_order]]


COUNTED_AT_MOST = 1000  # facet counts kept per index (a few KB each)


def _scope_key(state: ListState, skip: str) -> tuple:
    """What the records counted for the facet `skip` depend on: every filter but its own."""
    dates = tuple((b.first, b.last) if b else None for b in (state.date_from, state.date_to))
    return (state.record_type, tuple((p, v) for p, v in state.values.items() if p != skip),
            None if skip == "date" else dates)  # fmt: skip


def _counted(
    index: ListIndex, state: ListState, masks: dict[str, np.ndarray], skip: str, count
) -> np.ndarray:
    """`count(scope)` over the records matching every filter but `skip`, computed once per index for all the
    lists that ask it (not for words: what they match is the search backend's)."""
    key = None if state.query else (skip, _scope_key(state, skip))
    counts = index.counted.get(key) if key else None
    if counts is None:
        counts = count(_combine(masks, index.size, skip=skip))
        if key:
            if len(index.counted) >= COUNTED_AT_MOST:
                index.counted.clear()
            index.counted[key] = counts
    return counts


def facet_counts(index: ListIndex, state: ListState, masks: dict[str, np.ndarray]) -> dict:
    tax = get_taxonomy()
    lang = page_language()
    out: dict[str, list[tuple[str, str, int]]] = {}
    for facet in state.facets():
        selected = state.values.get(facet.param, ())
        if facet.kind == "field":
            column = index.fields[facet.param]

            def count(scope, column=column):
                codes = column.codes[scope]
                return np.bincount(codes[codes >= 0], minlength=len(column.values))

            by_value = dict(zip(column.values, _counted(index, state, masks, facet.param, count).tolist(),
                                strict=True))  # fmt: skip
            values = [
                (v.slug, v.label_in(lang), by_value.get(v.slug, 0)) for v in tax[facet.vocabulary].values
            ]
        elif facet.kind == "tag":
            tags = index.multi[facet.vocabulary]
            counts = _counted(index, state, masks, facet.param, tags.counts).tolist()
            values = [
                (v.slug, v.label_in(lang), counts[i]) for i, v in enumerate(tax[facet.vocabulary].values)
            ]
        elif facet.kind == "named":
            named = index.multi[facet.param]
            counts = _counted(index, state, masks, facet.param, named.counts)
            if facet.param in state.finding:  # every name containing what was typed, most records first
                found = _names_containing(named.values, state.finding[facet.param])
                top = [i for i in sorted(found, key=lambda i: -counts[i]) if counts[i]][:FOUND_NAMED]
            else:
                top = [int(i) for i in np.argsort(-counts, kind="stable")[:TOP_NAMED] if counts[i]]
            top += [i for i in (index.slugs[facet.param][value] for value in selected) if i not in top]
            values = []
            # names in the page language (a Text: the page marks an English-only name in French)
            for i in top:
                _pk, slug, name, name_fr = named.values[i]
                values.append((slug, name_in({"name": name, "name_fr": name_fr}, lang), int(counts[i])))
        else:
            french = _counted(index, state, masks, facet.param,
                              lambda scope: np.count_nonzero(scope & index.has_french))  # fmt: skip
            values = [("1", _("Available in French"), int(french))]
        out[facet.param] = [v for v in values if v[2] or v[0] in selected]

    def per_year(scope):
        years = index.years[scope]
        return np.bincount(years[years > 0]) if np.any(years > 0) else np.zeros(0, dtype=np.int64)

    counts = _counted(index, state, masks, "date", per_year)
    out["year"] = [(str(y), str(y), int(n)) for y, n in enumerate(counts.tolist()) if n]
    return out


_folded: dict[int, tuple[list, list[str]]] = {}  # id of a names list -> (the list, its folded names)


def _names_containing(values: list, typed: str) -> list[int]:
    """Indexes of the (pk, slug, name, name_fr) values whose English or French name contains `typed`, ignoring
    case and accents. The folded names are kept per list of names, that is per index."""
    kept = _folded.get(id(values))
    if kept is None or kept[0] is not values:
        _folded.clear()  # one index at a time: the previous one's names are no longer asked for
        kept = _folded[id(values)] = (values, [fold(f"{v[2]}\x1f{v[3] or ''}") for v in values])
    needle = fold(typed)
    return [i for i, name in enumerate(kept[1]) if needle in name]


def facet_labels() -> dict[str, str]:
    tax = get_taxonomy()
    lang = page_language()
    labels = {f.param: tax[f.vocabulary].label_in(lang) for f in FACETS if f.vocabulary}
    labels.update({"entity": _("Entity"), "system": _("AI system"), "fr": _("Language"), "year": _("Year")})
    return labels


def describe(state: ListState, counts: dict[str, list[tuple[str, str, int]]]) -> list[tuple[str, str, list]]:
    """The active filters as (param, label, [(value, value label), ...]), in the canonical order: the facets,
    the period, the words. Facet values are named by their labels in the page language."""
    labels = facet_labels()
    out = []
    for facet in state.facets():
        chosen = state.values.get(facet.param, ())
        if chosen:
            named = {value: label for value, label, _n in counts.get(facet.param, ())}
            out.append((facet.param, labels[facet.param], [(v, named.get(v, v)) for v in chosen]))
    for name, label, bound in (("from", _("From"), state.date_from), ("to", _("To"), state.date_to)):
        if bound:
            out.append((name, label, [(bound.text, bound.text)]))
    if state.q:
        out.append(("q", _("Words"), [(state.q, state.q)]))
    return out


__all__ = ["FACETS", "LIST_COLUMNS", "PAGE_SIZE", "SORTS", "BadFilter", "Bound", "ListState", "describe",
           "get_index", "matching_ids", "parse_bound", "parse_state", "run_list"]  # fmt: skip
