"""`caim import-aiid PATH`: the AI Incident Database as a reference corpus (SPEC §7, §10).

Reads, under PATH (the layout of ../shared/data/aiid, see its README):
- `snapshot-2026-02/incidents.csv`: incidents, their report numbers and entity slugs (JSON arrays in CSV cells,
  `ObjectId(...)` ids, blank cells);
- `snapshot-2026-02/classifications_*.csv`: one file per AIID taxonomy namespace (CSETv0, CSETv1 and its annotator
  copies, GMF, MIT), multi-values joined with commas (and some values holding commas themselves);
- `apubtest-graphql-export/...json`: report titles, URLs and authors, entity names;
- `aiid-repo/oecd_relationships*.json`: AIID ↔ OECD AIM links;
- `aiid-repo/taxa_definitions_from_playwright_seed.json`: the permitted values of CSETv1 and MIT fields.

Everything is parsed and checked first; a malformed row (bad JSON cell, missing or non-numeric id, value unknown to
the AIID taxonomy in a field our crosswalks read, ...) is reported with its file and row number (row 1 is the
header; in JSON files, the item number) and skipped, leaving what an earlier run wrote for it untouched. Then the
incidents are written in batches, one transaction each, as upserts keyed by AIID's ids (incident id, report
number, entity slug, incident + namespace): a row is only written when its content differs, so a second run
changes nothing and an interrupted run is resumed by running it again. Each run is logged in AiidImportRun.

Crosswalk mapping (reverse lookup of the `aiid` crosswalks of taxonomy.yaml, maps built once per run): a
crosswalk entry means "a record with this value of ours usually carries these AIID values". Only published
classifications of the namespaces our crosswalks name (CSETv1, MIT, GMF) are mapped. One of our values is mapped
when an AIID value of a specific field (CSETv1 sector of deployment, harm distribution basis, harm level, tangible
harm; MIT risk domain and subdomain; GMF technical failure) names it, and no other field of the same namespace that
the value's crosswalk lists contradicts it (e.g. MIT domain "1. Discrimination and Toxicity" names
discrimination_bias, but not when the MIT subdomain is "1.2. Exposure to toxic content", which its crosswalk does
not list). The coarse MIT fields (entity, intent, timing) only confirm or contradict; alone, they map a value only
when they single it out in its vocabulary (with the current crosswalks they never do: "Post-deployment" names three
lifecycle phases). AIID values that map to nothing stay in `AiidIncident.unmapped`. Severity has no AIID crosswalk;
the one defensible rule is ours: lives lost (CSETv1 "Lives Lost" ≥ 1) is `critical` by our definition.

AIID content is CC BY-SA 4.0: "AI Incident Database (incidentdatabase.ai), Responsible AI Collaborative".
"""

from __future__ import annotations

import csv
import json
import re
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from django.db import transaction

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
from caim.interop.synthetic import entity_slug, publisher_of, slugify
from caim.params import parse_int
from caim.records import roles
from caim.records.bulk import bulk_create_drafts, bulk_create_entities, refresh_planner_statistics
from caim.records.changes import InvalidRecordData
from caim.records.clock import Clock, get_clock
from caim.records.models import Origin, Record, Status
from caim.taxonomy.loader import Taxonomy, get_taxonomy

SNAPSHOT = "snapshot-2026-02"
INCIDENTS_CSV = f"{SNAPSHOT}/incidents.csv"
EXPORT_JSON = "apubtest-graphql-export/aiid_graphql_incidents_reports_2025-07.json"
TAXA_JSON = "aiid-repo/taxa_definitions_from_playwright_seed.json"
REQUIRED_FILES = (INCIDENTS_CSV, EXPORT_JSON, TAXA_JSON)
OECD_FILES = ("aiid-repo/oecd_relationships.json", "aiid-repo/oecd_relationships_2025_09_09.json")
OECD_PREFIX = "https://oecd.ai/en/incidents/"
DEFAULT_BATCH = 200

# incidents.csv entity columns -> the role of the link.
ENTITY_COLUMNS = {role.label: role.value for role in EntityRole}
INCIDENT_COLUMNS = ("incident_id", "date", "reports", "description", "title", *ENTITY_COLUMNS)
OBJECT_ID_RE = re.compile(r"^ObjectId\(([0-9a-fA-F]{24})\)$")

