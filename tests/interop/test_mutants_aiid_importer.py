"""What mutation testing of interop/aiid/importer.py found untested (docs/quality.md): each test says what a reader
of the corpus, an editor screening drafts or an operator would see go wrong."""

from __future__ import annotations

import json

import pytest

from caim.interop.aiid import importer
from caim.interop.aiid.crosswalk import Crosswalk
from caim.interop.aiid.importer import draft_slug, import_aiid
from caim.interop.models import (
    AiidClassification,
    AiidEntity,
    AiidImportRun,
    AiidIncident,
    AiidIncidentReport,
    AiidReport,
)
from caim.records.models import Origin, Record, Status
from caim.taxonomy.loader import get_taxonomy
from tests.factories import draft, incident_data, make_entities
from tests.interop.test_aiid_import import (  # noqa: F401 (broken: a fixture)
    FIXTURE,
    broken,
    read_csv,
    row_of,
    write_csv,
)


def test_plain_import_makes_no_record_and_logs_its_path(db, clock):
    result = import_aiid(FIXTURE, clock=clock)
    assert not Record.objects.filter(origin=Origin.IMPORTED).exists() and result.counts["drafts_created"] == 0
    assert AiidImportRun.objects.get(pk=result.run_id).path == str(FIXTURE)
    with pytest.raises(ValueError, match="batch size must be at least 1"):
        import_aiid(FIXTURE, clock=clock, batch=0)


def test_drafts_in_several_batches_at_the_clocks_time_with_progress(db, clock):
    calls = []
    result = import_aiid(FIXTURE, clock=clock, as_drafts=True, batch=7, progress=lambda *a: calls.append(a))
    assert result.counts["drafts_created"] == 40 == Record.objects.filter(origin=Origin.IMPORTED).count()
    imported = Record.objects.filter(origin=Origin.IMPORTED)
    assert set(imported.values_list("created_at", flat=True)) == {clock.now()}
    stages = {}
    for stage, done, total in calls:
        stages.setdefault(stage, []).append((done, total))
    assert stages["Importing AIID incidents"] == [(min(n * 7, 40), 40) for n in range(1, 7)]
    assert stages["Creating draft records"] == [(min(n * 7, 40), 40) for n in range(1, 7)]


def test_a_draft_refused_is_reported_and_the_others_of_its_batch_made(db, clock, editor):
    """A record that is not an import already holds incident 3's draft slug: that draft is refused (never
    linked to the other record), the rest of its batch is made one by one, and the run is partial."""
    import_aiid(FIXTURE, clock=clock)
    slug = draft_slug(AiidIncident.objects.get(incident_id=3))
    make_entities()
    other = draft(editor, "incident", incident_data(), clock=clock, slug=slug)
    assert other.origin != Origin.IMPORTED
    result = import_aiid(FIXTURE, clock=clock, as_drafts=True, batch=10)
    assert result.counts["drafts_created"] == 39 and AiidIncident.objects.get(incident_id=3).draft is None
    [problem] = result.problems
    incidents = read_csv(FIXTURE / "snapshot-2026-02/incidents.csv")
    assert (
        problem.file == "snapshot-2026-02/incidents.csv"
        and problem.row == row_of(incidents, "incident_id", "3") + 1
    )
    assert problem.message.startswith("no draft: ") and slug in problem.message
    drafts = Record.objects.filter(origin=Origin.IMPORTED)
    assert set(drafts.values_list("status", flat=True)) == {Status.SCREENING}
    assert set(drafts.values_list("created_at", flat=True)) == {clock.now()}
    assert result.partial and AiidImportRun.objects.get(pk=result.run_id).status == "partial"


def test_a_draft_carries_every_mapped_field(db, clock):
    import_aiid(FIXTURE, clock=clock)
    taxonomy = {"domains": ["health"], "harm_types": ["physical_harm"], "ai_pathways": ["performance_failure"],
                "lifecycle_phases": ["design"]}  # fmt: skip
    AiidIncident.objects.filter(incident_id=5).update(**taxonomy)
    importer.create_drafts([5], Crosswalk.from_taxonomy(get_taxonomy()), clock=clock)
    record = AiidIncident.objects.get(incident_id=5).draft
    assert {name: getattr(record, name) for name in taxonomy} == taxonomy


def test_a_report_missing_from_the_export_is_a_report_without_title_or_url(db, clock, broken):  # noqa: F811
    path = broken / "apubtest-graphql-export/aiid_graphql_incidents_reports_2025-07.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    for item in data["data"]["incidents"]:
        item["reports"] = [r for r in item["reports"] if r["report_number"] != 3447]
        for r in item["reports"]:
            if r["report_number"] == 15:
                r["title"] = ""  # a URL without a title is a source all the same
    path.write_text(json.dumps(data), encoding="utf-8")
    result = import_aiid(broken, clock=clock)
    blank = AiidImportRun.objects.get(pk=result.run_id).gaps["reports_without_title_or_url"]
    assert 3447 in blank and 15 not in blank
    report = AiidReport.objects.get(report_number=3447)
    assert (report.title, report.url, report.authors) == ("", "", [])


def test_missing_optional_files_are_named(db, clock, broken):  # noqa: F811
    for name in ("oecd_relationships.json", "oecd_relationships_2025_09_09.json"):
        (broken / "aiid-repo" / name).unlink()
    lines = import_aiid(broken, clock=clock).summary()
    assert (
        "Not found (left out): aiid-repo/oecd_relationships.json, aiid-repo/oecd_relationships_2025_09_09.json"
        in lines
    )


