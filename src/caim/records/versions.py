"""Record documents: the public JSON shape of a record, snapshotted at every publication (SPEC §3.3).

The same document is what the record page renders, what the API serves and what the static export writes, so
the three cannot disagree. It holds public fields only; staff-only fields go to a separate staff document.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Prefetch

from caim.records.fields import CHILD_LISTS, bilingual_fields, fields_of, iso, set_path
from caim.records.models import Record, RecordEntity, RecordSource, RecordSystem, Response

SCHEMA_VERSION = "3.1"


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


def build_document(record: Record, *, version: int, published_at: datetime) -> dict:
    """The public document of `record` as version `version` (expects a record from `load_record`), built from
    the field declaration (records/fields.py)."""
    doc: dict = {"schema_version": SCHEMA_VERSION, "version": version}
    for f in fields_of(record.record_type, public=True):
        for path, value in f.document_value(record).items():
            set_path(doc, path, value)
    for child in CHILD_LISTS:
        doc[child.name] = [child.document_entry(item) for item in getattr(record, child.related_name).all()]
    doc.update(
        {
            "translation_status": translation_statuses(record),
            "created_at": iso(record.created_at),
            "first_published_at": iso(record.first_published_at or published_at),
            "published_at": iso(published_at),
        }
    )
    return doc


def build_staff_document(record: Record) -> dict:
    """Fields that a revert must restore but that never leave the staff area."""
    staff = {f.name: f.document_value(record)[f.path] for f in fields_of(record.record_type, public=False)}
    return {**staff, "status": record.status}


def translation_statuses(record: Record) -> dict[str, str]:
    """original | human | machine | missing, for each language of each bilingual field the record uses."""
    out = {}
    for name in bilingual_fields():
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
