"""`caim import-aiid` says what it could not import or had to fill in, and imports the roles as AIID gives them.

On the fixture cut (tests/fixtures/aiid, 40 incidents) and broken copies of it. Expected figures are read from
the files here, independently of the reader.
"""

from __future__ import annotations

import csv
import json

from caim.cli import main
from caim.interop.aiid.importer import import_aiid
from caim.interop.aiid.names import casing_of, derive_name, entity_name
from caim.interop.models import (
    AiidClassification,
    AiidEntity,
    AiidImportRun,
    AiidIncident,
    AiidIncidentEntity,
    AiidIncidentReport,
)
from tests.interop.test_aiid_import import (
    EXPORT,
    FIXTURE,
    SNAPSHOT,
    broken,  # noqa: F401 (a fixture)
    export_links,
    read_csv,
    row_of,
    rows,
    write_csv,
)

DEPLOYER, DEVELOPER, HARMED = (
    "Alleged deployer of AI system",
    "Alleged developer of AI system",
    "Alleged harmed or nearly harmed parties",
)


def snapshot_incidents() -> dict[str, dict]:
    with (SNAPSHOT / "incidents.csv").open(encoding="utf-8", newline="") as f:
        return {row["incident_id"]: row for row in csv.DictReader(f)}


def export_items() -> list[dict]:
    return json.loads(EXPORT.read_text(encoding="utf-8"))["data"]["incidents"]


# -- roles ------------------------------------------------------------------------------------------------------


def test_roles_are_imported_as_aiid_gives_them(db, clock):
    """Incident 10: Starbucks deployed Kronos's scheduling software; its employees were harmed."""
    import_aiid(FIXTURE, clock=clock, as_drafts=True)
    csv_row = snapshot_incidents()["10"]
    assert json.loads(csv_row[DEPLOYER]) == ["starbucks"] and json.loads(csv_row[DEVELOPER]) == ["kronos"]
    incident = AiidIncident.objects.get(incident_id=10)
    assert incident.deployers == ["starbucks"]
    assert incident.developers == ["kronos"]
    assert incident.harmed == ["starbucks-employees"]
    links = {(link.entity.slug, link.role) for link in incident.entity_links.select_related("entity")}
    assert links == {("starbucks", "deployer"), ("kronos", "developer"), ("starbucks-employees", "harmed")}
    draft = {e.entity.slug: e.roles for e in incident.draft.record_entities.select_related("entity")}
    assert draft == {
        "aiid-starbucks": ["deployer"],
        "aiid-kronos": ["developer"],
        "aiid-starbucks-employees": ["affected_party"],
    }


def test_every_role_of_every_incident_matches_its_column(db, clock):
    import_aiid(FIXTURE, clock=clock)
    columns = {"deployer": DEPLOYER, "developer": DEVELOPER, "harmed": HARMED}
    want = {
        (int(i), slug, role)
        for i, row in snapshot_incidents().items()
        for role, column in columns.items()
        for slug in json.loads(row[column])
    }
    have = set(AiidIncidentEntity.objects.values_list("incident__incident_id", "entity__slug", "role"))
    assert have == want
    for incident in AiidIncident.objects.all():
        row = snapshot_incidents()[str(incident.incident_id)]
        assert incident.deployers == json.loads(row[DEPLOYER])
        assert incident.developers == json.loads(row[DEVELOPER])
        assert incident.harmed == json.loads(row[HARMED])


def test_one_entity_in_two_roles_keeps_both(db, clock):
    """Incident 31: the Delhi Metro deployed the system and was harmed by it."""
    import_aiid(FIXTURE, clock=clock, as_drafts=True)
    incident = AiidIncident.objects.get(incident_id=31)
    roles = set(
        incident.entity_links.filter(entity__slug="delhi-metro-rail-corporation").values_list(
            "role", flat=True
        )
    )
    assert roles == {"deployer", "harmed"}
    draft = {e.entity.slug: e.roles for e in incident.draft.record_entities.select_related("entity")}
    assert draft["aiid-delhi-metro-rail-corporation"] == ["deployer", "affected_party"]


