"""`caim export-site`: the public site as static files (SPEC §8), checked against the live site on the demo set,
and the incremental mode after a correction is published."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import shutil
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db.models import F
from django.test import Client

from caim.cli import main
from caim.export import pagefind, static_site
from caim.export.static_site import ExportError, Manifest, RecordState, export_site, file_for
from caim.records import actions
from caim.records.models import Entity, PublicChange, PublicRecord, RecordVersion, VersionKind
from tests import factories

GENERATED_AT = re.compile(rb'"generated_at":"[^"]*"')


@pytest.fixture(scope="module")
def site(django_db_blocker, tmp_path_factory) -> Path:
    """The demo set exported once (in this process, as the tests' database is not shared with workers)."""
    out = tmp_path_factory.mktemp("export") / "site"
    with django_db_blocker.unblock():
        summary = export_site(out, workers=1)
    assert summary.files > 100 and not summary.notes
    return out


def live(url: str) -> bytes:
    response = Client().get(url)
    assert response.status_code == 200, url
    return b"".join(response.streaming_content) if response.streaming else response.content


def manifest_rows(out: Path) -> dict[str, list]:
    """The manifest's rows by path, as any JSON reader reads manifest.json and its shard files (an incremental
    run once left it invalid JSON that only the export's own reader read), and the same as the export reads
    them."""
    document = json.loads((out / "manifest.json").read_bytes())
    units = dict(document["units"])
    for shard in document["shards"]:
        units.update(json.loads((out / shard).read_bytes())["units"])
    assert sorted(p.relative_to(out).as_posix() for p in (out / "manifest").iterdir()) == document["shards"]
    rows = {row[0]: row for unit_rows in units.values() for row in unit_rows}
    manifest = Manifest.read(out)
    assert {row[0]: row for unit in manifest.units() for row in manifest.rows(unit)} == rows
    assert {k: v for k, v in document.items() if k != "units"} == manifest.header
    return rows


def publish_correction(record, data: dict, editor, reviewer):
    """An editor changes `data` of a published record and a second account publishes it as a correction."""
    record = actions.update_record(record, actor=editor, expected_lock_version=record.lock_version, data=data)
    actions.publish_record(record, actor=reviewer, changelog_en="Summary corrected.",
                           changelog_fr="Résumé corrigé.", kind=VersionKind.CORRECTION)  # fmt: skip
    return record


def assert_state_is_current(out: Path) -> None:
    """An incremental export reads only the records the change log names (and those linked to them): the state
    its manifest keeps is still the one a reading of every record gives."""
    kept = Manifest.read(out).header["records"]
    assert kept == {str(pk): state.as_json() for pk, state in static_site.public_state().items()}


def a_record(**filters) -> PublicRecord:
    return PublicRecord.objects.listed().filter(**filters).order_by("pk").first()


def test_the_export_holds_every_kind_of_page_and_file(site, db):
    incident = a_record(record_type="incident", version_number__gt=1)
    kind = "incidents"
    numbers = list(RecordVersion.objects.filter(record_id=incident.pk).values_list("number", flat=True))
    expected = ["index.html", "fr/index.html", "incidents/index.html", "fr/hazards/index.html", "about/index.html",
                "fr/methodology/index.html", "standards/index.html", "privacy/index.html", "api/index.html",
                "corrections/index.html", "taxonomy/index.html", "stats/index.html", "fr/stats/index.html",
                "stats/domain.csv", "entities/index.html", "systems/index.html", "search/index.html",
                "fr/search/index.html", "404.html", "api/v3/records.json", "api/v3/records.json.gz",
                "api/v3/taxonomy.json", "api/v3/stats.json", "api/v3/systemic-analysis.json", "api/v3/graph.json",
                "api/v3/feed.json", "fr/api/v3/feed.json", "feeds/records.atom", "fr/feeds/incidents.atom",
                "feeds/hazards.atom", "api/v3/bulk/records.csv", "api/v3/bulk/records.jsonl",
                "api/v3/bulk/sources.csv", "api/v3/bulk/entities.csv", "api/v3/bulk/LICENCE.txt",
                "incidents/download.csv", "fr/hazards/download.json", "static/caim/site.css",
                "static/caim/vendor/htmx-2.0.11.min.js", "static/caim/favicon.svg", pagefind.SEARCH_SCRIPT,
                "pagefind/pagefind.js", "search/delta.json", "sitemap.xml", "sitemap-records.xml", "robots.txt",
                "_redirects", "_headers", "README.txt", "manifest.json",
                f"{kind}/{incident.slug}/index.html", f"fr/{kind}/{incident.slug}/index.html",
                f"{kind}/{incident.slug}/oecd.json", f"fr/{kind}/{incident.slug}/aiid.json",
                f"{kind}/{incident.slug}/cite.bib", f"api/v3/records/{incident.slug}.json",
                f"api/v3/records/{incident.slug}/versions.json",
                f"{kind}/{incident.slug}/diff/{numbers[0]}/{numbers[1]}/index.html"]  # fmt: skip
    for n in numbers:
        expected += [f"{kind}/{incident.slug}/v/{n}/index.html", f"fr/{kind}/{incident.slug}/v/{n}/index.html",
                     f"{kind}/{incident.slug}/v/{n}/cite.ris", f"fr/{kind}/{incident.slug}/v/{n}/cite.csl.json",
                     f"{kind}/{incident.slug}/v/{n}/oecd.json"]  # fmt: skip
    entity = Entity.objects.filter(public_roles__record__withdrawn=False).order_by("pk").first()
    expected += [f"entities/{entity.slug}/index.html", f"fr/feeds/entities/{entity.slug}.atom"]
    missing = [path for path in expected if not (site / path).is_file()]
    assert missing == []
    assert (
        site / "incidents" / "page"
    ).exists() or incident.pk  # pages after the first only when there are any


@pytest.mark.parametrize("url", ["/", "/fr/about/", "/api/v3/taxonomy.json", "/feeds/records.atom"])
def test_pages_and_files_are_the_live_sites_byte_for_byte(site, db, url):
    assert (site / file_for(url)).read_bytes() == live(url)


def test_the_statistics_page_is_the_live_one_with_its_bars_leading_to_exported_lists(site, db):
    exported = (site / file_for("/fr/stats/")).read_bytes()
    assert exported == static_site.postprocess(live("/fr/stats/"), "/fr/stats/")
    # a bar of one filter opens that filter's exported page
    assert re.search(rb'<a class="chart-link" href="/fr/incidents/domain/[\w-]+/"', exported)


def test_entity_and_record_pages_differ_from_the_live_site_only_by_the_documented_changes(site, db):
    entity = Entity.objects.filter(public_roles__record__withdrawn=False).order_by("pk").first()
    assert (site / file_for(f"/entities/{entity.slug}/")).read_bytes() == live(f"/entities/{entity.slug}/")
    for public in PublicRecord.objects.filter(merged_into__isnull=True):
        numbers = RecordVersion.objects.filter(record_id=public.pk).values_list("number", flat=True)
        for lang in ("en", "fr"):
            for url in [public.url(lang), *(public.url(lang, version=n) for n in numbers)]:
                exported = (site / file_for(url)).read_bytes()
                if (
                    url == public.url(lang) and not public.withdrawn
                ):  # the record's body is marked for Pagefind
                    assert exported.count(b"data-pagefind-body") == 1
                    exported = pagefind.unmark(exported)
                else:
                    assert b"data-pagefind-body" not in exported
                # The taxonomy links of a record lead to the exported page of each filter value.
                expected = re.sub(rb'href="(/(?:fr/)?(?:incidents|hazards)/)\?([a-z_]+)=([a-z_]+)"',
                                  rb'href="\1\2/\3/"', live(url))  # fmt: skip
                assert exported == expected, url


def test_list_pages_paginate_as_folders_and_filter_pages_exist(site, db):
    first = (site / "incidents/index.html").read_text()
    assert 'data-static-list="/incidents/"' in first and 'hx-get=""' not in first
    assert pagefind.LIST_SCRIPT in first
    for param, value in static_site.plan().facet_values["incident"]:
        page = (site / f"incidents/{param}/{value}/index.html").read_text()
        assert '<nav class="pagination"' not in page
    lang_switch = re.search(r'<a class="lang-switch" href="([^"]*)"', first).group(1)
    assert lang_switch == "/fr/incidents/"


def test_redirect_pages_and_the_redirects_file(site, db):
    public = a_record(record_type="incident")
    stub = (site / f"incidents/{public.pk}/index.html").read_text()
    assert f'<meta http-equiv="refresh" content="0; url=/incidents/{public.slug}/">' in stub
    assert f'<link rel="canonical" href="http://127.0.0.1:8000/incidents/{public.slug}/">' in stub
    fr_stub = (site / f"fr/incidents/{public.pk}/index.html").read_text()
    assert f"url=/fr/incidents/{public.slug}/" in fr_stub and '<html lang="fr">' in fr_stub
    redirects = (site / "_redirects").read_text().splitlines()
    assert f"/incidents/{public.pk}/* /incidents/{public.slug}/:splat 301" in redirects
    assert f"/api/v3/records/{public.pk}.json /api/v3/records/{public.slug}.json 301" in redirects


def test_compressed_copies_and_manifest(site, db):
    rows = manifest_rows(site)
    shards = {p.relative_to(site).as_posix() for p in (site / "manifest").iterdir()}
    on_disk = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()} - {
        "manifest.json",
        *shards,
    }
    assert set(rows) == on_disk
    for path, (_path, size, sha, deps, _groups) in rows.items():
        body = (site / path).read_bytes()
        assert len(body) == size and hashlib.sha256(body).hexdigest() == sha, path
        assert deps == "all" or all(isinstance(pk, int) for pk in deps)
        if path.endswith(".gz"):
            assert gzip.decompress(body) == (site / path[:-3]).read_bytes(), path
        elif static_site.compressible(path, size):
            assert (site / f"{path}.gz").is_file(), path
    public = a_record()
    kind = "incidents" if public.record_type == "incident" else "hazards"
    assert public.pk in rows[f"{kind}/{public.slug}/index.html"][3]
    header = Manifest.read(site).header
    assert header["records"][str(public.pk)][0] == public.version_number


