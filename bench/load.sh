#!/usr/bin/env bash
# The production server under load, while records are published: wrk on loopback against six public routes.
#
#   bench/load.sh [--records 1000] [--seconds 60] [--connections 64] [--every 5] [--workers 4] [--threads 8]
#
# Builds the PostgreSQL database caim_load on CAIM_BENCH_PG's server (dropped and created again: the demo set plus
# --records synthetic published records), starts `caim serve` with production settings (gunicorn, --workers x
# --threads) and a background worker (`caim worker`: the related-records repairs publications queue), starts a
# publisher (bench/load_helper.py: an editor changes a record, a reviewer publishes the new version, every --every
# seconds, through the actions), then runs wrk for --seconds at --connections connections
# on each route in turn: home, a filtered list, a record, search, the query API, a feed (each route takes a few
# addresses in turn, bench/load_helper.py says which). Prints req/s, p50, p99 and errors (non-2xx/3xx answers,
# connect/read/write errors, timeouts over 30 s) per route; every address is checked to answer 200 first, so a
# redirect or an error page cannot pass for a fast answer. Exits 1 if any request or publication failed.
# Not part of the test suite; the latest table is in bench/RESULTS.md. Needs wrk (apt-get install -y wrk).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="$ROOT/.venv/bin/python"
RECORDS=1000 SECONDS_PER_ROUTE=60 CONNECTIONS=64 EVERY=5 WORKERS=4 THREADS=8 PORT=8795
while [ $# -gt 0 ]; do
  case "$1" in
    --records) RECORDS="$2"; shift 2 ;;
    --seconds) SECONDS_PER_ROUTE="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    --every) EVERY="$2"; shift 2 ;;
    --workers) WORKERS="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --port) PORT="$2"; shift 2 ;;
    *) echo "unknown option $1 (see the head of $0)" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 2; }

ADMIN="${CAIM_BENCH_PG:-postgres://postgres@127.0.0.1:5432/postgres}"
export DATABASE_URL="${ADMIN%/*}/caim_load"
WORK="$(mktemp -d /tmp/caim-load.XXXXXX)"
export CAIM_VAR_DIR="$WORK/var" LOG_LEVEL=ERROR
SERVER_PID="" PUBLISHER_PID="" WORKER_PID=""
cleanup() {
  [ -n "$PUBLISHER_PID" ] && kill "$PUBLISHER_PID" 2>/dev/null || true
  [ -n "$WORKER_PID" ] && kill "$WORKER_PID" 2>/dev/null || true
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
}
trap cleanup EXIT

echo "== database caim_load: the demo and $RECORDS synthetic published records ($WORK)"
"$PY" - "$ADMIN" <<'EOF'
import sys, psycopg
with psycopg.connect(sys.argv[1], autocommit=True) as conn:
    conn.execute('DROP DATABASE IF EXISTS "caim_load" WITH (FORCE)')
    conn.execute('CREATE DATABASE "caim_load"')
EOF
"$PY" -m caim demo --no-serve >/dev/null
"$PY" -m caim generate --records "$RECORDS" --publish | tail -n 2

echo "== production server: gunicorn, $WORKERS workers x $THREADS threads, on 127.0.0.1:$PORT"
CAIM_ENV=production SECRET_KEY="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')" \
  ALLOWED_HOSTS=127.0.0.1 "$PY" -m caim serve --addr "127.0.0.1:$PORT" --workers "$WORKERS" --threads "$THREADS" \
  >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
BASE="http://127.0.0.1:$PORT"
for _ in $(seq 1 240); do
  curl -fso /dev/null "$BASE/robots.txt" && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log"; exit 1; }
  sleep 0.5
done

"$PY" "$ROOT/bench/load_helper.py" paths >"$WORK/routes.tsv"
echo "== every address answers 200 (asked once per worker, which also warms them)"
while IFS=$'\t' read -r name addresses; do
  for path in $addresses; do
    for _ in $(seq 1 "$WORKERS"); do
      status="$(curl -so /dev/null -w '%{http_code}' "$BASE$path")"
      [ "$status" = 200 ] || { echo "$name: $path answered $status, not 200" >&2; exit 1; }
    done
  done
