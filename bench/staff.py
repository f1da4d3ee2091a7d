"""Server time of the editorial area at scale: dashboard (with filters and search), a record's page, its editor.

Usage (see bench/README.md):
    python bench/staff.py --records 10000 [--database sqlite|postgres] [--requests 200]

Uses the benchmark database of bench/pages.py (synthetic records generated from the AIID texts, built on first
use) and times requests through Django's test client in this process, signed in as a reviewer: server time,
without network or browser. Prints a table of p50, p95 and the largest number of SQL queries.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pages import ensure_database, percentile  # noqa: E402


def run(url: str, requests: int, seed: int) -> list[tuple[str, float, float, int]]:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caim.settings")
    os.environ["ALLOWED_HOSTS"] = "testserver"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from caim.records.models import Record
    from caim.records.roles import REVIEWER, system_account

    call_command("createcachetable", verbosity=0)
    rng = random.Random(seed)
    client = Client()
    client.force_login(system_account("bench-reviewer", REVIEWER))
    ids = list(Record.objects.values_list("pk", flat=True))
    words = ["deepfake", "facial", "chatbot", "police", "synthetic", "tesla", "school", "fraud"]

    def dashboard():
        params = rng.choice(["", "?stage=published", "?type=hazard", "?reassess=1", f"?q={rng.choice(words)}",
                             "?stage=review&type=incident", "?assignee=-"])  # fmt: skip
        return f"/staff/{params}"

    results = []
    for name, make in (
        ("dashboard (filters, search)", dashboard),
        ("record page (lint, timeline)", lambda: f"/staff/records/{rng.choice(ids)}/"),
        ("editor", lambda: f"/staff/records/{rng.choice(ids)}/edit/"),
    ):
        for _ in range(10):
            client.get(make())
        timings, queries = [], []
        for _ in range(requests):
            target = make()
            with CaptureQueriesContext(connection) as ctx:
                start = time.perf_counter()
                response = client.get(target)
                timings.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (target, response.status_code)
            queries.append(len(ctx.captured_queries))
        results.append((name, statistics.median(timings), percentile(timings, 95), max(queries)))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, required=True)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    url = ensure_database(args.database, args.records)
    rows = run(url, args.requests, args.seed)
    print(
        f"\n{args.database}, {args.records:,} records, {args.requests} requests each, as a reviewer (server time)"
    )
    print("| staff page | p50 ms | p95 ms | queries |")
    print("|---|---:|---:|---:|")
    for name, p50, p95, queries in rows:
        print(f"| {name} | {p50:.1f} | {p95:.1f} | {queries} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