def test_corpus_files_are_the_apis(site, db):
    for url in ("/api/v3/records.json", "/api/v3/bulk/records.csv", "/api/v3/bulk/records.jsonl",
                "/api/v3/bulk/sources.csv", "/api/v3/bulk/entities.csv", "/incidents/download.csv",
                "/fr/hazards/download.json"):  # fmt: skip
        exported = (site / url.lstrip("/")).read_bytes()
        assert GENERATED_AT.sub(b"", exported) == GENERATED_AT.sub(b"", live(url)), url
    records = json.loads((site / "api/v3/records.json").read_text())
    assert records["meta"]["record_count"] == PublicRecord.objects.listed().count()


def test_bad_output_folders_are_refused_with_a_message(tmp_path, capsys, db):
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine")
    for target, words in ((tmp_path / "a-file", "is a file"), (tmp_path / "no" / "such", "does not exist"),
                          (tmp_path / "full", "not empty")):  # fmt: skip
        with pytest.raises(ExportError, match=words):
            export_site(target, workers=1)
    assert main(["export-site", str(tmp_path / "full")]) == 2
    assert "not empty" in capsys.readouterr().err
    assert main(["export-site", str(tmp_path / "new"), "--incremental"]) == 2
    assert (tmp_path / "full" / "notes.txt").read_text() == "mine"