# Crosswalk fields (taxonomy.yaml, `aiid`) read from classifications: field -> (namespace, columns).
CLASSIFICATION_FIELDS = {
    "cset_v1_sector_of_deployment": ("CSETv1", ("Sector of Deployment",)),
    "cset_v1_harm_distribution_basis": ("CSETv1", ("Harm Distribution Basis",)),
    "cset_v1_ai_harm_level": ("CSETv1", ("AI Harm Level",)),
    "cset_v1_tangible_harm": ("CSETv1", ("Tangible Harm",)),
    "mit_risk_domain": ("MIT", ("Risk Domain",)),
    "mit_risk_subdomain": ("MIT", ("Risk Subdomain",)),
    "mit_entity": ("MIT", ("Entity",)),
    "mit_intent": ("MIT", ("Intent",)),
    "mit_timing": ("MIT", ("Timing",)),
    "gmf_technical_failure": ("GMF", ("Known AI Technical Failure", "Potential AI Technical Failure")),
}
# Crosswalk fields that are not classification fields (used for entity roles and exports).
OTHER_AIID_FIELDS = frozenset({"aiid_entity_role", "aiid_record_type"})
COARSE_FIELDS = frozenset({"mit_entity", "mit_intent", "mit_timing"})
MAPPED_NAMESPACES = frozenset(ns for ns, _columns in CLASSIFICATION_FIELDS.values())
# Values that say "cannot tell": they neither confirm nor contradict a mapping.
NO_INFORMATION = frozenset({"other", "unclear"})
# Our vocabularies filled by the crosswalks -> the AiidIncident column.
MAPPED_VOCABULARIES = {
    "record_type": "record_type",
    "domain": "domains",
    "harm_type": "harm_types",
    "ai_pathway": "ai_pathways",
    "lifecycle_phase": "lifecycle_phases",
}
MAPPED_FIELDS = (
    "record_type",
    "severity",
    "domains",
    "harm_types",
    "ai_pathways",
    "lifecycle_phases",
    "unmapped",
)
INCIDENT_FIELDS = (
    "object_id", "date", "title", "description", "deployers", "developers", "harmed", "oecd_ids",
    "record_type", "severity", "domains", "harm_types", "ai_pathways", "lifecycle_phases", "unmapped",
)  # fmt: skip


class AiidDataError(ValueError):
    """A required file is missing or unreadable as a whole: nothing was written."""


@dataclass(frozen=True)
class Problem:
    """A row skipped: file (relative to PATH), row number (1 = the header; item number in JSON), why."""

    file: str
    row: int | None
    message: str

    def __str__(self) -> str:
        if self.row is None:
            return f"{self.file}: {self.message}"
        unit = "item" if self.file.endswith(".json") else "row"
        return f"{self.file}, {unit} {self.row}: {self.message}"

    def as_dict(self) -> dict:
        return {"file": self.file, "row": self.row, "message": self.message}


def missing_files(path: Path) -> list[str]:
    """The required files that PATH lacks (all of them when PATH is not a folder)."""
    return [name for name in REQUIRED_FILES if not (Path(path) / name).is_file()]


# -- reading ----------------------------------------------------------------------------------------------------


@dataclass
class IncidentRow:
    row: int
    incident_id: int
    object_id: str
    date: date | None
    title: str
    description: str
    reports: list[int]
    entities: dict[str, list[str]]  # role -> AIID entity slugs


@dataclass
class ClassificationRow:
    file: str
    row: int
    incident_id: int
    namespace: str
    published: bool
    values: dict[str, str]  # column -> cell, blank cells left out
    parsed: dict[str, list[str]]  # crosswalk field -> AIID values


@dataclass
class ReportData:
    title: str
    url: str
    authors: list[str]


@dataclass
class AiidSource:
    """Everything read from PATH, checked; `problems` are the rows left out."""

    incidents: list[IncidentRow]
    classifications: list[ClassificationRow]
    namespaces_read: set[str]
    skipped_classifications: set[
        tuple[int, str]
    ]  # (incident id, namespace) of malformed rows: left untouched
    reports: dict[int, ReportData]
    entity_names: dict[str, str]
    oecd_ids: dict[int, list[str]]
    problems: list[Problem] = field(default_factory=list)
    files_missing: list[str] = field(default_factory=list)


