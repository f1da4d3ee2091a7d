"""Static export at scale: `caim export-site` of the benchmark database in full, then one correction published
and the incremental export (SPEC §9: full ≤ 2 min, incremental ≤ 2 s at 10,000 records).

Usage:
    python bench/export.py [--records 10000] [--workers N] [--out DIR]

Builds or reuses the SQLite benchmark database of bench/pages.py, copies it to a temporary folder (the correction
is published in the copy, so the shared database does not change), exports it in this process, publishes a
correction of one record through the actions (an editor changes its summary, a second account approves it), and
runs the incremental export. Prints a table: files, MB and seconds of each run, and where the time went.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from pages import ensure_database  # noqa: E402 - bench/pages.py, beside this file


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", help="export folder (default: a temporary one, removed at the end)")
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    url = ensure_database("sqlite", args.records)
    scratch = Path(tempfile.mkdtemp(prefix="caim-bench-export-"))
    database = scratch / "bench.sqlite3"
    shutil.copyfile(url.removeprefix("sqlite:///"), database)
    out = Path(args.out) if args.out else scratch / "site"
    os.environ.update(DATABASE_URL=f"sqlite:///{database}", CAIM_VAR_DIR=str(scratch), DEBUG="0",
                      DJANGO_SETTINGS_MODULE="caim.settings")  # fmt: skip
    import django

    django.setup()
    from caim.cli import compile_catalogs
    from caim.export.static_site import export_site
    from caim.records import actions
    from caim.records.models import PublicRecord, Record, VersionKind
    from caim.records.roles import EDITOR, REVIEWER, system_account

    compile_catalogs()
    rows = []
    started = time.perf_counter()
    full = export_site(out, workers=args.workers)
    rows.append(("full", full, time.perf_counter() - started))

    # One correction: an editor changes a record's summary, a second account approves it.
    ids = list(PublicRecord.objects.listed().filter(record_type="incident").values_list("pk", flat=True))
    record = Record.objects.get(pk=random.Random(args.seed).choice(ids))
    editor = system_account("export-bench-editor", EDITOR)
    reviewer = system_account("export-bench-reviewer", REVIEWER)
    record = actions.update_record(record, actor=editor, expected_lock_version=record.lock_version,
                                   data={"summary_en": record.summary_en + " (Corrected.)"})  # fmt: skip
    actions.publish_record(record, actor=reviewer, changelog_en="Summary corrected.", changelog_fr="Résumé corrigé.",
                           kind=VersionKind.CORRECTION)  # fmt: skip
    started, cpu = time.perf_counter(), time.process_time()
    incremental = export_site(out, incremental=True)
    rows.append(("incremental", incremental, time.perf_counter() - started))
    incremental_cpu = time.process_time() - cpu

    listed = PublicRecord.objects.listed().count()
    print(f"\nStatic export, SQLite, {listed:,} listed records, {args.workers} worker process(es)")
    print("| run | files | MB | files written | seconds |")
    print("|---|---:|---:|---:|---:|")
    for name, summary, seconds in rows:
        files = full.files if name == "incremental" else summary.files
        size = full.bytes if name == "incremental" else summary.bytes
        print(f"| {name} | {files:,} | {size / 1e6:,.1f} | {summary.written:,} | {seconds:.1f} |")
    print(f"\nincremental: {incremental_cpu:.1f} s of CPU in this process; record {record.pk} corrected, "
          f"{incremental.records} record unit(s) rendered, {incremental.removed} file(s) removed")  # fmt: skip
    for name, summary, _seconds in rows:
        parts = ", ".join(f"{k} {v:.1f}" for k, v in sorted(summary.timings.items(), key=lambda kv: -kv[1]))
        print(f"{name} (seconds of work, summed over processes): {parts}")
        for note in summary.notes:
            print(f"  note: {note}")
    if not args.out:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
