"""The `caim` command (also `python -m caim`): demo, serve, check, migrate, createuser, lint, reindex, generate,
import-aiid, dump, load, export-api, export-site, purge-contacts, poll, worker, compilemessages."""

from __future__ import annotations

import argparse
import os
import secrets
import sys


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caim.settings")
    import django

    django.setup()


def compile_catalogs(quiet: bool = True) -> int:
    """Compile the .po translation catalogs to .mo with Babel (pure Python, no gettext tools needed)."""
    from pathlib import Path

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    locale_dir = Path(__file__).resolve().parent / "site" / "locale"
    compiled = 0
    for po_path in locale_dir.glob("*/LC_MESSAGES/*.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po:
            catalog = read_po(po, locale=po_path.parent.parent.name)
        with mo_path.open("wb") as mo:
            write_mo(mo, catalog)
        compiled += 1
        if not quiet:
            print(f"compiled {mo_path}")
    return compiled


def cmd_migrate(args) -> int:
    from django.core.management import call_command

    from caim.records.models import PublicRecord
    from caim.search.models import SearchEntry

    call_command("migrate", interactive=False, verbosity=args.verbosity)
    call_command("createcachetable", verbosity=0)  # the shared cache (sign-in limits, statistics)
    # The search index is derived data that a migration may empty: rebuild it when it is missing.
    if not SearchEntry.objects.exists() and PublicRecord.objects.listed().exists():
        return cmd_reindex(args)
    return 0


def ensure_login(
    username: str, role_names: list[str], password: str | None = None, exact: bool = False
) -> str:
    """Create or reset a staff account with these roles (only these, if `exact`); returns its password."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    password = password or secrets.token_urlsafe(12)
    user, _ = get_user_model().objects.get_or_create(username=username)
    user.set_password(password)
    user.is_active = True
    user.save()
    groups = [Group.objects.get_or_create(name=name)[0] for name in role_names]
    if exact:
        user.groups.set(groups)
    else:
        user.groups.add(*groups)
    return password


def cmd_createuser(args) -> int:
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    from caim.records.roles import ROLES

    unknown = [r for r in args.role if r not in ROLES]
    if unknown:
        print(f"Unknown role(s): {', '.join(unknown)}. Roles: {', '.join(ROLES)}.", file=sys.stderr)
        return 2
    if args.password:
        try:
            validate_password(args.password)
        except ValidationError as exc:
            print("Password refused: " + " ".join(exc.messages), file=sys.stderr)
            return 2
    password = ensure_login(args.username, args.role or ["editor"], args.password)
    print(
        f"User {args.username} ({', '.join(args.role or ['editor'])})"
        + ("" if args.password else f", password: {password}")
    )
    return 0


def cmd_lint(args) -> int:
    from caim.records.actions import check_record
    from caim.records.models import Record

    records = Record.objects.order_by("id")
    if args.slugs:
        records = records.filter(slug__in=args.slugs)
        missing = set(args.slugs) - set(records.values_list("slug", flat=True))
        if missing:
            print(f"No record with slug(s): {', '.join(sorted(missing))}", file=sys.stderr)
            return 2
    total_errors = total_warnings = 0
    for record in records:
        issues = check_record(record)
        errors = [i for i in issues if i.level == "error"]
        warnings = [i for i in issues if i.level == "warning"]
        total_errors += len(errors)
        total_warnings += len(warnings)
        if errors or (warnings and args.warnings):
            print(f"{record.slug} ({record.record_type}, {record.status})")
            for issue in errors + (warnings if args.warnings else []):
                print(f"  {issue}")
    count = records.count()
    print(f"{count} record(s) checked: {total_errors} error(s), {total_warnings} warning(s).")
    return 1 if total_errors else 0


def cmd_demo(args) -> int:
    from rich.progress import Progress

    from caim.demo.loader import DemoDataError, load_demo
    from caim.records.roles import EDITOR, REVIEWER

    compile_catalogs()
    cmd_migrate(argparse.Namespace(verbosity=0))
    try:
        with Progress(transient=True) as progress:
            task = progress.add_task("Loading demo records", total=None)
            result = load_demo(progress=lambda name: progress.update(task, description=f"Loading {name}"))
    except DemoDataError as exc:
        print(f"The demo data could not be loaded (nothing was written):\n{exc}", file=sys.stderr)
        return 1
    from caim import background

    if (
        background.uses_database()
    ):  # what the publications queued (related records), so the demo starts with none
        background.run_ready()
    print(
        f"Demo data: {result.records} record(s) loaded ({result.versions} version(s)), {result.entities} entities, "
        f"{result.systems} AI systems; {result.skipped} record(s) already present."
    )
    # Two people, as SPEC 3.1 wants: the reviewer approves what the editor wrote (one account cannot do both).
    print("\nStaff logins (sign in at " + f"http://{args.addr}/staff/login/):")
    for username, role in (("editor", EDITOR), ("reviewer", REVIEWER)):
        password = ensure_login(username, [role], exact=True)
        print(f"  {role:9} username: {username:9} password: {password}")
    print()
    if args.no_serve:
        return 0
    return cmd_serve(args)


def cmd_serve(args) -> int:
    from django.conf import settings

    compile_catalogs()
    workers = (
        args.workers if args.workers is not None else (production_workers() if settings.PRODUCTION else 0)
    )
    where = f"http://{args.addr}/ (English) and http://{args.addr}/fr/ (French)"
    if workers:
        if settings.PRODUCTION:
            prepare_production()
        print(f"Serving the monitor at {where} with gunicorn, {workers} workers x {args.threads} threads.")
        return serve_production(args.addr, workers, args.threads)
    from django.core.management import call_command

    print(f"Serving the monitor at {where} (development server). Ctrl-C stops.")
    call_command("runserver", args.addr, use_reloader=False, use_threading=True)
    return 0


def production_workers() -> int:
    """One gunicorn worker per CPU core (at least two). Each worker keeps its own list index and rendered pages and
    brings them up to date after every publication: more workers than cores only repeat that work and contend for
    the cores (bench/RESULTS.md, lists while publishing); the threads of a worker wait on clients and the
    database."""
    return max(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 2)


def prepare_production() -> None:
    """Before a production server starts: the static files of the installed code, with their gzip copies, in
    STATIC_ROOT (a folder left from an earlier version would serve old styles); and the deployment checks' count,
    so that a misconfigured server says so where its operator looks."""
    from django.core import checks
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    issues = [i for i in checks.run_checks(include_deployment_checks=True) if not i.is_silenced()]
    if issues:
        ids = ", ".join(sorted({i.id for i in issues}))
        print(f"{len(issues)} deployment warning(s) ({ids}): run `caim check --deploy`.", file=sys.stderr)


def serve_production(addr: str, workers: int, threads: int) -> int:
    """gunicorn with threaded workers: a client reading a large file slowly holds one thread, not a worker."""
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self):
            for key, value in {
                "bind": addr,
                "workers": workers,
                "worker_class": "gthread",
                "threads": threads,
                "timeout": 60,
                "graceful_timeout": 30,
                "keepalive": 5,
            }.items():
                self.cfg.set(key, value)

        def load(self):
            from caim.wsgi import application

            return application

    Server().run()
    return 0


def cmd_check(args) -> int:
    """Django's system checks and ours (caim/checks.py); with --deploy, the deployment checks. A warning fails
    too: a production server should start with none (silence one deliberately with SILENCED_SYSTEM_CHECKS)."""
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    try:
        call_command("check", deploy=args.deploy, fail_level="WARNING")
    except SystemCheckError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def cmd_reindex(args) -> int:
    from rich.progress import Progress

    from caim.records.models import PublicRecord
    from caim.search.indexer import reindex_all

    total = PublicRecord.objects.listed().count()
    with Progress(transient=True) as progress:
        task = progress.add_task("Indexing public records", total=total)
        counts = reindex_all(progress=lambda done: progress.update(task, completed=done))
    print(
        f"Search index rebuilt: {counts['record']} records, {counts['entity']} entities, {counts['system']} AI systems."
    )
    return 0


def cmd_reproject(args) -> int:
    from rich.progress import Progress

    from caim.records.models import PublicRecord
    from caim.records.public import reproject_all

    total = PublicRecord.objects.count()
    with Progress(transient=True) as progress:
        task = progress.add_task("Rewriting the public layer", total=total)
        done = reproject_all(progress=lambda n: progress.update(task, completed=n))
    print(f"Columns and tags of {done} public records rewritten from their current versions.")
    return 0


def cmd_generate(args) -> int:
    from pathlib import Path

    from rich.progress import Progress

    from caim.demo.synthetic import generate
    from caim.interop.aiid.reader import default_aiid_dir, missing_files, read_aiid
    from caim.records.models import Record
    from caim.records.roles import EDITOR, REVIEWER, system_account

    aiid_dir = Path(args.aiid_dir) if args.aiid_dir else default_aiid_dir()
    missing = missing_files(aiid_dir)
    if missing:
        print(f"No AIID data at {aiid_dir} (expected {', '.join(missing)}); use --aiid-dir.", file=sys.stderr)
        return 2
    if args.records < 1:
        print("--records must be at least 1.", file=sys.stderr)
        return 2
    aiid = read_aiid(aiid_dir)
    # Two accounts, as for any record: the one that writes a draft never approves it.
    writer = system_account("synthetic-generator", EDITOR)
    approver = system_account("synthetic-reviewer", REVIEWER)
    start = Record.objects.filter(origin="synthetic").count() + 1
    with Progress() as progress:
        task = progress.add_task("Generating synthetic records", total=args.records)
        result = generate(aiid, args.records, editor=writer, reviewer=approver, publish=args.publish, seed=args.seed,
                          start=start, progress=lambda done: progress.update(task, completed=done))  # fmt: skip
    state = (
        f"{result['published']} published" if args.publish else "left as drafts (use --publish to publish)"
    )
    print(
        f"{result['created']} synthetic records created from {len(aiid.incidents)} AIID incidents, {state}."
    )
    if result["refused"]:
        print(f"{result['refused']} refused by the lint and left as drafts.")
    return 0


def cmd_import_aiid(args) -> int:
    from pathlib import Path

    from rich.progress import Progress

    from caim.interop.aiid.importer import import_aiid
    from caim.interop.aiid.reader import REQUIRED_FILES, AiidDataError, missing_files

    path = Path(args.path)
    missing = missing_files(path)
    if missing:
        print(
            f"{path} does not hold the AIID data: {', '.join(missing)} not found "
            f"(expected {', '.join(REQUIRED_FILES)}; see ../shared/data/aiid/README.md).",
            file=sys.stderr,
        )
        return 2
    if args.batch < 1:
        print("--batch must be at least 1.", file=sys.stderr)
        return 2
    try:
        with Progress() as progress:
            task = progress.add_task("Reading the AIID files", total=None)
            result = import_aiid(
                path,
                batch=args.batch,
                as_drafts=args.as_drafts,
                progress=lambda stage, done, total: progress.update(
                    task, description=stage, completed=done, total=total
                ),
            )
    except AiidDataError as exc:
        print(f"Nothing was imported: {exc}", file=sys.stderr)
        return 1
    for label, items in (("Skipped", result.problems), ("Not read", result.cells)):
        for problem in items[:20]:
            print(f"{label}: {problem}")
        if len(items) > 20:
            print(
                f"... and {len(items) - 20} more (all in the import run log, AiidImportRun {result.run_id})."
            )
    print("\n".join(result.summary()))
    if result.partial:
        c = result.counts
        what = (
            f"{c['rows_skipped']:,} rows skipped, {c['cells_dropped']:,} classification cells dropped, "
            f"{c['published_unreadable']:,} Published cells unreadable"
        )
        if args.accept_partial:
            print(f"Partial import accepted (--accept-partial): {what}.")
            return 0
        print(
            f"Partial import: {what} (listed above and in AIID import run {result.run_id}). Everything else was "
            "imported; fix the files and run again, or pass --accept-partial to accept a partial import "
            "(exit status 0).",
            file=sys.stderr,
        )
        return 3
    return 0


def cmd_dump(args) -> int:
    from pathlib import Path

    from caim.export.dump import dump

    header = dump(Path(args.file), with_passwords=args.with_passwords)
    total = sum(header["counts"].values())
    print(f"Dumped {total} rows of {len(header['counts'])} tables to {args.file}"
          + ("" if args.with_passwords else " (without password hashes)."))  # fmt: skip
    return 0


def cmd_load(args) -> int:
    from pathlib import Path

    from rich.progress import Progress

    from caim.export.dump import DumpError, load
    from caim.records.bulk import refresh_planner_statistics

    if not Path(args.file).is_file():
        print(f"No file {args.file}.", file=sys.stderr)
        return 2
    cmd_migrate(argparse.Namespace(verbosity=0))
    try:
        with Progress(transient=True) as progress:
            task = progress.add_task("Loading", total=None)
            header = load(
                Path(args.file), progress=lambda label, n: progress.update(task, description=f"{label}: {n}")
            )
    except DumpError as exc:
        print(f"Nothing was loaded: {exc}", file=sys.stderr)
        return 1
    refresh_planner_statistics()
    indexed = header["indexed"]
    print(f"Loaded {sum(header['counts'].values())} rows from {args.file} (dumped {header['created_at']}).")
    print(f"Search index rebuilt: {indexed['record']} records, {indexed['entity']} entities, "
          f"{indexed['system']} AI systems.")  # fmt: skip
    return 0


def cmd_export_api(args) -> int:
    from pathlib import Path

    from caim.export.api_files import write_api_files

    written = write_api_files(Path(args.out))
    print(
        f"Wrote the API files of {written} records to {Path(args.out) / 'api' / 'v3'} (with stats, "
        "systemic-analysis, graph, the JSON Feeds and the bulk files)."
    )
    return 0


def cmd_export_site(args) -> int:
    from pathlib import Path

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from caim.export.static_site import ExportError, export_site

    compile_catalogs()
    if args.workers is not None and args.workers < 1:
        print("--workers must be at least 1.", file=sys.stderr)
        return 2
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, transient=True) as progress:
            task = progress.add_task("Starting", total=None)

            def report(what: str, done: int, total: int) -> None:
                progress.update(task, description=what, completed=done, total=total or None)

            summary = export_site(Path(args.out), incremental=args.incremental, workers=args.workers,
                                  progress=report)  # fmt: skip
    except ExportError as exc:
        print(f"Nothing was exported: {exc}", file=sys.stderr)
        return 2
    if summary.nothing_changed:
        print(
            f"Nothing changed in the public records since the last export to {args.out} ({summary.seconds:.1f} s)."
        )
    elif args.incremental:
        print(
            f"Updated {args.out}: {len(summary.changed_records)} changed record(s), {summary.records} record(s) "
            f"re-rendered, {summary.written} file(s) rewritten, {summary.removed} removed, in {summary.seconds:.1f} s."
        )
    else:
        print(
            f"Exported the site to {args.out}: {summary.files} files ({summary.bytes / 1e6:.1f} MB), "
            f"{summary.records} records, in {summary.seconds:.1f} s."
        )
    for note in summary.notes:
        print(note, file=sys.stderr)
    return 0


def cmd_purge_contacts(args) -> int:
    setup_django()
    from caim.intake.actions import purge_contacts

    count = purge_contacts(days=args.days)
    print(f"deleted the contact details of {count} closed lead(s)")
    return 0


def cmd_poll(args) -> int:
    if args.enqueue:
        return poll_enqueue()
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from caim.intake.poll import PollRunning, active_sources, poll

    sources = list(active_sources(args.source))
    if not sources:
        print("No active monitored source" + (f" numbered {args.source}." if args.source else "."))
        return 0
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    try:
        with Progress(*columns, transient=True) as progress:
            task = progress.add_task("Polling monitored sources", total=len(sources))

            def item_done(run, item):
                progress.update(task, description=f"{run.source.name}: {run.counts['new']} new item(s)")

            runs = poll(source_id=args.source, limit=args.limit, on_item=item_done,
                        on_source=lambda run: progress.advance(task))  # fmt: skip
    except PollRunning as running:
        print(f"Another poll is running (lock {running}); nothing done.")
        return 0
    for run in runs:
        c = run.counts
        print(f"{run.source.name} (#{run.source.pk}): {c['items']} item(s), {c['new']} new: {c['leads']} lead(s), "
              f"{c['below']} below the relevance threshold, {c['known']} already held, {c['filtered']} without "
              f"the keywords, {c['failed']} failed, {c['waiting']} waiting for a retry")  # fmt: skip
        for error in run.errors:
            print(f"  {error}")
    return 0


def poll_enqueue() -> int:
    """The schedule's tick (cron, every few minutes): queue what is due, and tidy the queue."""
    from datetime import date

    from django.core.cache import cache

    from caim import background
    from caim.intake.poll import schedule
    from caim.records.tasks import prune_change_log

    if background.uses_database():
        recovered = background.recover_stale()
        if recovered.requeued or recovered.failed:
            print(
                f"{len(recovered.requeued)} task(s) of dead workers queued again, {len(recovered.failed)} given up"
            )
    sources = schedule()
    print(f"{len(sources)} source(s) due: queued" + "".join(f"\n  {s.name} (#{s.pk})" for s in sources))
    if cache.add(f"caim:tidy:{date.today().isoformat()}", True, 2 * 86400):  # once a day, whoever ticks first
        background.enqueue(prune_change_log)
        if background.uses_database():
            print(f"{background.prune_finished()} finished task(s) older than the retention deleted")
    return 0


def cmd_worker(args) -> int:
    from django.conf import settings

    from caim import background

    if not background.uses_database():
        print(
            f"CAIM_TASKS_BACKEND is {settings.CAIM_TASKS_BACKEND!r}: that backend's own workers run the tasks (for "
            "rq: DJANGO_SETTINGS_MODULE=caim.settings python -m django rqworker --job-class django_tasks_rq.Job "
            "default). caim worker runs the database backend's.",
            file=sys.stderr,
        )
        return 2
    import logging

    for name in ("django_tasks", "django_tasks_db"):  # a line per task started and finished (LOG_LEVEL aside)
        logging.getLogger(name).setLevel(logging.INFO)
    recovered = background.run_worker(batch=args.batch, interval=args.interval, max_tasks=args.max_tasks,
                                 queues=args.queue, startup_delay=not args.batch)  # fmt: skip
    if recovered.requeued or recovered.failed:
        print(
            f"{len(recovered.requeued)} task(s) of dead workers queued again, {len(recovered.failed)} given up"
        )
    return 0


def cmd_embed(args) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from caim.intake.embedding import embed_missing
    from caim.records.similarity import get_embedder

    embedder = get_embedder()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, transient=True) as progress:
        tasks: dict[str, int] = {}

        def report(what: str, done: int, total: int) -> None:
            if what not in tasks:
                tasks[what] = progress.add_task(f"Embedding {what}", total=total)
            progress.update(tasks[what], completed=done, total=total)

        made = embed_missing(progress=report)
    print(
        f"Vectors computed with {embedder.model_id}: {made['record']:,} for published records (titles, "
        f"summaries, sources, entities), {made['lead']:,} for open leads, {made['aiid']:,} for the AIID corpus; "
        "texts already embedded were kept."
    )
    return 0