# -- each gap kind, counted and listed --------------------------------------------------------------------------


def test_each_gap_is_counted_and_listed_on_a_clean_cut(db, clock):
    result = import_aiid(FIXTURE, clock=clock)
    incidents = snapshot_incidents()
    reports = {r["report_number"]: r for item in export_items() for r in item["reports"]}
    linked = {n for row in incidents.values() for n in json.loads(row["reports"])}
    only = sorted(
        (int(i), n)
        for i, n in export_links()
        if i in incidents and n not in json.loads(incidents[i]["reports"])
    )
    linked |= {n for _i, n in only}
    blank = sorted(
        n for n in linked if not (reports.get(n, {}).get("title") or reports.get(n, {}).get("url"))
    )
    named = {e["entity_id"] for item in export_items() for key in ("AllegedDeployerOfAISystem",
             "AllegedHarmedOrNearlyHarmedParties") for e in item[key] if e.get("name")}  # fmt: skip
    slugs = {
        s for row in incidents.values() for c in (DEPLOYER, DEVELOPER, HARMED) for s in json.loads(row[c])
    }
    assert blank == [3447, 6123, 6129] and len(only) == 8 and len(slugs - named) > 0

    run = AiidImportRun.objects.get(pk=result.run_id)
    assert run.gaps["reports_without_title_or_url"] == blank
    assert run.gaps["graphql_only_links"] == [list(link) for link in only]
    assert {s for s, _name in run.gaps["entity_names_derived"]} == slugs - named
    expected = {
        "reports_without_title_or_url": 3, "incidents_without_source": 0, "graphql_only_links": 8,
        "entity_names_derived": len(slugs - named), "published_unreadable": 0, "cells_dropped": 0,
        "drafts_without_sources": 0, "rows_skipped": 0,
    }  # fmt: skip
    assert {k: result.counts[k] for k in expected} == expected == {k: run.counts[k] for k in expected}
    assert run.status == "succeeded" and not result.partial
    summary = "\n".join(result.summary())
    assert "Reports without title or URL (kept, as numbers only): 3" in summary
    assert "Report links found only in the GraphQL export (imported): 8" in summary
    assert (
        f"Entity names derived from the slug (no name in the GraphQL export; marked derived): {len(slugs - named)}"
        in summary
    )
    assert "Incidents left without a usable source (no report with an http(s) URL): 0" in summary


def test_graphql_only_links_are_imported_after_the_snapshots(db, clock):
    import_aiid(FIXTURE, clock=clock)
    # Incident 1: the export links report 1 (WSJ) to it, the snapshot does not.
    snapshot = json.loads(snapshot_incidents()["1"]["reports"])
    assert 1 not in snapshot
    links = list(AiidIncidentReport.objects.filter(incident__incident_id=1).select_related("report"))
    assert [link.report.report_number for link in links] == [*snapshot, 1]
    assert [link.position for link in links] == list(range(1, len(snapshot) + 2))
    assert [link.graphql_only for link in links] == [False] * len(snapshot) + [True]
    assert links[-1].report.url.startswith("https://blogs.wsj.com/")
    assert AiidIncidentReport.objects.filter(graphql_only=True).count() == 8


def test_derived_names_are_marked_and_named_better_than_title_case(db, clock):
    import_aiid(FIXTURE, clock=clock)
    assert AiidEntity.objects.get(slug="youtube").name_derived is False
    derived = AiidEntity.objects.filter(name_derived=True)
    assert derived.exists()
    for entity in derived:
        assert entity.name == derive_name(entity.slug, casing_of(e["name"] for item in export_items() for key in (
            "AllegedDeployerOfAISystem", "AllegedHarmedOrNearlyHarmedParties") for e in item[key]))  # fmt: skip


