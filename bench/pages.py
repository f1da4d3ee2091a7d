"""Server time of public pages at scale: record page, filtered list with facet counts, search.

Usage (see bench/README.md):
    python bench/pages.py --records 10000 [--database sqlite|postgres] [--requests 200]

Builds (once) a benchmark database of synthetic records generated from the AIID texts, then times requests
through Django's test client in this process: server time, without network or browser. Prints a table.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
PG_ADMIN_URL = os.environ.get("CAIM_BENCH_PG", "postgres://postgres@127.0.0.1:5432/postgres")


def database_url(kind: str, records: int) -> str:
    if kind == "sqlite":
        return f"sqlite:///{DATA / f'bench-{records}.sqlite3'}"
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/caim_bench_{records}"


def ensure_database(kind: str, records: int) -> str:
    url = database_url(kind, records)
    env = {**os.environ, "DATABASE_URL": url, "CAIM_VAR_DIR": str(DATA)}
    DATA.mkdir(exist_ok=True)
    if kind == "postgres":
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [url.rsplit("/", 1)[1]]
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{url.rsplit("/", 1)[1]}"')
    caim = [sys.executable, "-m", "caim"]
    subprocess.run([*caim, "migrate", "--verbosity", "0"], env=env, check=True)
    count = subprocess.run(
        [sys.executable, "-c", "import django,os;os.environ.setdefault('DJANGO_SETTINGS_MODULE','caim.settings');"
         "django.setup();from caim.records.models import Record;print(Record.objects.filter(origin='synthetic').count())"],
        env=env, check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    missing = records - int(count)  # records created (a few are refused by the lint and stay drafts)
    if missing > 0:
        print(f"Generating {missing} synthetic records into {url} ...", flush=True)
        subprocess.run([*caim, "generate", "--records", str(missing), "--publish"], env=env, check=True)
    return url


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run(url: str, requests: int, seed: int) -> list[tuple[str, float, float, int]]:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caim.settings")
    os.environ["ALLOWED_HOSTS"] = "testserver"
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from caim.records.models import PublicRecord
    from caim.taxonomy.loader import get_taxonomy

    rng = random.Random(seed)
    client = Client()
    publics = list(
        PublicRecord.objects.filter(withdrawn=False).values_list("record_type", "slug", "title_en")
    )
    tax = get_taxonomy()
    words = [w for _t, _s, title in rng.sample(publics, min(500, len(publics))) for w in title.split()[1:] if
             len(w) > 5 and w.isalpha()]  # fmt: skip

    def record_url():
        kind, slug, _title = rng.choice(publics)
        return f"{rng.choice(['', '/fr'])}/{kind}s/{slug}/"

    def list_url():
        params = {}
        for param in rng.sample(
            ["domain", "harm_type", "severity", "ai_pathway", "verification", "year_from"], rng.randint(1, 3)
        ):
            vocab = {"year_from": None}.get(param, param)
            params[param] = str(rng.randint(2010, 2024)) if vocab is None else rng.choice(tax[vocab].slugs())
        if "verification" in params and params["verification"] == "unverified":
            params["verification"] = "reported"
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return f"/incidents/?{query}"

    def search_url():
        return f"/search/?q={rng.choice(words).lower()}"

    results = []
    for name, make in (
        ("record page", record_url),
        ("filtered list + facets", list_url),
        ("search", search_url),
    ):
        for _ in range(10):  # warm-up: connections, caches, compiled templates
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
        f"\n{args.database}, {args.records:,} synthetic records, {args.requests} requests each (server time, ms)"
    )
    print("| page | p50 ms | p95 ms | queries |")
    print("|---|---:|---:|---:|")
    for name, p50, p95, queries in rows:
        print(f"| {name} | {p50:.1f} | {p95:.1f} | {queries} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