def _json_list(cell: str | None, item_type: type) -> list:
    """A JSON array cell (blank: empty); raises ValueError when it is not an array of item_type."""
    text = (cell or "").strip()
    if not text:
        return []
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at character {exc.pos})") from None
    if not isinstance(value, list):
        raise ValueError("not a JSON array")
    for item in value:
        if not isinstance(item, item_type) or isinstance(item, bool) or item in ("", 0):
            raise ValueError(f"{item!r} is not a valid {'number' if item_type is int else 'id'}")
        if item_type is int and not _number_in_range(item):
            raise ValueError(f"{item} is out of range (1 to {MAX_NUMBER})")
        if item_type is str and len(item.strip()) > MAX_SLUG:
            raise ValueError(f"{item[:40]!r}… is longer than {MAX_SLUG} characters")
    return list(dict.fromkeys(value))


MAX_NUMBER = 2**31 - 1  # the largest id or report number the database's columns hold
MAX_SLUG = 255


def _positive_int(text: str | None) -> int | None:
    return parse_int(text, low=1, high=MAX_NUMBER)


def _number_in_range(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_NUMBER


def _csv_rows(path: Path, rel: str, problems: list[Problem]):
    """(row number, header, cells) of a CSV file; duplicate column names get " (2)"; csv errors are reported.

    A stray quote makes the csv module read on to the next quote, swallowing the rows in between (or the rest
    of the file) into one cell. Such a row is reported, and reading starts again on the line after the one it
    began on, so one broken row never takes the rest of the file with it. Rows are numbered as a spreadsheet
    does (1 is the header); a row may span several lines.
    """
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    try:
        header = next(csv.reader(lines[:1]), None)
    except csv.Error as exc:
        problems.append(Problem(rel, 1, f"unreadable CSV header ({exc}); the file was skipped"))
        return
    if not header:
        problems.append(Problem(rel, None, "the file is empty; it was skipped"))
        return
    seen: dict[str, int] = defaultdict(int)
    names = []
    for name in header:
        seen[name] += 1
        names.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    number, start = 1, 1  # the last row number given; the index in `lines` where the reader starts
    while start < len(lines):
        reader = csv.reader(lines[start:], strict=True)
        restart = None
        while restart is None:
            first_line = start + reader.line_num + 1  # line (1-based) where the next row begins
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                restart, why = first_line, f"unreadable CSV ({exc})"
            else:
                last_line = start + reader.line_num
                if len(cells) != len(names) and last_line > first_line:
                    restart, why = first_line, f"a quote opened on line {first_line} runs to line {last_line}"
            number += 1
            if restart is not None:
                problems.append(Problem(rel, number, f"{why}; the row was skipped and reading went on from "
                                        f"line {first_line + 1}"))  # fmt: skip
            elif not any(c.strip() for c in cells):
                number -= 1  # a blank line is not a row
            elif len(cells) != len(names):
                problems.append(Problem(rel, number, f"expected {len(names)} cells, found {len(cells)}"))
            elif any("\x00" in c for c in cells):
                problems.append(Problem(rel, number, "a cell holds a NUL character"))
            else:
                yield number, names, cells
        if restart is None:
            return
        start = restart  # index of the line after the broken row's first line


def read_incidents(path: Path, problems: list[Problem]) -> list[IncidentRow]:
    rel = INCIDENTS_CSV
    out: list[IncidentRow] = []
    first_row: dict[int, int] = {}
    header_checked = False
    for number, names, cells in _csv_rows(path / rel, rel, problems):
        if not header_checked:
            missing = [c for c in INCIDENT_COLUMNS if c not in names]
            if missing:
                raise AiidDataError(f"{rel} lacks the column(s) {', '.join(missing)}.")
            header_checked = True
        row = dict(zip(names, cells, strict=True))
        errors = []
        incident_id = _positive_int(row["incident_id"])
        if not row["incident_id"].strip():
            errors.append("incident_id is missing")
        elif incident_id is None:
            errors.append(f"incident_id {row['incident_id']!r} is not a number from 1 to {MAX_NUMBER}")
        elif incident_id in first_row:
            errors.append(f"incident {incident_id} is listed twice (first in row {first_row[incident_id]})")
        day = None
        if row["date"].strip():
            try:
                day = date.fromisoformat(row["date"].strip())
            except ValueError:
                errors.append(f"date {row['date']!r} is not a date (YYYY-MM-DD)")
        try:
            reports = _json_list(row["reports"], int)
        except ValueError as exc:
            errors.append(f"reports: {exc}")
            reports = []
        entities = {}
        for column, role in ENTITY_COLUMNS.items():
            try:
                entities[role] = [s.strip() for s in _json_list(row[column], str)]
            except ValueError as exc:
                errors.append(f"{column}: {exc}")
        if not row["title"].strip():
            errors.append("the title is blank")
        if errors:
            problems += [Problem(rel, number, e) for e in errors]
            continue
        first_row[incident_id] = number
        match = OBJECT_ID_RE.match(row.get("_id", "").strip())
        out.append(
            IncidentRow(
                row=number, incident_id=incident_id, object_id=match.group(1).lower() if match else "",
                date=day, title=row["title"].strip(), description=row["description"].strip(),
                reports=reports, entities=entities,
            )
        )  # fmt: skip
    return sorted(out, key=lambda i: i.incident_id)


def read_permitted(path: Path) -> dict[tuple[str, str], tuple[bool, dict[str, str]]]:
    """{(namespace, field): (multi-valued, {casefolded value: value})} for the fields with permitted values."""
    try:
        taxa = json.loads((path / TAXA_JSON).read_text(encoding="utf-8"))
        out = {}
        for taxonomy in taxa:
            for f in taxonomy.get("field_list") or []:
                if f.get("permitted_values"):
                    values = {str(v).strip().casefold(): str(v).strip() for v in f["permitted_values"]}
                    out[(taxonomy["namespace"], f["short_name"])] = (f.get("display_type") == "multi", values)
        return out
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise AiidDataError(f"{TAXA_JSON} cannot be read: {exc}") from exc


def split_closed(cell: str, multi: bool, permitted: dict[str, str]) -> tuple[list[str], list[str]]:
    """(values, unknown pieces) of a cell of a field with permitted values.

    Multi-values are joined with commas, and some values hold commas ("agriculture, forestry and fishing"), so
    the pieces are matched greedily against the permitted values, longest first.
    """
    cell = cell.strip()
    if not cell:
        return [], []
    if not multi:
        value = permitted.get(cell.casefold())
        return ([value], []) if value else ([], [cell])
    pieces = [p.strip() for p in cell.split(",") if p.strip()]
    values, unknown, i = [], [], 0
    while i < len(pieces):
        for j in range(len(pieces), i, -1):
            value = permitted.get(", ".join(pieces[i:j]).casefold())
            if value:
                values.append(value)
                i = j
                break
        else:
            unknown.append(pieces[i])
            i += 1
    return list(dict.fromkeys(values)), unknown


def split_open(cell: str) -> list[str]:
    """A comma-joined multi-value of a field without a closed list (GMF)."""
    return list(dict.fromkeys(p.strip() for p in cell.split(",") if p.strip()))


def read_classifications(
    path: Path, incident_ids: set[int], permitted: dict, problems: list[Problem]
) -> tuple[list[ClassificationRow], set[str], set[tuple[int, str]]]:
    rows: list[ClassificationRow] = []
    namespaces: set[str] = set()
    skipped: set[tuple[int, str]] = set()
    for file in sorted((path / SNAPSHOT).glob("classifications_*.csv")):
        rel = f"{SNAPSHOT}/{file.name}"
        default_ns = file.stem.removeprefix("classifications_")
        namespaces.add(default_ns)
        first_row: dict[tuple[int, str], int] = {}
        for number, names, cells in _csv_rows(file, rel, problems):
            row = dict(zip(names, cells, strict=True))
            namespace = (row.get("Namespace") or "").strip() or default_ns
            namespaces.add(namespace)
            raw_id = row.get("Incident ID") or ""
            incident_id = _positive_int(raw_id)
            errors = []
            if not raw_id.strip():
                errors.append("Incident ID is missing")
            elif incident_id is None:
                errors.append(f"Incident ID {raw_id!r} is not a number from 1 to {MAX_NUMBER}")
            elif incident_id not in incident_ids:
                errors.append(f"no valid incident {incident_id} in {INCIDENTS_CSV}")
            elif (incident_id, namespace) in first_row:
                errors.append(
                    f"incident {incident_id} is classified twice in {namespace} "
                    f"(first in row {first_row[(incident_id, namespace)]})"
                )
            parsed: dict[str, list[str]] = {}
            for crosswalk_field, (ns, columns) in CLASSIFICATION_FIELDS.items():
                if ns != namespace:
                    continue
                for column in columns:
                    cell = row.get(column) or ""
                    if (ns, column) in permitted:
                        multi, values = permitted[(ns, column)]
                        found, unknown = split_closed(cell, multi, values)
                        if unknown:
                            errors.append(
                                f"{column}: {', '.join(repr(u) for u in unknown)} is not a {ns} value "
                                f"(expected one of: {', '.join(values.values())})"
                            )
                    else:
                        found = split_open(cell)
                    if found:
                        parsed[crosswalk_field] = list(
                            dict.fromkeys([*parsed.get(crosswalk_field, []), *found])
                        )
            if errors:
                problems += [Problem(rel, number, e) for e in errors]
                if incident_id is not None:
                    skipped.add((incident_id, namespace))
                continue
            first_row[(incident_id, namespace)] = number
            values = {k: v for k, v in row.items() if k not in ("Namespace", "Incident ID") and v.strip()}
            published = values.pop("Published", "").strip().lower() == "true"
            rows.append(ClassificationRow(rel, number, incident_id, namespace, published, values, parsed))
    return rows, namespaces, skipped


def read_export(path: Path, problems: list[Problem]) -> tuple[dict[int, ReportData], dict[str, str]]:
    try:
        items = json.loads((path / EXPORT_JSON).read_text(encoding="utf-8"))["data"]["incidents"]
        if not isinstance(items, list):
            raise TypeError("data.incidents is not a list")
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise AiidDataError(f"{EXPORT_JSON} cannot be read: {exc}") from exc
    reports: dict[int, ReportData] = {}
    names: dict[str, str] = {}
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict):
            problems.append(Problem(EXPORT_JSON, number, "not an object"))
            continue
        if "\\u0000" in json.dumps(item):
            problems.append(Problem(EXPORT_JSON, number, "a text holds a NUL character"))
            continue
        for key in ("AllegedDeployerOfAISystem", "AllegedHarmedOrNearlyHarmedParties"):
            for entity in item.get(key) or []:
                if (
                    isinstance(entity, dict)
                    and isinstance(entity.get("entity_id"), str)
                    and len(entity["entity_id"]) <= MAX_SLUG
                ):
                    name = entity.get("name")
                    if isinstance(name, str) and name.strip():
                        names.setdefault(entity["entity_id"], name.strip()[:300])
        for report in item.get("reports") or []:
            n = report.get("report_number") if isinstance(report, dict) else None
            if not _number_in_range(n):
                problems.append(
                    Problem(EXPORT_JSON, number, f"a report without a valid report_number ({n!r})")
                )
                continue
            authors = report.get("authors") or []
            reports.setdefault(
                n,
                ReportData(
                    title=str(report.get("title") or "").strip(),
                    url=str(report.get("url") or "").strip()[:2000],
                    authors=[str(a).strip() for a in authors if str(a).strip()]
                    if isinstance(authors, list)
                    else [],
                ),
            )
    return reports, names


