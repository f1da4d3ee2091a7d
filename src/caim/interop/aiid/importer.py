"""`caim import-aiid PATH`: the AI Incident Database as a reference corpus (SPEC §7, §10), and draft records.

The files are read and checked first (reader.py); a row reported as a problem is skipped, leaving what an
earlier run wrote for it untouched. Then the incidents are written in batches, one transaction each, as upserts
keyed by AIID's ids (incident id, report number, entity slug, incident + namespace): a row is only written when
its content differs, so a second run changes nothing and an interrupted run is resumed by running it again.
Each run is logged in AiidImportRun. Classifications are mapped into our vocabularies by crosswalk.py. With
`--as-drafts`, each incident without one also gets a draft record (origin imported, status screening), unless
it has no report with a usable URL: a draft without a source would only fail the lint, so it is not made and
the incident is listed (gap `drafts_without_sources`); a later run makes it once a source appears.

Nothing is left out or made up without a word: the run counts and lists (AiidImportRun.counts and .gaps, and
the summary) each kind of gap, see GAPS. A run that skipped rows, dropped cells or could not read a Published
cell is `partial` (PARTIAL_GAPS): `caim import-aiid` then exits 3 unless told `--accept-partial`.

AIID content is CC BY-SA 4.0: "AI Incident Database (incidentdatabase.ai), Responsible AI Collaborative".
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from django.db import transaction

from caim.interop.aiid.crosswalk import MAPPED_FIELDS, Crosswalk, map_incident
from caim.interop.aiid.names import entity_slug, publisher_of, slugify
from caim.interop.aiid.reader import INCIDENTS_CSV, AiidSource, IncidentRow, Problem, ReportData, read_source
from caim.interop.models import (
    AiidClassification,
    AiidEntity,
    AiidImportRun,
    AiidIncident,
    AiidIncidentEntity,
    AiidIncidentReport,
    AiidReport,
    EntityRole,
    ImportStatus,
)
from caim.records import roles
from caim.records.bulk import bulk_create_drafts, bulk_create_entities, refresh_planner_statistics
from caim.records.changes import InvalidRecordData
from caim.records.clock import Clock, get_clock
from caim.records.models import Origin, Record, Status
from caim.taxonomy.loader import get_taxonomy

DEFAULT_BATCH = 200
INCIDENT_FIELDS = (
    "object_id", "date", "title", "description", "deployers", "developers", "harmed", "oecd_ids",
    "record_type", "severity", "domains", "harm_types", "ai_pathways", "lifecycle_phases", "unmapped",
    "provenance",
)  # fmt: skip


# -- gaps -------------------------------------------------------------------------------------------------------

# Each kind of gap: (key in counts and gaps, the summary's line). Counted in `counts`, listed in `gaps`.
GAPS = (
    ("reports_without_title_or_url", "Reports without title or URL (kept, as numbers only)"),
    ("incidents_without_source", "Incidents left without a usable source (no report with an http(s) URL)"),
    ("graphql_only_links", "Report links found only in the GraphQL export (imported)"),
    ("entity_names_derived", "Entity names derived from the slug (no name in the GraphQL export; marked derived)"),
    ("published_unreadable", "Published cells neither True nor False (read as unknown, not mapped)"),
    ("cells_dropped", "Classification cells dropped as unreadable (the rest of each row kept)"),
    ("drafts_without_sources", "Drafts not created: the incident has no usable source"),
)  # fmt: skip
GAP_KEYS = tuple(key for key, _label in GAPS)
# What makes a run partial: something in the files was not imported.
PARTIAL_GAPS = ("rows_skipped", "cells_dropped", "published_unreadable")


def usable_url(url: str) -> bool:
    """A URL a draft record can cite: http(s), with a host."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def source_gaps(source: AiidSource) -> dict[str, list]:
    """The gaps of what was read (drafts apart): {kind: [report numbers, incident ids, links, names, cells]}."""
    empty = ReportData("", "", [])
    numbers = sorted({n for row in source.incidents for n in row.reports})
    blank = [
        n for n in numbers if not (source.reports.get(n, empty).title or source.reports.get(n, empty).url)
    ]
    without = [
        row.incident_id
        for row in source.incidents
        if not any(usable_url(source.reports.get(n, empty).url) for n in row.reports)
    ]
    g = source.gaps
    return {
        "reports_without_title_or_url": blank,
        "incidents_without_source": without,
        "graphql_only_links": [list(link) for link in g.graphql_only_links],
        "entity_names_derived": [[slug, name] for slug, name in sorted(g.derived_names.items())],
        "published_unreadable": [p.as_dict() for p in g.published_unreadable],
        "cells_dropped": [p.as_dict() for p in g.cells_dropped],
        "drafts_without_sources": [],
    }


