"""An in-memory, columnar copy of the public records, for the lists: filters, facet counts and order.

The public layer only changes when a record is published or withdrawn, and each change sets a new
`PublicState.token` in the same transaction. Each process keeps one `ListIndex` and rebuilds it when that
token changes, so a list request costs one small query plus numpy work, whatever the number of records:
facet counts are `bincount`s over arrays instead of a GROUP BY per facet.

Single-valued fields are code arrays (one small integer per record); multi-valued ones (taxonomy tags,
entities, systems) are pairs of arrays (record position, value index).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from django.db import connection
from django.db.models import FloatField, Func
from django.db.models.functions import ExtractYear

from caim.records.fields import facets
from caim.records.models import AISystem, Entity, PublicRecord, PublicState
from caim.taxonomy.loader import get_taxonomy

# Single-valued columns: the record type (each list's own filter) and the declared field filters.
FIELDS = ("record_type", *(f.name for f in facets("field")))
TAGS = tuple(f.vocabulary for f in facets("tag"))


@dataclass
class Field:
    codes: np.ndarray  # int16 per record, -1 when empty
    values: list[str]  # code -> value

    def code(self, value: str) -> int:
        return self.values.index(value) if value in self.values else -2


@dataclass
class Multi:
    positions: np.ndarray  # int32: record position of each pair
    indexes: np.ndarray  # int32: value index of each pair
    values: list  # value index -> value (a slug, or (pk, slug, name) for entities and systems)

    def mask(self, index: int, size: int) -> np.ndarray:
        out = np.zeros(size, dtype=bool)
        out[self.positions[self.indexes == index]] = True
        return out

    def counts(self, mask: np.ndarray) -> np.ndarray:
        """Records in `mask` per value (each record counted once per value)."""
        return np.bincount(self.indexes[mask[self.positions]], minlength=len(self.values))


@dataclass
class ListIndex:
    version: str  # the PublicState token it was built from
    ids: np.ndarray  # int64 record ids, ascending; a record's position is its index here
    fields: dict[str, Field]
    has_french: np.ndarray
    years: np.ndarray  # int16, 0 when no event date
    orders: dict[str, np.ndarray]  # sort name -> positions in display order
    multi: dict[str, Multi]  # tag vocabularies, "entity", "system"
    slugs: dict[str, dict[str, int]]  # "entity"/"system" -> slug -> value index

    @property
    def size(self) -> int:
        return len(self.ids)

    def positions_of(self, record_ids) -> np.ndarray:
        ids = np.asarray(list(record_ids), dtype=np.int64)
        found = np.searchsorted(self.ids, ids)
        found = np.clip(found, 0, max(self.size - 1, 0))
        return found[(self.size > 0) & (self.ids[found] == ids)] if self.size else np.zeros(0, dtype=np.int64)


def _rows(sql: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


class Epoch(Func):
    """Seconds since 1970 of a date or datetime column, on either database (for sorting as numbers)."""

    output_field = FloatField()

    def as_sql(self, compiler, connection, **extra):  # PostgreSQL
        return super().as_sql(compiler, connection, template="EXTRACT(EPOCH FROM %(expressions)s)", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        template = "((julianday(%(expressions)s) - 2440587.5) * 86400.0)"
        return super().as_sql(compiler, connection, template=template, **extra)


def build() -> ListIndex:
    """Read the public layer into arrays, from one query of the records (so that every array and order
    describes the same records), plus one per kind of link."""
    version = PublicState.current()
    columns = (*FIELDS, "has_french", ExtractYear("event_date"), Epoch("event_date"), Epoch("first_published_at"),
               "severity_rank")  # fmt: skip
    at = {
        name: i for i, name in enumerate(("pk", *FIELDS, "has_french", "year", "event", "published", "rank"))
    }
    rows = list(PublicRecord.objects.listed().order_by("pk").values_list("pk", *columns))
    size = len(rows)

    def column(name: str, dtype, empty=0) -> np.ndarray:
        i = at[name]
        return np.fromiter((r[i] if r[i] is not None else empty for r in rows), dtype=dtype, count=size)

    ids = column("pk", np.int64)
    fields = {}
    for name in FIELDS:
        i = at[name]
        values = sorted({r[i] for r in rows if r[i]})
        lookup = {v: code for code, v in enumerate(values)}
        fields[name] = Field(
            np.fromiter((lookup.get(r[i], -1) for r in rows), dtype=np.int16, count=size), values
        )
    has_french = column("has_french", bool, False)
    years = column("year", np.int16)
    # Records without an event date come last; every order breaks ties by newest id.
    event = column("event", np.float64, -np.inf)
    published = column("published", np.float64)
    rank = column("rank", np.int64)
    orders = {  # np.lexsort sorts by its last key first
        "occurred": np.lexsort((-ids, -event)),
        "published": np.lexsort((-ids, -published)),
        "severity": np.lexsort((-ids, -event, -rank)),
    }
    multi: dict[str, Multi] = {}
    for vocabulary in TAGS:
        values = get_taxonomy()[vocabulary].slugs()
        rows = _rows(f"SELECT record_id, slug FROM records_publictag WHERE vocabulary = '{vocabulary}'")  # noqa: S608
        multi[vocabulary] = _pairs(ids, rows, values, key=lambda slug: slug)
    slugs = {}
    for name, table, column, model in (
        ("entity", "records_publicentityrole", "entity_id", Entity),
        ("system", "records_publicsystemlink", "system_id", AISystem),
    ):
        rows = _rows(f"SELECT DISTINCT record_id, {column} FROM {table}")  # noqa: S608 - constant names above
        objects = sorted(model.objects.filter(pk__in={o for _r, o in rows}).values_list("pk", "slug", "name"))
        multi[name] = _pairs(ids, rows, objects, key=lambda obj: obj[0])
        slugs[name] = {slug: i for i, (_pk, slug, _name) in enumerate(objects)}
    return ListIndex(version, ids, fields, has_french, years, orders, multi, slugs)


def _pairs(ids: np.ndarray, rows: list[tuple], values: list, key) -> Multi:
    """(record id, value) rows as position/index arrays; rows of records not in `ids` (withdrawn) are dropped."""
    lookup = {key(v): i for i, v in enumerate(values)}
    records = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    indexes = np.fromiter((lookup.get(r[1], -1) for r in rows), dtype=np.int32, count=len(rows))
    positions = np.searchsorted(ids, records)
    keep = (indexes >= 0) & (positions < len(ids))
    keep[keep] &= ids[positions[keep]] == records[keep]
    return Multi(positions[keep].astype(np.int32), indexes[keep], values)


_lock = threading.Lock()
_current: ListIndex | None = None


def get_index() -> ListIndex:
    """This process's index, rebuilt first if the public layer changed since it was built."""
    global _current
    version = PublicState.current()
    index = _current
    if index is None or index.version != version:
        with _lock:
            if _current is None or _current.version != version:
                _current = build()
            index = _current
    return index