def read_oecd(
    path: Path, incident_ids: set[int], problems: list[Problem]
) -> tuple[dict[int, list[str]], list[str]]:
    links: dict[int, set[str]] = defaultdict(set)
    missing = []
    for rel in OECD_FILES:
        file = path / rel
        if not file.is_file():
            missing.append(rel)
            continue
        try:
            items = json.loads(file.read_text(encoding="utf-8"))
            if not isinstance(items, list):
                raise TypeError("not a JSON array")
        except (OSError, ValueError, TypeError) as exc:
            problems.append(Problem(rel, None, f"cannot be read ({exc}); the file was skipped"))
            continue
        for number, item in enumerate(items, 1):
            incident_id = item.get("incident_id") if isinstance(item, dict) else None
            same_as = item.get("sameAs") if isinstance(item, dict) else None
            if not _number_in_range(incident_id):
                problems.append(
                    Problem(
                        rel, number, f"incident_id {incident_id!r} is not a number from 1 to {MAX_NUMBER}"
                    )
                )
            elif incident_id not in incident_ids:
                problems.append(Problem(rel, number, f"no valid incident {incident_id} in {INCIDENTS_CSV}"))
            elif (
                not isinstance(same_as, str)
                or not same_as.startswith(OECD_PREFIX)
                or not same_as[len(OECD_PREFIX) :]
            ):
                problems.append(Problem(rel, number, f"sameAs {same_as!r} is not an OECD AIM incident URL"))
            else:
                links[incident_id].add(same_as[len(OECD_PREFIX) :].strip("/"))
    return {k: sorted(v) for k, v in links.items()}, missing


