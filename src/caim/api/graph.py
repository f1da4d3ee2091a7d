"""`graph.json` (SPEC §5.1): the public records, entities and AI systems as nodes, their links as edges
(materialized_from, an entity's roles in a record, a system's use in a record), counts, the lint warnings of
published records, and an index of the API's endpoints.

Linting every published document is most of the work; an incremental static export passes the warnings it kept
from its previous graph.json (`kept`) for the records whose lint cannot have changed, and learns from `reads` which
records each linted document looked up (see export/static_site.py)."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import translation

from caim.records.lint import WARNING, lint_document
from caim.records.models import (
    AISystem,
    Entity,
    PublicEntityRole,
    PublicRecord,
    PublicSystemLink,
    RecordVersion,
    record_path,
)
from caim.records.queries import listed as listed_path
from caim.taxonomy.loader import get_taxonomy

NODE_COLUMNS = ("record_type", "slug", "title_en", "title_fr")


def endpoints() -> dict[str, str]:
    base = settings.CAIM_SITE_URL
    names = {
        "records": "api_records",
        "stats": "api_stats",
        "systemic_analysis": "api_systemic",
        "graph": "api_graph",
        "taxonomy": "taxonomy_json",
        "feed": "api_feed",
        "query_records": "api-3:records",
        "openapi": "api-3:openapi-json",
    }
    out = {}
    for key, name in names.items():
        try:
            out[key] = base + reverse(name)
        except Exception:  # noqa: BLE001, S112 - an endpoint of a later release: left out of the index
            continue
    out["record"] = base + "/api/v3/records/{slug}.json"
    out["record_versions"] = base + "/api/v3/records/{slug}/versions.json"
    return out


def graph_document(
    kept: dict[int, list[dict]] | None = None, reads: dict[int, list[int]] | None = None
) -> dict:
    """The document. `kept`: record id -> its validation_warnings entries, for records whose current version,
    and the records its lint looks up, are as when they were made; the others are linted. `reads`, if given, is
    filled with the records each linted document looked up (`lint_reads`), when it looked any up."""
    listed = PublicRecord.objects.listed()
    # Without kept warnings every document is linted: load the versions with the records; with them, only the
    # columns the nodes show (the versions of the records to lint are read in _warnings).
    if kept is None:
        publics = list(listed.select_related("version").order_by("pk"))
    else:
        publics = list(listed.only(*NODE_COLUMNS, "version_id").order_by("pk"))
    roles = list(
        PublicEntityRole.objects.listed()
        .values_list("entity_id", "record_id", "role")
        .order_by("entity_id", "record_id", "role")
    )
    uses = list(
        PublicSystemLink.objects.listed()
        .values_list("system_id", "record_id")
        .order_by("system_id", "record_id")
    )
    entities, systems = named()
    links = record_links()
    site = settings.CAIM_SITE_URL
    nodes = [
        {"id": f"record:{p.pk}", "kind": p.record_type, "record_id": p.pk, "slug": p.slug, "title": p.title_en,
         "title_fr": p.title_fr, "url": site + record_path(p.record_type, p.slug, "en")}
        for p in publics
    ]  # fmt: skip
    nodes += named_nodes(entities, systems)
    edges = [
        {"source": f"record:{a}", "target": f"record:{b}", "kind": "materialized_from"} for a, b in links
    ]
    entity_ids = {pk: f"entity:{e.slug}" for pk, e in entities.items()}
    edges += [{"source": entity_ids[e], "target": f"record:{r}", "kind": "entity_role", "role": role}
              for e, r, role in roles]  # fmt: skip
    system_ids = {pk: f"system:{s.slug}" for pk, s in systems.items()}
    edges += [{"source": system_ids[s], "target": f"record:{r}", "kind": "system_use"} for s, r in uses]
    incidents = sum(1 for p in publics if p.record_type == "incident")
    return {
        "counts": {
            "records": len(publics),
            "incidents": incidents,
            "hazards": len(publics) - incidents,
            "entities": len(entities),
            "systems": len(systems),
            "edges": len(edges),
        },  # fmt: skip
        "nodes": nodes,
        "edges": edges,
        "validation_warnings": _warnings(publics, kept, reads),
        "endpoints": endpoints(),
    }


def named() -> tuple[dict[int, Entity], dict[int, AISystem]]:
    """The entities and AI systems named in listed records, by id."""
    # Subqueries rather than lists of ids: tens of thousands of query parameters cost more than the query.
    entities = Entity.objects.filter(pk__in=PublicEntityRole.objects.listed().values("entity_id"))
    systems = AISystem.objects.filter(pk__in=PublicSystemLink.objects.listed().values("system_id"))
    return (
        {e.pk: e for e in entities.only("slug", "name", "kind")},
        {s.pk: s for s in systems.only("slug", "name", "system_type")},
    )


def named_nodes(entities: dict[int, Entity], systems: dict[int, AISystem]) -> list[dict]:
    """The nodes of the entities and AI systems (as `named()` gives them), by slug."""
    nodes = [{"id": f"entity:{e.slug}", "kind": "entity", "slug": e.slug, "name": e.name, "entity_kind": e.kind}
             for e in sorted(entities.values(), key=lambda e: e.slug)]  # fmt: skip
    nodes += [{"id": f"system:{s.slug}", "kind": "system", "slug": s.slug, "name": s.name, "system_type": s.system_type}
              for s in sorted(systems.values(), key=lambda s: s.slug)]  # fmt: skip
    return nodes


def record_links(ids=None) -> list[tuple[int, int]]:
    """(incident, hazard) ids of the materialized_from links between listed records (those touching `ids`)."""
    through = PublicRecord.materialized_from.through
    links = through.objects.filter(listed_path("from_publicrecord__"), listed_path("to_publicrecord__"))
    if ids is not None:
        links = links.filter(Q(from_publicrecord_id__in=ids) | Q(to_publicrecord_id__in=ids))
    return list(
        links.values_list("from_publicrecord_id", "to_publicrecord_id").order_by(
            "from_publicrecord_id", "to_publicrecord_id"
        )
    )


def warnings_of(ids: list[int], reads: dict | None = None) -> list[dict]:
    """The validation_warnings entries of the listed records `ids`, as graph_document writes them (in English:
    the API's derived files are)."""
    publics = list(PublicRecord.objects.listed().filter(pk__in=ids).select_related("version").order_by("pk"))
    kinds = dict(PublicRecord.objects.listed().values_list("pk", "record_type"))
    with translation.override("en"):
        return _warnings(publics, None, reads, {pk: (kind, True) for pk, kind in kinds.items()})


def lint_key() -> str:
    """What the warnings depend on besides the record's version and the records it looks up: the taxonomy.
    Kept warnings made under another key are linted again."""
    return hashlib.sha256(get_taxonomy().source.read_bytes()).hexdigest()[:16]


def lint_reads(document: dict) -> list[int]:
    """The records a document's lint looks up in its `links` (their type and whether they are public)."""
    return sorted({link["id"] for link in document.get("materialized_from", [])})


def _warnings(
    publics: list[PublicRecord],
    kept: dict[int, list[dict]] | None,
    reads: dict | None,
    kinds: dict | None = None,
) -> list[dict]:
    """The lint's warnings on each published record's current version (errors cannot be published). `kinds`:
    what the lint knows of the records a document links to (every listed record, by default `publics`)."""
    kinds = kinds if kinds is not None else {p.pk: (p.record_type, True) for p in publics}
    taxonomy = get_taxonomy()
    versions = {}
    if kept is not None:  # the versions were not loaded with the records: read those of the records to lint
        versions = RecordVersion.objects.in_bulk([p.version_id for p in publics if p.pk not in kept])
    kept = kept or {}
    out = []
    for public in publics:
        if public.pk in kept:
            out += kept[public.pk]
            continue
        version = versions.get(public.version_id) or public.version
        issues = lint_document(version.document, version.staff_document, today=version.published_at.date(),
                               links=kinds, taxonomy=taxonomy)  # fmt: skip
        out += [{"record": public.pk, "slug": public.slug, "rule": i.rule, "field": i.field, "message": i.message}
                for i in issues if i.level == WARNING]  # fmt: skip
        if reads is not None and (looked_up := lint_reads(version.document)):
            reads[public.pk] = looked_up
    return out
