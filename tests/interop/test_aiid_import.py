"""`caim import-aiid`: the AIID reference corpus, on the fixture cut (tests/fixtures/aiid, 40 incidents)."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from caim.cli import main
from caim.interop.aiid import importer
from caim.interop.aiid.crosswalk import OTHER_AIID_FIELDS, Crosswalk
from caim.interop.aiid.importer import import_aiid
from caim.interop.aiid.reader import CLASSIFICATION_FIELDS, read_permitted, split_closed
from caim.interop.models import (
    AiidClassification,
    AiidEntity,
    AiidImportRun,
    AiidIncident,
    AiidIncidentEntity,
    AiidIncidentReport,
    AiidReport,
)
from caim.records.models import PublicRecord, Record, Status
from caim.taxonomy.loader import get_taxonomy

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "aiid"
SNAPSHOT = FIXTURE / "snapshot-2026-02"
CORPUS = (AiidEntity, AiidReport, AiidIncident, AiidIncidentReport, AiidIncidentEntity, AiidClassification)


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def write_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


EXPORT = FIXTURE / "apubtest-graphql-export" / "aiid_graphql_incidents_reports_2025-07.json"


def export_links() -> set[tuple[str, int]]:
    """(incident id, report number) of every link the GraphQL export gives."""
    items = json.loads(EXPORT.read_text(encoding="utf-8"))["data"]["incidents"]
    return {(str(i["incident_id"]), r["report_number"]) for i in items for r in i["reports"]}


def expected_counts() -> dict:
    """What the fixture holds, read here independently of the importer: the snapshot's links and the GraphQL
    export's (of the snapshot's incidents)."""
    with (SNAPSHOT / "incidents.csv").open(encoding="utf-8", newline="") as f:
        incidents = list(csv.DictReader(f))
    columns = ("Alleged deployer of AI system", "Alleged developer of AI system",
               "Alleged harmed or nearly harmed parties")  # fmt: skip
    links = {(i["incident_id"], n) for i in incidents for n in json.loads(i["reports"])}
    ids = {i["incident_id"] for i in incidents}
    links |= {(i, n) for i, n in export_links() if i in ids}
    entity_links = {(i["incident_id"], c, s) for i in incidents for c in columns for s in json.loads(i[c])}
    classifications = sum(len(read_csv(f)) - 1 for f in SNAPSHOT.glob("classifications_*.csv"))
    return {
        "AiidIncident": len(incidents),
        "AiidReport": len({n for _i, n in links}),
        "AiidEntity": len({s for _i, _c, s in entity_links}),
        "AiidIncidentReport": len(links),
        "AiidIncidentEntity": len(entity_links),
        "AiidClassification": classifications,
    }


def counts() -> dict:
    return {model.__name__: model.objects.count() for model in CORPUS}


def rows() -> dict:
    """Every row of the corpus, every column (updated_at included)."""
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in CORPUS}


@pytest.fixture
def broken(tmp_path):
    """A copy of the fixture to break."""
    shutil.copytree(FIXTURE, tmp_path / "aiid")
    return tmp_path / "aiid"


def row_of(table: list[list[str]], column: str, value: str) -> int:
    """Index in `table` (0 = header) of the row whose column holds value; also its row number minus 1."""
    i = table[0].index(column)
    return next(n for n, r in enumerate(table) if n and r[i] == value)


def test_imports_the_cut(db, clock):
    result = import_aiid(FIXTURE, clock=clock)
    assert result.problems == [] and result.files_missing == []
    expected = expected_counts()
    assert counts() == expected and expected["AiidIncident"] == 40
    assert result.counts["incidents"] == result.counts["incidents_created"] == 40
    assert result.counts["reports"] == expected["AiidReport"]
    assert result.counts["entities"] == expected["AiidEntity"]
    run = AiidImportRun.objects.get(pk=result.run_id)
    assert run.status == "succeeded" and run.finished_at and run.errors == [] and run.counts == result.counts

    first = AiidIncident.objects.get(incident_id=1)
    assert first.object_id == "625763db343edc875fe639ff" and first.date.isoformat() == "2015-05-19"
    assert first.deployers == ["youtube"] and first.harmed == ["children"]
    report = first.reports.get(report_number=15)
    assert report.url == "https://www.bbc.com/news/blogs-trending-39381889" and report.authors == [
        "Bbc Trending"
    ]
    assert AiidEntity.objects.get(slug="youtube").name == "YouTube"
    assert AiidIncident.objects.get(incident_id=37).oecd_ids == ["2022-10-07-57f1"]
    assert AiidIncident.objects.get(incident_id=16).oecd_ids == ["2023-05-22-ff32"]
    assert set(first.classifications.values_list("namespace", flat=True)) >= {
        "CSETv1",
        "MIT",
        "GMF",
        "CSETv0",
    }
    # The CSETv1 file repeats the column "AI System": both are kept.
    cset = first.classifications.get(namespace="CSETv1").values
    assert "AI System" in cset and "AI System (2)" in cset and "Published" not in cset

    lines = "\n".join(result.summary())
    assert (
        "AIID incidents: 40 (40 new, 0 changed)" in lines
        and "Rows skipped: 0" in lines
        and "Elapsed:" in lines
    )


def test_a_second_run_changes_nothing(db, clock):
    import_aiid(FIXTURE, clock=clock)
    before = rows()
    clock.advance(days=1)
    again = import_aiid(FIXTURE, clock=clock, batch=7)
    assert rows() == before
    changes = {k: v for k, v in again.counts.items() if k.endswith(("_created", "_updated", "_deleted"))}
    assert set(changes.values()) == {0}
    assert again.counts["incidents"] == 40 and AiidImportRun.objects.count() >= 2


def test_an_interrupted_run_resumes_with_the_same_result(db, clock):
    class Interrupted(Exception):
        pass

    def stop_after_two(n):
        if n == 2:
            raise Interrupted("stopped after batch 2")

    with pytest.raises(Interrupted):
        import_aiid(FIXTURE, batch=15, clock=clock, after_batch=stop_after_two)
    assert AiidIncident.objects.count() == 30  # two batches of 15 committed
    failed = AiidImportRun.objects.order_by("-pk").first()
    assert failed.status == "failed" and "stopped after batch 2" in failed.message and failed.finished_at

    resumed = import_aiid(FIXTURE, batch=15, clock=clock)
    assert resumed.counts["incidents_created"] == 10 and resumed.counts["incidents_updated"] == 0
    assert counts() == expected_counts()
    assert AiidIncident.objects.values("incident_id").distinct().count() == 40
    assert AiidReport.objects.values("report_number").distinct().count() == expected_counts()["AiidReport"]
    after = rows()
    import_aiid(FIXTURE, batch=15, clock=clock)
    assert rows() == after


def test_a_failing_batch_is_rolled_back_whole(db, clock, monkeypatch):
    original = importer._Writer._sync_classifications
    calls = []

    def fail_in_second_batch(self, batch, objects, pks):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return original(self, batch, objects, pks)

    monkeypatch.setattr(importer._Writer, "_sync_classifications", fail_in_second_batch)
    with pytest.raises(RuntimeError):
        import_aiid(FIXTURE, batch=20, clock=clock)
    first_batch = sorted(AiidIncident.objects.values_list("incident_id", flat=True))
    assert len(first_batch) == 20
    # Nothing of the second batch: no incident, and no report or entity only it names.
    assert not AiidIncidentReport.objects.exclude(incident__incident_id__in=first_batch).exists()
    assert AiidReport.objects.count() == AiidIncidentReport.objects.values("report").distinct().count()
    assert AiidEntity.objects.count() == AiidIncidentEntity.objects.values("entity").distinct().count()


def test_malformed_rows_are_reported_with_their_row_and_skipped(db, clock, broken):
    incidents = read_csv(broken / "snapshot-2026-02/incidents.csv")
    header = incidents[0]
    r2, r3, r4, r6 = (row_of(incidents, "incident_id", str(i)) for i in (2, 3, 4, 6))
    incidents[r2][header.index("reports")] = "[629, 630"
    incidents[r3][header.index("incident_id")] = "three"
    incidents[r4][header.index("incident_id")] = ""
    incidents[r6][header.index("Alleged deployer of AI system")] = '{"microsoft": 1}'
    write_csv(broken / "snapshot-2026-02/incidents.csv", incidents)

    mit = read_csv(broken / "snapshot-2026-02/classifications_MIT.csv")
    m5, m7 = row_of(mit, "Incident ID", "5"), row_of(mit, "Incident ID", "7")
    mit[m5][mit[0].index("Risk Domain")] = "9. Robot uprising"
    mit[m7][mit[0].index("Incident ID")] = "x7"
    write_csv(broken / "snapshot-2026-02/classifications_MIT.csv", mit)
    cset = read_csv(broken / "snapshot-2026-02/classifications_CSETv1.csv")
    c8 = row_of(cset, "Incident ID", "8")
    cset[c8][cset[0].index("Sector of Deployment")] = "information and communication, outer space"
    write_csv(broken / "snapshot-2026-02/classifications_CSETv1.csv", cset)
    oecd = broken / "aiid-repo/oecd_relationships_2025_09_09.json"
    items = json.loads(oecd.read_text(encoding="utf-8"))
    items.append({"incident_id": 9, "sameAs": "https://example.com/not-oecd", "source_namespace": "OECD"})
    oecd.write_text(json.dumps(items), encoding="utf-8")

    result = import_aiid(broken, clock=clock)
    reported = [str(p) for p in result.problems]
    inc, cls = "snapshot-2026-02/incidents.csv", "snapshot-2026-02/classifications_"
    assert (
        f"{inc}, row {r2 + 1}: reports: not valid JSON (Expecting ',' delimiter at character 9)" in reported
    )
    assert f"{inc}, row {r3 + 1}: incident_id 'three' is not a number from 1 to 2147483647" in reported
    assert f"{inc}, row {r4 + 1}: incident_id is missing" in reported
    assert f"{inc}, row {r6 + 1}: Alleged deployer of AI system: not a JSON array" in reported
    cells = [str(p) for p in result.cells]
    assert any(p.startswith(f"{cls}MIT.csv, row {m5 + 1}, column 'Risk Domain': Risk Domain: '9. Robot uprising' "
                            "is not a MIT value") for p in cells)  # fmt: skip
    assert f"{cls}MIT.csv, row {m7 + 1}: Incident ID 'x7' is not a number from 1 to 2147483647" in reported
    assert any(p.startswith(f"{cls}CSETv1.csv, row {c8 + 1}, column 'Sector of Deployment': Sector of "
                            "Deployment: 'outer space' is not") for p in cells)  # fmt: skip
    assert (
        f"{cls}MIT.csv, row {row_of(mit, 'Incident ID', '2') + 1}: no valid incident 2 in {inc}" in reported
    )
    assert "aiid-repo/oecd_relationships_2025_09_09.json, item 3: sameAs 'https://example.com/not-oecd' is not an " \
           "OECD AIM incident URL" in reported  # fmt: skip

    imported = set(AiidIncident.objects.values_list("incident_id", flat=True))
    assert imported.isdisjoint({2, 6}) and len(imported) == 36 and {5, 7, 8, 9} <= imported
    # A bad cell drops that cell only: the rest of the row is kept.
    mit5 = AiidClassification.objects.get(incident__incident_id=5, namespace="MIT").values
    assert "Risk Domain" not in mit5 and mit5["Timing"] == "Post-deployment"
    assert AiidClassification.objects.filter(incident__incident_id=5, namespace="CSETv1").exists()
    cset8 = AiidClassification.objects.get(incident__incident_id=8, namespace="CSETv1").values
    assert "Sector of Deployment" not in cset8 and cset8
    run = AiidImportRun.objects.get(pk=result.run_id)
    assert result.counts["cells_dropped"] == 2 and len(run.gaps["cells_dropped"]) == 2
    assert run.status == "partial" and result.counts["rows_skipped"] == len(
        {(p.file, p.row) for p in result.problems}
    )
    assert {
        "file": inc,
        "row": r3 + 1,
        "message": "incident_id 'three' is not a number from 1 to 2147483647",
    } in run.errors


def test_malformed_rows_leave_what_an_earlier_run_wrote(db, clock, broken):
    import_aiid(FIXTURE, clock=clock)
    before = rows()
    incidents = read_csv(broken / "snapshot-2026-02/incidents.csv")
    incidents[row_of(incidents, "incident_id", "2")][incidents[0].index("reports")] = "not json"
    write_csv(broken / "snapshot-2026-02/incidents.csv", incidents)
    mit = read_csv(broken / "snapshot-2026-02/classifications_MIT.csv")
    mit.append(list(mit[row_of(mit, "Incident ID", "5")]))  # classified twice: the second row is skipped
    mit[-1][mit[0].index("Timing")] = "Pre-deployment"
    write_csv(broken / "snapshot-2026-02/classifications_MIT.csv", mit)
    clock.advance(hours=1)
    result = import_aiid(broken, clock=clock)
    assert any("incident 5 is classified twice in MIT" in str(p) for p in result.problems)
    assert rows() == before  # incident 2 and the MIT classification of 5 are as the first run left them


def test_missing_or_unreadable_files(db, tmp_path, broken, capsys):
    assert main(["import-aiid", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert "does not hold the AIID data" in err and "snapshot-2026-02/incidents.csv" in err
    (broken / "apubtest-graphql-export/aiid_graphql_incidents_reports_2025-07.json").unlink()
    assert main(["import-aiid", str(broken)]) == 2
    assert "aiid_graphql_incidents_reports_2025-07.json not found" in capsys.readouterr().err
    (broken / "apubtest-graphql-export/aiid_graphql_incidents_reports_2025-07.json").write_text("{", "utf-8")
    assert main(["import-aiid", str(broken)]) == 1
    assert "Nothing was imported" in capsys.readouterr().err
    assert not AiidIncident.objects.exists() and not AiidImportRun.objects.exists()


def test_command(db, capsys):
    assert main(["import-aiid", str(FIXTURE), "--batch", "7"]) == 0
    out = capsys.readouterr().out
    assert "AIID incidents: 40 (40 new, 0 changed)" in out and "Elapsed:" in out and "Rows skipped: 0" in out
    assert main(["import-aiid", str(FIXTURE), "--batch", "0"]) == 2


# -- crosswalk --------------------------------------------------------------------------------------------------


def test_every_aiid_crosswalk_field_is_understood_and_every_closed_target_is_an_aiid_value():
    permitted = read_permitted(FIXTURE)
    for vocabulary in get_taxonomy().vocabularies.values():
        for value in vocabulary.values:
            for name, targets in (value.crosswalk.get("aiid") or {}).items():
                assert name in CLASSIFICATION_FIELDS or name in OTHER_AIID_FIELDS, name
                namespace, columns = CLASSIFICATION_FIELDS.get(name, ("", ()))
                for column in columns:
                    if (namespace, column) in permitted:
                        known = permitted[(namespace, column)][1]
                        assert all(t.casefold() in known for t in targets), (value.slug, name, targets)


def test_comma_joined_values_that_hold_commas():
    multi, values = read_permitted(FIXTURE)[("CSETv1", "Sector of Deployment")]
    assert multi
    cell = (
        "Arts, entertainment and recreation, information and communication, agriculture, forestry and fishing"
    )
    assert split_closed(cell, multi, values) == (
        [
            "Arts, entertainment and recreation",
            "information and communication",
            "agriculture, forestry and fishing",
        ],
        [],
    )
    assert split_closed("education, outer space", multi, values) == (["Education"], ["outer space"])
    single, domains = read_permitted(FIXTURE)[("MIT", "Risk Domain")]
    assert split_closed("7. AI system safety, failures, and limitations", single, domains)[1] == []


def test_reverse_crosswalk_rules():
    crosswalk = Crosswalk.from_taxonomy(get_taxonomy())
    # The subdomain, also listed by the crosswalk, rules out discrimination_bias for MIT domain 1; exposure to
    # toxic content names no harm type of ours (not child safety: nothing says a child was exposed).
    observed = {"mit_risk_domain": ["1. Discrimination and Toxicity"],
                "mit_risk_subdomain": ["1.2. Exposure to toxic content"]}  # fmt: skip
    mapped, unmapped = crosswalk.map(observed)
    assert mapped == {} and unmapped == observed
    # Coarse MIT fields alone name several lifecycle phases and pathways: nothing is mapped, the values are kept.
    mapped, unmapped = crosswalk.map({"mit_timing": ["Post-deployment"], "mit_entity": ["Human"]})
    assert mapped == {} and unmapped == {"mit_entity": ["Human"], "mit_timing": ["Post-deployment"]}
    # ... but they rule out a pathway they contradict, and confirm one they agree with.
    mapped, _ = crosswalk.map(
        {"mit_risk_domain": ["4. Malicious Actors & Misuse"], "mit_intent": ["Intentional"]}
    )
    assert mapped["ai_pathway"] == ["malicious_use"]
    mapped, unmapped = crosswalk.map({"mit_risk_domain": ["4. Malicious Actors & Misuse"],
                                      "mit_intent": ["Unintentional"]})  # fmt: skip
    # (the domain alone names four harm types: rule 2 gives none of them, so it stays unmapped too)
    assert mapped == {} and unmapped == {
        "mit_intent": ["Unintentional"],
        "mit_risk_domain": ["4. Malicious Actors & Misuse"],
    }
    # A value with no equivalent stays a source value.
    mapped, unmapped = crosswalk.map({"cset_v1_sector_of_deployment": ["mining and quarrying", "defense"]})
    assert mapped == {"domain": ["defence_security"]}
    assert unmapped == {"cset_v1_sector_of_deployment": ["mining and quarrying"]}


def test_crosswalk_mapping_of_classified_incidents(db, clock):
    import_aiid(FIXTURE, clock=clock)
    # Incident 5 (robotic surgery): CSETv1 sector "human health and social work activities", 144 lives lost;
    # MIT 7 / 7.3 / AI / Post-deployment / Unintentional; its GMF classification is unpublished, so not mapped.
    surgery = AiidIncident.objects.get(incident_id=5)
    assert surgery.domains == ["health"]
    assert surgery.harm_types == ["physical_harm"]
    assert surgery.ai_pathways == ["performance_failure"]  # not emergent_behaviour: subdomain 7.3
    assert surgery.severity == "critical" and surgery.lifecycle_phases == []
    # CSETv1 says "AI Harm Level: none" but "tangible harm definitively occurred": no record type.
    assert surgery.record_type == ""
    assert surgery.unmapped["cset_v1_ai_harm_level"] == ["none"]
    assert surgery.unmapped["cset_v1_tangible_harm"] == ["tangible harm definitively occurred"]
    assert "gmf_technical_failure" not in surgery.unmapped
    assert (
        surgery.classifications.get(namespace="GMF").values["Known AI Technical Failure"]
        == "Hardware Failure"
    )
    # Incident 37 (hiring tool): an "AI tangible harm issue" (a hazard), gender bias in hiring. Its sector,
    # "administrative and support service activities", is not evidence of employment (security guards, travel
    # agencies and office support share it): no domain rather than a wrong one.
    hiring = AiidIncident.objects.get(incident_id=37)
    assert (hiring.record_type, hiring.domains, hiring.harm_types) == ("hazard", [], ["discrimination_bias"])
    assert hiring.severity == ""


# -- drafts and the public site ---------------------------------------------------------------------------------

PUBLIC_PAGES = ("/", "/incidents/", "/hazards/", "/fr/incidents/", "/entities/", "/systems/", "/stats/",
                "/corrections/", "/api/v3/records.json")  # fmt: skip


def body(response) -> str:
    return (b"".join(response.streaming_content) if response.streaming else response.content).decode()


def assert_nowhere_public(client, title: str) -> None:
    for url in PUBLIC_PAGES:
        response = client.get(url)
        assert response.status_code == 200 and title not in body(response), url
    # Searches echo the query: they must find nothing, and link to nothing of the corpus.
    for url in ("/search/", "/fr/search/", "/incidents/", "/hazards/"):
        page = body(client.get(url, {"q": title}))
        assert "/aiid-" not in page, url
        if "search" in url:
            assert 'class="no-results"' in page, url


def test_the_corpus_never_reaches_public_pages(client, db, clock):
    import_aiid(FIXTURE, clock=clock)
    for title in ("LinkedIn Search Prefers Male Names", "Biased Sentiment Analysis"):
        assert_nowhere_public(client, title)
    assert client.get("/entities/youtube/").status_code == 404


def test_as_drafts(client, db, clock):
    public_before = PublicRecord.objects.count()
    result = import_aiid(FIXTURE, clock=clock, as_drafts=True)
    assert result.counts["drafts_created"] == 40 and result.problems == []
    drafts = Record.objects.filter(slug__startswith="aiid-", origin="imported")
    assert drafts.count() == 40 and set(drafts.values_list("status", flat=True)) == {Status.SCREENING}
    assert set(AiidIncident.objects.values_list("draft_id", flat=True)) == set(
        drafts.values_list("pk", flat=True)
    )

    hiring = AiidIncident.objects.get(incident_id=37).draft
    assert hiring.record_type == "hazard" and hiring.identified.isoformat() == "2016-08-10"
    assert hiring.same_as == [{"db": "aiid", "id": "37"}, {"db": "oecd", "id": "2022-10-07-57f1"}]
    assert (hiring.domains, hiring.harm_types) == ([], ["discrimination_bias"])
    keys = list(hiring.record_sources.values_list("citation_key", flat=True))
    assert keys and len(keys) == len(set(keys)) and all(", AIID " in k for k in keys)
    assert (
        hiring.record_sources.count()
        == AiidIncident.objects.get(incident_id=37).reports.exclude(url="").count()
    )
    roles = {link.entity.slug: link.roles for link in hiring.record_entities.select_related("entity")}
    assert roles["aiid-amazon"] == ["deployer", "developer"]
    surgery = AiidIncident.objects.get(incident_id=5).draft
    assert surgery.record_type == "incident" and surgery.severity == "critical" and surgery.occurred

    # Never public: no public row, no page, list, search result or API entry.
    assert PublicRecord.objects.count() == public_before
    assert not PublicRecord.objects.filter(pk__in=drafts.values("pk")).exists()
    assert_nowhere_public(client, "LinkedIn Search Prefers Male Names")
    linkedin = AiidIncident.objects.get(incident_id=47).draft
    assert client.get(f"/incidents/{linkedin.slug}/").status_code == 404
    assert client.get(f"/api/v3/records/{linkedin.slug}.json").status_code == 404
    assert client.get("/entities/aiid-amazon/").status_code == 404

    # Idempotent: incidents that have a draft are skipped, even when the link to it was lost.
    AiidIncident.objects.filter(incident_id=1).update(draft=None)
    again = import_aiid(FIXTURE, clock=clock, as_drafts=True)
    assert (again.counts["drafts_created"], again.counts["drafts_existing"]) == (0, 40)
    assert drafts.count() == 40 and AiidIncident.objects.filter(draft__isnull=True).count() == 0


def test_out_of_range_ids_long_slugs_and_a_broken_quote_are_row_errors(db, clock, broken):
    """Each used to stop the import half-way (database errors) or drop the rest of a file without a word."""
    path = broken / "snapshot-2026-02/incidents.csv"
    incidents = read_csv(path)
    header = incidents[0]
    big, long_slug = (row_of(incidents, "incident_id", str(i)) for i in (3, 4))
    incidents[big][header.index("incident_id")] = "99999999999"
    incidents[long_slug][header.index("Alleged deployer of AI system")] = json.dumps(["x" * 300])
    write_csv(path, incidents)
    # A quote opened at the start of a title and never closed: it runs on through the following lines.
    broken_row = row_of(incidents, "incident_id", "5")
    lines = path.read_text(encoding="utf-8").split("\n")
    title = incidents[broken_row][header.index("title")]
    line = next(n for n, text in enumerate(lines) if text.endswith("," + title))
    lines[line] = lines[line][: -len(title)] + '"' + title
    path.write_text("\n".join(lines), encoding="utf-8")

    result = import_aiid(broken, clock=clock)
    reported = [str(p) for p in result.problems]
    inc = "snapshot-2026-02/incidents.csv"
    assert f"{inc}, row {big + 1}: incident_id '99999999999' is not a number from 1 to 2147483647" in reported
    assert any(
        p.startswith(f"{inc}, row {long_slug + 1}: Alleged deployer of AI system: 'xxx") for p in reported
    )
    assert any(
        p.startswith(f"{inc}, row {broken_row + 1}: ") and "reading went on from line" in p for p in reported
    )
    imported = set(AiidIncident.objects.values_list("incident_id", flat=True))
    every = {
        int(r[header.index("incident_id")]) for r in incidents[1:] if r[header.index("incident_id")].isdigit()
    }
    # Every row but the three broken ones is imported, those after the broken quote included.
    assert imported == every - {99999999999, 4, 5}
    assert AiidImportRun.objects.get(pk=result.run_id).status == "partial"  # rows were skipped
