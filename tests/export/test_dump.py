"""`caim dump` / `caim load`: a complete backup that restores into an empty SQLite or PostgreSQL database and
reproduces a byte-identical API export (records.json minus generated_at), in both directions."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from caim.api.corpus import iter_records_json
from caim.export.dump import DumpError, dump, load
from caim.records.models import PublicRecord, Record

PG_BASE = os.environ.get("CAIM_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test").rsplit("/", 1)[
    0
]
GENERATED_AT = re.compile(r'"generated_at":"[^"]*"')


def pg_reachable() -> bool:
    try:
        with psycopg.connect(f"{PG_BASE}/postgres", connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def fresh_database(kind: str, tmp_path: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / f'{uuid.uuid4().hex}.sqlite3'}"
    name = f"caim_roundtrip_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG_BASE}/{name}"


def drop_database(url: str) -> None:
    if url.startswith("postgres"):
        with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def caim(url: str, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": url}
    result = subprocess.run(
        [sys.executable, "-m", "caim", *args], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr + result.stdout
    return result.stdout


def without_generated_at(text: str) -> str:
    return GENERATED_AT.sub('"generated_at":""', text)


def exported_records(url: str, out: Path) -> str:
    caim(url, "export-api", str(out))
    return without_generated_at((out / "api" / "v3" / "records.json").read_text(encoding="utf-8"))


def test_round_trip_across_databases_gives_the_same_api_export(db, tmp_path):
    if not pg_reachable():
        if os.environ.get("CAIM_REQUIRE_POSTGRES"):
            pytest.fail("PostgreSQL is not reachable and CAIM_REQUIRE_POSTGRES is set")
        pytest.skip("PostgreSQL is not reachable: the cross-database round trip needs it")
    here = "postgres" if connection.vendor == "postgresql" else "sqlite"
    other = "sqlite" if here == "postgres" else "postgres"
    expected = without_generated_at("".join(iter_records_json()))
    count = PublicRecord.objects.filter(withdrawn=False).count()
    assert count >= 27 and f'"record_count":{count},' in expected

    first = tmp_path / "here.jsonl.gz"
    dump(first)
    there = fresh_database(other, tmp_path)
    back = fresh_database(here, tmp_path)
    try:
        caim(there, "load", str(first))
        assert exported_records(there, tmp_path / "out-there") == expected  # here -> other
        second = tmp_path / "there.jsonl.gz"
        caim(there, "dump", str(second))
        caim(back, "load", str(second))
        assert exported_records(back, tmp_path / "out-back") == expected  # other -> here
    finally:
        drop_database(there)
        drop_database(back)


def test_dump_leaves_out_password_hashes_unless_asked(db, tmp_path, editor):
    editor.set_password("a-long-test-password")
    editor.save()
    plain, full = tmp_path / "plain.jsonl", tmp_path / "full.jsonl.gz"
    header = dump(plain)
    assert header["passwords"] is False and header["format"] == "caim-dump"
    users = [
        json.loads(line)
        for line in plain.read_text().splitlines()[1:]
        if '"model":"auth.user"' in line.replace(" ", "")
    ]
    assert users and {u["fields"]["password"] for u in users} == {"!"}
    dump(full, with_passwords=True)
    with gzip.open(full, "rt") as f:
        assert editor.password in f.read()


def test_load_refuses_a_non_empty_database_and_bad_files(db, tmp_path):
    path = tmp_path / "dump.jsonl"
    dump(path)
    with pytest.raises(DumpError, match="not empty"):
        load(path)
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n")
    with pytest.raises(DumpError, match="not a caim dump"):
        load(bad)
    future = tmp_path / "future.jsonl"
    future.write_text(json.dumps({"format": "caim-dump", "format_version": 99}) + "\n")
    with pytest.raises(DumpError, match="cannot be read"):
        load(future)


def test_dump_lines_survive_line_separators_and_keep_microseconds(
    db, tmp_path, editor, reviewer, entities, clock
):
    from datetime import timedelta

    from tests import factories

    clock.at = clock.at + timedelta(microseconds=123456)
    record = factories.published_incident(editor, reviewer, clock)
    # Edits clean such characters away now; rows written before that (or by hand) may still hold them.
    Record.objects.filter(pk=record.pk).update(summary_en="Line\u2028separator and\u0085next line.")
    path = tmp_path / "dump.jsonl"
    dump(path)
    lines = path.read_text(encoding="utf-8").split("\n")
    mine = [json.loads(line) for line in lines if f'"slug": "{record.slug}"' in line]
    assert mine and mine[0]["fields"]["summary_en"] == "Line\u2028separator and\u0085next line."
    versions = [json.loads(line) for line in lines if '"model": "records.recordversion"' in line]
    published = [v["fields"]["published_at"] for v in versions if v["fields"]["record"] == record.pk]
    assert published and ".123456" in published[0]
    assert all(json.loads(line) for line in lines if line)  # every line is one whole JSON object


def test_the_intake_queue_and_monitored_sources_come_back_with_a_load(db, tmp_path, editor):
    """A report with its submitter's address, a monitored source, what the poller saw and an article waiting for
    its next try are restored as they were (a second dump of the restored database holds the same lines)."""
    from django.utils import timezone

    from caim.intake.models import Lead, MonitoredSource, PendingArticle, SeenItem

    now = timezone.now()
    record = Record.objects.first()
    lead = Lead.objects.create(origin="submission", raw_text="Un rapport.", language="fr", email="a@example.org",
                               consent=True, record=record, created_at=now, updated_at=now)  # fmt: skip
    source = MonitoredSource.objects.create(name="Fil", url="http://127.0.0.1:9/feed.xml", keywords="IA",
                                            created_at=now, updated_at=now)  # fmt: skip
    SeenItem.objects.create(url_hash="a" * 64, canonical_url="http://127.0.0.1:9/a", source=source, lead=lead,
                            outcome="lead", score=0.8, seen_at=now)  # fmt: skip
    PendingArticle.objects.create(url_hash="b" * 64, canonical_url="http://127.0.0.1:9/b", url="http://127.0.0.1:9/b",
                                  source=source, item={"title": "T"}, attempts=2, last_error="timeout",
                                  next_attempt_at=now, created_at=now, updated_at=now)  # fmt: skip
    first = tmp_path / "first.jsonl"
    header = dump(first)
    counts = header["counts"]
    assert counts["intake.lead"] == 1 and counts["intake.monitoredsource"] == 1
    assert counts["intake.seenitem"] == 1 and counts["intake.pendingarticle"] == 1
    restored = fresh_database("sqlite", tmp_path)
    caim(restored, "migrate", "--verbosity", "0")
    caim(restored, "load", str(first))
    second = tmp_path / "second.jsonl"
    caim(restored, "dump", str(second))

    def intake_lines(path: Path) -> list[str]:
        return [line for line in path.read_text().splitlines() if '"model": "intake.' in line]

    assert len(intake_lines(first)) == 4 and intake_lines(second) == intake_lines(first)
