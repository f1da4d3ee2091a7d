"""This process's matrix of the listed records' vectors, for related records (records/public.update_related).

Comparing a newly published record with every other one used to read every stored vector from the database,
inside the publication's transaction: about 200 MB and a second at 100,000 records. The matrix is read once per
process and then kept in step with the database from the public-change log, as the list index is
(site/listindex.py): only the vectors of records changed since are read again. It costs the vectors' size in
memory (2 KB a record with the lexical embedder).
"""

from __future__ import annotations

import threading

import numpy as np
from django.utils import timezone

from caim.records.models import PublicChange, RecordEmbedding
from caim.records.similarity import from_blobs

CHUNK = 5000


class Vectors:
    """The listed records' vectors of one embedder, patched in place: row i of `matrix` is the vector of record
    `ids[i]`; a row whose record stopped being listed is a hole (id -1, zeros) until the next full read, and new
    records take rows at the end (the arrays grow by half when full), so a patch copies nothing."""

    def __init__(self, model_id: str, synced_at, ids: np.ndarray, matrix: np.ndarray):
        self.model_id, self.synced_at = model_id, synced_at
        self.size = len(ids)
        capacity = max(16, self.size + self.size // 2)
        self.ids = np.full(capacity, -1, dtype=np.int64)
        self.ids[: self.size] = ids
        self.matrix = np.zeros((capacity, matrix.shape[1] if matrix.ndim == 2 else 0), dtype=np.float32)
        self.matrix[: self.size] = matrix
        self.rows = {int(pk): i for i, pk in enumerate(ids.tolist())}

    @property
    def live(self) -> int:
        return len(self.rows)

    def table(self) -> tuple[np.ndarray, np.ndarray]:
        """(ids, matrix) of the listed records only, copied."""
        used = self.ids[: self.size] >= 0
        return self.ids[: self.size][used].copy(), self.matrix[: self.size][used].copy()

    def put(self, pk: int, row: np.ndarray | None) -> None:
        """Record `pk`'s vector is `row` now (None: it is not listed any more)."""
        at = self.rows.get(pk)
        if row is None:
            if at is not None:
                del self.rows[pk]
                self.ids[at] = -1
                self.matrix[at] = 0
            return
        if self.matrix.shape[1] != len(row):  # the first vector of an empty table gives its width
            self.matrix = np.zeros((len(self.ids), len(row)), dtype=np.float32)
        if at is None:
            if self.size == len(self.ids):
                grown = self.size + self.size // 2
                self.ids = np.concatenate([self.ids, np.full(grown - self.size, -1, dtype=np.int64)])
                self.matrix = np.concatenate(
                    [self.matrix, np.zeros((grown - self.size, self.matrix.shape[1]), dtype=np.float32)]
                )
            at = self.size
            self.size += 1
            self.rows[pk] = at
            self.ids[at] = pk
        self.matrix[at] = row

    def nearest(self, vector: np.ndarray, k: int, *, exclude: int) -> list[tuple[int, float]]:
        """The k (id, score) pairs most similar to `vector`, best first, without record `exclude`."""
        if not self.rows:
            return []
        ids = self.ids[: self.size]
        scores = self.matrix[: self.size] @ vector
        scores[(ids < 0) | (ids == exclude)] = -np.inf
        top = best_positions(scores, ids, k)
        return [(int(ids[i]), float(scores[i])) for i in top if scores[i] != -np.inf]


def best_positions(scores: np.ndarray, ids: np.ndarray, k: int) -> np.ndarray:
    """Positions of the `k` best scores, best first. Equal scores go to the lower id, so that the choice never
    depends on the rows' order (records with the same text have the same vector); scores are compared to 5
    decimals, as a matrix product and a vector product of the same vectors may differ in their last bits."""
    k = min(k, len(scores))
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    rounded = np.round(scores, 5)
    kth = np.partition(rounded, len(rounded) - k)[len(rounded) - k]
    pool = np.flatnonzero(rounded >= kth)  # the k best and whatever ties with the last of them
    return pool[np.lexsort((ids[pool], -rounded[pool]))[:k]]


def _read(model_id: str, record_ids=None) -> tuple[np.ndarray, np.ndarray]:
    rows = RecordEmbedding.objects.listed().filter(model_id=model_id)
    if record_ids is not None:
        rows = rows.filter(record_id__in=record_ids)
    ids, parts, blobs = [], [], []
    for pk, blob in rows.order_by("record_id").values_list("record_id", "vector").iterator(chunk_size=CHUNK):
        ids.append(pk)
        blobs.append(bytes(blob))
        if len(blobs) == CHUNK:  # a bounded list of bytes at a time, then one block of the matrix
            parts.append(from_blobs(blobs).astype(np.float32, copy=False))
            blobs = []
    if blobs:
        parts.append(from_blobs(blobs).astype(np.float32, copy=False))
    width = parts[0].shape[1] if parts else 0
    matrix = np.concatenate(parts) if parts else np.zeros((0, width), dtype=np.float32)
    return np.array(ids, dtype=np.int64), matrix


def build(model_id: str) -> Vectors:
    synced_at = timezone.now()
    ids, matrix = _read(model_id)
    return Vectors(model_id, synced_at, ids, matrix)


def refreshed(vectors: Vectors | None, model_id: str) -> Vectors:
    """`vectors` with the records changed since they were last brought up to date read again; read in full
    when there are none yet, when they are too old, or when any record may have changed."""
    if vectors is None or vectors.model_id != model_id:
        return build(model_id)
    synced_at = timezone.now()
    changed = PublicChange.since_read(vectors.synced_at)
    if changed is None:
        return build(model_id)
    if changed:
        new_ids, new_rows = _read(model_id, changed)
        found = dict(zip(new_ids.tolist(), new_rows, strict=True))
        for pk in changed:
            vectors.put(pk, found.get(pk))
    # The log names every committed change; a database restored under a running process (or a test's
    # rolled-back transaction) does not, and shows here as a different number of vectors. (A withdrawn record's
    # vector is deleted, so every stored vector is a listed record's: the count needs no join.)
    if vectors.live != RecordEmbedding.objects.filter(model_id=model_id).count():
        return build(model_id)
    vectors.synced_at = synced_at
    return vectors


_lock = threading.Lock()
_current: Vectors | None = None


def _kept(model_id: str) -> Vectors:
    global _current
    _current = refreshed(_current, model_id)
    return _current


def nearest(model_id: str, vector: np.ndarray, k: int, *, exclude: int) -> list[tuple[int, float]]:
    """The k listed records most similar to `vector` as the database holds them now, best first."""
    with _lock:  # the matrix is patched in place: one thread at a time reads or patches it
        return _kept(model_id).nearest(vector, k, exclude=exclude)


def listed_vectors(model_id: str) -> tuple[np.ndarray, np.ndarray]:
    """(ids, matrix) of every listed record's vector, as the database holds them now."""
    with _lock:
        return _kept(model_id).table()
