"""Entity and AI system pages (SPEC §1.5, §4): lists, and one page each with the public records naming them.

Public rule: an entity or AI system is public only while at least one listed PublicRecord names
it (through PublicEntityRole / PublicSystemLink). Everything else answers 404 on every page, so an entity named
only in a draft cannot leak through them. These views read the public layer only, never the working copy.

Query counts are constant: lists 2 (all public names for sorting and kind counts, then the page's rows),
entity page 3 (entity, its public roles with their records, its public systems), system page 2.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from functools import lru_cache
from urllib.parse import quote

from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef
from django.http import Http404, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import override
from django.views.decorators.http import require_safe

from caim.i18n import page_language
from caim.params import parse_int
from caim.records.bilingual import RecordLink, Text, as_written, name_in, other_language, pick, record_links
from caim.records.models import (
    AISystem,
    Entity,
    EntityRedirect,
    PublicEntityRole,
    PublicRecord,
    PublicState,
    PublicSystemLink,
)
from caim.records.queries import listed
from caim.taxonomy.loader import get_taxonomy

PAGE_SIZE = 50

# Where an entity's `same_as` identifiers lead: {db: (name, URL pattern)}.
ENTITY_DATABASES = {
    "wikidata": ("Wikidata", "https://www.wikidata.org/wiki/{id}"),
    "aiid": ("AI Incident Database", "https://incidentdatabase.ai/entities/{id}/"),
}

# Columns of a PublicRecord a linked record needs (title, URL, badges, type and date, ordering).
RECORD_COLUMNS = ("slug", "title_en", "title_fr", "severity", "verification", "contested", "hazard_status",
                  "confidence", *PublicRecord.META_COLUMNS)  # fmt: skip


def public_entity_filter() -> Exists:
    return Exists(PublicEntityRole.objects.listed().filter(entity=OuterRef("pk")))


def public_system_filter() -> Exists:
    return Exists(PublicSystemLink.objects.listed().filter(system=OuterRef("pk")))


def public_entities():
    """Entities named in at least one public, not withdrawn, record."""
    return Entity.objects.filter(public_entity_filter())


def public_systems():
    """AI systems named in at least one public, not withdrawn, record."""
    return AISystem.objects.filter(public_system_filter())


@lru_cache(maxsize=65536)  # each list page sorts every public name: the static export asks for hundreds
def sort_key(name: str) -> str:
    """Alphabetical order ignoring case and accents ("École" files under E), the same on every database."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _sorted_page(rows: list[tuple[int, str]], page_param: str | None):
    """A page of ids from (pk, name) rows, in alphabetical order (of the names in the page language)."""
    rows = sorted(rows, key=lambda r: (sort_key(r[1]), r[1], r[0]))
    return Paginator([pk for pk, _name in rows], PAGE_SIZE).get_page(parse_int(page_param, low=1) or 1)


_named: dict[tuple[str, str], list[tuple[int, str, str]]] = {}


def named_entities(lang: str) -> list[tuple[int, str, str]]:
    """Every public entity as (pk, name in `lang`, kind), in alphabetical order: read and sorted once per
    language and state of the public layer (entities become public, and merge, only with a change of its token),
    not for each page of the entity list (the static export asks for hundreds)."""
    key = (lang, PublicState.current())
    rows = _named.get(key)
    if rows is None:
        rows = [
            (pk, name_in({"name": name, "name_fr": name_fr}, lang).text, k)
            for pk, name, name_fr, k in public_entities().values_list("pk", "name", "name_fr", "kind")
        ]
        rows.sort(key=lambda r: (sort_key(r[1]), r[1], r[0]))
        if len(_named) >= 4:  # two languages, the current state and the one before
            _named.clear()
        _named[key] = rows
    return rows


def _list_url(name: str, lang: str, param: str, value: str) -> str:
    with override(lang):
        return f"{reverse(name)}?{param}={quote(value)}"


# -- entities -------------------------------------------------------------------------------------------------


