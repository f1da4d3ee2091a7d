"""Record documents: the public JSON shape of a record, snapshotted at every publication (SPEC §3.3).

The same document is what the record page renders, what the API serves and what the static export writes, so
the three cannot disagree. It holds public fields only; staff-only fields go to a separate staff document.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db.models import Prefetch

from caim.records.models import (
    BILINGUAL_RECORD_FIELDS,
    AISystem,
    Record,
    RecordEntity,
    RecordSource,
    RecordSystem,
    RecordType,
    Response,
)

SCHEMA_VERSION = "3.1"


def iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value else None


def with_document_rows(records):
    """`records` (a queryset) with every child row the document needs, in a fixed number of queries."""
    return records.prefetch_related(
        Prefetch("record_sources", queryset=RecordSource.objects.select_related("source")),
        "harms",
        Prefetch("record_entities", queryset=RecordEntity.objects.select_related("entity")),
        Prefetch("record_systems", queryset=RecordSystem.objects.select_related("system__developer")),
        Prefetch("responses", queryset=Response.objects.select_related("actor")),
        "policy_recommendations",
        "mitigations",
        Prefetch(
            "materialized_from",
            queryset=Record.objects.select_related("public").only(
                "id", "slug", "record_type", "public__slug"
            ),
        ),
    )


def load_record(pk: int) -> Record:
    return with_document_rows(Record.objects.all()).get(pk=pk)


def bilingual_pair(obj, name: str) -> dict[str, str]:
    return {f"{name}_en": getattr(obj, f"{name}_en"), f"{name}_fr": getattr(obj, f"{name}_fr")}


def source_entry(rs: RecordSource) -> dict:
    return {
        "number": rs.number,
        "citation_key": rs.citation_key,
        "source_type": rs.source_type,
        "publisher": rs.publisher,
        "title": rs.title,
        "url": rs.source.url,
        "archived_url": rs.archived_url or None,
        "date_published": iso(rs.date_published),
        "date_precision": rs.date_precision,
        "language": rs.language,
        **bilingual_pair(rs, "supports"),
        "background": rs.background,
    }


def system_entry(link: RecordSystem) -> dict:
    system: AISystem = link.system
    return {
        "slug": system.slug,
        "name": system.name,
        "system_type": system.system_type,
        "developer": {"slug": system.developer.slug, "name": system.developer.name}
        if system.developer
        else None,
        **bilingual_pair(link, "involvement"),
    }


def build_document(record: Record, *, version: int, published_at: datetime) -> dict:
    """The public document of `record` as version `version` (expects a record from `load_record`)."""
    doc: dict = {
        "schema_version": SCHEMA_VERSION,
        "id": record.id,
        "slug": record.slug,
        "type": record.record_type,
        "version": version,
        "origin": record.origin,
        "original_language": record.original_language,
        **{
            k: v
            for name in ("title", "summary", "narrative", "editorial_assessment")
            for k, v in bilingual_pair(record, name).items()
        },
        "severity": record.severity or None,
        "taxonomy": {
            "domains": list(record.domains),
            "harm_types": list(record.harm_types),
            "ai_pathways": list(record.ai_pathways),
            "lifecycle_phases": list(record.lifecycle_phases),
        },
        "canada_nexus": {
            "criterion": record.canada_nexus or None,
            **bilingual_pair(record, "canada_nexus_note"),
        },
        "harms": [
            {
                **bilingual_pair(h, "description"),
                "harm_types": list(h.harm_types),
                "severity": h.severity or None,
                "reach": h.reach or None,
            }
            for h in record.harms.all()
        ],
        "sources": [source_entry(rs) for rs in record.record_sources.all()],
        "entities": [
            {
                "slug": link.entity.slug,
                "name": link.entity.name,
                "kind": link.entity.kind,
                "roles": list(link.roles),
                **bilingual_pair(link, "description"),
            }
            for link in record.record_entities.all()
        ],
        "systems": [system_entry(link) for link in record.record_systems.all()],
        "responses": [
            {
                "kind": r.kind,
                "actor": {"slug": r.actor.slug, "name": r.actor.name} if r.actor else None,
                "date": iso(r.date),
                "date_precision": r.date_precision,
                **bilingual_pair(r, "description"),
                "source_key": r.source_key or None,
            }
            for r in record.responses.all()
        ],
        "policy_recommendations": [
            {**bilingual_pair(p, "text"), "source_key": p.source_key}
            for p in record.policy_recommendations.all()
        ],
        "mitigations": [
            {"pathway": m.pathway, **bilingual_pair(m, "text")} for m in record.mitigations.all()
        ],
        "same_as": list(record.same_as),
        "translation_status": translation_statuses(record),
        "created_at": iso(record.created_at),
        "first_published_at": iso(record.first_published_at or published_at),
        "published_at": iso(published_at),
    }
    if record.record_type == RecordType.INCIDENT:
        doc.update(
            {
                "occurred": iso(record.occurred),
                "occurred_precision": record.occurred_precision,
                "occurred_end": iso(record.occurred_end),
                "occurred_end_precision": record.occurred_end_precision if record.occurred_end else None,
                "reported": iso(record.reported),
                "verification": record.verification or None,
                "dispute": record.dispute or None,
                **bilingual_pair(record, "dispute_note"),
                # Linked records by their public slug: a pending rename there is not reviewed yet (a hazard
                # never public keeps its own, and the lint refuses to publish a link to it).
                "materialized_from": [
                    {"id": h.id, "slug": h.public_slug or h.slug} for h in record.materialized_from.all()
                ],
            }
        )
    else:
        doc.update(
            {
                "hazard_status": record.hazard_status or None,
                "confidence": record.confidence or None,
                "identified": iso(record.identified),
                "identified_precision": record.identified_precision if record.identified else None,
                "last_assessed": iso(record.last_assessed),
                **bilingual_pair(record, "governance_gap"),
            }
        )
    return doc


def build_staff_document(record: Record) -> dict:
    """Fields that a revert must restore but that never leave the staff area."""
    return {"private_persons": list(record.private_persons), "status": record.status}


def translation_statuses(record: Record) -> dict[str, str]:
    """original | human | machine | missing, for each language of each bilingual field the record uses."""
    out = {}
    for name in BILINGUAL_RECORD_FIELDS:
        texts = {lang: getattr(record, f"{name}_{lang}").strip() for lang in ("en", "fr")}
        if not any(texts.values()):
            continue  # a field the record does not use (e.g. no dispute note)
        for lang, text in texts.items():
            key = f"{name}_{lang}"
            if not text:
                out[key] = "missing"
            elif lang == record.original_language:
                out[key] = "original"
            else:
                out[key] = record.translation_status.get(key, "human")
    return out
