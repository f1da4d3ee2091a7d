"""An in-memory, columnar copy of the public records, for the lists: filters, facet counts and order.

The public layer only changes when a record is published or withdrawn, and each change sets a new
`PublicState.token` and logs the records it touched (`PublicChange`) in the same transaction. Each process
keeps one `ListIndex`; when the token changes, the first request re-reads only the records changed since the
index was last brought up to date and patches the arrays (a few milliseconds at 100,000 records, where reading
everything takes seconds), while requests arriving meanwhile use the index as it was. A list request costs one
small query plus numpy work, whatever the number of records: facet counts are `bincount`s over arrays instead of
a GROUP BY per facet. A patched index equals one built from scratch (tested).

Single-valued fields are code arrays (one small integer per record); multi-valued ones (taxonomy tags,
entities, systems) are pairs of arrays (record position, value index).
"""

from __future__ import annotations

import bisect
import calendar
import dataclasses
import threading
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
from django.db import connection
from django.db.models import FloatField, Func
from django.db.models.functions import ExtractYear
from django.utils import timezone

from caim.records.fields import facets
from caim.records.models import AISystem, Entity, PublicChange, PublicRecord, PublicState
from caim.records.views import reuse
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
    """Pairs in value order (`indexes` ascending): a value's records are one slice, so that counting them is a
    sum per slice (`counts`) rather than a gather, a selection and a bincount (5x faster at 100,000 records)."""

    # Both intp: numpy converts any other index type at each gather and count, which costs more than the gather.
    positions: np.ndarray  # record position of each pair
    indexes: np.ndarray  # value index of each pair, ascending
    values: list  # value index -> value (a slug, or (pk, slug, name, name_fr) for entities and systems)

    def mask(self, index: int, size: int) -> np.ndarray:
        return self.mask_any([index], size)

    def mask_any(self, indexes: list[int], size: int) -> np.ndarray:
        """The records having any of the values `indexes`."""
        out = np.zeros(size, dtype=bool)
        out[self.positions[np.isin(self.indexes, indexes)]] = True
        return out

    def counts(self, mask: np.ndarray) -> np.ndarray:
        """Records in `mask` per value (each record counted once per value)."""
        starts = np.searchsorted(self.indexes, np.arange(len(self.values) + 1))
        named = np.flatnonzero(starts[1:] > starts[:-1])  # reduceat needs slices that are not empty
        out = np.zeros(len(self.values), dtype=np.int64)
        if len(named):
            out[named] = np.add.reduceat(mask.view(np.uint8)[self.positions], starts[named], dtype=np.int64)
        return out


@dataclass
class ListIndex:
    version: str  # the PublicState token it was built from
    synced_at: datetime  # changes logged from a little before this moment on are not in it yet
    ids: np.ndarray  # int64 record ids, ascending; a record's position is its index here
    fields: dict[str, Field]
    has_french: np.ndarray
    years: np.ndarray  # int16, 0 when no event date
    event_first: np.ndarray  # int32: the first and last day (proleptic ordinal) of the event date's period,
    event_last: np.ndarray  # 0 when no event date (see event_period)
    keys: dict[str, np.ndarray]  # the sort keys: "event" and "published" (epoch seconds), "rank"
    multi: dict[str, Multi]  # tag vocabularies, "entity", "system"
    slugs: dict[str, dict[str, int]]  # "entity"/"system" -> slug -> value index
    # sort name -> positions in display order (sorted from the keys when not given)
    orders: dict[str, np.ndarray] | None = None
    # Facet counts already computed on this index, by what they depend on (site/lists.py: facet_counts): the
    # list addresses of one state share most of them (every page and sort of a filter set has the same ones).
    counted: dict = dataclasses.field(default_factory=dict, repr=False)
    # The logged changes (PublicChange ids) it already holds, of those still within LOOKBACK of its sync: each
    # change is read once, not once per update while it stays in that window (about 60 records at a
    # publication a second). Empty for an index built from scratch: its first update reads the window again.
    seen: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        if self.orders is None:
            self.orders = _orders(self.ids, self.keys)

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