@require_safe
def entity_list(request):
    lang = page_language()
    tax = get_taxonomy()
    kinds = tax["entity_kind"]
    kind = (request.GET.get("kind") or "").strip()
    if kind and kind not in kinds:
        message = _(
            "“%(value)s” is not a valid value for the filter “%(param)s”. Valid values: %(known)s."
        ) % {"value": kind, "param": "kind", "known": ", ".join(kinds.slugs())}
        with override(lang):
            back = reverse("entity_list")
        return render(
            request,
            "site/bad_filter.html",
            {"message": message, "back_url": back, "back_label": _("Show all entities")},
            status=400,
        )
    everyone = named_entities(lang)
    by_kind = Counter(k for _pk, _name, k in everyone)
    chosen = [pk for pk, _name, k in everyone if not kind or k == kind]
    page = Paginator(chosen, PAGE_SIZE).get_page(parse_int(request.GET.get("page"), low=1) or 1)
    ids = list(page.object_list)
    counted = Entity.objects.filter(pk__in=ids).annotate(
        record_count=Count("public_roles__record", filter=listed("public_roles__record__"), distinct=True)
    )
    by_id = {e.pk: e for e in counted}
    rows = [
        {
            "entity": by_id[pk],
            "name": name_in(by_id[pk], lang),
            "kind_label": tax.label("entity_kind", by_id[pk].kind, lang),
            "record_count": by_id[pk].record_count,
        }
        for pk in ids
        if pk in by_id
    ]
    kind_options = [
        {"slug": v.slug, "label": v.label_in(lang), "count": by_kind[v.slug], "selected": v.slug == kind}
        for v in kinds.values
        if by_kind[v.slug] or v.slug == kind
    ]
    return render(
        request,
        "site/entity_list.html",
        {
            "page": page,
            "rows": rows,
            "total": len(chosen),
            "all_count": len(everyone),
            "kind": kind,
            "kind_heading": kinds.label_in(lang),
            "kind_label": kinds[kind].label_in(lang) if kind else "",
            "kind_options": kind_options,
            "page_query": f"kind={quote(kind)}&" if kind else "",
        },
    )


def entity_same_as(entity: Entity) -> list[dict]:
    out = []
    for link in entity.same_as or []:
        if not isinstance(link, dict) or not link.get("id"):
            continue
        name, pattern = ENTITY_DATABASES.get(link.get("db"), (link.get("db") or "", None))
        url = link.get("url") or (pattern.format(id=quote(str(link["id"]))) if pattern else None)
        if url and url.startswith(("https://", "http://")):
            out.append({"name": name, "id": str(link["id"]), "url": url})
    return out


def entity_aliases(entity: Entity, lang: str) -> list[Text]:
    """The entity's other names, each in its language (marked when it is not the page's): those in the page
    language first, its name in the other language among the others. `aliases` are English or in no language
    (acronyms), `aliases_fr` French."""
    by_language = {
        "en": [entity.name, *(entity.aliases or [])],
        "fr": [entity.name_fr, *(entity.aliases_fr or [])],
    }
    out, seen = [], {name_in(entity, lang).text}
    for code in (lang, other_language(lang)):
        for alias in by_language[code]:
            alias = alias.strip() if isinstance(alias, str) else ""
            if alias and alias not in seen:
                seen.add(alias)
                out.append(as_written(alias, code, lang))
    return out


def entity_roles(entities):
    """The listed records naming `entities` (their ids), with the role, newest event first."""
    return (
        PublicEntityRole.objects.listed()
        .filter(entity__in=entities)
        .select_related("record")
        .only("role", "entity_id", *(f"record__{c}" for c in RECORD_COLUMNS))
        .order_by("-record__event_date", "-record__pk")
    )


def developed_systems(entities):
    """The public AI systems developed by `entities` (their ids)."""
    return AISystem.objects.filter(public_system_filter(), developer__in=entities).only(
        "slug", "name", "name_fr", "system_type", "developer_id"
    )


@require_safe
def entity_detail(request, slug: str):
    lang = page_language()
    entity = public_entities().filter(slug=slug).first()
    if entity is None:
        moved = EntityRedirect.objects.filter(old_slug=slug).select_related("entity").first()
        if moved is not None:  # merged into another entity: its page, for good
            with override(lang):
                return HttpResponsePermanentRedirect(reverse("entity_detail", args=[moved.entity.slug]))
        raise Http404
    context = entity_context(entity, entity_roles([entity.pk]), developed_systems([entity.pk]), lang)
    return render(request, "site/entity_detail.html", context)


