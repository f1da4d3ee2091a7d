"""Write the API corpus files to a folder, exactly as the live site serves them (SPEC §5.1, §8)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from caim.api import corpus
from caim.taxonomy.loader import get_taxonomy


def write_api_files(out: Path, progress: Callable[[int], None] | None = None) -> int:
    """records.json, taxonomy.json, records/<slug>.json and records/<slug>/versions.json under out/api/v3/."""
    base = out / "api" / "v3"
    (base / "records").mkdir(parents=True, exist_ok=True)
    with (base / "records.json").open("w", encoding="utf-8") as f:
        for piece in corpus.iter_records_json():
            f.write(piece)
    (base / "taxonomy.json").write_text(
        json.dumps(get_taxonomy().as_json(), ensure_ascii=False), encoding="utf-8"
    )
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
