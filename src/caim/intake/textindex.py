"""An in-memory index of short texts (titles, summaries, descriptions), searched two ways: by the cosine of their
vectors and by BM25 over their stemmed words. Pure data structure: what fills it and keeps it in step with the
database is `caim.intake.embedding`; what ranks with it is `caim.intake.ranker`.

Every row is one text of one *target* (the thing a candidate names: a record, a lead, an AIID incident), with
its field ("title_en", "source", "report", ...), an `order` (when it arrived, as a number; 0 for a text that has
no arrival time, such as an AIID incident's description), the day its target is about (an ordinal, 0 when
unknown) and a key of the caller's (the database row's id).

Vectors are kept as int8 with one scale per row: a quarter of float32's memory (51 MB at 100,000 rows of 512
dimensions instead of 205 MB, which with the model would take a web worker past 400 MB), and cosines within
0.002 of float32's. Scoring reads the matrix in blocks of `BLOCK` rows, so the float32 copy of a block stays in
the CPU cache: about 10 ms of CPU for 100,000 rows, exact. (An approximate graph index, usearch HNSW with int8,
answered in 1 ms but took minutes to build at 100,000 rows on this machine and has to be rebuilt or saved per
process: bench/RESULTS.md.)

Removing a row leaves a hole (key -1, zeros) until the index is built again; adding appends, growing the
arrays by half when full, so neither copies the matrix.
"""

from __future__ import annotations

import contextlib
import math
from array import array
from collections import Counter
from dataclasses import dataclass
from functools import cache

import numpy as np

BLOCK = 2048
BM25_K1 = 1.2
BM25_B = 0.75