def entity_context(entity, roles, systems, lang: str, link=RecordLink) -> dict:
    """The template context of an entity's page from its roles (entity_roles) and systems (developed_systems).
    The static export gives the rows of many entities at once, and a `link` that makes each record's link
    once for all the pages that list it."""
    tax = get_taxonomy()
    grouped: dict[str, list] = {}
    records: dict[int, object] = {}
    for row in roles:
        grouped.setdefault(row.role, []).append(row.record)
        records[row.record_id] = row.record
    order = tax["entity_role"].slugs()
    role_groups = [
        {
            "slug": role,
            "label": tax.label("entity_role", role, lang),
            "records": [link(record, lang) for record in grouped[role]],
        }
        for role in sorted(grouped, key=lambda r: (order.index(r) if r in order else len(order), r))
    ]
    types = {p.record_type for p in records.values()}
    systems = [(s, name_in(s, lang)) for s in systems]
    description = pick({"d_en": entity.description_en, "d_fr": entity.description_fr}, "d", lang)
    return {
        "entity": entity,
        "name": name_in(entity, lang),
        "kind_heading": tax["entity_kind"].label_in(lang),
        "kind_label": tax.label("entity_kind", entity.kind, lang),
        "description": description,
        "aliases": entity_aliases(entity, lang),
        "same_as": entity_same_as(entity),
        "role_groups": role_groups,
        "record_count": len(records),
        "systems": [
            {"system": s, "name": name, "type_label": tax.label("system_type", s.system_type, lang)}
            for s, name in sorted(systems, key=lambda pair: (sort_key(pair[1].text), pair[0].pk))
        ],
        "incident_list_url": _list_url("incident_list", lang, "entity", entity.slug)
        if "incident" in types
        else None,
        "hazard_list_url": _list_url("hazard_list", lang, "entity", entity.slug)
        if "hazard" in types
        else None,
    }


# -- AI systems -----------------------------------------------------------------------------------------------


def _with_public_developer(qs):
    public_developer = PublicEntityRole.objects.listed().filter(entity=OuterRef("developer"))
    return qs.select_related("developer").annotate(developer_public=Exists(public_developer))


def _system_headings(lang: str) -> dict:
    tax = get_taxonomy()
    return {
        "type_heading": tax["system_type"].label_in(lang),
        "developer_heading": tax.label("entity_role", "developer", lang),
    }


@require_safe
def system_list(request):
    lang = page_language()
    tax = get_taxonomy()
    everyone = [
        (pk, name_in({"name": name, "name_fr": name_fr}, lang).text)
        for pk, name, name_fr in public_systems().values_list("pk", "name", "name_fr")
    ]
    page = _sorted_page(everyone, request.GET.get("page"))
    ids = list(page.object_list)
    counted = _with_public_developer(AISystem.objects.filter(pk__in=ids)).annotate(
        record_count=Count("public_links__record", filter=listed("public_links__record__"), distinct=True)
    )
    by_id = {s.pk: s for s in counted}
    rows = [
        {
            "system": by_id[pk],
            "name": name_in(by_id[pk], lang),
            "developer": name_in(by_id[pk].developer, lang) if by_id[pk].developer else None,
            "type_label": tax.label("system_type", by_id[pk].system_type, lang),
            "record_count": by_id[pk].record_count,
        }
        for pk in ids
        if pk in by_id
    ]
    return render(
        request,
        "site/system_list.html",
        {"page": page, "rows": rows, "total": len(everyone), **_system_headings(lang)},
    )


@require_safe
def system_detail(request, slug: str):
    lang = page_language()
    tax = get_taxonomy()
    system = _with_public_developer(public_systems().filter(slug=slug)).first()
    if system is None:
        raise Http404
    links = (
        PublicSystemLink.objects.listed()
        .filter(system=system)
        .select_related("record")
        .only("record_id", *(f"record__{c}" for c in RECORD_COLUMNS))
        .order_by("-record__event_date", "-record__pk")
    )
    publics = [link.record for link in links]
    types = {p.record_type for p in publics}
    description = pick({"d_en": system.description_en, "d_fr": system.description_fr}, "d", lang)
    return render(
        request,
        "site/system_detail.html",
        {
            "system": system,
            "name": name_in(system, lang),
            "developer": name_in(system.developer, lang) if system.developer else None,
            **_system_headings(lang),
            "type_label": tax.label("system_type", system.system_type, lang),
            "description": description,
            "records": record_links(publics, lang),
            "incident_list_url": _list_url("incident_list", lang, "system", system.slug)
            if "incident" in types
            else None,
            "hazard_list_url": _list_url("hazard_list", lang, "system", system.slug)
            if "hazard" in types
            else None,
        },
    )