COLUMNS = ("pk", *FIELDS, "has_french", "year", "event", "published", "rank", "event_date", "event_precision")


def event_period(day: date | None, precision: str) -> tuple[int, int]:
    """The first and last day (as ordinals) of the period an event date stands for at its precision: the day;
    the month for "month" (the date is the month's first day); the year for "year", and for "approximate" too
    (an estimate is taken as good to its year, so a range filter never misses it by a few days). (0, 0) when
    there is no date. The lists' date-range filter keeps a record when this period overlaps the range."""
    if day is None:
        return 0, 0
    if precision == "month":
        return day.replace(day=1).toordinal(), day.replace(
            day=calendar.monthrange(day.year, day.month)[1]
        ).toordinal()
    if precision in ("year", "approximate"):
        return date(day.year, 1, 1).toordinal(), date(day.year, 12, 31).toordinal()
    return day.toordinal(), day.toordinal()


def _periods(rows) -> tuple[np.ndarray, np.ndarray]:
    at_day, at_precision = COLUMNS.index("event_date"), COLUMNS.index("event_precision")
    pairs = [event_period(r[at_day], r[at_precision]) for r in rows]
    first = np.fromiter((p[0] for p in pairs), dtype=np.int32, count=len(pairs))
    last = np.fromiter((p[1] for p in pairs), dtype=np.int32, count=len(pairs))
    return first, last


NAMED = (  # list filter -> link table, its column, the model named
    ("entity", "records_publicentityrole", "entity_id", Entity),
    ("system", "records_publicsystemlink", "system_id", AISystem),
)


def _read(record_ids: set[int] | None = None) -> tuple[list[tuple], dict[str, list[tuple]], dict[str, list]]:
    """The listed records' rows (all of them, or those of `record_ids`), their (record id, tag) pairs per
    vocabulary, and their (record id, object) pairs per named filter: one query of the records, one per kind
    of link."""
    columns = (*FIELDS, "has_french", ExtractYear("event_date"), Epoch("event_date"), Epoch("first_published_at"),
               "severity_rank", "event_date", "event_precision")  # fmt: skip
    records = PublicRecord.objects.listed().order_by("pk")
    where = ""
    if record_ids is not None:
        records = records.filter(pk__in=record_ids)
        where = f" AND record_id IN ({','.join(str(int(pk)) for pk in record_ids) or 'NULL'})"
    rows = list(records.values_list("pk", *columns))
    tags = {vocabulary: [] for vocabulary in TAGS}
    in_tags = ", ".join(f"'{vocabulary}'" for vocabulary in TAGS) or "''"
    for record_id, vocabulary, slug in _rows(
        f"SELECT record_id, vocabulary, slug FROM records_publictag WHERE vocabulary IN ({in_tags}){where}"  # noqa: S608 - constant names and integers
    ):
        tags[vocabulary].append((record_id, slug))
    named = {}
    for name, table, column, model in NAMED:
        pairs = _rows(f"SELECT DISTINCT record_id, {column} FROM {table} WHERE 1 = 1{where}")  # noqa: S608 - as above
        objects = {
            obj[0]: obj
            for obj in model.objects.filter(pk__in={o for _r, o in pairs}).values_list(
                "pk", "slug", "name", "name_fr"
            )
        }
        named[name] = [(record_id, objects[pk]) for record_id, pk in pairs if pk in objects]
    return rows, tags, named


# No transaction around the reads: on SQLite every transaction takes the write lock (settings: IMMEDIATE), so a
# reader would hold up publications and fail with "database is locked" under them; on PostgreSQL a transaction at
# READ COMMITTED gives no common snapshot anyway. Instead the state is read first: a change that commits while the
# records are read makes the index newer than its label, never older, and the next request patches it again
# (the change is still in the log, with LOOKBACK to spare), which puts every array in agreement.


def build() -> ListIndex:
    """Read the public layer into arrays (every array and order describes the same records)."""
    version, synced_at = PublicState.current(), timezone.now()
    rows, tags, named = _read()
    return _assemble(version, synced_at, rows, tags, named)