def test_derive_name():
    casing = casing_of(
        ["YouTube Kids", "BP", "McDonald's", "Unknown scammers", "General public of Texas", "iPhone"]
    )
    assert casing == {"youtube": "YouTube", "bp": "BP", "mcdonald": "McDonald", "iphone": "iPhone"}
    assert derive_name("bp's", casing) == "BP's"
    assert (
        derive_name("ai", casing) == "AI"
        and derive_name("llm", {}) == "LLM"
        and derive_name("llms", {}) == "LLMs"
    )
    assert derive_name("unknown-llm-developers", {}) == "Unknown LLM Developers"
    assert derive_name("people-of-the-uk", {}) == "People of the UK"
    assert derive_name("the-guardian", {}) == "The Guardian"  # a small word is capitalised first
    assert derive_name("youtube's-platform", casing) == "YouTube's Platform"
    assert derive_name("canada-revenue-agency-(cra)", {"cra": "CRA"}) == "Canada Revenue Agency (CRA)"
    assert derive_name("students'-families", {}) == "Students' Families"
    assert derive_name("iphone-users", casing) == "iPhone Users"
    assert derive_name("--", {}) == "--"
    assert entity_name("youtube", {"youtube": "YouTube"}) == ("YouTube", False)
    assert entity_name("bp's", {"youtube": "YouTube"}, casing) == ("BP's", True)
    assert entity_name("ai", {"ai": ""}) == ("AI", True)


# -- cells and Published ----------------------------------------------------------------------------------------


def break_cells(broken):  # noqa: F811
    """MIT row of incident 5: an unknown Risk Domain; CSETv1 row of 8: Published 'yes'."""
    mit = read_csv(broken / "snapshot-2026-02/classifications_MIT.csv")
    m5 = row_of(mit, "Incident ID", "5")
    mit[m5][mit[0].index("Risk Domain")] = "9. Robot uprising"
    write_csv(broken / "snapshot-2026-02/classifications_MIT.csv", mit)
    cset = read_csv(broken / "snapshot-2026-02/classifications_CSETv1.csv")
    c8 = row_of(cset, "Incident ID", "8")
    cset[c8][cset[0].index("Published")] = "yes"
    write_csv(broken / "snapshot-2026-02/classifications_CSETv1.csv", cset)
    return m5 + 1, c8 + 1


def test_a_bad_cell_is_dropped_and_the_rows_good_cells_kept(db, clock, broken):  # noqa: F811
    m5, _c8 = break_cells(broken)
    result = import_aiid(broken, clock=clock)
    assert result.problems == []
    mit = AiidClassification.objects.get(incident__incident_id=5, namespace="MIT")
    assert "Risk Domain" not in mit.values
    assert mit.values["Risk Subdomain"].startswith("7.3") and mit.values["Timing"] == "Post-deployment"
    assert mit.published is True
    # The subdomain, a good cell of the same row, still maps (MIT 7.3 -> performance failure).
    assert AiidIncident.objects.get(incident_id=5).ai_pathways == ["performance_failure"]
    run = AiidImportRun.objects.get(pk=result.run_id)
    [cell] = run.gaps["cells_dropped"]
    assert (cell["file"], cell["row"], cell["column"]) == (
        "snapshot-2026-02/classifications_MIT.csv",
        m5,
        "Risk Domain",
    )
    assert "'9. Robot uprising' is not a MIT value" in cell["message"] and "was dropped" in cell["message"]
    assert result.counts["cells_dropped"] == 1 and run.status == "partial" and result.partial


