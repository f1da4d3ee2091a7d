"""What bench/load.sh needs from Django: the addresses it drives, and a publisher.

    python bench/load_helper.py paths              print one route per line: NAME<TAB>path path ...
    python bench/load_helper.py publish --every 5  publish a new version of a record every 5 s until killed

Run with the benchmark's DATABASE_URL. The publisher works as editors do, through the actions: an editor changes
a record's summary, a reviewer (another account) publishes the new version with its changelog; one line per
publication (its seconds, or the error) on stdout.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import traceback
from collections import Counter
from urllib.parse import urlencode


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caim.settings")
    import django

    django.setup()


def paths(seed: int = 1) -> dict[str, list[str]]:
    """The six routes, each a few addresses wrk takes in turn (so that kept pages are not all a route has)."""
    from caim.records.models import PublicRecord, PublicTag

    rng = random.Random(seed)
    listed = PublicRecord.objects.listed()
    incidents = list(listed.filter(record_type="incident").values_list("slug", flat=True))
    records = rng.sample(incidents, min(100, len(incidents)))
    domains = Counter(PublicTag.objects.filter(vocabulary="domain").values_list("slug", flat=True))
    common = [slug for slug, _n in domains.most_common(3)]
    words = []
    for title in listed.order_by("?").values_list("title_en", flat=True)[:200]:
        words += [w.strip(".,:;()'\"").lower() for w in title.split() if len(w) > 6 and w.isalpha()]
    words = sorted(set(words))[:20] or ["chatbot"]
    filters = [{"domain": common[0], "severity": "significant"}, {"domain": common[1]},
               {"domain": common[2], "sort": "published"}, {"severity": "severe"}]  # fmt: skip
    return {
        "home": ["/", "/fr/"],
        "filtered list": [f"/incidents/?{urlencode(f)}" for f in filters],
        "record": [f"/{lang}incidents/{slug}/" for slug in records for lang in ("", "fr/")],
        "search": [f"/search/?{urlencode({'q': word})}" for word in words],
        "query API": [f"/api/v3/records?{urlencode({**f, 'limit': 20})}" for f in filters],
        "feed": ["/feeds/records.atom", "/api/v3/feed.json", "/fr/feeds/incidents.atom"],
    }


def publish_forever(every: float) -> None:
    from caim.records import actions
    from caim.records.models import Record, Status
    from caim.records.roles import EDITOR, REVIEWER, system_account

    editor, reviewer = system_account("load-editor", EDITOR), system_account("load-reviewer", REVIEWER)
    ids = list(Record.objects.filter(status=Status.PUBLISHED).order_by("?").values_list("pk", flat=True))
    n = 0
    while True:
        began = time.monotonic()
        record = Record.objects.get(pk=ids[n % len(ids)])
        n += 1
        try:
            record = actions.update_record(record, actor=editor, expected_lock_version=record.lock_version,
                                           data={"summary_en": f"{record.summary_en} Checked again ({n})."})  # fmt: skip
            version = actions.publish_record(record, actor=reviewer, changelog_en="Summary checked again.",
                                             changelog_fr="Résumé revérifié.")  # fmt: skip
            print(
                f"published {record.slug} v{version.number} in {time.monotonic() - began:.2f} s", flush=True
            )
        except Exception:  # noqa: BLE001 - counted by load.sh, and the loop goes on
            print(f"FAILED {record.slug}: {traceback.format_exc(limit=3)}", flush=True)
        time.sleep(max(0.0, every - (time.monotonic() - began)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["paths", "publish"])
    parser.add_argument("--every", type=float, default=5.0, help="seconds between publications")
    args = parser.parse_args()
    setup_django()
    if args.command == "paths":
        for name, addresses in paths().items():
            print(name + "\t" + " ".join(addresses))
        return 0
    publish_forever(args.every)
    return 0


if __name__ == "__main__":
    sys.exit(main())