def test_incremental_export_rewrites_exactly_what_depends_on_a_correction(
    site, db, tmp_path, editor, reviewer
):
    out = tmp_path / "site"
    shutil.copytree(site, out)
    before = manifest_rows(out)
    nothing = export_site(out, incremental=True)
    assert nothing.nothing_changed and manifest_rows(out) == before

    public = a_record(record_type="incident", version_number__gt=1)
    redirects_written = (out / "_redirects").stat().st_mtime_ns
    publish_correction(
        public.record, {"summary_en": public.record.summary_en + " (Corrected.)"}, editor, reviewer
    )
    # The time of this process's own work (CPU time), which a busy machine does not stretch as it does the wall
    # clock; the Pagefind binary adds a few tens of milliseconds.
    started, wall = time.process_time(), time.perf_counter()
    summary = export_site(out, incremental=True)
    elapsed, wall = time.process_time() - started, time.perf_counter() - wall
    after = manifest_rows(out)
    assert_state_is_current(out)
    assert summary.changed_records == [public.pk]
    assert elapsed < 2.0, (
        f"incremental export of the demo set: {elapsed:.2f} s CPU, {wall:.2f} s: {summary.timings}"
    )

    changed = {path for path in after if before.get(path, [None, None, None])[2] != after[path][2]}
    # Every file written is counted, the corpus files (written by a process of their own) included; the search
    # index's delta is written by Pagefind.
    assert summary.written == len({p for p in changed if not p.startswith(pagefind.DELTA_BUNDLE + "/")}), (
        sorted(changed)
    )
    kind = "incidents"
    new_version = public.version_number + 1
    assert {f"{kind}/{public.slug}/index.html", f"fr/{kind}/{public.slug}/index.html",
            f"{kind}/{public.slug}/index.html.gz", f"api/v3/records/{public.slug}.json",
            f"{kind}/{public.slug}/v/{new_version}/index.html",
            f"fr/{kind}/{public.slug}/diff/{public.version_number}/{new_version}/index.html",
            "api/v3/records.json", "api/v3/records.json.gz", "api/v3/bulk/records.csv"} <= changed  # fmt: skip
    # Every file that changed depends on the record (or on everything), or on a record whose page shows it.
    states = {int(pk): RecordState.from_json(row) for pk, row in Manifest.read(out).header["records"].items()}
    shows_it = {pk for pk, state in states.items() if public.pk in state.links}
    for path in changed:
        deps = after[path][3]
        assert deps == "all" or public.pk in deps or set(deps) & shows_it, path
    # What does not depend on it is untouched.
    unrelated = PublicRecord.objects.listed().exclude(pk=public.pk).exclude(pk__in=shows_it)
    other = unrelated.order_by("pk").first()
    other_page = file_for(other.url("en"))
    assert public.pk not in after[other_page][3] and other_page not in changed
    entity = (
        Entity.objects.exclude(public_roles__record=public)
        .filter(public_roles__record__withdrawn=False)
        .first()
    )
    assert file_for(f"/entities/{entity.slug}/") not in changed
    assert {p for p in changed if p.startswith(("static/", "about/", "taxonomy/", "pagefind/"))} == set()
    assert "api/v3/systemic-analysis.json" not in changed  # an incident's text is not among what it reads
    # A file made again with the same bytes is not written again (_redirects is made after every change).
    assert "_redirects" in after and "_redirects" not in changed
    assert (out / "_redirects").stat().st_mtime_ns == redirects_written
    # graph.json shows neither summaries nor versions: the previous file stays, as the live one reads now.
    assert "api/v3/graph.json" not in changed
    assert GENERATED_AT.sub(b"", (out / "api/v3/graph.json").read_bytes()) == GENERATED_AT.sub(
        b"", live("/api/v3/graph.json")
    )
    # The current version's citation file is a hard link to the version's own until the version changes; the
    # earlier version keeps its file when the record's address gets the new one.
    cite, earlier = (
        out / f"{kind}/{public.slug}/cite.bib",
        out / f"{kind}/{public.slug}/v/{public.version_number}/cite.bib",
    )
    assert cite.stat().st_ino == (out / f"{kind}/{public.slug}/v/{new_version}/cite.bib").stat().st_ino
    assert (
        cite.stat().st_ino != earlier.stat().st_ino
        and f"version = {{{public.version_number}}}" in earlier.read_text()
    )

    # The rewritten files are what a full export writes now (files stamped with the time of their making aside).
    for url in (
        public.url("en"),
        public.url("fr", version=new_version),
        f"/api/v3/records/{public.slug}.json",
    ):
        exported = (out / file_for(url)).read_bytes()
        assert pagefind.unmark(exported) == static_site.postprocess(live(url), url) or exported == live(
            url
        ), url
    for path in changed:
        body = (out / path).read_bytes()
        assert hashlib.sha256(body).hexdigest() == after[path][2]
        if path.endswith(".gz"):
            assert gzip.decompress(body) == (out / path[:-3]).read_bytes()
    records = json.loads((out / "api/v3/records.json").read_text())
    entry = next(r for r in records["records"] if r["id"] == public.pk)
    assert entry["summary_en"].endswith("(Corrected.)") and entry["version"] == new_version
    assert GENERATED_AT.sub(b"", (out / "api/v3/records.json").read_bytes()) == GENERATED_AT.sub(
        b"", live("/api/v3/records.json")
    )
    # The search: the record's new page is in the delta index, and its old hits are dropped.
    delta = json.loads((out / pagefind.DELTA_STATE).read_text())
    assert delta["bundle"] == "/pagefind-delta/" and public.url("en") in delta["superseded"]
    assert (out / "pagefind-delta" / "pagefind.js").is_file()