@cache
def _blas_limit():
    """One BLAS thread for the scan: a matrix-vector product this small gains nothing from more, and OpenBLAS's
    threads spinning for work took 30 times the CPU (and seconds of wall time) on a busy two-core machine."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController().limit


def one_blas_thread():
    try:
        return _blas_limit()(limits=1, user_api="blas")
    except ImportError:
        return contextlib.nullcontext()


@dataclass(frozen=True)
class Row:
    key: int
    target: tuple[str, int]  # ("record", 12), ("lead", 40), ("aiid", 1021)
    field: str
    order: float


class TextIndex:
    def __init__(self, dimensions: int):
        self.dimensions = dimensions
        self.size = 0  # rows used, holes included
        self.slots: dict[int, int] = {}  # key -> row
        self.keys = np.full(0, -1, dtype=np.int64)
        self.codes = np.zeros((0, dimensions), dtype=np.int8)
        self.scales = np.zeros(0, dtype=np.float32)
        self.orders = np.zeros(0, dtype=np.float64)
        self.days = np.zeros(0, dtype=np.int32)  # the target's day (0: unknown)
        self.target_of = np.zeros(0, dtype=np.int64)  # row -> target number
        self.lengths = np.zeros(0, dtype=np.float32)  # words per row, for BM25
        self.targets: list[tuple[str, int]] = []
        self.target_numbers: dict[tuple[str, int], int] = {}
        self.rows_of_target: dict[int, list[int]] = {}
        self.fields: list[str] = []  # row -> field
        self.terms_of: list[tuple[str, ...]] = []  # row -> its distinct words
        # term -> (rows, counts): typed arrays, 12 bytes a posting (a dict of ints took about 130, half the index)
        self.postings: dict[str, tuple[array, array]] = {}
        self._arrays: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # term -> (rows, counts), built on demand
        self._sorted_orders: np.ndarray | None = None
        self.total_length = 0.0

    def __len__(self) -> int:
        return len(self.slots)

    # -- writing ---------------------------------------------------------------------------------------------

    def _grow(self) -> None:
        capacity = max(64, self.size + self.size // 2)
        extra = capacity - len(self.keys)

        def grown(array, fill=0):
            shape = (extra, *array.shape[1:])
            return np.concatenate([array, np.full(shape, fill, dtype=array.dtype)])

        self.keys = grown(self.keys, -1)
        self.codes = grown(self.codes)
        self.scales = grown(self.scales)
        self.orders = grown(self.orders)
        self.days = grown(self.days)
        self.target_of = grown(self.target_of, -1)
        self.lengths = grown(self.lengths)

    def add(self, key: int, target: tuple[str, int], field: str, order: float, vector: np.ndarray,
            terms: list[str], day: int = 0) -> None:  # fmt: skip
        """Add a row (or replace the row of the same key)."""
        if key in self.slots:
            self.remove(key)
        if self.size == len(self.keys):
            self._grow()
        row = self.size
        self.size += 1
        self.slots[key] = row
        self.keys[row] = key
        vector = np.asarray(vector, dtype=np.float32)
        peak = float(np.abs(vector).max()) if vector.size else 0.0
        scale = peak / 127 if peak > 0 else 1.0
        self.codes[row] = np.round(vector / scale).astype(np.int8)
        self.scales[row] = scale if peak > 0 else 0.0
        self.orders[row] = order
        self.days[row] = day
        number = self.target_numbers.get(target)
        if number is None:
            number = self.target_numbers[target] = len(self.targets)
            self.targets.append(target)
        self.target_of[row] = number
        self.rows_of_target.setdefault(number, []).append(row)
        self.fields.append(field)
        counts = Counter(terms)
        self.terms_of.append(tuple(counts))
        self.lengths[row] = sum(counts.values())
        self.total_length += self.lengths[row]
        for term, count in counts.items():
            rows, numbers = self.postings.get(term) or self.postings.setdefault(
                term, (array("q"), array("f"))
            )
            rows.append(row)
            numbers.append(count)
            self._arrays.pop(term, None)
        self._sorted_orders = None

    def remove(self, key: int) -> None:
        row = self.slots.pop(key, None)
        if row is None:
            return
        self.keys[row] = -1
        self.codes[row] = 0
        self.scales[row] = 0
        self.days[row] = 0
        self.total_length -= self.lengths[row]
        self.rows_of_target[int(self.target_of[row])].remove(row)
        self.target_of[row] = -1
        self.lengths[row] = 0
        for term in self.terms_of[row]:
            rows, numbers = self.postings[term]
            at = rows.index(row)
            del rows[at]
            del numbers[at]
            self._arrays.pop(term, None)
        self.terms_of[row] = ()
        self._sorted_orders = None

    def row(self, row: int) -> Row:
        return Row(int(self.keys[row]), self.targets[int(self.target_of[row])], self.fields[row],
                   float(self.orders[row]))  # fmt: skip

    # -- reading ---------------------------------------------------------------------------------------------

    def visible(self, before: float | None) -> np.ndarray:
        """Rows that exist for a query arriving at `before`: live, and timeless (order 0) or older."""
        live = self.keys[: self.size] >= 0
        if before is None:
            return live
        orders = self.orders[: self.size]
        return live & (orders < before)

    def cosines(self, vector: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """The cosine of `vector` with every row (or with `rows`), holes 0."""
        vector = np.asarray(vector, dtype=np.float32)
        if rows is not None:
            return (self.codes[rows].astype(np.float32) @ vector) * self.scales[rows]
        out = np.empty(self.size, dtype=np.float32)
        with one_blas_thread():
            for start in range(0, self.size, BLOCK):
                stop = min(start + BLOCK, self.size)
                out[start:stop] = self.codes[start:stop].astype(np.float32) @ vector
        out *= self.scales[: self.size]
        return out

    def _postings(self, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        found = self._arrays.get(term)
        if found is None:
            rows, numbers = self.postings.get(term) or ((), ())
            if not rows:
                return None
            found = self._arrays[term] = (np.array(rows, dtype=np.int64), np.array(numbers, dtype=np.float32))
        return found

    def bm25(self, terms: list[str]) -> np.ndarray:
        """BM25 of the query words against every row (holes 0). Document frequencies count live rows."""
        scores = np.zeros(self.size, dtype=np.float32)
        live = len(self.slots)
        if not live:
            return scores
        mean_length = max(self.total_length / live, 1.0)
        norms = BM25_K1 * (1 - BM25_B + BM25_B * self.lengths[: self.size] / mean_length)
        for term in set(terms):
            found = self._postings(term)
            if found is None:
                continue
            rows, counts = found
            idf = math.log(1 + (live - len(rows) + 0.5) / (len(rows) + 0.5))
            scores[rows] += idf * counts * (BM25_K1 + 1) / (counts + norms[rows])
        return scores

    def bm25_of_itself(self, terms: list[str]) -> float:
        """The BM25 a row holding exactly the query's words would get: the most the query can match, so that
        `bm25(terms) / bm25_of_itself(terms)` says how much of the query a row matched (0..1, roughly). A word
        the index has never seen counts with the highest weight: a row cannot match it."""
        live = len(self.slots)
        if not terms or not live:
            return 0.0
        mean_length = max(self.total_length / live, 1.0)
        norm = BM25_K1 * (1 - BM25_B + BM25_B * len(terms) / mean_length)
        total = 0.0
        for term, count in Counter(terms).items():
            found = self.postings.get(term)
            df = len(found[0]) if found else 0
            idf = math.log(1 + (live - df + 0.5) / (df + 0.5))
            total += idf * count * (BM25_K1 + 1) / (count + norm)
        return total

    def arrived_since(self, orders: np.ndarray, before: float | None) -> np.ndarray:
        """For each order in `orders`, how many live rows arrived after it (and before `before`)."""
        if self._sorted_orders is None:
            live = self.orders[: self.size][self.keys[: self.size] >= 0]
            self._sorted_orders = np.sort(live[live > 0])
        sorted_orders = self._sorted_orders
        end = len(sorted_orders) if before is None else np.searchsorted(sorted_orders, before, "left")
        return end - np.searchsorted(sorted_orders, orders, "right")
