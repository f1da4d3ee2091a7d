"""The incident and hazard lists, declared: which filters exist, how each narrows the public records, and how
its facet counts are computed (SPEC §4).

A filter state is a query string, so every state has a shareable URL. Each facet holds one value at a time;
its counts are computed over the records matching every *other* active filter, so the count shown beside a
value is exactly the number of records the list shows after choosing it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, QuerySet
from django.http import QueryDict
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from caim.records.models import AISystem, Entity, PublicEntityRole, PublicRecord, PublicSystemLink, PublicTag
from caim.search.backends import get_backend
from caim.search.text import Query, parse_query
from caim.taxonomy.loader import get_taxonomy

PAGE_SIZE = 25
RELEVANCE_LIMIT = 2000
YEAR_MIN, YEAR_MAX = 1950, 2100


@dataclass(frozen=True)
class Facet:
    param: str  # query-string name
    vocabulary: str  # taxonomy vocabulary of its values ("" for entity/system/year/french)
    kind: str  # tag | field | entity | system | french
    types: tuple[str, ...] = ("incident", "hazard")  # lists where the facet exists
    column: str = ""  # PublicRecord column, for kind "field"


FACETS = (
    Facet("verification", "verification", "field", ("incident",), "verification"),
    Facet("severity", "severity", "field", column="severity"),
    Facet("hazard_status", "hazard_status", "field", ("hazard",), "hazard_status"),
    Facet("confidence", "confidence", "field", ("hazard",), "confidence"),
    Facet("domain", "domain", "tag"),
    Facet("harm_type", "harm_type", "tag"),
    Facet("ai_pathway", "ai_pathway", "tag"),
    Facet("lifecycle_phase", "lifecycle_phase", "tag"),
    Facet("entity", "", "entity"),
    Facet("system", "", "system"),
    Facet("fr", "", "french"),
)

SORTS = {
    "occurred": (gettext_lazy("Newest event"), ("-event_date", "-pk")),
    "published": (gettext_lazy("Newest published"), ("-first_published_at", "-pk")),
    "severity": (gettext_lazy("Most severe"), ("-severity_rank", "-event_date", "-pk")),
    "relevance": (gettext_lazy("Best match"), ()),
}
LIST_COLUMNS = ("slug", "record_type", "title_en", "title_fr", "summary_en", "summary_fr", "severity",
                "verification", "contested", "hazard_status", "confidence", "occurred", "occurred_precision",
                "event_date", "first_published_at", "severity_rank")  # fmt: skip


def page_language() -> str:
    return "fr" if (get_language() or "en").startswith("fr") else "en"


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
    entity: Entity | None = None
    system: AISystem | None = None

    def facets(self) -> list[Facet]:
        return [f for f in FACETS if self.record_type in f.types]


def parse_state(record_type: str, params: QueryDict) -> ListState:
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
        if facet.kind == "entity":
            state.entity = Entity.objects.filter(slug=value, public_roles__record__withdrawn=False).first()
            if state.entity is None:
                raise BadFilter(_("No entity “%(value)s” appears in a published record.") % {"value": value})
        if facet.kind == "system":
            state.system = AISystem.objects.filter(slug=value, public_links__record__withdrawn=False).first()
            if state.system is None:
                raise BadFilter(
                    _("No AI system “%(value)s” appears in a published record.") % {"value": value}
                )
        if facet.kind == "french" and value != "1":
            raise BadFilter(_("The filter “fr” only takes the value 1 (records with a French version)."))
        state.values[facet.param] = value
    for name in ("year_from", "year_to"):
        raw = (params.get(name) or "").strip()
        if raw:
            if not raw.isdigit() or not YEAR_MIN <= int(raw) <= YEAR_MAX:
                raise BadFilter(
                    _("“%(param)s” must be a year between %(min)s and %(max)s.")
                    % {"param": name, "min": YEAR_MIN, "max": YEAR_MAX}
                )
            setattr(state, name, int(raw))
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


def base_queryset(record_type: str) -> QuerySet:
    return PublicRecord.objects.filter(withdrawn=False, record_type=record_type)


def apply_filters(qs: QuerySet, state: ListState, *, skip: str | None = None) -> QuerySet:
    """Narrow `qs` by every active filter of `state` except the facet named `skip`."""
    for facet in state.facets():
        value = state.values.get(facet.param)
        if not value or facet.param == skip:
            continue
        if facet.kind == "field":
            qs = qs.filter(**{facet.column: value})
        elif facet.kind == "tag":
            qs = qs.filter(
                pk__in=PublicTag.objects.filter(vocabulary=facet.vocabulary, slug=value).values("record_id")
            )
        elif facet.kind == "entity":
            qs = qs.filter(pk__in=PublicEntityRole.objects.filter(entity=state.entity).values("record_id"))
        elif facet.kind == "system":
            qs = qs.filter(pk__in=PublicSystemLink.objects.filter(system=state.system).values("record_id"))
        elif facet.kind == "french":
            qs = qs.filter(has_french=True)
    if skip != "year":
        if state.year_from:
            qs = qs.filter(event_date__gte=date(state.year_from, 1, 1))
        if state.year_to:
            qs = qs.filter(event_date__lte=date(state.year_to, 12, 31))
    if state.query:
        qs = qs.filter(pk__in=get_backend().matching(state.query, "record"))
    return qs


def ordered_page_ids(qs: QuerySet, state: ListState, page: int) -> tuple[int, list[int]]:
    """(total, ids of the page in display order)."""
    start = (page - 1) * PAGE_SIZE
    if state.sort == "relevance":
        ranked = [pk for pk, _score in get_backend().ranked(state.query, "record", RELEVANCE_LIMIT)]
        allowed = set(qs.filter(pk__in=ranked).values_list("pk", flat=True))
        ids = [pk for pk in ranked if pk in allowed]
        return len(ids), ids[start : start + PAGE_SIZE]
    total = qs.count()
    ids = list(qs.order_by(*SORTS[state.sort][1]).values_list("pk", flat=True)[start : start + PAGE_SIZE])
    return total, ids


def facet_counts(state: ListState) -> dict[str, list[tuple[str, str, int]]]:
    """For each facet: (value, label, count) in vocabulary order, counts over the other active filters."""
    tax = get_taxonomy()
    lang = page_language()
    base = base_queryset(state.record_type)
    out: dict[str, list[tuple[str, str, int]]] = {}
    for facet in state.facets():
        scoped = apply_filters(base, state, skip=facet.param)
        if facet.kind == "field":
            counts = dict(scoped.values_list(facet.column).annotate(n=Count("pk")).order_by())
            values = [(v.slug, v.label_in(lang), counts.get(v.slug, 0)) for v in tax[facet.vocabulary].values]
        elif facet.kind == "tag":
            rows = PublicTag.objects.filter(vocabulary=facet.vocabulary, record__in=scoped.values("pk"))
            counts = dict(rows.values_list("slug").annotate(n=Count("record_id")).order_by())
            values = [(v.slug, v.label_in(lang), counts.get(v.slug, 0)) for v in tax[facet.vocabulary].values]
        elif facet.kind == "entity":
            rows = (
                PublicEntityRole.objects.filter(record__in=scoped.values("pk"))
                .values_list("entity__slug", "entity__name")
                .annotate(n=Count("record_id", distinct=True))
                .order_by("-n", "entity__name")[:15]
            )
            values = list(rows)
            if state.entity and state.entity.slug not in {v[0] for v in values}:
                values.append((state.entity.slug, state.entity.name, 0))
        elif facet.kind == "system":
            rows = (
                PublicSystemLink.objects.filter(record__in=scoped.values("pk"))
                .values_list("system__slug", "system__name")
                .annotate(n=Count("record_id", distinct=True))
                .order_by("-n", "system__name")[:15]
            )
            values = list(rows)
            if state.system and state.system.slug not in {v[0] for v in values}:
                values.append((state.system.slug, state.system.name, 0))
        else:  # french
            values = [("1", _("Available in French"), scoped.filter(has_french=True).count())]
        out[facet.param] = [v for v in values if v[2] or state.values.get(facet.param) == v[0]]
    years = apply_filters(base, state, skip="year").filter(event_date__isnull=False)
    by_year = years.values_list("event_date__year").annotate(n=Count("pk")).order_by("event_date__year")
    out["year"] = [(str(y), str(y), n) for y, n in by_year]
    return out


def facet_labels() -> dict[str, str]:
    tax = get_taxonomy()
    lang = page_language()
    labels = {f.param: tax[f.vocabulary].label_in(lang) for f in FACETS if f.vocabulary}
    labels.update({"entity": _("Entity"), "system": _("AI system"), "fr": _("Language"), "year": _("Year")})
    return labels