def cmd_compilemessages(args) -> int:
    compiled = compile_catalogs(quiet=False)
    print(f"{compiled} catalog(s) compiled.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="caim", description="Run and manage an AI incident and hazard monitor."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "demo", help="migrate, load the bilingual demo records, print an editor login and serve"
    )
    p.add_argument("--addr", default="127.0.0.1:8000", help="address to serve on (default 127.0.0.1:8000)")
    p.add_argument("--no-serve", action="store_true", help="load the demo and stop, without serving")
    p.set_defaults(func=cmd_demo, workers=None, threads=8)

    p = sub.add_parser(
        "serve", help="serve the site: the development server, or gunicorn in production or with --workers"
    )
    p.add_argument("--addr", default="127.0.0.1:8000")
    p.add_argument(
        "--workers",
        type=int,
        help="gunicorn worker processes (default: one per CPU core in production, else none)",
    )
    p.add_argument("--threads", type=int, default=16, help="threads per gunicorn worker (default 16)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser(
        "check", help="Django's system checks and the monitor's; exit 1 on any warning (--deploy: production)"
    )
    p.add_argument(
        "--deploy", action="store_true", help="also the deployment checks (run with production settings)"
    )
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("migrate", help="create or update the database tables")
    p.add_argument("--verbosity", type=int, default=1)
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("createuser", help="create a staff account (or reset its password) with roles")
    p.add_argument("username")
    p.add_argument(
        "--role", action="append", default=[], help="editor, reviewer, translator or admin (repeatable)"
    )
    p.add_argument("--password", help="password to set (default: a random one, printed)")
    p.set_defaults(func=cmd_createuser)

    p = sub.add_parser("lint", help="check records against the record lint; exit 1 on any error")
    p.add_argument("slugs", nargs="*", help="records to check (default: all)")
    p.add_argument("--warnings", action="store_true", help="print warnings too")
    p.set_defaults(func=cmd_lint)

    p = sub.add_parser("reindex", help="rebuild the search index from the published records")
    p.set_defaults(func=cmd_reindex)

    p = sub.add_parser(
        "reproject", help="rewrite the public records' list columns and tags from their current versions"
    )
    p.set_defaults(func=cmd_reproject)

    p = sub.add_parser("generate", help="create synthetic records from AIID texts, for benchmarks")
    p.add_argument("--records", type=int, required=True, help="how many records to create")
    p.add_argument("--publish", action="store_true", help="publish them (benchmark databases only)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--aiid-dir", help="the AIID data folder (default: CAIM_AIID_DIR or ../shared/data/aiid)")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("import-aiid", help="load the AI Incident Database data as a reference corpus")
    p.add_argument("path", help="the AIID data folder (such as ../shared/data/aiid)")
    p.add_argument("--as-drafts", action="store_true", help="also create draft records (never published)")
    p.add_argument("--batch", type=int, default=200, help="incidents per transaction (default 200)")
    p.add_argument(
        "--accept-partial",
        action="store_true",
        help="exit 0 even when rows were skipped or cells dropped (otherwise exit 3)",
    )
    p.set_defaults(func=cmd_import_aiid)

    p = sub.add_parser("dump", help="write a complete backup (JSON lines; .gz to compress)")
    p.add_argument("file")
    p.add_argument("--with-passwords", action="store_true", help="include password hashes")
    p.set_defaults(func=cmd_dump)

    p = sub.add_parser("load", help="restore a backup into a new, empty database")
    p.add_argument("file")
    p.set_defaults(func=cmd_load)

    p = sub.add_parser(
        "export-api",
        help="write the API corpus files (records.json, stats, graph, feeds, bulk files) to a folder",
    )
    p.add_argument("out")
    p.set_defaults(func=cmd_export_api)

    p = sub.add_parser(
        "export-site", help="write the whole public site as static files, with a search index (Pagefind)"
    )
    p.add_argument("out", help="the output folder (new, empty, or an earlier export)")
    p.add_argument(
        "--incremental",
        action="store_true",
        help="rewrite only the files of records changed since the last export",
    )
    p.add_argument("--workers", type=int, help="processes rendering pages (default: one per CPU core)")
    p.set_defaults(func=cmd_export_site)

    p = sub.add_parser(
        "purge-contacts",
        help="delete submitters' emails and hashed addresses of leads closed longer than the retention period",
    )
    p.add_argument(
        "--days", type=int, default=None, help="days after closing (default CAIM_CONTACT_RETENTION_DAYS)"
    )
    p.set_defaults(func=cmd_purge_contacts)

    p = sub.add_parser("poll", help="read the monitored sources and queue new relevant articles as leads")
    p.add_argument("--source", type=int, help="only this source (its number)")
    p.add_argument("--limit", type=int, help="at most this many new items per source")
    p.add_argument(
        "--enqueue",
        action="store_true",
        help="queue one task per due source for the workers instead of polling here (the schedule's tick)",
    )
    p.set_defaults(func=cmd_poll)

    p = sub.add_parser(
        "worker", help="run background tasks (polling, extraction, related records) until stopped"
    )
    p.add_argument("--batch", action="store_true", help="run the tasks that are ready, then exit")
    p.add_argument("--max-tasks", type=int, help="exit after this many tasks")
    p.add_argument(
        "--interval", type=float, default=1.0, help="seconds between two looks at an empty queue (default 1)"
    )
    p.add_argument("--queue", default="*", help="queue names, comma-separated (default: all)")
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser(
        "embed",
        help="compute the missing vectors of deduplication: published records, open leads, the AIID corpus",
    )
    p.set_defaults(func=cmd_embed)

    p = sub.add_parser("compilemessages", help="compile the translation catalogs")
    p.set_defaults(func=cmd_compilemessages)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "demo":  # a visitor of the demo sees the real error pages, not Django's debug pages
        os.environ.setdefault("DEBUG", "0")
    setup_django()
    return args.func(args)