def _assemble(version: str, synced_at: datetime, rows, tags, named) -> ListIndex:
    at = {name: i for i, name in enumerate(COLUMNS)}
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
    keys = {  # records without an event date come last
        "event": column("event", np.float64, -np.inf),
        "published": column("published", np.float64),
        "rank": column("rank", np.int64),
    }
    multi: dict[str, Multi] = {}
    for vocabulary in TAGS:
        multi[vocabulary] = _pairs(
            ids, tags[vocabulary], get_taxonomy()[vocabulary].slugs(), key=lambda slug: slug
        )
    slugs = {}
    listed = set(ids.tolist())
    for name, *_link in NAMED:
        objects = sorted({obj for r, obj in named[name] if r in listed})  # those a listed record names
        multi[name] = _pairs(ids, [(r, obj[0]) for r, obj in named[name]], objects, key=lambda obj: obj[0])
        slugs[name] = {obj[1]: i for i, obj in enumerate(objects)}
    has_french, years = column("has_french", bool, False), column("year", np.int16)
    first, last = _periods(rows)
    return ListIndex(
        version,
        synced_at,
        ids,
        fields,
        has_french,
        years,
        first,
        last,
        keys,
        multi,
        slugs,
    )


def _sort_columns(ids: np.ndarray, keys: dict[str, np.ndarray]) -> dict[str, tuple[np.ndarray, ...]]:
    """Each display order's keys, the first one first, each ascending in display order: newest first, and every
    order breaks ties by newest id."""
    event, published, rank = -keys["event"], -keys["published"], -keys["rank"]
    return {"occurred": (event, -ids), "published": (published, -ids), "severity": (rank, event, -ids)}


