"""Home page, prose pages, the methodology (prose plus the vocabularies) and the corrections log."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from caim.i18n import page_language
from caim.params import parse_int
from caim.records.bilingual import RecordLink, name_in, pick, record_links
from caim.records.fields import CHILD_LISTS, RECORD_FIELDS
from caim.records.formatting import as_date, format_day
from caim.records.models import AISystem, Entity, PublicRecord, RecordVersion, VersionKind
from caim.records.views.reuse import reused_per_state
from caim.search.backends import get_backend
from caim.search.models import SearchEntry
from caim.search.text import highlight, parse_query
from caim.site import listindex, lists
from caim.site.prose import load_page
from caim.taxonomy.loader import get_taxonomy

HOME_LATEST = 8
CORRECTIONS_PAGE_SIZE = 50
# The vocabularies whose definitions the methodology page renders from taxonomy.yaml, in page order.
METHODOLOGY_VOCABULARIES = (
    "verification",
    "severity",
    "reach",
    "harm_type",
    "domain",
    "ai_pathway",
    "lifecycle_phase",
    "source_type",
    "hazard_status",
    "confidence",
    "canada_nexus",
)


@require_safe
@reused_per_state
def home(request):
    lang = page_language()
    public = PublicRecord.objects.listed()
    counts = {row["record_type"]: row["n"] for row in _count_by_type(public)}
    latest = public.order_by("-first_published_at", "-pk")[:HOME_LATEST]
    watch = PublicRecord.objects.on_watch()[:6]
    return render(
        request,
        "site/home.html",
        {
            "incident_count": counts.get("incident", 0),
            "hazard_count": counts.get("hazard", 0),
            "latest": record_links(latest, lang),
            "watch": record_links(watch, lang),
        },
    )


def _count_by_type(qs):
    return qs.values("record_type").annotate(n=Count("pk")).order_by()


def _page(name: str, lang: str) -> tuple[str, str, str]:
    """(title, html, language of the text) of a prose page, in English when it has no translation yet."""
    for text_lang in (lang, "en"):
        page = load_page(name, text_lang)
        if page is not None:
            return page[0], page[1], text_lang
    raise Http404


@require_safe
def prose(request, name: str):
    title, html, _text_lang = _page(name, page_language())
    return render(request, "site/prose.html", {"title": title, "body": html, "name": name})


@require_safe
def api_page(request):
    """The Data and API prose, then every field of a record, from the field declaration (records/fields.py)."""
    lang = page_language()
    title, html, text_lang = _page("api", lang)
    tax = get_taxonomy()

    def rows(declared, prefix=""):
        return [
            {
                "keys": [f"{prefix}{key}" for key in f.document_keys()],
                "label": f.label,
                "help": f.help,
                "kind": f.kind_label(),
                "types": ", ".join(tax.label("record_type", t, lang) for t in f.types),
            }
            for f in declared
            if f.public
        ]

    context = {
        "title": title,
        "body": html,
        "body_fallback": text_lang != lang,
        "fields": rows(RECORD_FIELDS),
        "children": [
            {"name": c.name, "label": c.label, "fields": rows(c.fields, f"{c.name}[].")} for c in CHILD_LISTS
        ],
    }
    return render(request, "site/api.html", context)


@require_safe
def methodology(request):
    """The methodology prose, then the definitions of the controlled vocabularies, from the data file."""
    lang = page_language()
    title, html, text_lang = _page("methodology", lang)
    taxonomy = get_taxonomy()
    vocabularies = [
        {
            "slug": vocab.slug,
            "label": vocab.label_in(lang),
            "description": vocab.description.get(lang) or vocab.description["en"],
            "values": [
                {
                    "slug": value.slug,
                    "label": value.label_in(lang),
                    "definition": value.definition_in(lang),
                    "proposed": value.proposed,
                }
                for value in vocab.values
            ],
        }
        for vocab in (taxonomy[slug] for slug in METHODOLOGY_VOCABULARIES)
    ]
    return render(
        request,
        "site/methodology.html",
        {
            "title": title,
            "body": html,
            "body_fallback": text_lang != lang,
            "vocabularies": vocabularies,
        },
    )


@require_safe
def corrections(request):
    """The public corrections log: every correction of a public record, newest first.

    Reads published versions only, and only of records that have a PublicRecord row (published or
    withdrawn): a draft has no row there, so nothing of it can show. Two queries whatever the page holds.
    """
    lang = page_language()
    versions = (
        RecordVersion.objects.filter(kind=VersionKind.CORRECTION, record__public__isnull=False)
        .select_related("record__public")
        .only(
            "number",
            "published_at",
            "changelog_en",
            "changelog_fr",
            "record__public__record_type",
            "record__public__slug",
            "record__public__title_en",
            "record__public__title_fr",
            "record__public__withdrawn",
        )
        .order_by("-published_at", "-pk")
    )
    page = Paginator(versions, CORRECTIONS_PAGE_SIZE).get_page(parse_int(request.GET.get("page"), low=1) or 1)
    rows = []
    for version in page.object_list:
        public = version.record.public
        link = RecordLink(public, lang, version=version.number)
        rows.append(
            {
                "date": format_day(version.published_at, lang),
                "iso_date": as_date(version.published_at).isoformat(),
                "title": link.title,
                "number": version.number,
                "url": link.url,
                "note": pick(
                    {"note_en": version.changelog_en, "note_fr": version.changelog_fr}, "note", lang
                ),
                "withdrawn": public.withdrawn,
            }
        )
    return render(request, "site/corrections.html", {"page": page, "rows": rows})


def _page_number(params: QueryDict) -> int:
    number = parse_int(params.get("page") or "1", low=1, high=100000)
    if number is None:
        raise lists.BadFilter(_("“page” must be a page number."))
    return number


def _one_of(values: list[str]) -> str:
    """ "A", "A or B", "A, B or C", in the page language."""
    if len(values) == 1:
        return values[0]
    return _("%(values)s or %(last)s") % {"values": ", ".join(values[:-1]), "last": values[-1]}


@require_safe
@reused_per_state(
    with_queries=True, stale_while=listindex.refreshing, prepare=lambda: listindex.get_index(wait=True)
)
def record_list(request, record_type: str):
    lang = page_language()
    index = lists.get_index()
    try:
        state = lists.parse_state(record_type, request.GET, index)
        page_number = _page_number(request.GET)
    except lists.BadFilter as exc:
        return render(
            request, "site/bad_filter.html", {"message": str(exc), "record_type": record_type}, status=400
        )
    partial = request.htmx and not request.htmx.history_restore_request
    clean = lists.clean_url(request.GET, state, page_number)
    if clean is not None and not request.htmx:  # a form submitted without JavaScript: its clean address
        return redirect(request.path + (clean if clean != "?" else ""))
    result = lists.run_list(state, page_number, index)
    total, ids, counts = result.total, result.ids, result.counts
    by_id = {
        p.pk: p
        for p in PublicRecord.objects.filter(pk__in=ids).only(*lists.LIST_COLUMNS, *PublicRecord.META_COLUMNS)
    }
    rows = record_links([by_id[pk] for pk in ids if pk in by_id], lang)
    if state.query:
        snippets = _record_snippets(ids, state.query, lang)
        for row in rows:
            row.snippet = snippets.get(row.record.pk)
    labels = lists.facet_labels()
    facets = []
    for param, options in counts.items():
        if param == "year":
            continue
        chosen = state.values.get(param, ())
        facets.append(
            {
                "param": param,
                "label": labels[param],
                "selected": chosen,
                # Entities and systems: a text box finds any of them by part of its name.
                "find": lists.FIND.get(param),
                "finding": state.finding.get(param, ""),
                "options": [
                    {"value": v, "label": label, "count": n, "checked": v in chosen}
                    for v, label, n in options
                ],
            }
        )
    described = lists.describe(state, counts)
    active = [
        {
            "label": label,
            "value": value_label,
            "remove": state.without(param, value) if param in state.values else state.url(**{param: None}),
        }
        for param, label, values in described
        for value, value_label in values
    ]
    pages = max(1, -(-total // lists.PAGE_SIZE))
    query = state.url()
    context = {
        "record_type": record_type,
        "partial": partial,
        "state": state,
        "rows": rows,
        "total": total,
        "facets": facets,
        # The page title names the filters by their labels: "Domain: Policing or Health, Severity: Significant".
        "filters_title": ", ".join(
            _("%(label)s: %(values)s") % {"label": label, "values": _one_of([str(v) for _value, v in values])}
            for _param, label, values in described
        ),
        "years": [
            {"label": label, "count": n, "url": state.url(**{"from": y, "to": y})}
            for y, label, n in counts["year"]
        ],
        "active_filters": active,
        "sorts": [(key, label) for key, label in lists.SORTS.items() if key != "relevance" or state.query],
        "page_number": page_number,
        "pages": pages,
        "previous_url": state.url(page_number - 1) if page_number > 1 else None,
        "next_url": state.url(page_number + 1) if page_number < pages else None,
        "clear_url": "?",
        # The records of the list for these filters over time, on the statistics page.
        "over_time_url": f"{reverse('stats')}?{urlencode([*state.params(sort=None), ('type', record_type)])}#over-time",
        # Every record of the list for these filters (site/downloads.py): the query string, without the page.
        "downloads": [
            (label, reverse(f"{record_type}_download_{fmt}") + (query if query != "?" else ""))
            for fmt, label in (("csv", "CSV"), ("json", "JSON"))
        ],
    }
    response = render(
        request, "site/record_list.html#results" if partial else "site/record_list.html", context
    )
    if partial:  # htmx swaps the results in place: the address bar gets the clean address of this state
        response["HX-Push-Url"] = request.path + (query if query != "?" else "")
    patch_vary_headers(response, ["HX-Request"])
    response.public_state = index.version  # the state it shows (records/views/reuse.py)
    return response


def _record_snippets(ids: list[int], query, lang: str) -> dict:
    entries = SearchEntry.objects.filter(kind="record", obj_id__in=ids).only("obj_id", "body_en", "body_fr")
    return {e.obj_id: highlight(e.body(lang), query) for e in entries}


SEARCH_LIMIT = 20


@require_safe
def search(request):
    lang = page_language()
    q = (request.GET.get("q") or "").strip()[:200]
    query = parse_query(q)
    context = {"q": q, "records": [], "entities": [], "systems": [], "searched": bool(q)}
    if query:
        backend = get_backend()
        ranked = [pk for pk, _score in backend.ranked(query, "record", SEARCH_LIMIT)]
        publics = {
            p.pk: p
            for p in PublicRecord.objects.listed()
            .filter(pk__in=ranked)
            .only(*lists.LIST_COLUMNS, *PublicRecord.META_COLUMNS)
        }
        rows = record_links([publics[pk] for pk in ranked if pk in publics], lang)
        snippets = _record_snippets(ranked, query, lang)
        for row in rows:
            row.snippet = snippets.get(row.record.pk)
        context["records"] = rows
        context["entities"] = _named_hits(Entity, backend.ranked(query, "entity", SEARCH_LIMIT), query, lang)
        context["systems"] = _named_hits(AISystem, backend.ranked(query, "system", SEARCH_LIMIT), query, lang)
    return render(request, "site/search.html", context)


def _named_hits(model, ranked, query, lang: str) -> list[dict]:
    ids = [pk for pk, _score in ranked]
    objects = {o.pk: o for o in model.objects.filter(pk__in=ids)}
    kind = "entity" if model is Entity else "system"
    bodies = {e.obj_id: e.body(lang) for e in SearchEntry.objects.filter(kind=kind, obj_id__in=ids)}
    hits = []
    for pk in ids:
        if pk in objects:
            name = name_in(objects[pk], lang)  # in the page language; an English-only name is marked
            hits.append(
                {
                    "object": objects[pk],
                    "name": highlight(name.text, query, max_words=20),
                    "name_lang": name.lang if name.fallback else "",
                    "snippet": highlight(bodies.get(pk, ""), query),
                }
            )
    return hits
