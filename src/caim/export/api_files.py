"""Write the API corpus files to a folder, exactly as the live site serves them (SPEC §5.1, §8)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from caim.api import bulk, corpus, graph
from caim.api import feeds as api_feeds
from caim.api import views as api_views
from caim.stats import api as stats_api
from caim.taxonomy.loader import get_taxonomy

# The files derived from the whole public layer, built as the API builds them (api/views.py): name -> builder.
DERIVED = {
    "stats.json": stats_api.stats_document,
    "systemic-analysis.json": stats_api.systemic_document,
    "graph.json": graph.graph_document,
}


def write_api_files(out: Path, progress: Callable[[int], None] | None = None) -> int:
    """Under out/api/v3/: records.json, taxonomy.json, records/<slug>.json and records/<slug>/versions.json,
    stats.json, systemic-analysis.json, graph.json, the JSON Feed (and its French version under out/fr/), and
    the bulk files (bulk/records.csv, records.jsonl, sources.csv, entities.csv, LICENCE.txt)."""
    base = out / "api" / "v3"
    (base / "records").mkdir(parents=True, exist_ok=True)
    with (base / "records.json").open("w", encoding="utf-8") as f:
        for piece in corpus.iter_records_json():
            f.write(piece)
    (base / "taxonomy.json").write_text(
        json.dumps(get_taxonomy().as_json(), ensure_ascii=False), encoding="utf-8"
    )
    for name, build in DERIVED.items():
        (base / name).write_text("".join(api_views._document(build)), encoding="utf-8")
    for lang, folder in (("en", base), ("fr", out / "fr" / "api" / "v3")):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "feed.json").write_text(corpus.dumps(api_feeds.build_feed(lang)) + "\n", encoding="utf-8")
    (base / "bulk").mkdir(exist_ok=True)
    for filename, (_name, build, _content_type) in bulk.FILES.items():
        with (base / "bulk" / filename).open("w", encoding="utf-8", newline="") as f:
            for piece in build():
                f.write(piece)
    (base / "bulk" / "LICENCE.txt").write_text(bulk.licence_text(), encoding="utf-8")
    written = 0
    for public in corpus.public_records().iterator(chunk_size=500):
        (base / "records" / f"{public.slug}.json").write_text(corpus.record_json(public), encoding="utf-8")
        (base / "records" / public.slug).mkdir(exist_ok=True)
        (base / "records" / public.slug / "versions.json").write_text(
            corpus.versions_json(public), encoding="utf-8"
        )
        written += 1
        if progress:
            progress(written)
    return written
