"""API throughput side by side with Datasette serving the same SQLite file, with wrk on loopback (SPEC §9).

Usage (see bench/README.md):
    python bench/api.py [--records 1367 100000] [--workers 4] [--threads 8] [--duration 15] [--connections 16]
                        [--datasette /tmp/datasette-venv/bin/datasette]

For each size, on the benchmark database of bench/pages.py (built on first use), starts our production server
(`caim serve`, gunicorn gthread) and Datasette with its defaults (one process) on the same file, warms both up,
then measures each endpoint with `wrk --latency`, pairs of ours and Datasette's in turn so that the noise of a
shared machine falls on both. Prints a table of req/s, p50 and p99, and the ratios against the SPEC targets.

Datasette is not a dependency of the project: install it in a scratch virtualenv outside the repository,
    python3 -m venv /tmp/datasette-venv && /tmp/datasette-venv/bin/pip install datasette
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from pages import DATA, database_url, ensure_database  # noqa: E402
from serving import HOST, production_env, run_wrk, start_server, stop_server, wait_for  # noqa: E402

DEFAULT_DATASETTE = "/tmp/datasette-venv/bin/datasette"
# Building a database: about 30 KB per record on disk while generating (3 GB at 100,000), 25 minutes at 100,000.
BYTES_PER_RECORD = 40_000


@dataclass
class Endpoint:
    size: int
    name: str  # what is compared, e.g. "records list (50)"
    server: str  # "ours" or "Datasette"
    url: str
    key: str = ""  # "list" or "record": the pairs the SPEC targets are about
    headers: dict[str, str] = field(default_factory=dict)
    expect: int = 200
    bytes: int = 0
    result: dict = field(default_factory=dict)


# -- servers ---------------------------------------------------------------------------------------------------


def log_file(name: str):
    """Where a server's output goes (shown when it fails to start)."""
    return open(Path(tempfile.gettempdir()) / f"caim-bench-api-{name}.log", "w")  # noqa: SIM115


def start_datasette(binary: str, path: Path, port: int, immutable: bool) -> subprocess.Popen:
    # Datasette's defaults otherwise: one uvicorn process, 3 SQL threads, facet suggestions on, access log on.
    files = ["-i", str(path)] if immutable else [str(path)]
    return subprocess.Popen(
        [binary, "serve", *files, "--host", HOST, "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=log_file("datasette"),
    )  # fmt: skip


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, dict]:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - a loopback URL we built
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


