"""A complete, versioned backup (`caim dump FILE`) and its restore into an empty database (`caim load FILE`).

Format: JSON lines. The first line is a header (format version, the migrations the data is at, the counts),
then one Django-serialised object per line, models in dependency order. User password hashes are left out
(accounts come back with unusable passwords) unless asked for. The search index is derived data: it is not
dumped, and `load` rebuilds it; nor is deduplication's index (`caim embed` rebuilds it). Works across SQLite
and PostgreSQL in both directions.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

from django.apps import apps
from django.core import serializers
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

FORMAT = "caim-dump"
FORMAT_VERSION = 1
# Models in the order they are restored (each only points to models listed before it, except the record's
# current version, whose constraint is checked at commit).
MODELS = [
    "auth.group",
    "auth.user",
    "records.entity",
    "records.entityredirect",
    "records.aisystem",
    "records.source",
    "records.record",
    "records.recordversion",
    "records.recordsource",
    "records.harm",
    "records.recordentity",
    "records.recordsystem",
    "records.response",
    "records.policyrecommendation",
    "records.mitigation",
    "records.slugredirect",
    "records.auditevent",
    "records.publicrecord",
    "records.publictag",
    "records.publicentityrole",
    "records.publicsystemlink",
    "records.recordembedding",
    "records.relatedrecord",
    "records.publicstate",
    # Intake: reports and leads (a lead may point to a record), the monitored sources, what the poller has seen
    # and the articles on their way to a lead. Deduplication's index (intake.indexedtext) is derived data, like
    # the search index: `caim embed` rebuilds it.
    "intake.lead",
    "intake.monitoredsource",
    "intake.seenitem",
    "intake.pendingarticle",
]  # not records.publicchange: a log for running processes, which a restore tells to read everything again
OPTIONAL_APPS = ("interop",)  # the AIID reference corpus, when installed
UNUSABLE_PASSWORD = "!"  # noqa: S105 - Django's marker for "no usable password", not a secret


class DumpError(ValueError):
    pass


class ExactEncoder(DjangoJSONEncoder):
    """Datetimes to the microsecond (Django's encoder cuts them to milliseconds, and a restored version must
    keep the published_at its document states)."""

    def default(self, o):
        if isinstance(o, datetime):
            text = o.isoformat()
            return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text
        return super().default(o)


def dump_models() -> list[str]:
    labels = list(MODELS)
    for app_label in OPTIONAL_APPS:
        if apps.is_installed(f"caim.{app_label}"):
            labels += [m._meta.label_lower for m in apps.get_app_config(app_label).get_models()]
    return labels


def _open(path: Path, mode: str):
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, mode + "b"), encoding="utf-8")
    return path.open(mode, encoding="utf-8")


def applied_migrations() -> dict[str, str]:
    latest: dict[str, str] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        if app in ("auth", "records", "search", "taxonomy", "intake", *OPTIONAL_APPS):
            latest[app] = max(latest.get(app, ""), name)
    return latest


def dump(
    path: Path, *, with_passwords: bool = False, progress: Callable[[str, int], None] | None = None
) -> dict:
    labels = dump_models()
    outermost = not connection.in_atomic_block
    connection.ensure_connection()  # so that the connection's own set-up is not the transaction's first query
    with _open(path, "w") as out, transaction.atomic():
        if connection.vendor == "postgresql" and outermost:  # one snapshot for the counts and every table
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        counts = {label: apps.get_model(label)._default_manager.count() for label in labels}
        header = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": timezone.now().isoformat(),
            "migrations": applied_migrations(),
            "counts": counts,
            "passwords": with_passwords,
        }
        out.write(json.dumps(header, sort_keys=True) + "\n")
        for label in labels:
            queryset = apps.get_model(label)._default_manager.order_by("pk")
            written, last = 0, None
            while True:  # keyset pages: constant cost per page, whatever the table size
                chunk = list((queryset.filter(pk__gt=last) if last is not None else queryset)[:2000])
                if not chunk:
                    break
                serialized = serializers.serialize("jsonl", chunk, ensure_ascii=True, cls=ExactEncoder)
                for line in serialized.split("\n"):
                    if not line:
                        continue
                    if label == "auth.user" and not with_passwords:
                        obj = json.loads(line)
                        obj["fields"]["password"] = UNUSABLE_PASSWORD
                        line = json.dumps(obj)
                    out.write(line + "\n")
                written, last = written + len(chunk), chunk[-1].pk
                if progress:
                    progress(label, written)
    return header


def _objects(lines: Iterator[str]):
    for line in lines:
        if line.strip():
            yield from serializers.deserialize("jsonl", line)


def load(path: Path, *, progress: Callable[[str, int], None] | None = None) -> dict:
    """Restore a dump into this (migrated, empty) database, with its search index, in one transaction: a load
    that fails or is killed leaves the database empty, so that running it again completes it. The header is
    returned with `indexed`, the objects indexed per kind."""
    from caim.records.models import PublicChange, Record
    from caim.search.indexer import reindex_all

    with _open(path, "r") as source:
        try:
            header = json.loads(source.readline())
        except json.JSONDecodeError as exc:
            raise DumpError(f"{path} is not a caim dump: {exc}") from exc
        if header.get("format") != FORMAT:
            raise DumpError(f"{path} is not a caim dump.")
        if header.get("format_version") != FORMAT_VERSION:
            raise DumpError(
                f"Dump format {header.get('format_version')} cannot be read (expected {FORMAT_VERSION})."
            )
        ours = applied_migrations()
        missing = {app: name for app, name in header["migrations"].items() if ours.get(app, "") < name}
        if missing:
            raise DumpError(
                f"The dump needs migrations this code does not have: {missing}. Update the code first."
            )
        if Record.objects.exists() or apps.get_model("auth.user").objects.exists():
            raise DumpError("The database is not empty: load a dump only into a new, migrated database.")
        loaded: dict[str, int] = {}
        with transaction.atomic():
            batch: list = []
            for item in _objects(source):
                if batch and type(batch[-1].object) is not type(item.object):
                    _save(batch, loaded, progress)
                    batch = []
                batch.append(item)
                if len(batch) >= 2000:
                    _save(batch, loaded, progress)
                    batch = []
            _save(batch, loaded, progress)
            expected = {label: n for label, n in header["counts"].items() if n}
            if loaded != expected:  # inside the transaction: a short or damaged file loads nothing
                raise DumpError(f"Loaded counts {loaded} differ from the dump's header {expected}.")
            _reset_sequences()
            PublicChange.record(None, timezone.now())  # processes holding a list index read everything again
            if progress:
                progress("search index", 0)
            header["indexed"] = reindex_all()
    return header


def _save(batch: list, loaded: dict[str, int], progress) -> None:
    if not batch:
        return
    model = type(batch[0].object)
    model._default_manager.bulk_create([item.object for item in batch])
    for name in {name for item in batch for name in (item.m2m_data or {})}:
        field = model._meta.get_field(name)
        through = field.remote_field.through
        source, target = f"{field.m2m_field_name()}_id", f"{field.m2m_reverse_field_name()}_id"
        through._default_manager.bulk_create(
            through(**{source: item.object.pk, target: value})
            for item in batch
            for value in (item.m2m_data or {}).get(name, [])
        )
    label = model._meta.label_lower
    loaded[label] = loaded.get(label, 0) + len(batch)
    if progress:
        progress(label, loaded[label])


def _reset_sequences() -> None:
    """After rows were inserted with their ids, make the next ids follow them (PostgreSQL sequences)."""
    models = [apps.get_model(label) for label in dump_models()]
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