done <"$WORK/routes.tsv"

"$PY" -m caim worker >"$WORK/worker.log" 2>&1 &
WORKER_PID=$!
"$PY" "$ROOT/bench/load_helper.py" publish --every "$EVERY" >"$WORK/publications.log" 2>&1 &
PUBLISHER_PID=$!

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
{
  echo "| route | addresses | req/s | p50 ms | p99 ms | requests | errors |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
} >"$WORK/table.md"
FAILED=0
while IFS=$'\t' read -r name addresses; do
  lua="$WORK/route.lua"
  {
    printf 'local paths = {'
    for path in $addresses; do printf '"%s", ' "$path"; done
    printf '}\nlocal i = 0\nrequest = function()\n  i = i + 1\n  return wrk.format("GET", paths[(i %% #paths) + 1])\nend\n'
  } >"$lua"
  echo "== $name: wrk -t2 -c$CONNECTIONS -d${SECONDS_PER_ROUTE}s (publishing every $EVERY s)"
  wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_PER_ROUTE}s" --latency --timeout 30s -s "$lua" "$BASE" >"$WORK/wrk.out"
  # wrk prints latencies as 512.00us, 12.34ms or 1.20s: in milliseconds.
  row="$(awk -v name="$name" -v count="$(wc -w <<<"$addresses")" '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /m$/) return v * 60000; return v * 1000 }
    / 50%/ { p50 = ms($2) } / 99%/ { p99 = ms($2) }
    /requests in/ { total = $1 } /Requests\/sec/ { rps = $2 }
    /Non-2xx or 3xx/ { errors += $5 }
    /Socket errors/ { gsub(",", ""); errors += $4 + $6 + $8 + $10 }
    END { printf "| %s | %d | %.0f | %.1f | %.1f | %d | %d |", name, count, rps, p50, p99, total, errors + 0 }
  ' "$WORK/wrk.out")"
  echo "$row" | tee -a "$WORK/table.md"
  errors="$(awk -F'|' '{ gsub(/ /, "", $8); print $8 }' <<<"$row")"
  [ "$errors" = 0 ] || { FAILED=1; cat "$WORK/wrk.out"; }
done <"$WORK/routes.tsv"
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

kill "$PUBLISHER_PID" 2>/dev/null || true
wait "$PUBLISHER_PID" 2>/dev/null || true
PUBLISHER_PID=""
tasks="$("$PY" -c 'import os, django; os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caim.settings"); django.setup()
from django_tasks_db.models import DBTaskResult
from collections import Counter
print(", ".join(f"{n} {s.lower()}" for s, n in sorted(Counter(DBTaskResult.objects.values_list("status", flat=True)).items())))')"
published="$(grep -c '^published' "$WORK/publications.log" || true)"
failed="$(grep -c '^FAILED' "$WORK/publications.log" || true)"
slowest="$(awk '/^published/ { s = $(NF-1) + 0; if (s > m) m = s } END { printf "%.2f", m }' "$WORK/publications.log")"

echo
echo "$(date -u +%Y-%m-%d), $(nproc) cores, load average $LOAD_BEFORE before and $LOAD_AFTER after;" \
  "PostgreSQL, $RECORDS synthetic records + the demo set; gunicorn $WORKERS workers x $THREADS threads;" \
  "wrk -t2 -c$CONNECTIONS -d${SECONDS_PER_ROUTE}s per route; $published publications meanwhile" \
  "(one every $EVERY s, the slowest $slowest s), $failed failed; background tasks: ${tasks:-none}."
echo
cat "$WORK/table.md"
if [ "$failed" != 0 ]; then
  grep -A4 '^FAILED' "$WORK/publications.log" | head -n 20
  FAILED=1
fi
exit "$FAILED"
