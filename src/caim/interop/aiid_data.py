"""Readers of the AI Incident Database files (snapshot CSV and GraphQL export).

AIID content is CC BY-SA 4.0: "AI Incident Database (incidentdatabase.ai), Responsible AI Collaborative".
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

ATTRIBUTION = "AI Incident Database (incidentdatabase.ai), Responsible AI Collaborative, CC BY-SA 4.0"


def default_aiid_dir() -> Path:
    return Path(
        os.environ.get(
            "CAIM_AIID_DIR", settings.PACKAGE_DIR.parent.parent.parent / "shared" / "data" / "aiid"
        )
    )


@dataclass
class AiidReport:
    number: int
    title: str
    url: str
    authors: list[str]


@dataclass
class AiidIncident:
    incident_id: int
    date: str
    title: str
    description: str
    deployers: list[str] = field(default_factory=list)
    developers: list[str] = field(default_factory=list)
    harmed: list[str] = field(default_factory=list)
    reports: list[AiidReport] = field(default_factory=list)


def _json_list(cell: str) -> list:
    try:
        value = json.loads(cell or "[]")
    except json.JSONDecodeError:
        return []
    return value if isinstance(value, list) else []


@dataclass
class AiidData:
    incidents: list[AiidIncident]
    entity_names: dict[str, str]  # entity slug -> name, where the GraphQL export gives one

    def entity_name(self, slug: str) -> str:
        return self.entity_names.get(slug) or slug.replace("-", " ").title()


def read_aiid(aiid_dir: Path) -> AiidData:
    """Incidents of the snapshot, with the reports (URL, title, authors) of the GraphQL export where known."""
    reports: dict[int, list[AiidReport]] = {}
    names: dict[str, str] = {}
    export = aiid_dir / "apubtest-graphql-export" / "aiid_graphql_incidents_reports_2025-07.json"
    if export.exists():
        for item in json.loads(export.read_text(encoding="utf-8"))["data"]["incidents"]:
            reports[item["incident_id"]] = [
                AiidReport(
                    r["report_number"], r.get("title") or "", r.get("url") or "", r.get("authors") or []
                )
                for r in item.get("reports") or []
            ]
            for key in ("AllegedDeployerOfAISystem", "AllegedHarmedOrNearlyHarmedParties"):
                for entity in item.get(key) or []:
                    names[entity["entity_id"]] = entity["name"]
    incidents = []
    with (aiid_dir / "snapshot-2026-02" / "incidents.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if not (row.get("incident_id") or "").isdigit():
                continue
            number = int(row["incident_id"])
            incidents.append(
                AiidIncident(
                    incident_id=number,
                    date=row.get("date") or "",
                    title=(row.get("title") or "").strip(),
                    description=(row.get("description") or "").strip(),
                    deployers=_json_list(row.get("Alleged deployer of AI system")),
                    developers=_json_list(row.get("Alleged developer of AI system")),
                    harmed=_json_list(row.get("Alleged harmed or nearly harmed parties")),
                    reports=reports.get(number, []),
                )
            )
    return AiidData(sorted(incidents, key=lambda i: i.incident_id), names)