def test_withdrawn_records_keep_their_page_and_merged_ones_redirect(
    site, db, tmp_path, editor, reviewer, clock
):
    out = tmp_path / "site"
    shutil.copytree(site, out)
    first = factories.draft(editor, "incident", factories.incident_data(entities=[], responses=[]), clock)
    factories.submit_and_publish(first, editor, reviewer, clock)
    second = factories.draft(editor, "incident", factories.incident_data(entities=[], responses=[]), clock)
    factories.submit_and_publish(second, editor, reviewer, clock)
    export_site(out, incremental=True)
    first_page = out / file_for(f"/incidents/{first.slug}/")
    assert b"data-pagefind-body" in first_page.read_bytes()

    actions.withdraw_record(
        first, actor=reviewer, reason_en="Not an AI incident.", reason_fr="Pas un incident d'IA."
    )
    actions.merge_records(second, a_record(record_type="incident").record, actor=reviewer)
    export_site(out, incremental=True)
    assert_state_is_current(out)
    page = first_page.read_bytes()
    assert b"Not an AI incident." in page and b"data-pagefind-body" not in page
    assert not (out / f"incidents/{first.slug}/oecd.json").exists()  # no export of a withdrawn record
    survivor = a_record(record_type="incident")
    stub = (out / file_for(f"/incidents/{second.slug}/")).read_text()
    assert f"url=/incidents/{survivor.slug}/" in stub
    assert not (out / f"incidents/{second.slug}/cite.bib").exists()
    rows = manifest_rows(out)
    assert all((out / path).is_file() for path in rows)