def test_published_is_read_as_true_false_or_unknown(db, clock, broken):  # noqa: F811
    _m5, c8 = break_cells(broken)
    cset = read_csv(broken / "snapshot-2026-02/classifications_CSETv1.csv")
    published = cset[0].index("Published")
    spelled = {"10": " TRUE ", "11": "false", "12": ""}
    for incident_id, cell in spelled.items():
        cset[row_of(cset, "Incident ID", incident_id)][published] = cell
    write_csv(broken / "snapshot-2026-02/classifications_CSETv1.csv", cset)
    result = import_aiid(broken, clock=clock)
    state = dict(
        AiidClassification.objects.filter(
            namespace="CSETv1", incident__incident_id__in=[8, 10, 11, 12]
        ).values_list("incident__incident_id", "published")
    )
    assert state == {8: None, 10: True, 11: False, 12: None}
    unreadable = {(p.row, p.column) for p in result.cells if "Published" in p.message}
    assert unreadable == {(c8, "Published"), (row_of(cset, "Incident ID", "12") + 1, "Published")}
    assert result.counts["published_unreadable"] == 2 and result.partial
    assert any("Published is 'yes', neither True nor False" in str(p) for p in result.cells)
    # An unknown Published is never read as published: the classification is not mapped.
    cset8 = AiidClassification.objects.get(incident__incident_id=8, namespace="CSETv1")
    assert "Published" not in cset8.values and cset8.values


def test_a_second_run_on_broken_files_changes_nothing(db, clock, broken):  # noqa: F811
    break_cells(broken)
    import_aiid(broken, clock=clock)
    before = rows()
    clock.advance(days=1)
    again = import_aiid(broken, clock=clock, batch=9)
    assert rows() == before
    assert {v for k, v in again.counts.items() if k.endswith(("_created", "_updated", "_deleted"))} == {0}


# -- exit status ------------------------------------------------------------------------------------------------


def test_exit_status_of_a_partial_import(db, broken, capsys):  # noqa: F811
    assert main(["import-aiid", str(FIXTURE)]) == 0
    capsys.readouterr()
    break_cells(broken)
    assert main(["import-aiid", str(broken)]) == 3
    out, err = capsys.readouterr()
    assert (
        "Partial import: 0 rows skipped, 1 classification cells dropped, 1 Published cells unreadable" in err
    )
    assert "--accept-partial" in err
    assert "Not read: snapshot-2026-02/classifications_MIT.csv, row" in out
    assert main(["import-aiid", str(broken), "--accept-partial"]) == 0
    out, err = capsys.readouterr()
    assert "Partial import accepted (--accept-partial)" in out and err == ""
    assert list(AiidImportRun.objects.order_by("pk").values_list("status", flat=True)) == [
        "succeeded",
        "partial",
        "partial",
    ]


def test_exit_status_when_rows_are_skipped(db, broken, capsys):  # noqa: F811
    incidents = read_csv(broken / "snapshot-2026-02/incidents.csv")
    incidents[row_of(incidents, "incident_id", "3")][incidents[0].index("reports")] = "[1,"
    write_csv(broken / "snapshot-2026-02/incidents.csv", incidents)
    assert main(["import-aiid", str(broken)]) == 3
    out, err = capsys.readouterr()
    assert "Skipped: snapshot-2026-02/incidents.csv, row" in out
    assert (
        "Partial import: 6 rows skipped, 0 classification cells dropped" in err
    )  # the row, 5 classifications
    assert main(["import-aiid", str(broken), "--accept-partial"]) == 0


# -- drafts -----------------------------------------------------------------------------------------------------


def test_no_draft_without_a_source_and_one_once_a_source_appears(db, clock, broken):  # noqa: F811
    """Incident 3's reports lose their URLs: no draft (listed), until a later run finds a source."""
    numbers = set(json.loads(snapshot_incidents()["3"]["reports"]))
    shared = {n for i, row in snapshot_incidents().items() if i != "3" for n in json.loads(row["reports"])}
    assert numbers and not numbers & shared
    path = broken / "apubtest-graphql-export/aiid_graphql_incidents_reports_2025-07.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    for item in data["data"]["incidents"]:
        for report in item["reports"]:
            if report["report_number"] in numbers:
                report["url"] = ""
    path.write_text(json.dumps(data), encoding="utf-8")

    result = import_aiid(broken, clock=clock, as_drafts=True)
    assert result.counts["drafts_without_sources"] == 1 and result.counts["drafts_created"] == 39
    assert result.counts["incidents_without_source"] == 1
    run = AiidImportRun.objects.get(pk=result.run_id)
    assert run.gaps["drafts_without_sources"] == [3] == run.gaps["incidents_without_source"]
    assert AiidIncident.objects.get(incident_id=3).draft is None
    assert not result.partial and run.status == "succeeded"  # a documented choice, not a failure
    assert "Drafts not created: the incident has no usable source: 1" in "\n".join(result.summary())
    assert not AiidIncident.objects.filter(draft__isnull=False, draft__record_sources__isnull=True).exists()

    again = import_aiid(FIXTURE, clock=clock, as_drafts=True)
    assert (again.counts["drafts_created"], again.counts["drafts_existing"]) == (1, 39)
    assert again.counts["drafts_without_sources"] == 0
    assert AiidIncident.objects.get(incident_id=3).draft.record_sources.count() == len(numbers) - len(
        [n for n in numbers if n in (3447, 6123, 6129)]
    )


