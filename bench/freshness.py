"""Lists while records are being published: reader latency, and how soon a publication shows.

Usage (see bench/README.md):
    python bench/freshness.py --records 100000 [--seconds 30] [--every 1.0] [--workers N] [--connections 8]

On a copy of the benchmark database (built on first use by bench/pages.py), starts the production server and
warms every worker, then, in the same run:
- wrk reads list pages (unfiltered, filtered, sorted, paginated) for `--seconds`;
- this process publishes a new record every `--every` seconds through the editorial actions (a draft by one
  account, approved by another, as editors do); after each publication, three threads ask the list of its type
  sorted by publication date, the query API and the search page until eight requests in a row show the new
  record (with a few workers, that is every worker with high probability); the time counts from the end of the
  publication to the first of those eight.
Prints the readers' percentiles and the time from the end of each publication to its visibility.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import threading
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from pages import DATA, ensure_database  # noqa: E402
from serving import HOST, production_env, run_wrk, start_server, stop_server, wait_for  # noqa: E402

LIST_PATHS = [
    "/incidents/", "/incidents/?severity=significant", "/incidents/?domain=finance&sort=published",
    "/hazards/", "/incidents/?page=7", "/fr/incidents/?harm_type=economic_harm", "/incidents/?year_from=2020",
]  # fmt: skip
STREAK = 8  # requests in a row that must show a new record


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - a loopback URL we built
        return response.read().decode()


def seen_by(url: str, needle: str, deadline: float, since: float) -> float | None:
    """Seconds from `since` until the first of `STREAK` requests in a row that answer with `needle`, or None by
    the deadline."""
    first, streak = None, 0
    while time.monotonic() < deadline:
        asked = time.monotonic()
        if needle in fetch(url):
            first = first if streak else asked
            streak += 1
        else:
            streak = 0
        if streak >= STREAK:
            return first - since
        time.sleep(0.02)
    return None


def copy_database(records: int) -> str:
    source = Path(ensure_database("sqlite", records).removeprefix("sqlite:///"))
    target = DATA / f"fresh-{records}.sqlite3"
    print(f"Copying {source.name} ({source.stat().st_size / 1e9:.1f} GB) ...", flush=True)
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, target)
    return f"sqlite:///{target}"


def setup_django(database: str) -> None:
    os.environ.update({"DATABASE_URL": database, "CAIM_VAR_DIR": str(DATA)})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caim.settings")
    import django

    django.setup()


def publisher():
    """A function that publishes one new record and returns (its type, its slug, a word only it contains)."""
    from caim.demo.synthetic import synthetic_record
    from caim.interop.aiid.reader import default_aiid_dir, read_aiid
    from caim.records import actions
    from caim.records.roles import EDITOR, REVIEWER, system_account

    incidents = read_aiid(default_aiid_dir()).incidents
    writer, approver = system_account("fresh-writer", EDITOR), system_account("fresh-reviewer", REVIEWER)
    rng = random.Random(7)

    def publish(n: int) -> tuple[str, str, str]:
        word = f"freshword{n}x{rng.randrange(10**6)}"
        record_type, slug, data = synthetic_record(10**7 + n, incidents[n % len(incidents)], rng)
        data["title_en"] = f"{data['title_en'][:200]} {word}"
        slug = f"fresh-{n}-{word}"
        draft = actions.create_draft(actor=writer, record_type=record_type, slug=slug, data=data)
        actions.set_status(draft, actor=writer, status="review")
        actions.publish_record(draft, actor=approver, changelog_en="Published.", changelog_fr="Publiée.")
        return record_type, slug, word

    return publish


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100000)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--every", type=float, default=1.0, help="seconds between publications")
    parser.add_argument("--workers", type=int, default=None, help="default: as `caim serve` in production")
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--port", type=int, default=8767)
    args = parser.parse_args()
    if args.workers is None:
        from caim.cli import production_workers

        args.workers = production_workers()

    database = copy_database(args.records)
    setup_django(database)
    publish = publisher()
    server = start_server(production_env(database, DATA), args.port, args.workers, args.threads)
    base = f"http://{HOST}:{args.port}"
    published: list[dict] = []
    try:
        wait_for(base + "/incidents/", timeout=600)
        started = time.monotonic()
        for _ in range(args.workers * 6):  # every worker builds its index once, before the measurement
            for path in LIST_PATHS:
                fetch(base + path)
        print(f"Workers warmed in {time.monotonic() - started:.1f} s", flush=True)
        quiet = run_wrk(base + "/", 10, args.connections, LIST_PATHS)

        result: dict = {}
        readers = threading.Thread(
            target=lambda: result.update(run_wrk(base + "/", args.seconds, args.connections, LIST_PATHS))
        )
        readers.start()
        end = time.monotonic() + args.seconds - 2
        checkers: list[threading.Thread] = []
        n = 0
        while time.monotonic() < end:
            n += 1
            began = time.monotonic()
            record_type, slug, word = publish(n)
            done = time.monotonic()
            row = {"publish_s": done - began}
            published.append(row)
            # Each address is watched in its own thread, so that the next publication comes on time.
            for key, url in (("list_s", f"{base}/{record_type}s/?sort=published"),
                             ("api_s", f"{base}/api/v3/records?sort=published&limit=5"),
                             ("search_s", f"{base}/search/?q={word}")):  # fmt: skip
                checker = threading.Thread(
                    target=lambda row=row, key=key, url=url, slug=slug, done=done: row.update(
                        {key: seen_by(url, slug, done + 15, done)}
                    )
                )
                checker.start()
                checkers.append(checker)
            time.sleep(max(0.0, args.every - (time.monotonic() - began)))
        for checker in checkers:
            checker.join()
        readers.join()
    finally:
        stop_server(server)

    print(f"\n{args.records} records, gunicorn {args.workers} workers x {args.threads} threads, "
          f"{len(published)} publications, one every {args.every:.1f} s at most\n")  # fmt: skip
    print("| list readers | p50 ms | p90 ms | p99 ms | req/s | errors |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, row in (("no publications", quiet), ("while publishing", result)):
        print(f"| {label} | {row['p50']:.1f} | {row['p90']:.1f} | {row['p99']:.1f} | {row['rps']:.0f} | "
              f"{row['errors']} |")  # fmt: skip
    print("\n| after a publication | median s | max s | not shown within 15 s |")
    print("|---|---:|---:|---:|")
    for key, label in (("publish_s", "the publication itself"), ("list_s", "shown by the list (from then on, 8 in a row)"),
                       ("api_s", "shown by the query API (idem)"), ("search_s", "found by search (idem)")):  # fmt: skip
        values = [p[key] for p in published if p.get(key) is not None]
        missing = len(published) - len(values)
        if values:
            print(f"| {label} | {statistics.median(values):.2f} | {max(values):.2f} | {missing} |")
        else:
            print(f"| {label} | – | – | {missing} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