def test_export_api_writes_the_derived_files_feeds_and_bulk_files_as_the_api_serves_them(tmp_path, db):
    from caim.export.api_files import write_api_files

    write_api_files(tmp_path)
    for url in ("/api/v3/stats.json", "/api/v3/systemic-analysis.json", "/api/v3/graph.json", "/api/v3/feed.json",
                "/fr/api/v3/feed.json", "/api/v3/bulk/records.csv", "/api/v3/bulk/records.jsonl",
                "/api/v3/bulk/sources.csv", "/api/v3/bulk/entities.csv", "/api/v3/bulk/LICENCE.txt"):  # fmt: skip
        written = (tmp_path / url.lstrip("/")).read_bytes()
        assert GENERATED_AT.sub(b"", written) == GENERATED_AT.sub(b"", live(url)), url


def test_incremental_graph_and_sitemap_are_the_live_ones_when_a_linked_hazard_changes(
    site, db, tmp_path, editor, reviewer, monkeypatch
):
    """graph.json keeps the warnings of the records whose lint reads the same, and lints the others: the changed
    record and those whose document looks it up (an incident materializing a hazard); sitemap-records.xml is
    assembled from the previous file's entries and new ones for the changed records."""
    from caim.api import graph

    out = tmp_path / "site"
    shutil.copytree(site, out)
    # The demo was loaded well before the export was made (not within the minute the log is read back over).
    PublicChange.objects.update(at=F("at") - timedelta(hours=1))
    hazard = factories.published_hazard(editor, reviewer, entities=[])
    incident = factories.published_incident(editor, reviewer, hazard=hazard, entities=[], responses=[])
    read = []
    monkeypatch.setattr(static_site, "public_state", lambda ids=None, real=static_site.public_state: read.append(
        None if ids is None else set(ids)) or real(ids))  # fmt: skip
    export_site(out, incremental=True)
    monkeypatch.undo()
    # The records the log names: the two published, the hazard the incident links to, their related records.
    assert len(read) == 1 and read[0] is not None and {incident.pk, hazard.pk} <= read[0]
    assert len(read[0]) < PublicRecord.objects.count() / 2
    assert_state_is_current(out)
    manifest = Manifest.read(out)
    assert manifest.header["lint"]["reads"][str(incident.pk)] == [hazard.pk]

    # A correction of the hazard that gives it a warning (no French summary), and a new governance gap.
    hazard = publish_correction(
        hazard, {"summary_fr": "", "governance_gap_en": "A gap found later."}, editor, reviewer
    )
    old = {int(pk): RecordState.from_json(row) for pk, row in manifest.header["records"].items()}
    static_site._previous = static_site.Previous(out, manifest, old, {hazard.pk})
    try:
        kept = static_site._kept_warnings()
    finally:
        static_site._previous = None
    other = a_record(record_type="incident").pk
    assert kept is not None and other in kept and hazard.pk not in kept and incident.pk not in kept

    linted, rendered = [], []
    lint = graph.lint_document
    monkeypatch.setattr(graph, "lint_document", lambda *a, **k: linted.append(a[0]["id"]) or lint(*a, **k))
    get = static_site.Renderer.get
    monkeypatch.setattr(
        static_site.Renderer, "get", lambda self, url, *a: rendered.append(url) or get(self, url, *a)
    )
    summary = export_site(out, incremental=True)
    assert summary.changed_records == [hazard.pk]
    assert_state_is_current(out)
    assert sorted(linted) == sorted([hazard.pk, incident.pk])
    assert "/sitemap-records.xml" not in rendered
    exported = (out / "api/v3/graph.json").read_bytes()
    assert GENERATED_AT.sub(b"", exported) == GENERATED_AT.sub(b"", live("/api/v3/graph.json"))
    warnings = json.loads(exported)["validation_warnings"]
    assert any(w["record"] == hazard.pk and w["rule"] == "translation-missing" for w in warnings)
    assert (out / "sitemap-records.xml").read_bytes() == live("/sitemap-records.xml")
    # systemic-analysis.json reads the hazards' governance gaps: rebuilt.
    exported = (out / "api/v3/systemic-analysis.json").read_bytes()
    assert b"A gap found later." in exported
    assert GENERATED_AT.sub(b"", exported) == GENERATED_AT.sub(b"", live("/api/v3/systemic-analysis.json"))
    # The index's date of the records' section: one aggregate, the same as Django's over every record.
    from django.contrib.sitemaps import Sitemap

    from caim.site.sitemaps import RecordsSitemap

    latest = RecordsSitemap().get_latest_lastmod()
    assert latest is not None and latest == Sitemap.get_latest_lastmod(RecordsSitemap())


