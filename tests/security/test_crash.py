"""Crash safety: a publication, an AIID import, a load, a static export and the poller, each a real process killed
with SIGKILL at a point in the middle of its work, leave no partial record, version, lead or file, and running the
command again completes it with the result of an uninterrupted run. Concurrent publications of one record never
make two versions with the same number.

The point is reached through tests/security/crash_driver.py, which makes a chosen function pause from its Nth
call; the test then kills the process (and its children). Each process has a database of its own, of the
session's kind: run this file with DATABASE_URL=postgres://... for PostgreSQL.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import queue
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from django.db import IntegrityError, transaction

from caim.interop.aiid.importer import INTERRUPTED
from caim.records.models import RecordVersion
from tests.intake.server import FixtureServer
from tests.security.processes import ROOT, ScratchDatabases, caim, environment, kill_group, start

AIID_FIXTURE = ROOT / "tests" / "fixtures" / "aiid"
DRIVER = [sys.executable, "-m", "tests.security.crash_driver"]


@pytest.fixture(scope="module")
def databases(tmp_path_factory):
    made = ScratchDatabases(tmp_path_factory.mktemp("crash-databases"))
    yield made
    made.drop()


@pytest.fixture(scope="module")
def empty(databases, tmp_path_factory):
    """A migrated database without data, to copy."""
    url = databases.new()
    caim(environment(url, tmp_path_factory.mktemp("empty")), "migrate", "--verbosity", "0")
    return url


@pytest.fixture(scope="module")
def demo(databases, tmp_path_factory):
    """The demo set, with reviewers for the publication tests, to copy."""
    url = databases.new()
    env = environment(url, tmp_path_factory.mktemp("demo"))
    caim(env, "demo", "--no-serve")
    driver(env, "accounts", "reviewer", "t-crash-reviewer", *(f"t-race-{i}" for i in range(4)))
    return url


def driver(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([*DRIVER, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=600,
                            check=False)  # fmt: skip
    assert result.returncode == 0, f"{' '.join(args)}: {result.stdout}\n{result.stderr}"
    return result.stdout


def state(env: dict[str, str]) -> dict:
    return json.loads(driver(env, "state"))


def killed_when_paused(
    env: dict[str, str], pause: str, at: int, *args: str, match: str | None = None
) -> None:
    """Run the driver until `pause` is reached for the `at`th time, then SIGKILL it and its children."""
    options = ["--pause", pause, "--at", str(at), *(["--match", match] if match else [])]
    errors = Path(env["CAIM_VAR_DIR"]) / "killed.stderr"
    with errors.open("w") as stderr:
        process = start([*DRIVER, *options, *args], env, stdout=subprocess.PIPE, stderr=stderr, text=True)
        lines: queue.Queue[str | None] = queue.Queue()

        def read() -> None:
            for line in process.stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=read, daemon=True).start()
        try:
            while True:
                line = lines.get(timeout=600)
                assert line is not None, f"the process ended before the pause: {errors.read_text()}"
                if line.startswith("PAUSED"):
                    break
        finally:
            kill_group(process)
    assert process.returncode == -9


def test_a_publication_killed_before_its_commit_leaves_nothing_and_the_rerun_publishes_once(
    databases, demo, tmp_path
):
    env = environment(databases.new(template=demo), tmp_path)
    before = state(env)
    slug, status, number = next(r for r in before["records"] if r[1] == "published")
    # The audit event is the action's last write: the version, the record and the public layer are written.
    killed_when_paused(env, "caim.records.actions:audit", 1, "publish", slug, "t-crash-reviewer")
    assert state(env) == before

    assert driver(env, "publish", slug, "t-crash-reviewer").strip() == f"PUBLISHED {number + 1}"
    after = state(env)
    assert after["versions"] == sorted([*before["versions"], [slug, number + 1, "publication"]])
    assert [slug, "published", number + 1] in after["records"]
    assert after["audit"]["record.published"] == before["audit"]["record.published"] + 1


def test_an_aiid_import_killed_in_a_batch_keeps_whole_batches_and_the_rerun_completes_it(
    databases, empty, tmp_path
):
    command = ("caim", "import-aiid", str(AIID_FIXTURE), "--batch", "15", "--accept-partial")
    reference_env = environment(databases.new(template=empty), tmp_path / "reference")
    driver(reference_env, *command)
    reference = state(reference_env)
    assert len(reference["aiid_incidents"]) == 40

    env = environment(databases.new(template=empty), tmp_path / "killed")
    # Batch 2's incidents and report links are written, its classifications not yet: killed there.
    killed_when_paused(env, "caim.interop.aiid.importer:_Writer._sync_classifications", 2, *command)
    kept = state(env)["aiid_incidents"]
    assert len(kept) == 15  # the first batch, whole: each incident with all its reports, entities, classes
    assert kept == reference["aiid_incidents"][:15]

    driver(env, *command)
    after = state(env)
    killed_run, rerun = after.pop("aiid_runs")
    assert killed_run == ["failed", INTERRUPTED]  # no run left "running" for ever
    assert rerun[0] == reference.pop("aiid_runs")[0][0]
    assert after == reference


def test_a_load_killed_midway_leaves_the_database_empty_and_the_rerun_restores_everything(
    databases, demo, empty, tmp_path
):
    dump = tmp_path / "demo.jsonl.gz"
    caim(environment(demo, tmp_path / "dump"), "dump", str(dump))
    expected = state(environment(demo, tmp_path / "dump"))
    env = environment(databases.new(template=empty), tmp_path / "load")
    nothing = state(env)

    # Every row is written and the search index half rebuilt, in the load's one transaction: killed there.
    killed_when_paused(env, "caim.search.indexer:entry", 10, "caim", "load", str(dump))
    assert state(env) == nothing

    result = caim(env, "load", str(dump))
    assert "Search index rebuilt: 27 records" in result.stdout
    loaded = state(env)
    # Accounts come back without passwords; the rest is the demo database as it was dumped.
    assert loaded == expected


def whole(path: Path) -> bool:
    """Whether a file written by the export is complete, by its format."""
    body = path.read_bytes()
    name = path.name
    if name.endswith(".gz"):
        try:
            gzip.decompress(body)  # a cut gzip stream fails its length and CRC check
        except (EOFError, OSError):
            return False
        return True
    if name.endswith(".json"):
        json.loads(body)
        return True
    if name.endswith(".jsonl"):
        return all(json.loads(line) is not None for line in body.splitlines())
    if name.endswith((".xml", ".atom")):
        ET.fromstring(body)  # noqa: S314 - our own export
        return True
    if name.endswith(".html"):
        return body.rstrip().endswith(b"</html>")
    return True  # other files are compared with the rerun's below


def test_a_static_export_killed_midway_leaves_only_whole_files_and_the_rerun_completes_it(
    databases, demo, tmp_path
):
    env = environment(databases.new(template=demo), tmp_path)
    out = tmp_path / "site"
    command = ("caim", "export-site", str(out), "--workers", "1")
    # Paused before the 400th file is renamed into place (files are written beside their place as
    # .NAME.caim-part, then renamed).
    killed_when_paused(env, "os:replace", 400, *command, match=".caim-part")
    assert (out / ".caim-partial").is_dir() and not (out / "manifest.json").exists()
    assert any(out.rglob("*.caim-part"))  # the file being written
    at_kill = {
        p.relative_to(out).as_posix(): p
        for p in out.rglob("*")
        if p.is_file() and ".caim-partial" not in p.parts and not p.name.endswith(".caim-part")
    }
    assert len(at_kill) >= 399
    broken = [name for name, path in at_kill.items() if not whole(path)]
    assert broken == []
    digests = {name: hashlib.sha256(path.read_bytes()).hexdigest() for name, path in at_kill.items()}

    driver(env, *command)  # the folder of a killed first export is taken back, not refused
    assert not (out / ".caim-partial").exists()
    manifest = json.loads((out / "manifest.json").read_text())
    units = dict(manifest["units"])
    for shard in manifest["shards"]:  # the record units' lines
        units.update(json.loads((out / shard).read_text())["units"])
    listed = {row[0]: row for rows in units.values() for row in rows}
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert on_disk == set(listed) | {"manifest.json", *manifest["shards"]}
    for name, (_path, size, sha, *_rest) in listed.items():
        body = (out / name).read_bytes()
        assert len(body) == size and hashlib.sha256(body).hexdigest() == sha, name
    assert set(at_kill) <= set(listed)
    # Pages, citations and assets come out the same; only files stating their own generation time differ.
    changed = sorted(name for name, digest in digests.items() if listed[name][2] != digest)
    for name in changed:
        assert name.endswith((".json", ".json.gz", ".atom", ".atom.gz", ".xml", ".xml.gz")), name
    assert "Nothing changed" in driver(env, "caim", "export-site", str(out), "--incremental")

    # A second export killed midway: the first one's files stay, and the half-written file is swept away.
    killed_when_paused(env, "os:replace", 300, *command, match=".caim-part")
    assert any(out.rglob("*.caim-part")) and (out / "manifest.json").is_file()
    # A page the rerun does not write again (its record was withdrawn meanwhile, say).
    gone = out / "incidents" / ".a-page-no-longer-exported.html.caim-part"
    gone.write_bytes(b"<!doctype html><html><body>half")
    driver(env, *command)
    assert not any(out.rglob("*.caim-part")) and not (out / ".caim-partial").exists()
    assert "Nothing changed" in driver(env, "caim", "export-site", str(out), "--incremental")


@pytest.fixture(scope="module")
def feed_server():
    with FixtureServer() as running:
        yield running


def poll_environment(database: str, folder: Path) -> dict[str, str]:
    return environment(database, folder, CAIM_FETCH_ALLOW_PRIVATE="1", CAIM_FETCH_HOST_INTERVAL="0",
                       CAIM_FETCH_BACKOFF="0.001", CAIM_POLL_MIN_RELEVANCE="0.25")  # fmt: skip


def test_a_poll_killed_in_the_middle_of_a_lead_keeps_whole_leads_and_the_rerun_completes(
    databases, empty, tmp_path, feed_server
):
    url = feed_server.url("/feeds/mixed.xml")
    reference_env = poll_environment(databases.new(template=empty), tmp_path / "reference")
    driver(reference_env, "feed", url)
    driver(reference_env, "caim", "poll")
    reference = state(reference_env)
    assert len(reference["leads"]) == 3

    env = poll_environment(databases.new(template=empty), tmp_path / "killed")
    driver(env, "feed", url)
    # The second lead, its audit event and its candidates are being written (in one transaction): killed there.
    killed_when_paused(env, "caim.intake.actions:store_candidates", 2, "caim", "poll")
    first = state(env)
    assert len(first["leads"]) == 1 and first["leads"][0] in reference["leads"]
    assert first["audit"].get("lead.received") == 1
    assert len([s for s in first["seen"] if s[1] == "lead"]) == 1

    output = driver(env, "caim", "poll")  # the lock died with the killed process
    assert "Another poll is running" not in output and "2 lead(s)" in output
    after = state(env)
    assert after["leads"] == reference["leads"] and after["seen"] == reference["seen"]
    assert after["audit"]["lead.received"] == 3


def test_concurrent_publications_of_one_record_get_distinct_consecutive_numbers(databases, demo, tmp_path):
    env = environment(databases.new(template=demo), tmp_path)
    before = state(env)
    slug, _status, number = next(r for r in before["records"] if r[1] == "published")
    processes = [
        start([*DRIVER, "publish", slug, f"t-race-{i}", "--wait"], env, stdin=subprocess.PIPE,
              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i in range(4)
    ]  # fmt: skip
    try:
        for process in processes:
            assert process.stdout.readline().strip() == "READY"
        for process in processes:  # as close together as four writes can be
            process.stdin.write("go\n")
            process.stdin.flush()
        outputs = [process.communicate(timeout=300) for process in processes]
    finally:
        for process in processes:
            kill_group(process)
    assert [p.returncode for p in processes] == [0] * 4, [err for _out, err in outputs]
    numbers = sorted(int(out.split()[-1]) for out, _err in outputs)
    assert numbers == [number + 1, number + 2, number + 3, number + 4]
    versions = [n for s, n, _kind in state(env)["versions"] if s == slug]
    assert versions == list(range(1, number + 5))


def test_the_database_refuses_two_versions_with_one_number(incident):
    current = incident.current_version
    with pytest.raises(IntegrityError), transaction.atomic():
        RecordVersion.objects.create(record=incident, number=current.number, kind=current.kind,
                                     document=current.document, published_at=current.published_at)  # fmt: skip