def read_source(path: Path) -> AiidSource:
    """Read and check everything under PATH; raises AiidDataError when a required file is missing or unreadable."""
    path = Path(path)
    missing = missing_files(path)
    if missing:
        raise AiidDataError(f"{path} lacks {', '.join(missing)}.")
    problems: list[Problem] = []
    permitted = read_permitted(path)
    reports, names = read_export(path, problems)
    incidents = read_incidents(path, problems)
    ids = {i.incident_id for i in incidents}
    classifications, namespaces, skipped = read_classifications(path, ids, permitted, problems)
    oecd_ids, oecd_missing = read_oecd(path, ids, problems)
    files_missing = oecd_missing + ([] if namespaces else [f"{SNAPSHOT}/classifications_*.csv"])
    return AiidSource(incidents, classifications, namespaces, skipped, reports, names, oecd_ids, problems,
                      files_missing)  # fmt: skip


# -- crosswalk --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Crosswalk:
    """The `aiid` crosswalks of taxonomy.yaml, reversed: AIID values -> our values."""

    targets: dict[
        tuple[str, str], dict[str, frozenset[str]]
    ]  # (vocabulary, slug) -> {field: casefolded values}
    reverse: dict[
        str, dict[str, tuple[tuple[str, str], ...]]
    ]  # field -> casefolded value -> (vocabulary, slug)s
    order: dict[tuple[str, str], int]  # taxonomy order
    entity_roles: dict[str, str]  # AIID entity column -> our entity_role

    @classmethod
    def from_taxonomy(cls, tax: Taxonomy) -> Crosswalk:
        targets: dict[tuple[str, str], dict[str, frozenset[str]]] = {}
        reverse: dict[str, dict[str, list[tuple[str, str]]]] = defaultdict(lambda: defaultdict(list))
        order: dict[tuple[str, str], int] = {}
        for vocabulary in MAPPED_VOCABULARIES:
            for value in tax[vocabulary].values:
                key = (vocabulary, value.slug)
                order[key] = len(order)
                mapping = value.crosswalk.get("aiid") or {}
                fields = {
                    f: frozenset(v.casefold() for v in values)
                    for f, values in mapping.items()
                    if f in CLASSIFICATION_FIELDS
                }
                if fields:
                    targets[key] = fields
                for f, values in fields.items():
                    for v in values:
                        reverse[f][v].append(key)
        roles = {
            target: value.slug
            for value in tax["entity_role"].values
            for target in (value.crosswalk.get("aiid") or {}).get("aiid_entity_role", [])
        }
        return cls(
            targets=targets,
            reverse={f: {v: tuple(keys) for v, keys in by_value.items()} for f, by_value in reverse.items()},
            order=order,
            entity_roles=roles,
        )

    def _agrees(self, key: tuple[str, str], namespace: str, seen: dict[str, set[str]]) -> bool:
        """No field of `namespace` listed by the value's crosswalk holds only other (informative) values."""
        for f, values in self.targets[key].items():
            if CLASSIFICATION_FIELDS[f][0] != namespace:
                continue
            informative = seen.get(f, set()) - NO_INFORMATION
            if informative and not informative & values:
                return False
        return True

    def map(self, observed: dict[str, list[str]]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        """({vocabulary: [our slugs]}, {field: [AIID values mapped to nothing]}) for one incident's AIID values."""
        seen = {f: {v.casefold() for v in values} for f, values in observed.items()}
        mapped: set[tuple[str, str]] = set()
        used: set[tuple[str, str]] = set()
        for f, values in seen.items():
            if f in COARSE_FIELDS:
                continue
            for v in values:
                for key in self.reverse.get(f, {}).get(v, ()):
                    if self._agrees(key, CLASSIFICATION_FIELDS[f][0], seen):
                        mapped.add(key)
                        used.add((f, v))
        for namespace in {CLASSIFICATION_FIELDS[f][0] for f in seen}:
            singled: dict[str, list[tuple[str, str]]] = defaultdict(list)
            for key, fields in self.targets.items():
                own = {f for f in fields if CLASSIFICATION_FIELDS[f][0] == namespace}
                if (
                    own
                    and own <= COARSE_FIELDS
                    and all(seen.get(f, set()) - NO_INFORMATION for f in own)
                    and self._agrees(key, namespace, seen)
                ):
                    singled[key[0]].append(key)
            mapped |= {keys[0] for keys in singled.values() if len(keys) == 1}
        for key in mapped:
            for f, values in self.targets[key].items():
                used |= {(f, v) for v in seen.get(f, set()) if v in values}
        result: dict[str, list[str]] = defaultdict(list)
        for key in sorted(mapped, key=self.order.__getitem__):
            result[key[0]].append(key[1])
        unmapped = {
            f: [v for v in values if (f, v.casefold()) not in used] for f, values in sorted(observed.items())
        }
        return dict(result), {f: values for f, values in unmapped.items() if values}


def lives_lost(classification: ClassificationRow) -> int:
    return _positive_int(classification.values.get("Lives Lost")) or 0


def map_incident(crosswalk: Crosswalk, rows: list[ClassificationRow]) -> tuple[dict, set[int]]:
    """The mapped columns of an AiidIncident, and the row numbers (ids) of the classifications that mapped."""
    observed: dict[str, list[str]] = defaultdict(list)
    usable = [r for r in rows if r.published and r.namespace in MAPPED_NAMESPACES]
    for r in usable:
        for f, values in r.parsed.items():
            observed[f] += [v for v in values if v not in observed[f]]
    mapped, unmapped = crosswalk.map(observed)
    record_types = mapped.get("record_type", [])
    columns = {
        "record_type": record_types[0] if len(record_types) == 1 else "",
        "severity": "critical" if any(lives_lost(r) for r in usable if r.namespace == "CSETv1") else "",
        **{
            column: mapped.get(vocab, [])
            for vocab, column in MAPPED_VOCABULARIES.items()
            if vocab != "record_type"
        },
        "unmapped": unmapped,
    }
    contributing = {
        id(r)
        for r in usable
        if any(v not in unmapped.get(f, ()) for f, values in r.parsed.items() for v in values)
        or (r.namespace == "CSETv1" and lives_lost(r))
    }
    return columns, contributing


# -- writing ----------------------------------------------------------------------------------------------------


COUNT_KEYS = (
    "incidents", "incidents_created", "incidents_updated",
    "reports", "reports_created", "reports_updated",
    "entities", "entities_created", "entities_updated",
    "classifications", "classifications_created", "classifications_updated", "classifications_deleted",
    "classifications_mapped", "incidents_mapped", "values_mapped",
    "rows_skipped", "drafts_created", "drafts_existing",
)  # fmt: skip


@dataclass
class ImportResult:
    run_id: int
    counts: dict[str, int]
    problems: list[Problem]
    files_missing: list[str]
    elapsed: float

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
        if c["drafts_created"] or c["drafts_existing"]:
            lines.append(f"Drafts: {c['drafts_created']:,} created, {c['drafts_existing']:,} already there")
        if self.files_missing:
            lines.append(f"Not found (left out): {', '.join(self.files_missing)}")
        lines.append(f"Elapsed: {self.elapsed:.1f} s")
        return lines


class _Writer:
    """Upserts, batch by batch, remembering what the database holds (read once per run)."""

    def __init__(self, source: AiidSource, crosswalk: Crosswalk, now, counts: dict[str, int]):
        self.source, self.crosswalk, self.now, self.counts = source, crosswalk, now, counts
        self.entities = {
            s: (pk, name) for s, pk, name in AiidEntity.objects.values_list("slug", "pk", "name")
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

    def entity_name(self, slug: str) -> str:
        return self.source.entity_names.get(slug) or slug.replace("-", " ").title()[:300]

    def _upsert_entities(self, slugs: set[str]) -> None:
        slugs -= self.entities_done
        new = [
            AiidEntity(slug=s, name=self.entity_name(s), created_at=self.now, updated_at=self.now)
            for s in sorted(slugs)
            if s not in self.entities
        ]
        AiidEntity.objects.bulk_create(new, batch_size=500)
        changed = [
            AiidEntity(pk=self.entities[s][0], slug=s, name=self.entity_name(s), updated_at=self.now)
            for s in sorted(slugs)
            if s in self.entities and self.entities[s][1] != self.entity_name(s)
        ]
        AiidEntity.objects.bulk_update(changed, ["name", "updated_at"], batch_size=500)
        for e in [*new, *changed]:
            self.entities[e.slug] = (e.pk, e.name)
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
                mapped_values = sum(len(fields[c]) for c in MAPPED_FIELDS if isinstance(fields[c], list))
                mapped_values += bool(fields["severity"])
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
        for incident_pk, report_pk in (
            AiidIncidentReport.objects.filter(incident_id__in=list(pks))
            .order_by("position")
            .values_list("incident_id", "report_id")
        ):
            have[pks[incident_pk]].append(report_pk)
        changed = set()
        for row in batch:
            want = [self.reports[n][0] for n in row.reports]
            if have[row.incident_id] != want:
                changed.add(row.incident_id)
        if changed:
            AiidIncidentReport.objects.filter(incident__in=[objects[i] for i in changed]).delete()
            AiidIncidentReport.objects.bulk_create(
                (
                    AiidIncidentReport(
                        incident=objects[row.incident_id], report_id=self.reports[n][0], position=p
                    )
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
    run = AiidImportRun.objects.create(started_at=clock.now(), path=str(path), as_drafts=as_drafts)
    counts = dict.fromkeys(COUNT_KEYS, 0)
    problems = list(source.problems)
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
            created, existing, draft_problems = create_drafts(
                [i.incident_id for i in incidents], crosswalk, batch=batch, clock=clock, progress=progress
            )
            counts["drafts_created"], counts["drafts_existing"] = created, existing
            rows = {i.incident_id: i.row for i in incidents}
            problems += [Problem(INCIDENTS_CSV, rows[i], message) for i, message in draft_problems]
    except BaseException as exc:
        counts["rows_skipped"] = len({(p.file, p.row) for p in problems})
        AiidImportRun.objects.filter(pk=run.pk).update(
            status=ImportStatus.FAILED, finished_at=clock.now(), counts=counts,
            errors=[p.as_dict() for p in problems], message=f"{type(exc).__name__}: {exc}",
        )  # fmt: skip
        raise
    counts["rows_skipped"] = len({(p.file, p.row) for p in problems})
    AiidImportRun.objects.filter(pk=run.pk).update(
        status=ImportStatus.SUCCEEDED, finished_at=clock.now(), counts=counts,
        errors=[p.as_dict() for p in problems],
    )  # fmt: skip
    refresh_planner_statistics()
    return ImportResult(run.pk, counts, problems, source.files_missing, time.monotonic() - started)


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
        parts = urlsplit(report.url)
        if parts.scheme not in ("http", "https") or not parts.hostname or report.url in urls:
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
) -> tuple[int, int, list[tuple[int, str]]]:
    """Draft records (origin imported, screening) for the incidents without one.

    Returns (created, already there, [(incident id, why no draft)]). Each batch is one transaction: the drafts
    and the incidents' links to them.
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
    created, problems = 0, []
    for start in range(0, len(todo), batch):
        chunk = todo[start : start + batch]
        reports: dict[int, list[AiidReport]] = defaultdict(list)
        for link in AiidIncidentReport.objects.filter(incident__in=chunk).select_related("report"):
            reports[link.incident_id].append(link.report)
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
            progress("Creating draft records", start + len(chunk), len(todo))
    return created, existing, problems