def test_an_incremental_export_reads_the_records_a_publication_wrote_on_the_other_side(
    site, db, tmp_path, editor, reviewer
):
    """A publication changes other records' public rows too: the demo hazard it materializes lists it, and the
    demo incident it resembles gains it among its related records. The change log names them, so the state the
    incremental export keeps is the whole reading's, though it reads only the records the log names."""
    from caim.records.models import RelatedRecord

    out = tmp_path / "site"
    shutil.copytree(site, out)
    PublicChange.objects.update(at=F("at") - timedelta(hours=1))  # the demo was loaded well before the export
    twin = a_record(record_type="incident").record
    hazard = a_record(record_type="hazard").record
    copied = {f: getattr(twin, f) for f in ("title_en", "title_fr", "summary_en", "summary_fr")}
    new = factories.published_incident(editor, reviewer, hazard=hazard, entities=[], responses=[], **copied)
    assert RelatedRecord.objects.filter(record_id=twin.pk, related_id=new.pk).exists()
    export_site(out, incremental=True)
    assert_state_is_current(out)
    states = {int(pk): RecordState.from_json(row) for pk, row in Manifest.read(out).header["records"].items()}
    assert new.pk in states[hazard.pk].links and new.pk in states[twin.pk].links


def test_the_manifest_rewrites_only_the_shards_of_the_units_that_changed(tmp_path):
    """Record units' lines live in shard files of a thousand records: an incremental run reads and writes only
    the shards it touches; a shard left empty goes; everything reads back as plain JSON."""
    from caim.export.static_site import FORMAT, STAGING

    (tmp_path / STAGING).mkdir()
    row = lambda path: [[path, 1, "0" * 64, [1], []]]  # noqa: E731
    manifest = Manifest({"format": FORMAT}, {}, tmp_path)
    for unit in ("home", "record:5", "record:1500", "record:2001"):
        manifest.set_rows(unit, row(f"{unit}.html"))
    manifest.write(tmp_path)
    assert json.loads((tmp_path / "manifest.json").read_bytes())["shards"] == [
        "manifest/records-0.json", "manifest/records-1.json", "manifest/records-2.json"
    ]  # fmt: skip
    before = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "manifest").iterdir()}

    again = Manifest.read(tmp_path)
    assert again.rows("record:1500") == row("record:1500.html") and again.shards.keys() == {
        "manifest/records-1.json"
    }  # only the shard asked for was read
    again.set_rows("record:5", row("record:5-v2.html"))
    again.set_rows("record:2001", None)  # its shard is left empty
    again.write(tmp_path)
    after = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "manifest").iterdir()}
    assert after["records-1.json"] == before["records-1.json"] and "records-2.json" not in after
    document = json.loads((tmp_path / "manifest.json").read_bytes())
    assert document["shards"] == ["manifest/records-0.json", "manifest/records-1.json"]
    third = Manifest.read(tmp_path)
    assert sorted(third.units()) == ["home", "record:1500", "record:5"]
    assert third.rows("record:5") == row("record:5-v2.html") and third.rows("home") == row("home.html")