def warm(url: str, headers: dict[str, str], requests: int = 64, concurrency: int = 16) -> None:
    """New connections in parallel, so that every gunicorn worker builds its caches (the list index, kept
    answers) before the measurement, not during it."""

    def hit(n: int) -> None:
        for _ in range(n):
            fetch(url, {**headers, "Connection": "close"})

    threads = [threading.Thread(target=hit, args=(requests // concurrency,)) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


# -- what to measure -------------------------------------------------------------------------------------------


def pick(path: Path) -> dict:
    """A record in the middle of the id range, a common domain and a common severity, from the file itself."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        (count,) = db.execute("SELECT count(*) FROM records_publicrecord WHERE NOT withdrawn").fetchone()
        record_id, slug, version_id = db.execute(
            "SELECT record_id, slug, version_id FROM records_publicrecord WHERE NOT withdrawn AND merged_into_id "
            "IS NULL AND record_type = 'incident' ORDER BY record_id LIMIT 1 OFFSET ?",
            [count // 2],
        ).fetchone()
        (domain,) = db.execute(
            "SELECT t.slug FROM records_publictag t JOIN records_publicrecord p ON p.record_id = t.record_id "
            "WHERE t.vocabulary = 'domain' AND NOT p.withdrawn GROUP BY t.slug ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()
        (severity,) = db.execute(
            "SELECT severity FROM records_publicrecord WHERE NOT withdrawn GROUP BY severity "
            "ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()
    return {"count": count, "record_id": record_id, "slug": slug, "version_id": version_id,
            "domain": domain, "severity": severity}  # fmt: skip


def endpoints(size: int, path: Path, ours: str, theirs: str, chosen: dict) -> list[Endpoint]:
    db = path.stem  # Datasette names a database after its file
    table = f"{theirs}/{db}/records_publicrecord.json"
    slug, domain, severity = chosen["slug"], chosen["domain"], chosen["severity"]
    # In pairs: (ours, Datasette's closest equivalent); None where Datasette has nothing to compare.
    pairs = [
        ("records list, 50", Endpoint(size, "", "ours", f"{ours}/api/v3/records?limit=50", key="list"),
         Endpoint(size, "", "Datasette", f"{table}?_shape=array&_size=50", key="list")),
        (f"list, 50, filtered (ours domain={domain}; Datasette severity={severity})",
         Endpoint(size, "", "ours", f"{ours}/api/v3/records?limit=50&domain={domain}"),
         Endpoint(size, "", "Datasette", f"{table}?_shape=array&_size=50&severity={severity}")),
        ("list, 50, Datasette default JSON (count, facet suggestions)", None,
         Endpoint(size, "", "Datasette", f"{table}?_size=50")),
        ("one record's JSON (Datasette: its version row, with the document)",
         Endpoint(size, "", "ours", f"{ours}/api/v3/records/{slug}.json", key="record"),
         Endpoint(size, "", "Datasette",
                  f"{theirs}/{db}/records_recordversion/{chosen['version_id']}.json?_shape=array", key="record")),
        ("one record, Datasette records_publicrecord row (no document)", None,
         Endpoint(size, "", "Datasette",
                  f"{theirs}/{db}/records_publicrecord/{chosen['record_id']}.json?_shape=array")),
        ("record page, HTML (Datasette: the HTML page of its row)",
         Endpoint(size, "", "ours", f"{ours}/incidents/{slug}/", key="page"),
         Endpoint(size, "", "Datasette", f"{theirs}/{db}/records_publicrecord/{chosen['record_id']}", key="page")),
        ("records list, If-None-Match → 304", Endpoint(size, "", "ours", f"{ours}/api/v3/records?limit=50",
                                                      expect=304), None),
        ("one record, If-None-Match → 304", Endpoint(size, "", "ours", f"{ours}/api/v3/records/{slug}.json",
                                                    expect=304), None),
    ]  # fmt: skip
    out = []
    for name, *pair in pairs:
        for endpoint in pair:
            if endpoint is not None:
                endpoint.name = name
                out.append(endpoint)
    return out


def prepare(endpoint: Endpoint) -> None:
    """Check the answer once (status, size) and, for a conditional request, take the ETag to send."""
    if endpoint.expect == 304:
        status, body, headers = fetch(endpoint.url)
        etag = {k.lower(): v for k, v in headers.items()}.get("etag")
        if status != 200 or not etag:
            raise SystemExit(f"{endpoint.url}: {status}, ETag {etag!r}")
        endpoint.headers = {"If-None-Match": etag}
    status, body, _headers = fetch(endpoint.url, endpoint.headers)
    if status != endpoint.expect:
        raise SystemExit(f"{endpoint.url}: {status}, expected {endpoint.expect}: {body[:300]!r}")
    if status == 200 and endpoint.key != "page":
        json.loads(body)
    endpoint.bytes = len(body)


# -- a run -----------------------------------------------------------------------------------------------------


def check_room(size: int, path: Path) -> str | None:
    """Why a size cannot be built here, or None."""
    if path.exists():
        return None
    free = shutil.disk_usage(DATA if DATA.exists() else HERE).free
    needed = size * BYTES_PER_RECORD + 2_000_000_000
    if free < needed:
        return f"{free / 1e9:.1f} GB free, building {size:,} records needs about {needed / 1e9:.1f} GB"
    return None


def measure_size(size: int, args) -> tuple[list[Endpoint], dict] | None:
    path = DATA / f"bench-{size}.sqlite3"
    if reason := check_room(size, path):
        print(f"Skipping {size:,} records: {reason}.", flush=True)
        return None
    if not path.exists():
        print(f"Building the {size:,}-record database (about {size / 4000:.0f} minutes) ...", flush=True)
    url = ensure_database("sqlite", size)
    assert url == database_url("sqlite", size)
    chosen = pick(path)
    ours_base, theirs_base = f"http://{HOST}:{args.port}", f"http://{HOST}:{args.datasette_port}"
    ours = start_server(production_env(url, DATA), args.port, args.workers, args.threads)
    theirs = start_datasette(args.datasette, path, args.datasette_port, args.datasette_immutable)
    try:
        wait_for(f"{ours_base}/api/v3/records?limit=1")
        wait_for(f"{theirs_base}/-/versions.json")
        _status, body, _h = fetch(f"{theirs_base}/-/versions.json")
        chosen["datasette_version"] = json.loads(body)["datasette"]["version"]
        chosen["sqlite_version"] = json.loads(body)["sqlite"]["version"]
        found = endpoints(size, path, ours_base, theirs_base, chosen)
        for endpoint in found:
            prepare(endpoint)
        for endpoint in found:
            if endpoint.server == "ours":
                warm(endpoint.url, endpoint.headers)  # every worker builds its caches
            else:
                warm(endpoint.url, endpoint.headers, requests=8, concurrency=4)  # one process
        chosen["load"] = [os.getloadavg()[0]]
        for round_ in range(1, args.repeat + 1):
            for endpoint in found:
                if args.warmup:
                    run_wrk(
                        endpoint.url,
                        args.warmup,
                        args.connections,
                        threads=args.wrk_threads,
                        headers=endpoint.headers,
                    )
                print(f"  {size:>7,} {endpoint.server:<9} {endpoint.name} ...", end="", flush=True)
                r = run_wrk(
                    endpoint.url,
                    args.duration,
                    args.connections,
                    threads=args.wrk_threads,
                    headers=endpoint.headers,
                )
                if r["requests"] < 50:  # seconds per request: measure longer, or nothing completes
                    longer = max(60, 4 * args.duration)
                    print(f" {r['requests']} requests in {args.duration} s, again for {longer} s ...", end="")
                    r = run_wrk(
                        endpoint.url,
                        longer,
                        args.connections,
                        threads=args.wrk_threads,
                        headers=endpoint.headers,
                    )
                    r["longer"] = longer
                print(f" {r['rps']:.1f} req/s, p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms (round {round_})")
                if args.verbose:
                    print(r["raw"])
                if not endpoint.result or r["rps"] > endpoint.result["rps"]:  # the best round
                    endpoint.result = r
            chosen["load"].append(os.getloadavg()[0])
    finally:
        stop_server(ours)
        stop_server(theirs)
    return found, chosen


def fmt_ms(value: float) -> str:
    return "–" if value != value or value == 0 else f"{value:,.1f}"  # NaN or 0: no such percentile


def report(results: list[tuple[int, list[Endpoint], dict]], args) -> None:
    print(
        f"\nwrk -t{args.wrk_threads} -c{args.connections} -d{args.duration}s --latency, loopback, {os.cpu_count()} "
        f"cores, best of {args.repeat} round(s); ours: caim serve (gunicorn gthread, {args.workers} workers x {args.threads} threads, production "
        f"settings); Datasette {results[0][2].get('datasette_version', '?')} with its defaults (one uvicorn "
        f"process{', immutable -i' if args.datasette_immutable else ', file opened as is'}); same SQLite file.\n"
    )
    print("| records | endpoint | server | req/s | p50 ms | p99 ms | bytes | ours/Datasette |")
    print("|---:|---|---|---:|---:|---:|---:|---:|")
    for size, found, _chosen in results:
        by_name: dict[str, dict[str, Endpoint]] = {}
        for e in found:
            by_name.setdefault(e.name, {})[e.server] = e
        for name, servers in by_name.items():
            for server in ("ours", "Datasette"):
                e = servers.get(server)
                if e is None:
                    continue
                r = e.result
                ratio = ""
                if server == "ours" and "Datasette" in servers and servers["Datasette"].result.get("rps"):
                    ratio = f"{r['rps'] / servers['Datasette'].result['rps']:.1f}×"
                flags = ""
                if r.get("errors") and e.expect == 200:
                    flags += f" ({r['errors']} non-2xx)"
                if r.get("socket_errors"):
                    flags += f" ({r['socket_errors']} socket errors)"
                status = " (304)" if e.expect == 304 else ""
                if r.get("longer"):
                    flags += f" (over {r['longer']} s)"
                rps = f"{r['rps']:,.1f}" if r["rps"] < 10 else f"{r['rps']:,.0f}"
                print(f"| {size:,} | {name}{status} | {server} | {rps}{flags} | {fmt_ms(r['p50'])} | "
                      f"{fmt_ms(r['p99'])} | {e.bytes:,} | {ratio} |")  # fmt: skip
    print(
        "\nSPEC §9 targets: records list ≥ 5× Datasette `_shape=array`; single record ≥ 3× Datasette's row; "
        "record page ≥ 2× Datasette's row page.\n"
    )
    print("| records | target | ours req/s | Datasette req/s | ratio | met |")
    print("|---:|---|---:|---:|---:|---|")
    for size, found, _chosen in results:
        get = {(e.key, e.server): e.result["rps"] for e in found if e.key}
        targets = (
            ("records list ≥ 5×", "list", 5),
            ("single record ≥ 3×", "record", 3),
            ("record page ≥ 2×", "page", 2),
        )
        for label, key, factor in targets:
            mine, theirs = get.get((key, "ours"), 0.0), get.get((key, "Datasette"), 0.0)
            ratio = mine / theirs if theirs else float("nan")
            print(f"| {size:,} | {label} | {mine:,.0f} | {theirs:,.0f} | {ratio:.1f}× | "
                  f"{'✓' if ratio >= factor else '✗'} |")  # fmt: skip
    for size, _found, chosen in results:
        print(f"\n{size:,}: {chosen['count']:,} public records; record {chosen['slug']} (id {chosen['record_id']}, "
              f"version row {chosen['version_id']}); SQLite {chosen.get('sqlite_version', '?')} in Datasette; "
              f"1-minute load average {' → '.join(f'{x:.1f}' for x in chosen['load'])} (start, after each round).")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, nargs="+", default=[1367, 100000],
                        help="sizes (default 1367 100000: the AIID corpus size and SPEC's largest)")  # fmt: skip
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--duration", type=int, default=15, help="seconds of each wrk measurement")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=3, help="seconds of wrk before each measurement")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--datasette-port", type=int, default=8767)
    parser.add_argument("--datasette", default=DEFAULT_DATASETTE, help="the datasette executable")
    parser.add_argument("--datasette-immutable", action="store_true",
                        help="open the file with Datasette's -i (immutable: counts cached, no locking)")  # fmt: skip
    parser.add_argument("--repeat", type=int, default=1,
                        help="rounds of every measurement; the table keeps each endpoint's best (a shared machine)")  # fmt: skip
    parser.add_argument("--verbose", action="store_true", help="print wrk's output")
    args = parser.parse_args()

    if not (Path(args.datasette).is_file() and os.access(args.datasette, os.X_OK)):
        print(
            f"No Datasette at {args.datasette}. Install it outside the repository (it is not a dependency):\n"
            "    python3 -m venv /tmp/datasette-venv && /tmp/datasette-venv/bin/pip install datasette\n"
            "or pass --datasette PATH.",
            file=sys.stderr,
        )
        return 2
    if not shutil.which("wrk"):
        print("wrk is not installed (Debian: apt-get install wrk).", file=sys.stderr)
        return 2
    results = []
    for size in args.records:
        measured = measure_size(size, args)
        if measured is not None:
            results.append((size, *measured))
    if not results:
        return 1
    report(results, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