# -- writing ----------------------------------------------------------------------------------------------------


COUNT_KEYS = (
    "incidents", "incidents_created", "incidents_updated",
    "reports", "reports_created", "reports_updated",
    "entities", "entities_created", "entities_updated",
    "classifications", "classifications_created", "classifications_updated", "classifications_deleted",
    "classifications_mapped", "incidents_mapped", "values_mapped",
    "rows_skipped", "drafts_created", "drafts_existing",
    *GAP_KEYS,
)  # fmt: skip


@dataclass
class ImportResult:
    run_id: int
    counts: dict[str, int]
    problems: list[Problem]
    files_missing: list[str]
    elapsed: float
    gaps: dict[str, list] = field(default_factory=dict)
    cells: list[Problem] = field(default_factory=list)  # cells dropped and Published cells unreadable

    @property
    def partial(self) -> bool:
        """Rows skipped, cells dropped or Published cells unreadable: not everything in the files was imported."""
        return any(self.counts[key] for key in PARTIAL_GAPS)

    def summary(self) -> list[str]:
        c = self.counts

        def changes(kind: str) -> str:
            return f"{c[kind + '_created']:,} new, {c[kind + '_updated']:,} changed"

        lines = [
            f"AIID incidents: {c['incidents']:,} ({changes('incidents')})",
            f"Reports: {c['reports']:,} ({changes('reports')})",
            f"Entities: {c['entities']:,} ({changes('entities')})",
            f"Classifications: {c['classifications']:,} ({changes('classifications')}, "
            f"{c['classifications_deleted']:,} removed); {c['classifications_mapped']:,} mapped to our taxonomy, "
            f"giving {c['values_mapped']:,} values to {c['incidents_mapped']:,} incidents",
            f"Rows skipped: {c['rows_skipped']:,}",
        ]
        if c["drafts_created"] or c["drafts_existing"] or c["drafts_without_sources"]:
            lines.append(f"Drafts: {c['drafts_created']:,} created, {c['drafts_existing']:,} already there")
        lines.append(f"Gaps (each listed in AIID import run {self.run_id}):")
        lines += [f"  {label}: {c[key]:,}" for key, label in GAPS]
        if self.files_missing:
            lines.append(f"Not found (left out): {', '.join(self.files_missing)}")
        lines.append(f"Elapsed: {self.elapsed:.1f} s")
        return lines


