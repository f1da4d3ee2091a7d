"""Load the demo set (README.md in this folder) through the editors' own actions.

Each record is created as a draft by a demo editor, submitted for review and published by a demo reviewer on its
`published_on` date, so the demo exercises the real pipeline and every record passes the lint.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from django.db import transaction

from caim.records import actions, roles
from caim.records.clock import FixedClock
from caim.records.models import AISystem, Entity, Record, Status

DEMO_DIR = Path(__file__).resolve().parent
PUBLISH_TIME = time(10, 0, tzinfo=ZoneInfo("America/Toronto"))


class DemoDataError(ValueError):
    pass


@dataclass
class LoadResult:
    entities: int = 0
    systems: int = 0
    records: int = 0
    versions: int = 0
    skipped: int = 0


def _read_yaml_files(pattern: str) -> list[tuple[Path, object]]:
    out = []
    for path in sorted(DEMO_DIR.glob(pattern)):
        try:
            out.append((path, yaml.safe_load(path.read_text(encoding="utf-8"))))
        except yaml.YAMLError as exc:
            raise DemoDataError(f"{path.name}: not valid YAML: {exc}") from exc
    return out


def bilingual(value: object, name: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DemoDataError(f"{name}: expected {{en: ..., fr: ...}}")
    return {f"{name}_en": value.get("en") or "", f"{name}_fr": value.get("fr") or ""}


def dated(value: object, name: str, precision_name: str | None = None) -> dict:
    """`2024-02-14` or `{date: 2024-02-01, precision: month}` -> {name: date, name_precision: ...}."""
    precision_name = precision_name or f"{name}_precision"
    if value is None:
        return {}
    if isinstance(value, dict):
        return {name: value.get("date"), precision_name: value.get("precision", "day")}
    return {name: value, precision_name: "day"}


def to_changes(raw: dict) -> dict:
    """Translate a demo record file into the record-data shape the actions take."""
    data: dict = {}
    for name in ("title", "summary", "narrative", "editorial_assessment", "governance_gap"):
        data.update(bilingual(raw.get(name), name))
    for key in ("severity", "verification", "hazard_status", "confidence", "private_persons", "same_as"):
        if key in raw:
            data[key] = raw[key]
    if "taxonomy" in raw:
        data["taxonomy"] = raw["taxonomy"]
    if "canada_nexus" in raw:
        nexus = raw["canada_nexus"] or {}
        data["canada_nexus"] = nexus.get("criterion") or ""
        data.update(bilingual(nexus.get("note"), "canada_nexus_note"))
        data["provinces"] = nexus.get("provinces") or []
    if "dispute" in raw:
        data["dispute"] = "contested" if raw["dispute"] else ""
        data.update(bilingual(raw["dispute"] or {"en": "", "fr": ""}, "dispute_note"))
    data.update(dated(raw.get("occurred"), "occurred"))
    data.update(dated(raw.get("occurred_end"), "occurred_end"))
    data.update(dated(raw.get("identified"), "identified"))
    for key in ("reported", "last_assessed"):  # plain dates; a {date, precision} form keeps its date
        if key in raw:
            data[key] = raw[key]["date"] if isinstance(raw[key], dict) else raw[key]
    if "materialized_from" in raw:
        data["materialized_from"] = raw["materialized_from"] or []
    if "sources" in raw:
        data["sources"] = [
            {
                "citation_key": s.get("key"),
                "source_type": s.get("type"),
                "publisher": s.get("publisher"),
                "title": s.get("title"),
                "url": s.get("url"),
                "archived_url": s.get("archived_url"),
                "language": s.get("language", "en"),
                "background": s.get("background", False),
                **dated(s.get("date"), "date_published", "date_precision"),
                **bilingual(s.get("supports"), "supports"),
            }
            for s in raw["sources"]
        ]
    if "harms" in raw:
        data["harms"] = [
            {
                **bilingual(h.get("description"), "description"),
                "harm_types": h.get("harm_types", []),
                "severity": h.get("severity"),
                "reach": h.get("reach"),
            }
            for h in raw["harms"]
        ]
    if "entities" in raw:
        data["entities"] = [
            {
                "slug": e.get("entity"),
                "roles": e.get("roles", []),
                **bilingual(e.get("description"), "description"),
            }
            for e in raw["entities"]
        ]
    if "systems" in raw:
        data["systems"] = [
            {"slug": s.get("system"), **bilingual(s.get("involvement"), "involvement")}
            for s in raw["systems"]
        ]
    if "responses" in raw:
        data["responses"] = [
            {
                "kind": r.get("kind"),
                "actor": r.get("actor"),
                "source_key": r.get("source"),
                **dated(r.get("date"), "date", "date_precision"),
                **bilingual(r.get("description"), "description"),
            }
            for r in raw["responses"]
        ]
    if "policy_recommendations" in raw:
        data["policy_recommendations"] = [
            {**bilingual(p.get("text"), "text"), "source_key": p.get("source")}
            for p in raw["policy_recommendations"]
        ]
    if "mitigations" in raw:
        data["mitigations"] = [
            {"pathway": m.get("pathway"), **bilingual(m.get("text"), "text")} for m in raw["mitigations"]
        ]
    return data


def at_publish_time(day: object) -> datetime:
    if isinstance(day, str):
        day = date.fromisoformat(day)
    if not isinstance(day, date):
        raise DemoDataError(f"published_on: {day!r} is not a date")
    return datetime.combine(day, PUBLISH_TIME)


def load_demo(progress: Callable[[str], None] | None = None) -> LoadResult:
    """Load entities, systems and records that are not there yet (a second run changes nothing)."""
    result = LoadResult()
    editor = roles.system_account("demo-editor", roles.EDITOR)
    reviewer = roles.system_account("demo-reviewer", roles.REVIEWER)
    entity_files = _read_yaml_files("entities*.yaml")
    system_files = _read_yaml_files("systems*.yaml")
    record_files = _read_yaml_files("records/*.yaml")
    with transaction.atomic():
        for path, items in entity_files:
            for item in items or []:
                if Entity.objects.filter(slug=item["slug"]).exists():
                    continue
                try:
                    actions.create_entity(
                        actor=editor,
                        slug=item["slug"],
                        name=item["name"],
                        name_fr=item.get("name_fr") or "",
                        kind=item["kind"],
                        jurisdiction=item.get("jurisdiction", ""),
                        aliases=item.get("aliases", []),
                        aliases_fr=item.get("aliases_fr", []),
                        same_as=item.get("same_as", []),
                        **bilingual(item.get("description"), "description"),
                    )
                except (KeyError, ValueError) as exc:
                    raise DemoDataError(f"{path.name}: entity {item.get('slug')}: {exc}") from exc
                result.entities += 1
        for path, items in system_files:
            for item in items or []:
                if AISystem.objects.filter(slug=item["slug"]).exists():
                    continue
                developer = (
                    Entity.objects.filter(slug=item.get("developer")).first()
                    if item.get("developer")
                    else None
                )
                try:
                    actions.create_system(
                        actor=editor,
                        slug=item["slug"],
                        name=item["name"],
                        name_fr=item.get("name_fr") or "",
                        system_type=item["system_type"],
                        developer=developer,
                        **bilingual(item.get("description"), "description"),
                    )
                except (KeyError, ValueError) as exc:
                    raise DemoDataError(f"{path.name}: system {item.get('slug')}: {exc}") from exc
                result.systems += 1
        # Hazards first, so that incidents can link to them; then by publication date.
        ordered = sorted(
            record_files, key=lambda pf: (pf[1].get("type") != "hazard", str(pf[1].get("published_on")))
        )
        for path, raw in ordered:
            if progress:
                progress(path.name)
            if Record.objects.filter(slug=raw["slug"]).exists():
                result.skipped += 1
                continue
            try:
                result.versions += _load_record(raw, editor, reviewer)
            except (actions.InvalidRecordData, actions.PublishRefused, DemoDataError) as exc:
                details = "\n  ".join(str(i) for i in getattr(exc, "issues", []) if i.level == "error")
                raise DemoDataError(f"{path.name}: {exc}\n  {details}".rstrip()) from exc
            result.records += 1
    return result


def _load_record(raw: dict, editor, reviewer) -> int:
    published = at_publish_time(raw.get("published_on"))
    clock = FixedClock(published - timedelta(days=3))
    record = actions.create_draft(
        actor=editor, record_type=raw["type"], slug=raw["slug"], data=to_changes(raw), clock=clock
    )
    actions.set_status(record, actor=editor, status=Status.REVIEW, clock=clock)
    clock.at = published
    note = raw.get("changelog") or {"en": "Initial publication.", "fr": "Publication initiale."}
    actions.publish_record(
        record, actor=reviewer, changelog_en=note["en"], changelog_fr=note["fr"], clock=clock
    )
    versions = 1
    for revision in raw.get("revisions") or []:
        record.refresh_from_db()
        clock.at = at_publish_time(revision["published_on"]) - timedelta(days=1)
        actions.update_record(
            record,
            actor=editor,
            expected_lock_version=record.lock_version,
            data=to_changes(revision.get("changes") or {}),
            clock=clock,
        )
        clock.at = at_publish_time(revision["published_on"])
        note = revision["changelog"]
        actions.publish_record(
            record,
            actor=reviewer,
            changelog_en=note["en"],
            changelog_fr=note["fr"],
            clock=clock,
            kind=revision.get("kind", "publication"),
        )
        versions += 1
    return versions
