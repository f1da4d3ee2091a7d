"""The corpus files of the API (SPEC §5.1): records.json, one record, its versions.

Each record entry is its current public version document plus computed fields. Output is canonical JSON (keys
sorted, records in id order), so the same data gives the same bytes on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from caim.records.bilingual import pick
from caim.records.models import PublicRecord, RecordVersion
from caim.records.queries import listed
from caim.records.versions import SCHEMA_VERSION

CHUNK = 500


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def materialized_incidents(hazard_ids: list[int]) -> dict[int, list[dict]]:
    """Public incidents materializing each hazard, from the public links (never the working copy)."""
    through = PublicRecord.materialized_from.through
    rows = (
        through.objects.filter(listed("from_publicrecord__"), to_publicrecord_id__in=hazard_ids)
        .values_list("to_publicrecord_id", "from_publicrecord_id", "from_publicrecord__slug")
        .order_by("to_publicrecord_id", "from_publicrecord_id")
    )
    out: dict[int, list[dict]] = defaultdict(list)
    for hazard_id, incident_id, slug in rows:
        out[hazard_id].append({"id": incident_id, "slug": slug})
    return out


def reference_fields(doc: dict, lang: str = "en") -> dict:
    """The keys a client of the reference monitor's API v3 reads: `title` in the file's language (French or
    English, the other when missing) beside `title_fr`, and a `dates` object (a hazard's date is when it was
    identified)."""
    incident = doc["type"] == "incident"
    return {
        "title": pick(doc, "title", lang).text,
        "dates": {
            "occurred": doc.get("occurred") if incident else doc.get("identified"),
            "occurred_precision": doc.get("occurred_precision")
            if incident
            else doc.get("identified_precision"),
            "reported": doc.get("reported") if incident else None,
            "occurred_end": doc.get("occurred_end") if incident else None,
        },
    }


def record_entry(public: PublicRecord, doc: dict, incidents: list[dict] | None, lang: str = "en") -> dict:
    entry = dict(doc)
    entry.update(
        {
            **reference_fields(doc, lang),
            "url": settings.CAIM_SITE_URL + public.url("en"),
            "url_fr": settings.CAIM_SITE_URL + public.url("fr"),
            "source_count": len(doc["sources"]),
            "has_french": public.has_french,
        }
    )
    if public.record_type == "hazard":
        entry["materialized_incidents"] = incidents or []
    return entry


def public_records():
    return PublicRecord.objects.listed().select_related("version").order_by("pk")


def iter_records_json(generated_at: datetime | None = None) -> Iterator[str]:
    """records.json in pieces, reading the records in chunks (memory stays flat at any size)."""
    count = PublicRecord.objects.listed().count()
    generated = (generated_at or timezone.now()).isoformat()
    meta = {"generated_at": generated, "record_count": count, "schema_version": SCHEMA_VERSION}
    yield '{"meta":' + dumps(meta) + ',"records":['
    first = True
    last_pk = 0
    while True:
        chunk = list(public_records().filter(pk__gt=last_pk)[:CHUNK])
        if not chunk:
            break
        incidents = materialized_incidents([p.pk for p in chunk if p.record_type == "hazard"])
        for public in chunk:
            yield ("" if first else ",") + dumps(
                record_entry(public, public.version.document, incidents.get(public.pk))
            )
            first = False
        last_pk = chunk[-1].pk
    yield "]}\n"


def record_json(public: PublicRecord) -> str:
    incidents = materialized_incidents([public.pk]).get(public.pk) if public.record_type == "hazard" else None
    return dumps(record_entry(public, public.version.document, incidents)) + "\n"


def versions_json(public: PublicRecord, versions: list[RecordVersion] | None = None) -> str:
    """The record's versions file; `versions`: its RecordVersion rows by number, when already read."""
    if versions is None:
        versions = RecordVersion.objects.filter(record_id=public.pk).order_by("number")
    return (
        dumps(
            {
                "id": public.pk,
                "slug": public.slug,
                "current_version": public.version_number,
                "versions": [
                    {
                        "version": v.number,
                        "kind": v.kind,
                        "published_at": v.published_at.isoformat(),
                        "changelog_en": v.changelog_en,
                        "changelog_fr": v.changelog_fr,
                        "document": v.document,
                    }
                    for v in versions
                ],
            }
        )
        + "\n"
    )