def test_a_failed_run_keeps_its_counts(db, clock):
    def stop(n):
        raise RuntimeError("stopped")

    with pytest.raises(RuntimeError):
        import_aiid(FIXTURE, batch=15, clock=clock, after_batch=stop)
    run = AiidImportRun.objects.get()
    assert run.status == "failed" and run.counts["graphql_only_links"] == 8 and "rows_skipped" in run.counts
    assert len(run.gaps["graphql_only_links"]) == 8


def test_a_batch_of_one(db, clock):
    result = import_aiid(FIXTURE, clock=clock, batch=1)
    assert result.counts["incidents_created"] == 40


def test_long_titles_are_cut_to_what_a_record_holds(db, clock):
    from caim.records.models import AuditEvent, Entity

    import_aiid(FIXTURE, clock=clock)
    AiidIncident.objects.filter(incident_id=5).update(title="T" * 400)
    numbers = list(
        AiidIncidentReport.objects.filter(incident__incident_id=5).values_list("report_id", flat=True)
    )
    assert AiidReport.objects.filter(pk__in=numbers).update(title="R" * 600) == len(numbers)
    importer.create_drafts([5], Crosswalk.from_taxonomy(get_taxonomy()), clock=clock)
    record = AiidIncident.objects.get(incident_id=5).draft
    assert record.title_en == "T" * 300
    assert {s.title for s in record.record_sources.all()} == {"R" * 500}
    # The entities made for the draft are made at the run's time too.
    entity = Entity.objects.get(slug="aiid-intuitive-surgical")
    event = AuditEvent.objects.get(subject_type="entity", subject_id=entity.pk, verb="entity.created")
    assert event.at == clock.now()


def test_a_changed_name_and_a_changed_published_cell_update_what_they_touch(db, clock, broken):  # noqa: F811
    """A later export names an entity the earlier one did not; a classification is unpublished."""
    first = import_aiid(FIXTURE, clock=clock)
    assert first.counts["classifications_created"] == AiidClassification.objects.count() > 0
    entity = AiidEntity.objects.filter(name_derived=True).order_by("slug").first()
    path = broken / "apubtest-graphql-export/aiid_graphql_incidents_reports_2025-07.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["data"]["incidents"][0]["AllegedHarmedOrNearlyHarmedParties"].append(
        {"entity_id": entity.slug, "name": "A Name From AIID"}
    )
    path.write_text(json.dumps(data), encoding="utf-8")
    cset = read_csv(broken / "snapshot-2026-02/classifications_MIT.csv")
    cset[row_of(cset, "Incident ID", "5")][cset[0].index("Published")] = "False"
    write_csv(broken / "snapshot-2026-02/classifications_MIT.csv", cset)
    incidents = read_csv(broken / "snapshot-2026-02/incidents.csv")  # and, in the same batch, a new title
    incidents[row_of(incidents, "incident_id", "3")][incidents[0].index("title")] = "A corrected title"
    write_csv(broken / "snapshot-2026-02/incidents.csv", incidents)
    last = data["data"]["incidents"][-1]["reports"][-1]["report_number"]  # of incident 47, a later batch
    for item in data["data"]["incidents"]:  # and two reports' titles
        for report in item["reports"]:
            if report["report_number"] in (15, last):
                report["title"] = "A corrected report title"
    path.write_text(json.dumps(data), encoding="utf-8")
    surgery_before = AiidIncident.objects.get(incident_id=5)
    assert surgery_before.ai_pathways == ["performance_failure"]  # from MIT subdomain 7.3

    clock.advance(days=1)
    result = import_aiid(broken, clock=clock, batch=2)  # incidents 3 and 5 in two batches
    entity.refresh_from_db()
    assert (entity.name, entity.name_derived, entity.updated_at) == ("A Name From AIID", False, clock.now())
    mit = AiidClassification.objects.get(incident__incident_id=5, namespace="MIT")
    assert mit.published is False
    surgery = AiidIncident.objects.get(incident_id=5)
    assert surgery.ai_pathways == [] and surgery.updated_at == clock.now()
    assert (result.counts["entities_updated"], result.counts["classifications_updated"]) == (1, 1)
    assert result.counts["classifications_created"] == 0 and result.counts["incidents_updated"] == 2
    assert AiidIncident.objects.get(incident_id=3).title == "A corrected title"
    assert AiidReport.objects.get(report_number=15).title == "A corrected report title"
    assert result.counts["reports_updated"] == 2


def test_counts_across_batches_match_the_database(db, clock):
    result = import_aiid(FIXTURE, clock=clock, batch=7)
    c = result.counts
    assert (
        c["entities_created"] == AiidEntity.objects.count()
        and c["reports_created"] == AiidReport.objects.count()
    )
    values, incidents = 0, 0
    for i in AiidIncident.objects.all():
        n = sum(len(getattr(i, f)) for f in ("domains", "harm_types", "ai_pathways", "lifecycle_phases"))
        n += bool(i.severity) + bool(i.record_type)
        values += n
        incidents += bool(n)
    assert (c["values_mapped"], c["incidents_mapped"]) == (values, incidents) and incidents > 7
    assert 7 < c["classifications_mapped"] <= AiidClassification.objects.count()
