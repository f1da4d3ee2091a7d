"""Synthetic records for benchmarks, generated from AI Incident Database texts (`caim generate`).

Every synthetic record has origin "synthetic", a slug starting with "synthetic-", a title marked "[Synthetic]"
and a notice on its page. They are drafts unless `publish=True` (benchmark databases only). Text comes from
AIID incidents and their reports (CC BY-SA 4.0, attributed in each record's sources); French fields are filled
with the same text marked as a synthetic translation, so bilingual pages and indexes have realistic sizes.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from datetime import date

from caim.interop.aiid.names import entity_slug, publisher_of, slugify
from caim.interop.aiid.reader import AiidData, IncidentTexts
from caim.records.bulk import (
    bulk_create_drafts,
    bulk_create_entities,
    bulk_publish,
    refresh_planner_statistics,
)
from caim.records.models import Origin, Status
from caim.records.public import bulk_related
from caim.taxonomy.loader import get_taxonomy

BATCH = 1000
MARK_EN, MARK_FR = "[Synthetic] ", "[Synthétique] "


def synthetic_record(n: int, incident: IncidentTexts, rng: random.Random) -> tuple[str, str, dict]:
    """(record_type, slug, data) of synthetic record number n, built from one AIID incident."""
    tax = get_taxonomy()
    record_type = "hazard" if n % 7 == 0 else "incident"
    variant = f" ({n})"
    title = f"{MARK_EN}{incident.title}{variant}"[:290]
    by_url = {
        r.url: r for r in incident.reports if r.url.startswith(("http://", "https://")) and len(r.url) <= 2000
    }
    reports = list(by_url.values())[:4]
    sources, keys = [], []
    for i, report in enumerate(reports):
        key = f"{publisher_of(report.url)}, {incident.date[:4] or 'n.d.'}{'abcd'[i]}"
        keys.append(key)
        sources.append({
            "citation_key": key, "source_type": "media", "publisher": publisher_of(report.url),
            "title": (report.title or report.url)[:480], "url": report.url, "language": "en",
            "supports_en": "AIID report on the incident.", "supports_fr": "Article de l'AIID sur l'incident.",
        })  # fmt: skip
    if not sources:
        key = f"AI Incident Database, {incident.date[:4] or 'n.d.'}"
        keys.append(key)
        sources.append({
            "citation_key": key, "source_type": "other", "publisher": "AI Incident Database",
            "title": incident.title[:480], "url": f"https://incidentdatabase.ai/cite/{incident.incident_id}/",
            "language": "en", "supports_en": "The AIID incident.", "supports_fr": "L'incident de l'AIID.",
        })  # fmt: skip
    citation = "; ".join(keys)
    description = incident.description or incident.title
    narrative = f"{description} ({citation}).\n\nThis synthetic record repeats AIID incident {incident.incident_id} ({keys[0]})."
    pick = lambda vocab, k=1: rng.sample(tax[vocab].slugs(), k)  # noqa: E731
    pathways = pick("ai_pathway", rng.randint(1, 2))
    entities = [
        {"slug": entity_slug(s), "roles": [role], "description_en": "", "description_fr": ""}
        for role, slugs in (("deployer", incident.deployers), ("developer", incident.developers),
                            ("affected_party", incident.harmed))
        for s in slugs[:2]
    ]  # fmt: skip
    merged: dict[str, dict] = {}
    for e in entities:
        merged.setdefault(e["slug"], {**e, "roles": []})["roles"] += e["roles"]
    occurred = incident.date if re.match(r"^\d{4}-\d\d-\d\d$", incident.date) else "2020-01-01"
    occurred = min(date.fromisoformat(occurred), date(2026, 1, 1)).isoformat()
    data = {
        "title_en": title,
        "title_fr": f"{MARK_FR}{incident.title}{variant}"[:290],
        "summary_en": description,
        "summary_fr": f"{MARK_FR}{description}",
        "narrative_en": narrative,
        "narrative_fr": f"{MARK_FR}{narrative}",
        "translation_status": {"title_fr": "machine", "summary_fr": "machine", "narrative_fr": "machine"},
        "severity": pick("severity")[0],
        "canada_nexus": "available_in_canada_with_concern",
        "taxonomy": {
            "domains": pick("domain", rng.randint(1, 2)),
            "harm_types": pick("harm_type", rng.randint(1, 3)),
            "ai_pathways": pathways,
            "lifecycle_phases": pick("lifecycle_phase"),
        },
        "sources": sources,
        "harms": [{"description_en": description[:400], "description_fr": f"{MARK_FR}{description[:400]}",
                   "harm_types": pick("harm_type"), "severity": pick("severity")[0], "reach": pick("reach")[0]}],
        "entities": list(merged.values()),
        "mitigations": [{"pathway": pathways[0], "text_en": "Synthetic mitigation.", "text_fr": "Mesure synthétique."}],
        "same_as": [{"db": "aiid", "id": str(incident.incident_id)}],
    }  # fmt: skip
    if record_type == "incident":
        publishers = {s["publisher"] for s in sources}
        data.update({"occurred": occurred, "occurred_precision": "day",
                     "verification": "corroborated" if len(publishers) >= 2 else "reported"})  # fmt: skip
    else:
        data.update({
            "hazard_status": pick("hazard_status")[0], "confidence": pick("confidence")[0],
            "identified": occurred, "identified_precision": "year", "last_assessed": "2026-01-15",
            "governance_gap_en": "Synthetic governance gap.", "governance_gap_fr": "Lacune synthétique.",
        })  # fmt: skip
    return record_type, f"synthetic-{n}-{slugify(incident.title)}", data


def generate(
    aiid: AiidData,
    count: int,
    *,
    editor,
    reviewer,
    publish: bool,
    seed: int = 1,
    start: int = 1,
    progress: Callable[[int], None] | None = None,
) -> dict:
    """Create `count` synthetic records numbered from `start`, in batches; publish them when asked."""
    if not aiid.incidents:
        raise ValueError("No AIID incident to generate from.")
    rng = random.Random(seed)
    entity_slugs = {s for i in aiid.incidents for s in [*i.deployers[:2], *i.developers[:2], *i.harmed[:2]]}
    bulk_create_entities(
        [
            {"slug": entity_slug(s), "name": aiid.entity_name(s)[:300], "kind": "other"}
            for s in sorted(entity_slugs)
        ],
        actor=editor,
    )
    created = published = refused = 0
    published_ids: list[int] = []
    for batch_start in range(start, start + count, BATCH):
        numbers = range(batch_start, min(batch_start + BATCH, start + count))
        items = [synthetic_record(n, aiid.incidents[(n - 1) % len(aiid.incidents)], rng) for n in numbers]
        ids = bulk_create_drafts(
            items,
            actor=editor,
            origin=Origin.SYNTHETIC,
            status=Status.REVIEW if publish else Status.SCREENING,
        )
        created += len(ids)
        if publish:
            done, failed = bulk_publish(
                ids,
                actor=reviewer,
                changelog_en="Synthetic record.",
                changelog_fr="Fiche synthétique.",
                related=False,
            )
            published_ids += done
            published += len(done)
            refused += len(failed)
        if progress:
            progress(created)
    related = bulk_related(published_ids) if published_ids else 0
    refresh_planner_statistics()
    return {"created": created, "published": published, "refused": refused, "related": related}