def test_a_multi_valued_cell_with_one_unknown_value_is_dropped_whole(db, clock, broken):  # noqa: F811
    """Incident 4's CSETv1 sector (transportation: one domain), plus "outer space": no domain comes from that
    cell (as if it were blank)."""
    path = broken / "snapshot-2026-02/classifications_CSETv1.csv"
    cset = read_csv(path)
    r4, sector = row_of(cset, "Incident ID", "4"), cset[0].index("Sector of Deployment")
    original = cset[r4][sector]
    import_aiid(FIXTURE, clock=clock)
    mapped = AiidIncident.objects.get(incident_id=4).domains
    cset[r4][sector] = ""
    write_csv(path, cset)
    import_aiid(broken, clock=clock)
    without = AiidIncident.objects.get(incident_id=4).domains
    assert mapped != without  # the sector gives a domain
    cset[r4][sector] = f"{original}, outer space"
    write_csv(path, cset)
    result = import_aiid(broken, clock=clock)
    assert AiidIncident.objects.get(incident_id=4).domains == without
    assert [(p.row, p.column) for p in result.cells] == [(r4 + 1, "Sector of Deployment")]
    values = AiidClassification.objects.get(incident__incident_id=4, namespace="CSETv1").values
    assert "Sector of Deployment" not in values and "AI System" in values


def test_a_draft_holds_what_aiid_says(db, clock):
    """Incident 10's draft: its title, description and date, each report with a URL as a source, in order."""
    from urllib.parse import urlsplit

    from caim.records.models import Entity

    import_aiid(FIXTURE, clock=clock, as_drafts=True)
    row = snapshot_incidents()["10"]
    draft = AiidIncident.objects.get(incident_id=10).draft
    assert (draft.title_en, draft.summary_en) == (row["title"], row["description"])
    assert (draft.occurred.isoformat(), draft.occurred_precision) == (row["date"], "day")
    assert (draft.origin, draft.status, draft.record_type) == ("imported", "screening", "incident")
    assert draft.same_as == [{"db": "aiid", "id": "10"}]
    reports = {r["report_number"]: r for item in export_items() for r in item["reports"]}
    numbers = [*json.loads(row["reports"]), 18]  # 18: linked by the GraphQL export only
    want, urls = [], set()
    for n in numbers:
        url = reports[n]["url"]
        if url and url not in urls:
            urls.add(url)
            publisher = urlsplit(url).hostname.removeprefix("www.")
            want.append((url, publisher, f"{publisher}, AIID {n}", reports[n]["title"] or url,
                         f"Report {n} of AI Incident Database incident 10.",
                         f"Article {n} de l'incident 10 de l'AI Incident Database."))  # fmt: skip
    have = [
        (s.source.url, s.publisher, s.citation_key, s.title, s.supports_en, s.supports_fr)
        for s in draft.record_sources.select_related("source").order_by("number")
    ]
    assert have == want
    assert {(s.source_type, s.language, s.background) for s in draft.record_sources.all()} == {
        ("other", "en", True)
    }
    kronos = Entity.objects.get(slug="aiid-kronos")
    assert (kronos.name, kronos.kind, kronos.same_as) == ("Kronos", "other", [{"db": "aiid", "id": "kronos"}])
