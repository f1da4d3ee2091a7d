"""This process's matrix of the listed records' vectors, for related records (records/public.update_related).

Comparing a newly published record with every other one used to read every stored vector from the database,
inside the publication's transaction: about 200 MB and a second at 100,000 records. The matrix is read once per
process and then kept in step with the database from the public-change log, as the list index is
(site/listindex.py): only the vectors of records changed since are read again. It costs the vectors' size in
memory (2 KB a record with the lexical embedder).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from django.utils import timezone

from caim.records.models import PublicChange, RecordEmbedding
from caim.records.similarity import from_blobs

# As for the list index: a change is looked for from a little before the last update (a transaction that logged
# its change earlier may commit later), and a matrix not updated for longer than the log is kept is read again.
LOOKBACK = timezone.timedelta(seconds=60)
STALE_AFTER = PublicChange.KEPT - timezone.timedelta(days=1)
CHUNK = 5000


@dataclass(frozen=True)
class Vectors:
    """The listed records' vectors of one embedder: row i of `matrix` is the vector of record `ids[i]`."""

    model_id: str
    synced_at: datetime
    ids: np.ndarray  # int64
    matrix: np.ndarray  # float32, one L2-normalised row per record

    def nearest(self, vector: np.ndarray, k: int, *, exclude: int) -> list[tuple[int, float]]:
        """The k (id, score) pairs most similar to `vector`, best first, without record `exclude`."""
        if not len(self.ids):
            return []
        scores = self.matrix @ vector
        scores[self.ids == exclude] = -np.inf
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(self.ids[i]), float(scores[i])) for i in top if scores[i] != -np.inf]


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
    if vectors is None or vectors.model_id != model_id or timezone.now() - vectors.synced_at > STALE_AFTER:
        return build(model_id)
    synced_at = timezone.now()
    changed = PublicChange.since(vectors.synced_at - LOOKBACK)
    if changed is None:
        return build(model_id)
    ids, matrix = vectors.ids, vectors.matrix
    if changed:
        new_ids, new_rows = _read(model_id, changed)
        keep = ~np.isin(ids, np.fromiter(changed, dtype=np.int64, count=len(changed)))
        kept = [part for part in (matrix[keep], new_rows) if len(part)]  # an empty one may have no width
        ids = np.concatenate([ids[keep], new_ids])
        matrix = np.concatenate(kept) if kept else new_rows
    # The log names every committed change; a database restored under a running process (or a test's
    # rolled-back transaction) does not, and shows here as a different number of vectors.
    if len(ids) != RecordEmbedding.objects.listed().filter(model_id=model_id).count():
        return build(model_id)
    return Vectors(model_id, synced_at, ids, matrix)


_lock = threading.Lock()
_current: Vectors | None = None


def listed_vectors(model_id: str) -> Vectors:
    """The listed records' vectors as the database holds them now (this transaction's own writes included)."""
    global _current
    with _lock:
        _current = refreshed(_current, model_id)
        return _current
