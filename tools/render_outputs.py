"""Render every public output of a fixed data set to files, to compare two versions of the code byte for byte.

Usage:
    python tools/render_outputs.py OUT_DIR [--synthetic 1367]

Builds a new SQLite database in a temporary folder, loads the demo set, then publishes synthetic records made
from the AI Incident Database texts (one per AIID incident by default) on a frozen clock, and writes each
public output to OUT_DIR: record pages in English and French with every earlier version, the record's API file
and versions, the OECD and AIID exports, records.json, the lists, entity and AI system pages, statistics and the
taxonomy. Run it on two commits and compare with `diff -r`: a refactoring that changes no behaviour leaves no
difference. Outputs that hold today's date (citation downloads) are left out; `generated_at` is blanked.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

FROZEN = datetime(2026, 6, 1, 12, 0, tzinfo=ZoneInfo("America/Toronto"))


class FrozenClock:
    def now(self) -> datetime:
        return FROZEN


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--synthetic", type=int, default=1367, help="synthetic records to publish (0: none)")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="caim-outputs-"))
    os.environ.update(
        DATABASE_URL=f"sqlite:///{scratch / 'db.sqlite3'}",
        CAIM_VAR_DIR=str(scratch),
        CAIM_CLOCK="__main__.FrozenClock",
        DJANGO_SETTINGS_MODULE="caim.settings",
        DEBUG="0",
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from caim.demo.loader import load_demo
    from caim.demo.synthetic import generate
    from caim.interop.aiid.reader import default_aiid_dir, read_aiid
    from caim.records.models import AISystem, Entity, PublicRecord, RecordVersion
    from caim.records.roles import EDITOR, REVIEWER, system_account

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    load_demo()
    if args.synthetic:
        generate(
            read_aiid(default_aiid_dir()), args.synthetic, publish=True,
            editor=system_account("synthetic-generator", EDITOR),
            reviewer=system_account("synthetic-reviewer", REVIEWER),
        )  # fmt: skip

    urls = ["/", "/fr/", "/incidents/", "/hazards/", "/fr/incidents/", "/fr/hazards/", "/entities/",
            "/systems/", "/taxonomy/", "/fr/taxonomy/", "/stats/", "/fr/stats/", "/corrections/",
            "/api/v3/records.json", "/api/v3/taxonomy.json", "/incidents/?severity=severe&sort=severity",
            "/hazards/?hazard_status=escalating", "/search/?q=deepfake", "/fr/search/?q=hypertrucage"]  # fmt: skip
    numbers: dict[int, list[int]] = {}
    for record_id, number in RecordVersion.objects.values_list("record_id", "number"):
        numbers.setdefault(record_id, []).append(number)
    for public in PublicRecord.objects.order_by("pk"):
        kind = "incidents" if public.record_type == "incident" else "hazards"
        for prefix in ("", "/fr"):
            base = f"{prefix}/{kind}/{public.slug}/"
            urls += [base, *(f"{base}v/{n}/" for n in numbers[public.pk]), f"{base}oecd.json"]
            if kind == "incidents":
                urls.append(f"{base}aiid.json")
        urls += [f"/api/v3/records/{public.slug}.json", f"/api/v3/records/{public.slug}/versions.json"]
    urls += [f"/entities/{slug}/" for slug in Entity.objects.values_list("slug", flat=True)]
    urls += [f"/systems/{slug}/" for slug in AISystem.objects.values_list("slug", flat=True)]

    client = Client()
    for url in urls:
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        body = re.sub(rb'"generated_at":"[^"]*"', b'"generated_at":""', body)
        name = re.sub(r"[^A-Za-z0-9._-]+", "_", url.strip("/") or "home")
        (out / f"{name}.{response.status_code}").write_bytes(body)
    print(f"{len(urls)} outputs written to {out} (database in {scratch}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
