"""What each publication costs a list-serving process, in this process: bringing the list index up to date, and
rendering each list address of bench/freshness.py once for the new state.

Usage (see bench/README.md):
    python bench/listpatch.py --records 100000 [--publications 20] [--profile]

On a copy of the benchmark database (bench/freshness.py's, built on first use by bench/pages.py): builds the
list index and renders every list address once, then `--publications` times publishes a record through the
editorial actions and times `listindex.refreshed` (its parts too) and one render of each address through
Django's request handler (the page cache is per state, so each render is a real one). `--profile` prints the
cProfile of the refreshes and renders instead of the table.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from freshness import LIST_PATHS, copy_database, publisher, setup_django  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100000)
    parser.add_argument("--publications", type=int, default=20)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    database = copy_database(args.records)
    os.environ["ALLOWED_HOSTS"] = "testserver"
    setup_django(database)
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import RequestFactory

    from caim.records.models import PublicChange, PublicRecord, PublicState
    from caim.site import listindex

    publish = publisher()
    # The production handler, middleware included (the test client would add its own work: it records every
    # template's context).
    handler, factory = WSGIHandler(), RequestFactory()

    def get(address: str) -> str:
        path, _sep, query = address.partition("?")
        answered = []
        body = b"".join(handler(factory._base_environ(PATH_INFO=path, QUERY_STRING=query),
                                lambda status, headers: answered.append(status)))  # fmt: skip
        assert answered[0].startswith("200"), (address, answered[0])
        return body

    publish(0)  # the first publication of a process reads every vector (related records)
    started = time.process_time()
    listindex.get_index()
    print(f"Index built in {time.process_time() - started:.2f} s", flush=True)
    for path in LIST_PATHS:
        get(path)

    timings: dict[str, list[float]] = {}

    def timed(name, function, *a):
        began = time.process_time()
        out = function(*a)
        timings.setdefault(name, []).append((time.process_time() - began) * 1000)
        return out

    collecting = {}  # garbage collections during the measured part: generation -> [count, CPU ms]

    def collected(phase, info):
        if phase == "start":
            collecting["began"] = time.process_time()
        else:
            row = collecting.setdefault(info["generation"], [0, 0.0])
            row[0] += 1
            row[1] += (time.process_time() - collecting["began"]) * 1000

    gc.callbacks.append(collected)
    profile = cProfile.Profile() if args.profile else None
    for n in range(1, args.publications + 1):
        began = time.process_time()
        publish(n)
        timings.setdefault("publication", []).append((time.process_time() - began) * 1000)
        if profile:
            profile.enable()
        index = listindex._current
        # The parts of listindex.refreshed, then the whole of it (as get_index calls it).
        since = index.synced_at - PublicChange.LOOKBACK
        logged = timed("  changes logged", lambda since=since: dict(PublicChange.objects.filter(
            at__gte=since).values_list("pk", "record_id")))  # fmt: skip
        seen = getattr(
            index, "seen", frozenset()
        )  # (none before it existed: for comparisons with older code)
        changed = {record for change, record in logged.items() if change not in seen}
        rows, tags, named = timed("  read changed", listindex._read, changed)
        timed("  patch arrays", listindex.patched, index, PublicState.current(), index.synced_at, changed, rows,
              tags, named)  # fmt: skip
        timed("  count listed", PublicRecord.objects.listed().count)
        timed("index brought up to date", listindex.get_index)
        for path in LIST_PATHS:
            timed(f"render {path}", get, path)
        if profile:
            profile.disable()

    if profile:
        profile.dump_stats("/tmp/listpatch.prof")
        pstats.Stats(profile).sort_stats("cumulative").print_stats(45)
        return 0
    print(f"\n{args.records} records, {args.publications} publications, load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}\n")  # fmt: skip
    print("| per publication, one process (CPU time) | median ms | max ms |")
    print("|---|---:|---:|")
    for name, values in timings.items():
        print(f"| {name} | {statistics.median(values):.1f} | {max(values):.1f} |")
    for generation, (count, ms) in sorted((k, v) for k, v in collecting.items() if k != "began"):
        print(f"| garbage collections of generation {generation}, in all | {count} | {ms:.1f} ms |")
    renders = [sum(values[i] for key, values in timings.items() if key.startswith("render"))
               for i in range(args.publications)]  # fmt: skip
    print(f"| every address rendered once | {statistics.median(renders):.1f} | {max(renders):.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
