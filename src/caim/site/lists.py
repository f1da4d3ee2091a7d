"""The incident and hazard lists, declared: which filters exist, how each narrows the public records, and how
its facet counts are computed (SPEC §4).

A filter state is a query string, so every state has a shareable URL. Each facet holds one value at a time;
its counts are computed over the records matching every *other* active filter, so the count shown beside a
value is exactly the number of records the list shows after choosing it.

Filtering and counting run on the in-memory ListIndex (listindex.py); only the words of a query go to the
search backend, and only the records of the page are read from the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from django.db import connection
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from caim.i18n import page_language
from caim.params import parse_int
from caim.records.bilingual import name_in
from caim.records.fields import facets
from caim.search.backends import get_backend
from caim.search.text import Query, parse_query
from caim.site.listindex import ListIndex, get_index
from caim.taxonomy.loader import get_taxonomy

PAGE_SIZE = 25
RELEVANCE_LIMIT = 2000
TOP_NAMED = 15  # entities and systems offered in their facet
YEAR_MIN, YEAR_MAX = 1950, 2100


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
LIST_COLUMNS = ("slug", "record_type", "title_en", "title_fr", "summary_en", "summary_fr", "severity",
                "verification", "contested", "hazard_status", "confidence", "occurred", "occurred_precision",
                "event_date", "first_published_at", "severity_rank")  # fmt: skip


class BadFilter(ValueError):
    """A query-string value the list cannot use; the message names the parameter and says what is allowed."""


@dataclass
class ListState:
    record_type: str
    values: dict[str, str] = field(default_factory=dict)  # facet param -> value
    year_from: int | None = None
    year_to: int | None = None
    q: str = ""
    query: Query = field(default_factory=lambda: Query(()))
    sort: str = "occurred"

    def facets(self) -> list[Facet]:
        """The filters of this list (every filter when the list holds both record types, as the API's)."""
        return [f for f in FACETS if not self.record_type or self.record_type in f.types]


@dataclass
class ListResult:
    total: int
    ids: list[int]  # the page's record ids, in display order
    counts: dict[str, list[tuple[str, str, int]]]  # facet param (and "year") -> (value, label, count)


def parse_state(record_type: str, params: QueryDict, index: ListIndex) -> ListState:
    """Validate the query string; raise BadFilter with a clear message on any unusable value."""
    tax = get_taxonomy()
    state = ListState(record_type=record_type)
    for facet in state.facets():
        value = (params.get(facet.param) or "").strip()
        if not value:
            continue
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
        state.values[facet.param] = value
    for name in ("year_from", "year_to"):
        raw = (params.get(name) or "").strip()
        if raw:
            year = parse_int(raw, low=YEAR_MIN, high=YEAR_MAX)
            if year is None:
                raise BadFilter(
                    _("“%(param)s” must be a year between %(min)s and %(max)s.")
                    % {"param": name, "min": YEAR_MIN, "max": YEAR_MAX}
                )
            setattr(state, name, year)
    if state.year_from and state.year_to and state.year_from > state.year_to:
        raise BadFilter(_("“year_from” is after “year_to”."))
    state.q = (params.get("q") or "").strip()[:200]
    state.query = parse_query(state.q)
    sort = params.get("sort") or ("relevance" if state.query else "occurred")
    if sort not in SORTS or (sort == "relevance" and not state.query):
        raise BadFilter(
            _("“%(value)s” is not a way to sort this list. Use one of: %(known)s.")
            % {"value": sort, "known": ", ".join(s for s in SORTS if s != "relevance" or state.query)}
        )
    state.sort = sort
    return state


def _matching_ids(query: Query) -> list[int]:
    sql = get_backend().matching(query, "record")
    with connection.cursor() as cursor:
        cursor.execute(sql.sql, sql.params)
        return [row[0] for row in cursor.fetchall()]


def filter_masks(index: ListIndex, state: ListState) -> dict[str, np.ndarray]:
    """One boolean mask per active filter (and "type" for the list's record type)."""
    types = index.fields["record_type"]
    masks = {"type": types.codes == types.code(state.record_type)} if state.record_type else {}
    for facet in state.facets():
        value = state.values.get(facet.param)
        if not value:
            continue
        if facet.kind == "field":
            column = index.fields[facet.param]
            masks[facet.param] = column.codes == column.code(value)
        elif facet.kind == "tag":
            tags = index.multi[facet.vocabulary]
            masks[facet.param] = tags.mask(tags.values.index(value), index.size)
        elif facet.kind == "named":
            masks[facet.param] = index.multi[facet.param].mask(index.slugs[facet.param][value], index.size)
        else:
            masks[facet.param] = index.has_french
    if state.year_from or state.year_to:
        years = index.years
        masks["year"] = (years >= (state.year_from or YEAR_MIN)) & (years <= (state.year_to or YEAR_MAX))
    if state.query:
        words = np.zeros(index.size, dtype=bool)
        words[index.positions_of(_matching_ids(state.query))] = True
        masks["q"] = words
    return masks


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


def facet_counts(index: ListIndex, state: ListState, masks: dict[str, np.ndarray]) -> dict:
    tax = get_taxonomy()
    lang = page_language()
    out: dict[str, list[tuple[str, str, int]]] = {}
    for facet in state.facets():
        scope = _combine(masks, index.size, skip=facet.param)
        selected = state.values.get(facet.param)
        if facet.kind == "field":
            column = index.fields[facet.param]
            codes = column.codes[scope]
            counts = np.bincount(codes[codes >= 0], minlength=len(column.values))
            by_value = dict(zip(column.values, counts.tolist(), strict=True))
            values = [
                (v.slug, v.label_in(lang), by_value.get(v.slug, 0)) for v in tax[facet.vocabulary].values
            ]
        elif facet.kind == "tag":
            tags = index.multi[facet.vocabulary]
            counts = tags.counts(scope).tolist()
            values = [
                (v.slug, v.label_in(lang), counts[i]) for i, v in enumerate(tax[facet.vocabulary].values)
            ]
        elif facet.kind == "named":
            named = index.multi[facet.param]
            counts = named.counts(scope)
            top = [int(i) for i in np.argsort(-counts, kind="stable")[:TOP_NAMED] if counts[i]]
            if selected and index.slugs[facet.param][selected] not in top:
                top.append(index.slugs[facet.param][selected])
            values = []
            for (
                i
            ) in top:  # names in the page language (a Text: the page marks an English-only name in French)
                _pk, slug, name, name_fr = named.values[i]
                values.append((slug, name_in({"name": name, "name_fr": name_fr}, lang), int(counts[i])))
        else:
            values = [("1", _("Available in French"), int(np.count_nonzero(scope & index.has_french)))]
        out[facet.param] = [v for v in values if v[2] or selected == v[0]]
    scope = _combine(masks, index.size, skip="year")
    years = index.years[scope]
    counts = np.bincount(years[years > 0]) if np.any(years > 0) else np.zeros(0, dtype=np.int64)
    out["year"] = [(str(y), str(y), int(n)) for y, n in enumerate(counts.tolist()) if n]
    return out


def facet_labels() -> dict[str, str]:
    tax = get_taxonomy()
    lang = page_language()
    labels = {f.param: tax[f.vocabulary].label_in(lang) for f in FACETS if f.vocabulary}
    labels.update({"entity": _("Entity"), "system": _("AI system"), "fr": _("Language"), "year": _("Year")})
    return labels


__all__ = ["FACETS", "LIST_COLUMNS", "PAGE_SIZE", "SORTS", "BadFilter", "ListState", "get_index", "matching_ids",
           "parse_state", "run_list"]  # fmt: skip
