"""Report → incident linking on the AIID data (SPEC §9), and the duplicate-candidate query at 100,000 texts.

Usage:
    python bench/linking.py linking [--aiid ../shared/data/aiid] [--limit N]
    python bench/linking.py scale [--rows 100000] [--queries 200]

`linking`: the chronological protocol. Each AIID report with a title is a query, in report-number order; the
right answers are the incidents it is linked to. An incident's texts are its title, description and entities,
and the titles of its reports with a LOWER number than the query's: the query report itself and every later
report are not in the index (`ranker.features(before=report number)`). The index, the vectors and the ranker
are production's: the AIID corpus is imported (`import_aiid`) and embedded (`index_aiid_corpus`) into
`bench/data/linking.sqlite3` (once; later runs reuse it), read into a `TextIndex` as a web worker reads it, and
ranked by `caim.intake.ranker`. Rankers: lexical (BM25, max over an incident's texts), embedding (multilingual
USE cosine, max over texts), hybrid (both), and production's (hybrid + recency + entity names + date:
`ranker.WEIGHTS`). The weights were chosen on the *dev* split (queries whose lowest incident number is even) and
are reported on the *test* split (odd) apart; "all" includes the dev split.

A query's day is its report's date where the report's address gives one (`/2019/03/14/`, `/2019-03/`: about 30 %
of them; the GraphQL export has no report dates), as production takes a lead's article date; an incident's day is
its AIID date. Queries without a day are ranked without the date feature.

`scale`: `--rows` synthetic texts (random unit vectors of 512 dimensions, words of real AIID titles drawn at
random) stored as IndexedText rows in `bench/data/linking-<rows>.sqlite3`, then timed through the production
call `caim.intake.dedup.candidates_for_text` (encode the query title with the model, bring the process's index
up to date, rank, read labels): p50 and p95 of wall and CPU time. Then the RSS of this process, which has
imported Django and the project, loaded the model and holds the index: a web worker's.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"


def setup(database: Path) -> None:
    DATA.mkdir(exist_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caim.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


# Tried on the dev split only (`--tune`): (meaning, words, recency, recency scale, entity names).
GRID = [
    (1, 0.5, 0.25, 4, 0),
    (1, 1, 0.25, 4, 0),
    (1, 1, 0.5, 2, 0),
    (1, 1, 0.5, 4, 0),
    (1, 1, 0.5, 16, 0),
    (1, 1, 1, 4, 0),
    (1, 1, 0.5, 4, 0.25),
    (1, 1, 0.5, 4, 0.5),
    (1.5, 1, 0.5, 4, 0.5),
    (1, 1, 1, 4, 0.5),
    (1.5, 1, 0.75, 4, 0.5),
]
# Then, with the settings above fixed, (date weight, date scale in days), on the dev split only.
DATE_GRID = [(w, s) for w in (0.25, 0.5, 0.75, 1.0) for s in (30, 90, 365)]
URL_DATE = re.compile(r"/((?:19|20)\d\d)[/-](0[1-9]|1[0-2])(?:[/-]([0-3]\d))?(?=[/-])")


def url_day(url: str) -> int:
    """The day a report's address gives (`/2019/03/14/…`, or the middle of `/2019/03/…`'s month), or 0."""
    found = URL_DATE.search(url or "")
    if not found:
        return 0
    text = f"{found[1]}-{found[2]}" + (f"-{found[3]}" if found[3] else "")
    from caim.intake.embedding import day_of

    return day_of(text, "day" if found[3] else "month")


def linking(aiid: Path, limit: int | None, tune: bool, dev_only: bool = False) -> None:
    setup(DATA / "linking.sqlite3")
    from caim.intake import embedding, ranker
    from caim.intake.models import IndexedText
    from caim.interop.aiid.importer import import_aiid
    from caim.interop.models import AiidIncident, AiidIncidentReport, AiidReport
    from caim.records.similarity import get_embedder

    if not AiidIncident.objects.exists():
        import_aiid(aiid)
    started = time.perf_counter()
    made = embedding.index_aiid_corpus()
    print(f"AIID corpus embedded: {made:,} new vectors ({time.perf_counter() - started:.0f} s)")
    model = get_embedder().model_id
    kept = embedding.KeptIndex(model, get_embedder().dimensions)
    kept.refresh()
    index = kept.index
    incidents_of: dict[int, set[int]] = defaultdict(set)
    for incident, number in AiidIncidentReport.objects.values_list(
        "incident__incident_id", "report__report_number"
    ):
        incidents_of[number].add(incident)
    reports_of: dict[int, list[int]] = defaultdict(list)
    for number, incidents in incidents_of.items():
        for incident in incidents:
            reports_of[incident].append(number)
    # A query's text and vector are those of its own row (the same title, embedded by the same model).
    queries: dict[int, tuple[str, int]] = {}
    for pk, number, text in IndexedText.objects.filter(
        model_id=model, target="aiid", field="report"
    ).values_list("pk", "item", "text"):
        queries.setdefault(number, (text, pk))
    days = {n: url_day(url) for n, url in AiidReport.objects.values_list("report_number", "url")}
    numbers = sorted(queries)[:limit]
    rankers = {
        "lexical (BM25)": ranker.Weights(meaning=0, words=1, recency=0),
        "embedding (USE)": ranker.Weights(meaning=1, words=0, recency=0),
        "hybrid": ranker.Weights(meaning=1, words=1, recency=0),
        "hybrid + recency + names": replace(ranker.WEIGHTS, date=0),
        "production (+ date)": ranker.WEIGHTS,
    }
    if tune:
        for values in GRID:
            rankers["grid " + ", ".join(map(str, values))] = ranker.Weights(*values)
        for weight, scale in DATE_GRID:
            rankers[f"grid date {weight}, {scale} d"] = replace(ranker.WEIGHTS, date=weight, date_scale=scale)
    hits = {name: defaultdict(lambda: [0, 0, 0]) for name in rankers}  # split -> [queries, @1, @5]
    wall, cpu = [], []
    for number in numbers:
        text, key = queries[number]
        vector = index.codes[index.slots[key]].astype("float32") * index.scales[index.slots[key]]
        right = incidents_of[number]
        later = any(min(reports_of[i]) < number for i in right)
        split = "dev" if min(right) % 2 == 0 else "test"
        if dev_only and split != "dev":
            continue
        t0, c0 = time.perf_counter(), time.process_time()
        found = ranker.features(
            index, vector, embedding.terms(text, "en"), before=number, day=days.get(number, 0)
        )
        production = found.top(5, ranker.WEIGHTS)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        for name, weights in rankers.items():
            if name.startswith("grid") and split != "dev":
                continue
            top = production if weights is ranker.WEIGHTS else found.top(5, weights)
            got = [r.target[1] for r in top]
            for group in ("all", split, *(("all later", f"{split} later") if later else ())):
                counts = hits[name][group]
                counts[0] += 1
                counts[1] += bool(got[:1] and got[0] in right)
                counts[2] += bool(set(got) & right)
    groups = ["all", "all later", "test", "test later", "dev", "dev later"]
    print(
        f"\n{len(numbers):,} queries; index: {len(index):,} texts of {len(index.targets):,} incidents; model {model}"
    )
    print("| ranker | " + " | ".join(f"{g} R@1 | {g} R@5" for g in groups) + " |")
    print("|---|" + "---:|" * (2 * len(groups)))
    for name in rankers:
        cells = []
        for group in groups:
            if name.startswith("grid") and not group.startswith("dev"):
                cells += ["", ""]
                continue
            n, at1, at5 = hits[name][group]
            cells += [f"{at1 / n:.3f}", f"{at5 / n:.3f}"] if n else ["–", "–"]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print("queries per group: " + ", ".join(f"{g} {hits['hybrid'][g][0]:,}" for g in groups))
    print(
        f"time per query (features + ranking, the query's vector given): wall p50 {statistics.median(wall) * 1000:.1f} ms, "
        f"p95 {percentile(wall, 95) * 1000:.1f} ms; CPU mean {statistics.mean(cpu) * 1000:.1f} ms"
    )


def aiid_titles(aiid: Path) -> list[str]:
    """The report titles of the AIID GraphQL export: words for the synthetic texts, and the queries."""
    import json

    export = aiid / "apubtest-graphql-export" / "aiid_graphql_incidents_reports_2025-07.json"
    incidents = json.loads(export.read_text())["data"]["incidents"]
    return sorted(
        {r["title"].strip() for i in incidents for r in i["reports"] if (r.get("title") or "").strip()}
    )


def scale(aiid: Path, rows: int, queries: int, seed: int = 1) -> None:
    database = DATA / f"linking-{rows}.sqlite3"
    setup(database)
    import numpy as np

    from caim.intake import dedup, embedding
    from caim.intake.models import IndexedText
    from caim.records.similarity import get_embedder, to_blob

    baseline = rss_mb()
    embedder = get_embedder()
    embedder.encode(["warm up"])
    with_model = rss_mb()
    titles = aiid_titles(aiid)
    rng = np.random.default_rng(seed)
    held = IndexedText.objects.filter(model_id=embedder.model_id).count()
    if held < rows:
        print(f"storing {rows - held:,} synthetic texts in {database.name} ...")
        import random

        pick = random.Random(seed)
        words = [t.split() for t in titles]
        vectors = rng.standard_normal((rows - held, embedder.dimensions), dtype=np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        batch = []
        for i, vector in zip(range(held, rows), vectors, strict=True):
            mixed = pick.choice(words) + pick.choice(words)
            text = " ".join(pick.sample(mixed, min(len(mixed), 12)))
            batch.append(IndexedText(target="aiid", target_id=1_000_000 + i // 2, field="report", item=i, text=text,
                                     order=float(i), model_id=embedder.model_id, vector=to_blob(vector)))  # fmt: skip
            if len(batch) == 5000:
                IndexedText.objects.bulk_create(batch)
                batch = []
        IndexedText.objects.bulk_create(batch)
    started = time.perf_counter()
    candidates = dedup.candidates_for_text("warm up the index", limit=5)
    loaded = time.perf_counter() - started
    with_index = rss_mb()
    sample = [titles[i] for i in rng.choice(len(titles), queries)]
    wall, cpu = [], []
    for title in sample:
        t0, c0 = time.perf_counter(), time.process_time()
        candidates = dedup.candidates_for_text(title, limit=5)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    size = embedding.search(len)
    print(f"\n{size:,} texts in the index (read into the process in {loaded:.1f} s); {queries} queries "
          f"(AIID titles), last one found {len(candidates)} candidate(s)")  # fmt: skip
    print(f"candidates_for_text: wall p50 {statistics.median(wall) * 1000:.1f} ms, p95 {percentile(wall, 95) * 1000:.1f} ms; "
          f"CPU p50 {statistics.median(cpu) * 1000:.1f} ms, p95 {percentile(cpu, 95) * 1000:.1f} ms")  # fmt: skip
    print(f"RSS: Django + project {baseline:.0f} MB; + model {with_model:.0f} MB; + index of {size:,} texts "
          f"{with_index:.0f} MB (peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)")  # fmt: skip
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="part", required=True)
    aiid = str(HERE.parent.parent / "shared" / "data" / "aiid")
    p = sub.add_parser("linking")
    p.add_argument("--aiid", default=aiid)
    p.add_argument("--limit", type=int, help="only the first N queries (a quick look)")
    p.add_argument("--tune", action="store_true", help="also try the weights of GRID, on the dev split only")
    p.add_argument("--dev", action="store_true", help="only the dev split's queries (when tuning)")
    p = sub.add_parser("scale")
    p.add_argument("--aiid", default=aiid)
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    if args.part == "linking":
        linking(Path(args.aiid), args.limit, args.tune, args.dev)
    else:
        scale(Path(args.aiid), args.rows, args.queries)
    return 0


if __name__ == "__main__":
    sys.exit(main())