def _orders(ids: np.ndarray, keys: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Positions in each display order (np.lexsort sorts by its last key first)."""
    return {name: np.lexsort(columns[::-1]) for name, columns in _sort_columns(ids, keys).items()}


# Above this many records read again, a patch sorts the orders afresh rather than inserting them one by one.
INSERTED_AT_MOST = 100


def _patched_orders(old: dict[str, np.ndarray], keep: np.ndarray, moved: np.ndarray | None, added: np.ndarray,
                    ids: np.ndarray, keys: dict[str, np.ndarray]) -> dict:  # fmt: skip
    """The display orders of a patched index without sorting it again: each old order without the records taken
    out (`keep`), the others at their new positions (`moved`, None when they keep theirs), and the records read
    again (`added`, their new positions) inserted where their keys place them, found by bisection (ids are
    unique, so there are no ties: the result is the order a sort gives)."""
    if len(added) > INSERTED_AT_MOST:
        return _orders(ids, keys)
    out = {}
    for name, columns in _sort_columns(ids, keys).items():
        order = old[name]
        if moved is not None:
            kept = moved[order]
            kept = kept[kept >= 0]
        else:
            kept = order if keep.all() else order[keep[order]]

        def key(position, columns=columns) -> tuple:
            return tuple(column[position] for column in columns)

        new = sorted(added.tolist(), key=key)
        places = [bisect.bisect_left(kept, key(position), key=key) for position in new]
        out[name] = np.insert(kept, places, new) if new else kept
    return out


def _pairs(ids: np.ndarray, rows: list[tuple], values: list, key) -> Multi:
    """(record id, value) rows as position/index arrays; rows of records not in `ids` (withdrawn) are dropped."""
    lookup = {key(v): i for i, v in enumerate(values)}
    records = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    indexes = np.fromiter((lookup.get(r[1], -1) for r in rows), dtype=np.intp, count=len(rows))
    positions = np.searchsorted(ids, records)
    keep = (indexes >= 0) & (positions < len(ids))
    keep[keep] &= ids[positions[keep]] == records[keep]
    by_value = np.argsort(indexes[keep], kind="stable")
    return Multi(positions[keep].astype(np.intp)[by_value], indexes[keep][by_value], values)


def patched(
    index: ListIndex, version: str, synced_at: datetime, changed: set[int], rows, tags, named
) -> ListIndex:
    """`index` with the records of `changed` taken out and their rows now (`rows`, `tags`, `named`: those of
    them that are listed, in id order) put in: the same arrays a build from scratch would give. Nothing is
    sorted again: a patch costs a few copies of the arrays plus work in proportion to the records changed."""
    keep = np.ones(index.size, dtype=bool)
    keep[index.positions_of(changed)] = False
    added = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    kept_ids = index.ids[keep]
    # Each added record goes before the kept ones with a larger id (both are in id order).
    at_added = np.searchsorted(kept_ids, added) + np.arange(len(added))
    size = len(kept_ids) + len(added)
    is_added = np.zeros(size, dtype=bool)
    is_added[at_added] = True
    at_kept = np.flatnonzero(~is_added)  # the new positions of the kept records, in their old order
    # Most often the kept records keep their positions (a new record has the largest id, a corrected one comes
    # back where it was): pairs and orders then need no renumbering (`moved` None).
    moved = None
    if not np.array_equal(at_kept, np.flatnonzero(keep)):
        moved = np.full(index.size, -1, dtype=np.intp)  # old position -> new position (-1: taken out)
        moved[keep] = at_kept
    new_position = {int(pk): int(at) for pk, at in zip(added, at_added, strict=True)}
    at = {name: i for i, name in enumerate(COLUMNS)}

    def put(kept: np.ndarray, new: np.ndarray) -> np.ndarray:
        out = np.empty(size, dtype=kept.dtype)
        out[at_kept] = kept
        out[at_added] = new
        return out

    def placed(old: np.ndarray, new: np.ndarray) -> np.ndarray:
        return put(old[keep], new)

    def column(old: np.ndarray, name: str, dtype, empty=0) -> np.ndarray:
        new = np.fromiter((r[at[name]] if r[at[name]] is not None else empty for r in rows), dtype=dtype,
                          count=len(rows))  # fmt: skip
        return placed(old, new)

    ids = placed(index.ids, added)
    fields = {}
    for name, field in index.fields.items():
        codes = field.codes[keep]
        still = np.bincount(codes[codes >= 0], minlength=len(field.values)) > 0
        values = sorted({v for v, used in zip(field.values, still.tolist(), strict=True) if used}
                        | {r[at[name]] for r in rows if r[at[name]]})  # fmt: skip
        lookup = {v: code for code, v in enumerate(values)}
        if values != field.values:
            remap = np.array([lookup.get(v, -1) for v in field.values] + [-1], dtype=np.int16)  # -1 stays -1
            codes = remap[codes]
        new = np.fromiter((lookup.get(r[at[name]], -1) for r in rows), dtype=np.int16, count=len(rows))
        fields[name] = Field(put(codes, new), values)
    keys = {
        "event": column(index.keys["event"], "event", np.float64, -np.inf),
        "published": column(index.keys["published"], "published", np.float64),
        "rank": column(index.keys["rank"], "rank", np.int64),
    }
    multi = {}
    for vocabulary in TAGS:
        old = index.multi[vocabulary]
        lookup = {slug: i for i, slug in enumerate(old.values)}
        new = [
            (new_position[r], lookup[slug])
            for r, slug in tags[vocabulary]
            if r in new_position and slug in lookup
        ]
        multi[vocabulary] = _joined(old, keep, moved, new, old.values)
    slugs = {}
    for name, *_link in NAMED:
        old = index.multi[name]
        fresh = {obj[0]: obj for r, obj in named[name] if r in new_position}  # names as read now
        # Most often the records read again name only entities already listed, by the same names, and every
        # entity stays named: the values (and their indexes) stay as they are.
        used = np.bincount(old.indexes[keep[old.positions]], minlength=len(old.values)) > 0
        found = {pk: bisect.bisect_left(old.values, (pk,)) for pk in fresh}
        if all(i < len(old.values) and old.values[i] == fresh[pk] for pk, i in found.items()):
            used[list(found.values())] = True
            if used.all():
                new = [(new_position[r], found[obj[0]]) for r, obj in named[name] if r in new_position]
                multi[name] = _joined(old, keep, moved, new, old.values)
                slugs[name] = index.slugs[name]
                continue
        objects = {old.values[i][0]: old.values[i] for i in np.flatnonzero(used).tolist()}
        objects.update(fresh)
        values = sorted(objects.values())
        lookup = {obj[0]: i for i, obj in enumerate(values)}
        remapped = Multi(old.positions, np.array([lookup.get(obj[0], -1) for obj in old.values] + [-1],
                                                 dtype=np.intp)[old.indexes], values)  # fmt: skip
        new = [(new_position[r], lookup[obj[0]]) for r, obj in named[name] if r in new_position]
        multi[name] = _joined(remapped, keep, moved, new, values)
        slugs[name] = {obj[1]: i for i, obj in enumerate(values)}
    has_french = column(index.has_french, "has_french", bool, False)
    years = column(index.years, "year", np.int16)
    new_first, new_last = _periods(rows)
    return ListIndex(
        version,
        synced_at,
        ids,
        fields,
        has_french,
        years,
        placed(index.event_first, new_first),
        placed(index.event_last, new_last),
        keys,
        multi,
        slugs,
        _patched_orders(index.orders, keep, moved, at_added, ids, keys),
    )


def _joined(
    old: Multi, keep: np.ndarray, moved: np.ndarray | None, new: list[tuple[int, int]], values: list
) -> Multi:
    """The pairs of `old` whose record stays (`keep`; at its new position, `moved`, unless None), and `new`
    (position, value index) pairs."""
    positions, indexes = old.positions, old.indexes
    if not keep.all():
        stays = keep[positions]
        positions, indexes = positions[stays], indexes[stays]
    if moved is not None:
        positions = moved[positions]
    new = sorted(new, key=lambda pair: pair[1])
    # Each new pair goes after the pairs of its value: value order is kept (and a renumbering keeps it too).
    at = np.searchsorted(indexes, [i for _p, i in new], "right")
    return Multi(np.insert(positions, at, [p for p, _i in new]).astype(np.intp, copy=False),
                 np.insert(indexes, at, [i for _p, i in new]).astype(np.intp, copy=False), values)  # fmt: skip


_lock = threading.Lock()
_current: ListIndex | None = None


def refreshing() -> bool:
    """Whether a thread of this process is bringing the index up to date (the others answer from the old one)."""
    return _lock.locked()


def get_index(wait: bool = False) -> ListIndex:
    """This process's index, brought up to date first if the public layer changed since; while one thread
    does that, the others answer from the index as it was (unless they `wait` for it). In a process busy with
    readers, the background thread brings it up to date and no request waits."""
    global _current
    version = PublicState.current()
    index = _current
    if index is not None and index.version == version:
        return index
    if index is not None and not wait:
        if reuse.busy():
            reuse.in_background("list-index", lambda: get_index(wait=True))
            return index
        if not _lock.acquire(blocking=False):
            return index
    else:
        _lock.acquire()
    try:
        if _current is None or _current.version != version:
            _current = refreshed(_current)
        return _current
    finally:
        _lock.release()


def refreshed(index: ListIndex | None) -> ListIndex:
    """`index` patched with the records changed since it was last brought up to date, or built from scratch
    when there is none, when it is too old, or when any record may have changed."""
    if index is None or timezone.now() - index.synced_at > PublicChange.STALE_AFTER:
        return build()
    version, synced_at = PublicState.current(), timezone.now()
    logged = dict(
        PublicChange.objects.filter(at__gte=index.synced_at - PublicChange.LOOKBACK).values_list(
            "pk", "record_id"
        )
    )
    if None in logged.values():  # any record may have changed
        return build()
    # A change already seen was committed before the records it names were read for an earlier update (the log
    # is read first), and any later change of them is logged anew, under another id (never reused: SQLite's
    # AUTOINCREMENT, PostgreSQL's sequences).
    changed = {record for change, record in logged.items() if change not in index.seen}
    rows, tags, named = _read(changed)
    fresh = patched(index, version, synced_at, changed, rows, tags, named)
    fresh.seen = frozenset(logged)
    # The log names every committed change; a database restored under a running process (or a test's
    # rolled-back transaction) does not, and shows here first. The count only means something if nothing was
    # published meanwhile (the state read after it is still `version`); otherwise the next request checks.
    listed = PublicRecord.objects.listed().count()
    if fresh.size != listed and PublicState.current() == version:
        return build()
    return fresh