class _Writer:
    """Upserts, batch by batch, remembering what the database holds (read once per run)."""

    def __init__(self, source: AiidSource, crosswalk: Crosswalk, now, counts: dict[str, int]):
        self.source, self.crosswalk, self.now, self.counts = source, crosswalk, now, counts
        self.entities = {
            s: (pk, name, derived)
            for s, pk, name, derived in AiidEntity.objects.values_list("slug", "pk", "name", "name_derived")
        }
        self.reports = {
            n: (pk, ReportData(t, u, a))
            for n, pk, t, u, a in AiidReport.objects.values_list(
                "report_number", "pk", "title", "url", "authors"
            )
        }
        self.entities_done: set[str] = set()
        self.reports_done: set[int] = set()
        self.skipped_incidents = {incident_id for incident_id, _ns in source.skipped_classifications}
        self.classifications = defaultdict(list)
        for row in source.classifications:
            self.classifications[row.incident_id].append(row)

    def entity_name(self, slug: str) -> tuple[str, bool]:
        """(name, derived): the GraphQL export's name, else the one the reader derived from the slug."""
        name = self.source.entity_names.get(slug)
        if name:
            return name[:300], False
        return self.source.gaps.derived_names[slug][:300], True

    def _upsert_entities(self, slugs: set[str]) -> None:
        slugs -= self.entities_done
        named = {s: self.entity_name(s) for s in sorted(slugs)}
        new = [
            AiidEntity(slug=s, name=name, name_derived=derived, created_at=self.now, updated_at=self.now)
            for s, (name, derived) in named.items()
            if s not in self.entities
        ]
        AiidEntity.objects.bulk_create(new, batch_size=500)
        changed = [
            AiidEntity(pk=self.entities[s][0], slug=s, name=name, name_derived=derived, updated_at=self.now)
            for s, (name, derived) in named.items()
            if s in self.entities and self.entities[s][1:] != (name, derived)
        ]
        AiidEntity.objects.bulk_update(changed, ["name", "name_derived", "updated_at"], batch_size=500)
        for e in [*new, *changed]:
            self.entities[e.slug] = (e.pk, e.name, e.name_derived)
        self.counts["entities_created"] += len(new)
        self.counts["entities_updated"] += len(changed)
        self.entities_done |= slugs

    def _upsert_reports(self, numbers: set[int]) -> None:
        numbers -= self.reports_done
        empty = ReportData("", "", [])
        wanted = {n: self.source.reports.get(n, empty) for n in numbers}
        new = [
            AiidReport(report_number=n, title=d.title, url=d.url, authors=d.authors, created_at=self.now,
                       updated_at=self.now)
            for n, d in sorted(wanted.items())
            if n not in self.reports
        ]  # fmt: skip
        AiidReport.objects.bulk_create(new, batch_size=500)
        changed = [
            AiidReport(pk=self.reports[n][0], report_number=n, title=d.title, url=d.url, authors=d.authors,
                       updated_at=self.now)
            for n, d in sorted(wanted.items())
            if n in self.reports and self.reports[n][1] != d
        ]  # fmt: skip
        AiidReport.objects.bulk_update(changed, ["title", "url", "authors", "updated_at"], batch_size=500)
        for r in [*new, *changed]:
            self.reports[r.report_number] = (r.pk, ReportData(r.title, r.url, r.authors))
        self.counts["reports_created"] += len(new)
        self.counts["reports_updated"] += len(changed)
        self.reports_done |= numbers

    def _fields(self, row: IncidentRow) -> tuple[dict, set[int]]:
        mapped, contributing = map_incident(self.crosswalk, self.classifications[row.incident_id])
        fields = {
            "object_id": row.object_id,
            "date": row.date,
            "title": row.title,
            "description": row.description,
            "deployers": row.entities[EntityRole.DEPLOYER.value],
            "developers": row.entities[EntityRole.DEVELOPER.value],
            "harmed": row.entities[EntityRole.HARMED.value],
            "oecd_ids": self.source.oecd_ids.get(row.incident_id, []),
            **mapped,
        }
        return fields, contributing

    def write_batch(self, batch: list[IncidentRow]) -> None:
        with transaction.atomic():
            self._upsert_entities({s for row in batch for slugs in row.entities.values() for s in slugs})
            self._upsert_reports({n for row in batch for n in row.reports})
            ids = [row.incident_id for row in batch]
            existing = {i.incident_id: i for i in AiidIncident.objects.filter(incident_id__in=ids)}
            objects, new, changed = {}, [], set()
            for row in batch:
                fields, contributing = self._fields(row)
                obj = existing.get(row.incident_id)
                if obj is not None and row.incident_id in self.skipped_incidents:
                    # A classification row of it was skipped: its mapping stays as the last good run left it.
                    fields.update({name: getattr(obj, name) for name in MAPPED_FIELDS})
                    contributing = set()
                self.counts["classifications_mapped"] += len(contributing)
                mapped_values = sum(_values_in(fields[c]) for c in MAPPED_FIELDS)
                self.counts["values_mapped"] += mapped_values
                self.counts["incidents_mapped"] += bool(mapped_values)
                if obj is None:
                    obj = AiidIncident(
                        incident_id=row.incident_id, created_at=self.now, updated_at=self.now, **fields
                    )
                    new.append(obj)
                else:
                    for name, value in fields.items():
                        if getattr(obj, name) != value:
                            setattr(obj, name, value)
                            changed.add(row.incident_id)
                objects[row.incident_id] = obj
            AiidIncident.objects.bulk_create(new, batch_size=500)
            pks = {obj.pk: incident_id for incident_id, obj in objects.items()}
            changed |= self._sync_report_links(batch, objects, pks)
            changed |= self._sync_entity_links(batch, objects, pks)
            changed |= self._sync_classifications(batch, objects, pks)
            created = {obj.incident_id for obj in new}
            updated = [objects[i] for i in sorted(changed - created)]
            for obj in updated:
                obj.updated_at = self.now
            AiidIncident.objects.bulk_update(updated, [*INCIDENT_FIELDS, "updated_at"], batch_size=200)
            self.counts["incidents_created"] += len(new)
            self.counts["incidents_updated"] += len(updated)

    def _sync_report_links(self, batch, objects, pks) -> set[int]:
        have = defaultdict(list)
        for incident_pk, report_pk, graphql_only in (
            AiidIncidentReport.objects.filter(incident_id__in=list(pks))
            .order_by("position")
            .values_list("incident_id", "report_id", "graphql_only")
        ):
            have[pks[incident_pk]].append((report_pk, graphql_only))
        only = self.source.graphql_only
        changed = set()
        for row in batch:
            want = [(self.reports[n][0], (row.incident_id, n) in only) for n in row.reports]
            if have[row.incident_id] != want:
                changed.add(row.incident_id)
        if changed:
            AiidIncidentReport.objects.filter(incident__in=[objects[i] for i in changed]).delete()
            AiidIncidentReport.objects.bulk_create(
                (
                    AiidIncidentReport(
                        incident=objects[row.incident_id],
                        report_id=self.reports[n][0],
                        position=p,
                        graphql_only=(row.incident_id, n) in only,
                    )  # fmt: skip
                    for row in batch
                    if row.incident_id in changed
                    for p, n in enumerate(row.reports, 1)
                ),
                batch_size=1000,
            )
        return changed

    def _sync_entity_links(self, batch, objects, pks) -> set[int]:
        have = defaultdict(set)
        for incident_pk, entity_pk, role in AiidIncidentEntity.objects.filter(
            incident_id__in=list(pks)
        ).values_list("incident_id", "entity_id", "role"):
            have[pks[incident_pk]].add((entity_pk, role))
        want = {
            row.incident_id: {
                (self.entities[s][0], role) for role, slugs in row.entities.items() for s in slugs
            }
            for row in batch
        }
        changed = {i for i in want if want[i] != have[i]}
        if changed:
            AiidIncidentEntity.objects.filter(incident__in=[objects[i] for i in changed]).delete()
            AiidIncidentEntity.objects.bulk_create(
                (
                    AiidIncidentEntity(incident=objects[i], entity_id=entity_pk, role=role)
                    for i in sorted(changed)
                    for entity_pk, role in sorted(want[i])
                ),
                batch_size=1000,
            )
        return changed

    def _sync_classifications(self, batch, objects, pks) -> set[int]:
        have = {
            (pks[incident_pk], ns): (pk, published, values)
            for pk, incident_pk, ns, published, values in AiidClassification.objects.filter(
                incident_id__in=list(pks)
            ).values_list("pk", "incident_id", "namespace", "published", "values")
        }
        want = {
            (r.incident_id, r.namespace): r for row in batch for r in self.classifications[row.incident_id]
        }
        self.counts["classifications"] += len(want)
        new, updated, deleted, changed = [], [], [], set()
        for key, r in want.items():
            if key not in have:
                new.append(AiidClassification(incident=objects[key[0]], namespace=r.namespace, published=r.published,
                                              values=r.values))  # fmt: skip
                changed.add(key[0])
            elif have[key][1:] != (r.published, r.values):
                updated.append(AiidClassification(pk=have[key][0], published=r.published, values=r.values))
                changed.add(key[0])
        for key, (pk, _published, _values) in have.items():
            gone = key not in want and key[1] in self.source.namespaces_read
            if gone and key not in self.source.skipped_classifications:
                deleted.append(pk)
                changed.add(key[0])
        AiidClassification.objects.bulk_create(new, batch_size=500)
        AiidClassification.objects.bulk_update(updated, ["published", "values"], batch_size=500)
        AiidClassification.objects.filter(pk__in=deleted).delete()
        self.counts["classifications_created"] += len(new)
        self.counts["classifications_updated"] += len(updated)
        self.counts["classifications_deleted"] += len(deleted)
        return changed


