"""The one reader of the AI Incident Database (AIID) files: everything is parsed and checked here.

Reads, under PATH (the layout of ../shared/data/aiid, see its README):
- `snapshot-2026-02/incidents.csv`: incidents, their report numbers and entity slugs (JSON arrays in CSV
  cells, `ObjectId(...)` ids, blank cells);
- `snapshot-2026-02/classifications_*.csv`: one file per AIID taxonomy namespace (CSETv0, CSETv1 and its
  annotator copies, GMF, MIT), multi-values joined with commas (and some values holding commas themselves);
- `apubtest-graphql-export/...json`: report titles, URLs and authors, the reports of each incident in the
  export's order, entity names;
- `aiid-repo/oecd_relationships*.json`: AIID ↔ OECD AIM links;
- `aiid-repo/taxa_definitions_from_playwright_seed.json`: the permitted values of CSETv1 and MIT fields.

A malformed row (bad JSON cell, missing or non-numeric id, ...) is reported as a Problem with its file and row
number (row 1 is the header; in JSON files, the item number) and left out. A classification cell that cannot be
read (a value unknown to the AIID taxonomy in a field our crosswalks read) is reported with its column and dropped,
and the rest of its row is kept; a `Published` cell other than True/False is reported and read as unknown (None),
never as False. What the files lack is listed too (AiidSource.gaps): the incident→report links that only the
GraphQL export gives (imported), and the entities it does not name (their names derived from the slug, names.py).
`read_source` gives everything to the importer (importer.py); `read_aiid` gives the same incidents, shaped for
the synthetic-record generator (caim.demo.synthetic).

AIID content is CC BY-SA 4.0: "AI Incident Database (incidentdatabase.ai), Responsible AI Collaborative".
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.conf import settings

from caim.interop.aiid.names import casing_of, entity_name
from caim.interop.models import EntityRole
from caim.params import parse_int

ATTRIBUTION = "AI Incident Database (incidentdatabase.ai), Responsible AI Collaborative, CC BY-SA 4.0"
SNAPSHOT = "snapshot-2026-02"
INCIDENTS_CSV = f"{SNAPSHOT}/incidents.csv"
EXPORT_JSON = "apubtest-graphql-export/aiid_graphql_incidents_reports_2025-07.json"
TAXA_JSON = "aiid-repo/taxa_definitions_from_playwright_seed.json"
REQUIRED_FILES = (INCIDENTS_CSV, EXPORT_JSON, TAXA_JSON)
OECD_FILES = ("aiid-repo/oecd_relationships.json", "aiid-repo/oecd_relationships_2025_09_09.json")
OECD_PREFIX = "https://oecd.ai/en/incidents/"

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
    "cset_v1_involving_minor": ("CSETv1", ("Involving Minor",)),
    "cset_v1_lives_lost": ("CSETv1", ("Lives Lost",)),  # a count: crosswalk.COUNT_FIELDS
    "cset_v1_injuries": ("CSETv1", ("Injuries",)),  # a count: crosswalk.COUNT_FIELDS
    "mit_risk_domain": ("MIT", ("Risk Domain",)),
    "mit_risk_subdomain": ("MIT", ("Risk Subdomain",)),
    "mit_entity": ("MIT", ("Entity",)),
    "mit_intent": ("MIT", ("Intent",)),
    "mit_timing": ("MIT", ("Timing",)),
    "gmf_technical_failure": ("GMF", ("Known AI Technical Failure", "Potential AI Technical Failure")),
}


class AiidDataError(ValueError):
    """A required file is missing or unreadable as a whole: nothing was written."""


@dataclass(frozen=True)
class Problem:
    """A row skipped, or (with a column) a cell dropped or unreadable: file (relative to PATH), row number
    (1 = the header; item number in JSON), column, why."""

    file: str
    row: int | None
    message: str
    column: str | None = None

    def __str__(self) -> str:
        if self.row is None:
            return f"{self.file}: {self.message}"
        unit = "item" if self.file.endswith(".json") else "row"
        where = f", column {self.column!r}" if self.column else ""
        return f"{self.file}, {unit} {self.row}{where}: {self.message}"

    def as_dict(self) -> dict:
        out = {"file": self.file, "row": self.row, "message": self.message}
        if self.column:
            out["column"] = self.column
        return out


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
    published: bool | None  # None: the Published cell says neither True nor False
    values: dict[str, str]  # column -> cell, blank cells and dropped cells left out
    parsed: dict[str, list[str]]  # crosswalk field -> AIID values


@dataclass
class ReportData:
    title: str
    url: str
    authors: list[str]


@dataclass
class Gaps:
    """What was read but is incomplete: cells dropped, unreadable Published cells, links and names filled in."""

    cells_dropped: list[Problem] = field(default_factory=list)  # the rest of each row is kept
    published_unreadable: list[Problem] = field(default_factory=list)  # read as None (unknown)
    graphql_only_links: list[tuple[int, int]] = field(default_factory=list)  # (incident, report), imported
    derived_names: dict[str, str] = field(default_factory=dict)  # slug -> name derived from it


@dataclass
class AiidSource:
    """Everything read from PATH, checked; `problems` are the rows left out, `gaps` what is incomplete."""

    incidents: list[IncidentRow]
    classifications: list[ClassificationRow]
    namespaces_read: set[str]
    skipped_classifications: set[
        tuple[int, str]
    ]  # (incident id, namespace) of malformed rows: left untouched
    reports: dict[int, ReportData]
    incident_reports: dict[int, list[int]]  # incident id -> its report numbers, in the GraphQL export's order
    entity_names: dict[str, str]
    oecd_ids: dict[int, list[str]]
    problems: list[Problem] = field(default_factory=list)
    files_missing: list[str] = field(default_factory=list)
    gaps: Gaps = field(default_factory=Gaps)
    graphql_only: set[tuple[int, int]] = field(default_factory=set)  # the links of gaps.graphql_only_links


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


PUBLISHED = {"true": True, "false": False}


def read_classifications(
    path: Path, incident_ids: set[int], permitted: dict, problems: list[Problem], gaps: Gaps | None = None
) -> tuple[list[ClassificationRow], set[str], set[tuple[int, str]]]:
    """(rows, namespaces seen, (incident, namespace) of the rows skipped).

    A row is skipped for a bad incident id or a second classification of the same incident and namespace. A cell
    holding a value unknown to the AIID taxonomy is dropped (reported in gaps.cells_dropped) and the row's other
    cells are kept; a Published cell other than True/False is kept as None (gaps.published_unreadable).
    """
    gaps = gaps if gaps is not None else Gaps()
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
            dropped: list[Problem] = []
            for crosswalk_field, (ns, columns) in CLASSIFICATION_FIELDS.items():
                if ns != namespace:
                    continue
                for column in columns:
                    cell = row.get(column) or ""
                    if (ns, column) in permitted:
                        multi, values = permitted[(ns, column)]
                        found, unknown = split_closed(cell, multi, values)
                        if unknown:
                            dropped.append(Problem(rel, number, (
                                f"{column}: {', '.join(repr(u) for u in unknown)} is not a {ns} value "
                                f"(expected one of: {', '.join(values.values())}); the cell {cell.strip()!r} "
                                "was dropped, the rest of the row kept"), column))  # fmt: skip
                            found = []
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
            gaps.cells_dropped += dropped
            bad = {p.column for p in dropped}
            values = {
                k: v for k, v in row.items() if k not in ("Namespace", "Incident ID", *bad) and v.strip()
            }
            cell = row.get("Published")
            published = PUBLISHED.get((cell or "").strip().casefold())
            if published is None:
                why = (
                    f"Published is {cell!r}, neither True nor False"
                    if cell is not None
                    else "no Published column"
                )
                message = f"{why}: read as unknown (not as False), so the classification is not mapped"
                gaps.published_unreadable.append(Problem(rel, number, message, "Published"))
            values.pop("Published", None)
            rows.append(ClassificationRow(rel, number, incident_id, namespace, published, values, parsed))
    return rows, namespaces, skipped


def read_export(
    path: Path, problems: list[Problem]
) -> tuple[dict[int, ReportData], dict[int, list[int]], dict[str, str]]:
    """(reports by number, each incident's report numbers in the export's order, entity names by slug)."""
    try:
        items = json.loads((path / EXPORT_JSON).read_text(encoding="utf-8"))["data"]["incidents"]
        if not isinstance(items, list):
            raise TypeError("data.incidents is not a list")
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise AiidDataError(f"{EXPORT_JSON} cannot be read: {exc}") from exc
    reports: dict[int, ReportData] = {}
    incident_reports: dict[int, list[int]] = {}
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
        numbers: list[int] = []
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
            numbers.append(n)
        if _number_in_range(item.get("incident_id")):
            incident_reports.setdefault(item["incident_id"], list(dict.fromkeys(numbers)))
    return reports, incident_reports, names


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
    gaps = Gaps()
    permitted = read_permitted(path)
    reports, incident_reports, names = read_export(path, problems)
    incidents = read_incidents(path, problems)
    ids = {i.incident_id for i in incidents}
    graphql_only = add_graphql_only_links(incidents, incident_reports)
    gaps.graphql_only_links = sorted(graphql_only)
    gaps.derived_names = derived_names(incidents, names)
    classifications, namespaces, skipped = read_classifications(path, ids, permitted, problems, gaps)
    oecd_ids, oecd_missing = read_oecd(path, ids, problems)
    files_missing = oecd_missing + ([] if namespaces else [f"{SNAPSHOT}/classifications_*.csv"])
    return AiidSource(incidents, classifications, namespaces, skipped, reports, incident_reports, names,
                      oecd_ids, problems, files_missing, gaps, graphql_only)  # fmt: skip


def add_graphql_only_links(
    incidents: list[IncidentRow], incident_reports: dict[int, list[int]]
) -> set[tuple[int, int]]:
    """Append to each incident's reports those the GraphQL export links to it and the snapshot does not.

    The snapshot (February 2026) is newer than the export (July 2025), but none of the 14 links only the export
    gives names a report that the snapshot gives another incident: they were left out of the snapshot, not moved.
    They go after the snapshot's reports, in the export's order. Returns the (incident, report) links added.
    """
    added = set()
    for row in incidents:
        have = set(row.reports)
        extra = [n for n in incident_reports.get(row.incident_id, []) if n not in have]
        row.reports = [*row.reports, *extra]
        added |= {(row.incident_id, n) for n in extra}
    return added


def derived_names(incidents: list[IncidentRow], names: dict[str, str]) -> dict[str, str]:
    """{slug: derived name} of the entities of `incidents` that the GraphQL export does not name."""
    casing = casing_of(names.values())
    slugs = {s for row in incidents for slugs in row.entities.values() for s in slugs}
    return {s: entity_name(s, names, casing)[0] for s in sorted(slugs) if not names.get(s)}


# -- the incidents, for the synthetic-record generator ----------------------------------------------------------


def default_aiid_dir() -> Path:
    return Path(
        os.environ.get(
            "CAIM_AIID_DIR", settings.PACKAGE_DIR.parent.parent.parent / "shared" / "data" / "aiid"
        )
    )


@dataclass
class ReportTexts:
    """A report as the synthetic-record generator reads it (not the stored AiidReport model)."""

    number: int
    title: str
    url: str
    authors: list[str]


@dataclass
class IncidentTexts:
    """An incident as the synthetic-record generator reads it (not the stored AiidIncident model)."""

    incident_id: int
    date: str  # ISO date, "" when unknown
    title: str
    description: str
    deployers: list[str] = field(default_factory=list)
    developers: list[str] = field(default_factory=list)
    harmed: list[str] = field(default_factory=list)
    reports: list[ReportTexts] = field(default_factory=list)  # in the GraphQL export's order


@dataclass
class AiidData:
    incidents: list[IncidentTexts]
    entity_names: dict[str, str]  # entity slug -> name, where the GraphQL export gives one

    def entity_name(self, slug: str) -> str:
        if not hasattr(self, "_casing"):
            self._casing = casing_of(self.entity_names.values())
        return entity_name(slug, self.entity_names, self._casing)[0]


def read_aiid(path: Path) -> AiidData:
    """The incidents read_source keeps, with their reports (URL, title, authors) in the GraphQL export's order.

    Raises AiidDataError, as read_source does, when a required file is missing or unreadable.
    """
    source = read_source(path)
    incidents = [
        IncidentTexts(
            incident_id=row.incident_id,
            date=row.date.isoformat() if row.date else "",
            title=row.title,
            description=row.description,
            deployers=row.entities[EntityRole.DEPLOYER.value],
            developers=row.entities[EntityRole.DEVELOPER.value],
            harmed=row.entities[EntityRole.HARMED.value],
            reports=[
                ReportTexts(n, source.reports[n].title, source.reports[n].url, source.reports[n].authors)
                for n in source.incident_reports.get(row.incident_id, [])
            ],
        )
        for row in source.incidents
    ]
    return AiidData(incidents, source.entity_names)
