"""The statistics as data (SPEC §5.1): `stats.json`, with the very numbers of the statistics page (built by the
same queries), and `systemic-analysis.json`, the patterns across records: co-occurrences, governance gaps,
cross-domain hazards, escalation. Labels come in English and French; keys are vocabulary slugs.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from django.conf import settings
from django.db.models.fields.json import KT

from caim.records.models import PublicRecord, RecordVersion, VersionKind
from caim.records.queries import WATCH_SEVERITY, WATCH_STATUS
from caim.stats import queries
from caim.stats.queries import Matrix, Table
from caim.taxonomy.loader import get_taxonomy


def _table(en: Table, fr: Table) -> dict:
    names = [c.name for c in en.columns]
    return {
        "key": en.key_name,
        "columns": names,
        "rows": [
            {"key": key, "label_en": label, "label_fr": fr_label, **dict(zip(names, values, strict=True))}
            for (key, label, values), (_k, fr_label, _v) in zip(en.rows, fr.rows, strict=True)
        ],
    }


def _matrix(en: Matrix, fr: Matrix) -> dict:
    return {
        "rows_key": en.row_name,
        "columns_key": en.column_name,
        "rows": [
            {"key": k, "label_en": label, "label_fr": fr.rows[i][1]} for i, (k, label) in enumerate(en.rows)
        ],
        "columns": [
            {"key": k, "label_en": label, "label_fr": fr.columns[j][1]}
            for j, (k, label) in enumerate(en.columns)
        ],
        "cells": [list(row) for row in en.cells],
    }


def _link(public: PublicRecord) -> dict:
    return {
        "id": public.pk,
        "slug": public.slug,
        "type": public.record_type,
        "title": public.title_en,
        "title_fr": public.title_fr,
        "url": settings.CAIM_SITE_URL + public.url("en"),
    }


def stats_document() -> dict:
    """Counts by domain, severity, harm type, verification and year, response coverage, hazards by status, the
    hazard watch and a summary of systemic risk."""
    from caim.stats.views import CHARTS  # the page's own list of charts: the same numbers

    charts = {}
    for chart in CHARTS:
        en, fr = chart.build("en"), chart.build("fr")
        data = _matrix(en, fr) if isinstance(en, Matrix) else _table(en, fr)
        charts[chart.slug] = {"title_en": _in(chart.title, "en"), "title_fr": _in(chart.title, "fr"), **data}
    listed = PublicRecord.objects.listed()
    by_type = Counter(listed.values_list("record_type", flat=True))
    coverage = {row[0]: row[2] for row in queries.response_coverage("en").rows}
    watch = queries.hazard_watch()
    return {
        "charts": charts,
        "hazard_watch": [
            {**_link(p), "severity": p.severity, "hazard_status": p.hazard_status} for p in watch
        ],
        "systemic_risk": {
            "records": sum(by_type.values()),
            "incidents": by_type.get("incident", 0),
            "hazards": by_type.get("hazard", 0),
            "hazards_on_watch": len(watch),
            "escalating_hazards": listed.filter(record_type="hazard", hazard_status=WATCH_STATUS).count(),
            "critical_records": listed.filter(severity=WATCH_SEVERITY).count(),
            "response_coverage_percent": coverage["all"][2],
            "domains_with_records": sum(1 for row in charts["domain"]["rows"] if row["total"]),
        },
    }


def _in(text, lang: str) -> str:
    from django.utils.translation import override

    with override(lang):
        return str(text)


def systemic_document() -> dict:
    """Co-occurrence of harm types, pathways and domains; hazards grouped by domain with their governance gap;
    hazards whose incidents span several domains; incidents per hazard per year and hazard status changes."""
    pairs = (("harm_type", "ai_pathway"), ("harm_type", "domain"), ("ai_pathway", "domain"))
    cooccurrence = {
        f"{rows}__{columns}": _matrix(
            queries.cooccurrence(rows, columns, "en"), queries.cooccurrence(rows, columns, "fr")
        )
        for rows, columns in pairs
    }
    hazards = list(
        PublicRecord.objects.listed().filter(record_type="hazard").select_related("version").order_by("pk")
    )
    domain_order = get_taxonomy()["domain"].slugs()
    gaps: dict[str, list] = defaultdict(list)
    for hazard in hazards:
        doc = hazard.version.document
        entry = {**_link(hazard), "governance_gap_en": doc.get("governance_gap_en", ""),
                 "governance_gap_fr": doc.get("governance_gap_fr", "")}  # fmt: skip
        for domain in doc["taxonomy"]["domains"] or [""]:
            gaps[domain].append(entry)
    incidents_of = _incidents_by_hazard([h.pk for h in hazards])
    changes_of = _status_changes([h.pk for h in hazards])
    cross_domain, escalation = [], []
    for hazard in hazards:
        linked = incidents_of.get(hazard.pk, [])
        domains = sorted({d for _pk, _year, ds in linked for d in ds}, key=domain_order.index)
        if len(domains) > 1:
            cross_domain.append({**_link(hazard), "domains": domains, "incidents": len(linked)})
        per_year = Counter(year for _pk, year, _ds in linked if year)
        escalation.append({**_link(hazard), "hazard_status": hazard.hazard_status, "incidents": len(linked),
                           "incidents_per_year": {str(y): n for y, n in sorted(per_year.items())},
                           "status_changes": changes_of.get(hazard.pk, [])})  # fmt: skip
    return {
        "cooccurrence": cooccurrence,
        "governance_gaps": [
            {"domain": domain or None, "hazards": gaps[domain]}
            for domain in [*domain_order, ""]
            if domain in gaps
        ],
        "cross_domain_hazards": cross_domain,
        "escalation": escalation,
    }


def _incidents_by_hazard(hazard_ids: list[int]) -> dict[int, list[tuple[int, int | None, list[str]]]]:
    """Listed incidents materializing each hazard: (id, year of the event, domains)."""
    through = PublicRecord.materialized_from.through
    rows = (
        through.objects.filter(to_publicrecord_id__in=hazard_ids, from_publicrecord__withdrawn=False)
        .values_list("to_publicrecord_id", "from_publicrecord_id", "from_publicrecord__event_date")
        .order_by("to_publicrecord_id", "from_publicrecord_id")
    )
    rows = list(rows)
    domains: dict[int, list[str]] = defaultdict(list)
    for record_id, slug in (
        PublicRecord.objects.filter(pk__in={r[1] for r in rows}, tags__vocabulary="domain")
        .values_list("pk", "tags__slug")
        .order_by("pk", "tags__slug")
    ):
        domains[record_id].append(slug)
    out: dict[int, list] = defaultdict(list)
    for hazard_id, incident_id, event_date in rows:
        out[hazard_id].append((incident_id, event_date.year if event_date else None, domains[incident_id]))
    return out


def _status_changes(hazard_ids: list[int]) -> dict[int, list[dict]]:
    """For each hazard, its published versions whose status differs from the version before (one query)."""
    versions = (
        RecordVersion.objects.filter(record_id__in=hazard_ids)
        .exclude(kind__in=(VersionKind.WITHDRAWAL, VersionKind.MERGE))
        .annotate(status=KT("document__hazard_status"))
        .order_by("record_id", "number")
        .values_list("record_id", "number", "published_at", "status")
    )
    changes: dict[int, list[dict]] = defaultdict(list)
    previous: dict[int, str] = {}
    for record_id, number, published_at, status in versions:
        if record_id in previous and status != previous[record_id]:
            changes[record_id].append(
                {"version": number, "at": published_at.isoformat(), "from": previous[record_id], "to": status}
            )
        previous[record_id] = status
    return changes
