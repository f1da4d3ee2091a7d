"""A command run in a process that a test kills at a chosen point (tests/security/test_crash.py).

    python -m tests.security.crash_driver [--pause MODULE:NAME[.NAME] --at N [--match TEXT]] COMMAND ...

COMMAND is one of
    caim ARGS...              the `caim` command line
    publish SLUG ACCOUNT      publish the record again (a reviewer's approval, through the action); with --wait,
                              print READY and wait for a line on stdin first (to start several at once)
    accounts ROLE NAME...     create staff accounts with a role
    feed URL                  a monitored feed, created by an editor through the action
    state                     print what the tests compare, as JSON

--pause wraps the function NAME of MODULE (or a method, Class.name): from its Nth call on (counting only calls
whose arguments contain TEXT, with --match), each call prints PAUSED and sleeps instead of running. The test then
sends SIGKILL, as the OOM killer, a power cut or `kill -9` would: no handler, `finally` or atexit runs.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from collections import Counter


def setup_django() -> None:
    from caim.cli import setup_django

    setup_django()


def pause_at(target: str, n: int, match: str | None) -> None:
    module_name, _sep, path = target.partition(":")
    owner = importlib.import_module(module_name)
    *parents, name = path.split(".")
    for parent in parents:
        owner = getattr(owner, parent)
    original = getattr(owner, name)
    calls = 0

    def paused(*args, **kwargs):
        nonlocal calls
        if match is None or match in repr(args):
            calls += 1
            if calls >= n:  # every later call too: threads that would carry on writing stop as well
                print(f"PAUSED {target} {calls}", flush=True)
                time.sleep(3600)
        return original(*args, **kwargs)

    setattr(owner, name, paused)


def publish(slug: str, account: str, wait: bool) -> int:
    from django.contrib.auth import get_user_model

    from caim.records import actions
    from caim.records.models import Record

    reviewer = get_user_model().objects.get(username=account)
    record = Record.objects.get(slug=slug)
    if wait:
        print("READY", flush=True)
        sys.stdin.readline()
    version = actions.publish_record(
        record,
        actor=reviewer,
        changelog_en=f"Checked again by {account}.",
        changelog_fr=f"Revérifiée par {account}.",
    )
    print(f"PUBLISHED {version.number}", flush=True)
    return 0


def accounts(role: str, names: list[str]) -> int:
    from caim.cli import ensure_login

    for name in names:
        ensure_login(name, [role], exact=True)
    return 0


def feed(url: str) -> int:
    from caim.intake.actions import create_source
    from caim.records.roles import EDITOR
    from tests.factories import make_user

    editor = make_user("t-crash-editor", EDITOR)
    create_source(actor=editor, data={"kind": "feed", "name": "Crash feed", "url": url, "language": "en",
                                      "keywords": "", "active": True})  # fmt: skip
    return 0


# Tables whose rows a killed run may legitimately leave different, and which no backup holds: the import run log
# (a killed run stays "running"), the log of public changes (kept for running processes), the background tasks'
# queue and results, and sessions.
VOLATILE = {
    "interop.aiidimportrun",
    "records.publicchange",
    "django_tasks_database.dbtaskresult",
    "sessions.session",
    "intake.indexedtext",  # deduplication's vectors: derived, recomputed by `caim embed`, not in a backup
    "intake.indexedtextdeletions",  # how often those were deleted: derived with them
}


def state() -> dict:
    """What a user of the monitor could see of the data: every table's size and, for the tables the commands
    write, their rows by natural key (no ids or times, which differ between two runs doing the same thing)."""
    from django.apps import apps
    from django.contrib.auth import get_user_model

    from caim.intake.models import Lead, SeenItem
    from caim.interop.models import AiidImportRun, AiidIncident
    from caim.records.models import AuditEvent, PublicRecord, Record, RecordVersion

    counts = {
        model._meta.label_lower: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.label_lower not in VOLATILE
    }
    incidents = [
        [i.incident_id, i.title, sorted(i.report_links.values_list("report__report_number", flat=True)),
         sorted(i.entity_links.values_list("entity__slug", "role")), sorted(i.classifications.values_list(
             "namespace", flat=True))]
        for i in AiidIncident.objects.order_by("incident_id")
    ]  # fmt: skip
    return {
        "counts": counts,
        "users": sorted(get_user_model().objects.values_list("username", flat=True)),
        "records": sorted(
            [r.slug, r.status, r.current_version.number if r.current_version_id else None]
            for r in Record.objects.select_related("current_version")
        ),
        "versions": sorted(RecordVersion.objects.values_list("record__slug", "number", "kind")),
        "public": sorted(PublicRecord.objects.values_list("slug", "version__number", "withdrawn")),
        "audit": dict(Counter(AuditEvent.objects.values_list("verb", flat=True))),
        "leads": sorted(
            [lead.urls, lead.extracted.get("title", ""), lead.status] for lead in Lead.objects.all()
        ),
        "seen": sorted(SeenItem.objects.values_list("canonical_url", "outcome")),
        "aiid_incidents": incidents,
        "aiid_runs": list(AiidImportRun.objects.order_by("pk").values_list("status", "message")),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pause")
    parser.add_argument("--at", type=int, default=1)
    parser.add_argument("--match")
    parser.add_argument("command")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    options = parser.parse_args(argv)
    setup_django()
    if options.pause:
        pause_at(options.pause, options.at, options.match)
    args = options.args
    if options.command == "caim":
        from caim.cli import build_parser

        parsed = build_parser().parse_args(args)
        return parsed.func(parsed)
    if options.command == "publish":
        return publish(args[0], args[1], wait="--wait" in args)
    if options.command == "accounts":
        return accounts(args[0], args[1:])
    if options.command == "feed":
        return feed(args[0])
    if options.command == "state":
        print(json.dumps(state(), sort_keys=True))
        return 0
    raise SystemExit(f"unknown command {options.command}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