def _values_in(value) -> int:
    """How many of our values a mapped column holds: a list its length, a single slug (record type, severity)
    one when set; what is not ours (the unmapped AIID values) none."""
    if isinstance(value, list):
        return len(value)
    return int(isinstance(value, str) and bool(value))


INTERRUPTED = "Interrupted: the process stopped before the run ended (found by the next run)."


def import_aiid(
    path: Path,
    *,
    batch: int = DEFAULT_BATCH,
    as_drafts: bool = False,
    clock: Clock | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    after_batch: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import (or update) the AIID reference corpus from PATH; with as_drafts, also draft records.

    `progress(stage, done, total)` follows the batches; `after_batch(n)` is called after batch n is committed
    (tests use it to interrupt a run). Raises AiidDataError, writing nothing, when a required file is missing or
    unreadable; an exception during the batches leaves the committed batches, and the run logged as failed.
    """
    if batch < 1:
        raise ValueError("The batch size must be at least 1.")
    started = time.monotonic()
    clock = clock or get_clock()
    path = Path(path)
    source = read_source(path)
    # A run still "running" was stopped without a word (its process killed): say so, rather than let the log
    # show it running for ever. Runs are one at a time (a second run would only repeat the first's writes).
    AiidImportRun.objects.filter(status=ImportStatus.RUNNING).update(
        status=ImportStatus.FAILED, finished_at=clock.now(), message=INTERRUPTED
    )
    run = AiidImportRun.objects.create(started_at=clock.now(), path=str(path), as_drafts=as_drafts)
    counts = dict.fromkeys(COUNT_KEYS, 0)
    problems = list(source.problems)
    gaps = source_gaps(source)
    try:
        crosswalk = Crosswalk.from_taxonomy(get_taxonomy())
        writer = _Writer(source, crosswalk, clock.now(), counts)
        incidents = source.incidents
        batches = [incidents[i : i + batch] for i in range(0, len(incidents), batch)]
        for n, chunk in enumerate(batches, 1):
            writer.write_batch(chunk)
            if progress:
                progress("Importing AIID incidents", min(n * batch, len(incidents)), len(incidents))
            if after_batch:
                after_batch(n)
        counts["incidents"] = len(incidents)
        counts["reports"] = len(writer.reports_done)
        counts["entities"] = len(writer.entities_done)
        if as_drafts:
            created, existing, draft_problems, sourceless = create_drafts(
                [i.incident_id for i in incidents], crosswalk, batch=batch, clock=clock, progress=progress
            )
            counts["drafts_created"], counts["drafts_existing"] = created, existing
            gaps["drafts_without_sources"] = sourceless
            rows = {i.incident_id: i.row for i in incidents}
            problems += [Problem(INCIDENTS_CSV, rows[i], message) for i, message in draft_problems]
    except BaseException as exc:
        _count(counts, problems, gaps)
        AiidImportRun.objects.filter(pk=run.pk).update(
            status=ImportStatus.FAILED, finished_at=clock.now(), counts=counts,
            errors=[p.as_dict() for p in problems], gaps=gaps, message=f"{type(exc).__name__}: {exc}",
        )  # fmt: skip
        raise
    _count(counts, problems, gaps)
    cells = [*source.gaps.cells_dropped, *source.gaps.published_unreadable]
    result = ImportResult(
        run.pk, counts, problems, source.files_missing, time.monotonic() - started, gaps, cells
    )
    AiidImportRun.objects.filter(pk=run.pk).update(
        status=ImportStatus.PARTIAL if result.partial else ImportStatus.SUCCEEDED, finished_at=clock.now(),
        counts=counts, errors=[p.as_dict() for p in problems], gaps=gaps,
    )  # fmt: skip
    refresh_planner_statistics()
    return result


def _count(counts: dict[str, int], problems: list[Problem], gaps: dict[str, list]) -> None:
    counts["rows_skipped"] = len({(p.file, p.row) for p in problems})
    for key in GAP_KEYS:
        counts[key] = len(gaps[key])


# -- drafts -----------------------------------------------------------------------------------------------------

DRAFT_ACTOR = "aiid-importer"
DRAFT_SLUG_RE = re.compile(r"^aiid-(\d+)-")


def draft_slug(incident: AiidIncident) -> str:
    return f"aiid-{incident.incident_id}-{slugify(incident.title)}"


def draft_item(
    incident: AiidIncident,
    reports: list[AiidReport],
    entities: list[tuple[AiidEntity, str]],
    crosswalk: Crosswalk,
) -> tuple[str, str, dict]:
    """(record_type, slug, data) of the draft record of an AIID incident, for bulk_create_drafts."""
    sources, urls = [], set()
    for report in reports:
        if not usable_url(report.url) or report.url in urls:
            continue
        urls.add(report.url)
        publisher = publisher_of(report.url)[:120]
        n, i = report.report_number, incident.incident_id
        sources.append({
            "citation_key": f"{publisher}, AIID {n}", "url": report.url, "publisher": publisher,
            "title": (report.title or report.url)[:500], "source_type": "other", "language": "en",
            "supports_en": f"Report {n} of AI Incident Database incident {i}.",
            "supports_fr": f"Article {n} de l'incident {i} de l'AI Incident Database.", "background": True,
        })  # fmt: skip
    roles: dict[str, dict] = {}
    for entity, role in entities:
        ours = crosswalk.entity_roles.get(EntityRole(role).label)
        if ours:
            item = roles.setdefault(entity_slug(entity.slug), {"slug": entity_slug(entity.slug), "roles": []})
            if ours not in item["roles"]:
                item["roles"].append(ours)
    same_as = [{"db": "aiid", "id": str(incident.incident_id)}]
    same_as += [{"db": "oecd", "id": oecd_id} for oecd_id in incident.oecd_ids]
    record_type = "hazard" if incident.record_type == "hazard" else "incident"
    data = {
        "title_en": incident.title[:300],
        "summary_en": incident.description,
        "original_language": "en",
        "severity": incident.severity,
        "taxonomy": {
            "domains": incident.domains,
            "harm_types": incident.harm_types,
            "ai_pathways": incident.ai_pathways,
            "lifecycle_phases": incident.lifecycle_phases,
        },
        "same_as": same_as,
        "sources": sources,
        "entities": list(roles.values()),
    }
    if incident.date:
        day = "occurred" if record_type == "incident" else "identified"
        data.update({day: incident.date.isoformat(), f"{day}_precision": "day"})
    return record_type, draft_slug(incident), data


def create_drafts(
    incident_ids: list[int],
    crosswalk: Crosswalk,
    *,
    batch: int = DEFAULT_BATCH,
    clock: Clock | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> tuple[int, int, list[tuple[int, str]], list[int]]:
    """Draft records (origin imported, screening) for the incidents without one that have a usable source.

    Returns (created, already there, [(incident id, why no draft)], [incident ids left without a draft for want
    of a report with a usable URL]). An editor screening drafts needs a source to check the incident against,
    and the record lint refuses to publish a record without one: such drafts would be noise in the queue. Each
    batch is one transaction: the drafts and the incidents' links to them.
    """
    actor = roles.system_account(DRAFT_ACTOR, roles.EDITOR)
    incidents = AiidIncident.objects.filter(incident_id__in=incident_ids)
    existing = incidents.filter(draft__isnull=False).count()
    todo = list(incidents.filter(draft__isnull=True).order_by("incident_id"))
    # A draft whose link was lost is found again by its slug, never made twice.
    drafted: dict[int, int] = {}
    for slug, pk in Record.objects.filter(origin=Origin.IMPORTED, slug__startswith="aiid-").values_list(
        "slug", "pk"
    ):
        match = DRAFT_SLUG_RE.match(slug)
        if match:
            drafted.setdefault(int(match.group(1)), pk)
    relinked = [i for i in todo if i.incident_id in drafted]
    for incident in relinked:
        incident.draft_id = drafted[incident.incident_id]
    AiidIncident.objects.bulk_update(relinked, ["draft"], batch_size=500)
    existing += len(relinked)
    todo = [i for i in todo if i.draft_id is None]
    created, problems, sourceless = 0, [], []
    for start in range(0, len(todo), batch):
        chunk = todo[start : start + batch]
        reports: dict[int, list[AiidReport]] = defaultdict(list)
        for link in AiidIncidentReport.objects.filter(incident__in=chunk).select_related("report"):
            reports[link.incident_id].append(link.report)
        sourced = [i for i in chunk if any(usable_url(r.url) for r in reports[i.pk])]
        sourceless += sorted({i.incident_id for i in chunk} - {i.incident_id for i in sourced})
        chunk = sourced
        entities: dict[int, list[tuple[AiidEntity, str]]] = defaultdict(list)
        for link in (
            AiidIncidentEntity.objects.filter(incident__in=chunk).select_related("entity").order_by("pk")
        ):
            entities[link.incident_id].append((link.entity, link.role))
        bulk_create_entities(
            [
                {"slug": entity_slug(e.slug), "name": e.name[:300], "kind": "other",
                 "same_as": [{"db": "aiid", "id": e.slug}]}
                for links in entities.values()
                for e, _role in links
            ],
            actor=actor,
            clock=clock,
        )  # fmt: skip
        items = [draft_item(i, reports[i.pk], entities[i.pk], crosswalk) for i in chunk]
        with transaction.atomic():
            try:
                ids: list[int | None] = bulk_create_drafts(
                    items, actor=actor, origin=Origin.IMPORTED, status=Status.SCREENING, clock=clock
                )
            except InvalidRecordData:
                ids = []  # find the items at fault: the others are created one by one
                for incident, item in zip(chunk, items, strict=True):
                    try:
                        ids += bulk_create_drafts(
                            [item], actor=actor, origin=Origin.IMPORTED, status=Status.SCREENING, clock=clock
                        )
                    except InvalidRecordData as exc:
                        ids.append(None)
                        problems.append((incident.incident_id, f"no draft: {exc}"))
            linked = []
            for incident, pk in zip(chunk, ids, strict=True):
                if pk is not None:
                    incident.draft_id = pk
                    linked.append(incident)
            AiidIncident.objects.bulk_update(linked, ["draft"], batch_size=500)
        created += len(linked)
        if progress:
            progress("Creating draft records", min(start + batch, len(todo)), len(todo))
    return created, existing, problems, sorted(sourceless)
