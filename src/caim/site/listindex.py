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

from caim.records.models import AISystem, Entity, PublicRecord, PublicState
from caim.taxonomy.loader import get_taxonomy

FIELDS = ("record_type", "severity", "verification", "hazard_status", "confidence")
TAGS = ("domain", "harm_type", "ai_pathway", "lifecycle_phase")


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


def build() -> ListIndex:
    version = PublicState.current()
    rows = list(
        PublicRecord.objects.filter(withdrawn=False)
        .order_by("pk")
        .values_list("pk", *FIELDS, "has_french", "event_date", "first_published_at", "severity_rank")
    )
    size = len(rows)
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=size)
    fields = {}
    for column, name in enumerate(FIELDS, 1):
        values = sorted({r[column] for r in rows if r[column]})
        lookup = {v: i for i, v in enumerate(values)}
        codes = np.fromiter((lookup.get(r[column], -1) for r in rows), dtype=np.int16, count=size)
        fields[name] = Field(codes, values)
    has_french = np.fromiter((bool(r[6]) for r in rows), dtype=bool, count=size)
    years = np.fromiter((r[7].year if r[7] else 0 for r in rows), dtype=np.int16, count=size)
    event = np.fromiter((r[7].toordinal() if r[7] else 0 for r in rows), dtype=np.int64, count=size)
    published = np.fromiter((r[8].timestamp() for r in rows), dtype=np.float64, count=size)
    rank = np.fromiter((r[9] for r in rows), dtype=np.int16, count=size)
    # np.lexsort sorts by the last key first; every order breaks ties by newest id.
    orders = {
        "occurred": np.lexsort((-ids, -event)),
        "published": np.lexsort((-ids, -published)),
        "severity": np.lexsort((-ids, -event, -rank)),
    }
    position = {int(pk): i for i, pk in enumerate(ids.tolist())}
    multi: dict[str, Multi] = {}
    tag_pairs = _rows(
        "SELECT t.record_id, t.vocabulary, t.slug FROM records_publictag t "
        "JOIN records_publicrecord p ON p.record_id = t.record_id WHERE NOT p.withdrawn"
    )
    for vocabulary in TAGS:
        values = get_taxonomy()[vocabulary].slugs()
        lookup = {v: i for i, v in enumerate(values)}
        pairs = [
            (position[r], lookup[s])
            for r, v, s in tag_pairs
            if v == vocabulary and s in lookup and r in position
        ]
        multi[vocabulary] = _multi(pairs, values)
    slugs = {}
    for name, table, column, model in (
        ("entity", "records_publicentityrole", "entity_id", Entity),
        ("system", "records_publicsystemlink", "system_id", AISystem),
    ):
        links = _rows(
            f"SELECT DISTINCT l.record_id, l.{column} FROM {table} l "  # noqa: S608 - constant names above
            "JOIN records_publicrecord p ON p.record_id = l.record_id WHERE NOT p.withdrawn"
        )
        objects = sorted(
            model.objects.filter(pk__in={o for _r, o in links}).values_list("pk", "slug", "name")
        )
        lookup = {pk: i for i, (pk, _slug, _name) in enumerate(objects)}
        multi[name] = _multi([(position[r], lookup[o]) for r, o in links if r in position], objects)
        slugs[name] = {slug: i for i, (_pk, slug, _name) in enumerate(objects)}
    return ListIndex(version, ids, fields, has_french, years, orders, multi, slugs)


def _multi(pairs: list[tuple[int, int]], values: list) -> Multi:
    array = np.array(pairs, dtype=np.int32).reshape(-1, 2)
    return Multi(array[:, 0].copy(), array[:, 1].copy(), values)


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
