"""Record pages while slow clients download records.json, on the production server.

Usage (see bench/README.md):
    python bench/slow_readers.py --records 10000 [--readers 16] [--workers 4] [--seconds 20]

Starts `caim serve` in production mode (gunicorn, threaded workers) on the benchmark database, then measures a
record page with wrk twice in the same run: alone, and while `--readers` clients download the uncompressed
records.json at about 64 KB/s each (a slow reader holds its connection for minutes). Prints a table of
latency percentiles and throughput.
"""

from __future__ import annotations

import argparse
import re
import socket
import sys
import threading
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from pages import DATA, ensure_database  # noqa: E402
from serving import HOST, production_env, run_wrk, start_server, stop_server, wait_for  # noqa: E402

READ_CHUNK = 4096
READ_PAUSE = 0.0625  # 4 KB every 1/16 s: 64 KB/s per reader


class SlowReader(threading.Thread):
    """A client that asks for records.json (no compression) and reads it slowly until told to stop."""

    def __init__(self, host: str, port: int, stop: threading.Event):
        super().__init__(daemon=True)
        self.host, self.port, self.stop = host, port, stop
        self.received = 0
        self.status = ""

    def run(self):
        with socket.create_connection((self.host, self.port), timeout=120) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
            sock.sendall(
                f"GET /api/v3/records.json HTTP/1.1\r\nHost: {self.host}\r\nConnection: close\r\n\r\n".encode()
            )
            while not self.stop.is_set():
                data = sock.recv(READ_CHUNK)
                if not data:
                    break
                if not self.status:
                    self.status = data.split(b"\r\n", 1)[0].decode(errors="replace")
                self.received += len(data)
                time.sleep(READ_PAUSE)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10000)
    parser.add_argument("--readers", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=4, help="wrk connections on the record page")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()

    database = ensure_database("sqlite", args.records)
    host = HOST
    server = start_server(production_env(database, DATA), args.port, args.workers, args.threads)
    try:
        base = f"http://{host}:{args.port}"
        wait_for(base + "/incidents/")
        started = time.monotonic()
        urllib.request.urlopen(base + "/api/v3/records.json", timeout=300).read()  # noqa: S310 - writes the file
        build = time.monotonic() - started
        page = re.search(
            rb'href="(/incidents/[a-z0-9-]+/)"', urllib.request.urlopen(base + "/incidents/").read()
        )  # noqa: S310
        url = base + page.group(1).decode()
        for _ in range(50):
            urllib.request.urlopen(url).read()  # noqa: S310 - warm every worker
        alone = run_wrk(url, args.seconds, args.connections)
        stop = threading.Event()
        readers = [SlowReader(host, args.port, stop) for _ in range(args.readers)]
        for reader in readers:
            reader.start()
        time.sleep(2)
        loaded = run_wrk(url, args.seconds, args.connections)
        stop.set()
        statuses = {r.status for r in readers}
        received = sum(r.received for r in readers)
    finally:
        stop_server(server)

    print(
        f"\n{args.records} records, gunicorn {args.workers} workers x {args.threads} threads, record page {url}"
    )
    print(f"records.json written in {build:.1f} s (first request after the last publication)")
    print(
        f"{args.readers} slow readers: status {', '.join(sorted(statuses))}; {received / 1e6:.1f} MB read in all\n"
    )
    print("| record page | p50 ms | p90 ms | p99 ms | req/s | errors | timeouts |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, row in (("alone", alone), (f"with {args.readers} slow readers", loaded)):
        print(f"| {label} | {row['p50']:.1f} | {row['p90']:.1f} | {row['p99']:.1f} | {row['rps']:.0f} | "
              f"{row['errors']} | {row['timeouts']} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
