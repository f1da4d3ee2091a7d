"""Exit 0 when the PostgreSQL server of the given URL answers, 1 otherwise (used by `make test`)."""

import sys

import psycopg

try:
    with psycopg.connect(sys.argv[1], connect_timeout=3) as conn:
        conn.execute("select 1")
except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
    print(f"PostgreSQL check: {exc}", file=sys.stderr)
    sys.exit(1)
sys.exit(0)