def test_a_sequence_file_changed_by_hand_is_built_whole_again(site, db, tmp_path, editor, reviewer):
    """records.json edited by hand (its size kept) cannot be spliced: the incremental run reads every record's
    piece for it and writes what the live site serves."""
    out = tmp_path / "site"
    shutil.copytree(site, out)
    target = out / "api/v3/records.json"
    body = target.read_bytes()
    target.write_bytes(body.replace(b'"records":[{', b'"records":[ ', 1).replace(b"]}\n", b"}]\n", 1))
    assert len(target.read_bytes()) == len(body)
    public = a_record(record_type="incident")
    publish_correction(
        public.record, {"summary_en": public.record.summary_en + " (Again.)"}, editor, reviewer
    )
    export_site(out, incremental=True)
    assert GENERATED_AT.sub(b"", target.read_bytes()) == GENERATED_AT.sub(b"", live("/api/v3/records.json"))
    assert gzip.decompress((out / "api/v3/records.json.gz").read_bytes()) == target.read_bytes()
    assert manifest_rows(out)["api/v3/records.json"][2] == hashlib.sha256(target.read_bytes()).hexdigest()


def test_graph_json_is_made_again_when_an_entity_is_renamed(site, db, tmp_path, editor, reviewer):
    """graph.json is kept after a correction that changes nothing it shows; an entity renamed meanwhile (no
    publication says so) is something it shows."""
    out = tmp_path / "site"
    shutil.copytree(site, out)
    entity = Entity.objects.filter(public_roles__record__withdrawn=False).first()
    Entity.objects.filter(pk=entity.pk).update(name="A Renamed Company")
    public = a_record(record_type="incident")
    publish_correction(
        public.record, {"summary_en": public.record.summary_en + " (Again.)"}, editor, reviewer
    )
    export_site(out, incremental=True)
    exported = (out / "api/v3/graph.json").read_bytes()
    assert b"A Renamed Company" in exported
    assert GENERATED_AT.sub(b"", exported) == GENERATED_AT.sub(b"", live("/api/v3/graph.json"))


def test_work_beside_the_export_hands_back_its_result_or_its_failure():
    assert static_site._beside(lambda: ("made", 2))() == ("made", 2)
    failing = static_site._beside(lambda: 1 / 0)
    with pytest.raises(ExportError, match="ZeroDivisionError: division by zero"):
        failing()
