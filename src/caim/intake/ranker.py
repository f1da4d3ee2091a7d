"""Which targets (records, leads, AIID incidents) a text is most likely about: the one ranker of deduplication
(`caim.intake.dedup`) and of the linking benchmark (`bench/linking.py`).

For each target, three features over its rows in the `TextIndex` (each field of a target is a row of its own, and
a target scores as its best row, so a long description does not dilute a matching title):

- meaning: the best cosine between the query's vector and a row's (multilingual: EN↔FR);
- words: the best BM25 of the query's stemmed words against a row, divided by the BM25 a row holding exactly
  the query's words would get (capped at 1): how much of the query the row says, comparable across queries;
- recency: 1 / (1 + n / RECENCY_SCALE), n being how many texts arrived after the target's latest one. A story
  runs for a while: the report after the last one about an incident is often about it too.

The score is their weighted sum, divided by the sum of the weights (0..1). Candidates are the targets of the
`POOL` best rows by meaning and the `POOL` best by words; each of them is then scored on all its rows.

`before` makes it chronological: only rows with an order below it exist (timeless rows, order 0, always do),
and recency counts the texts that arrived before it. Production passes None: everything held now.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from caim.intake.textindex import TextIndex

POOL = 100
RECENCY_SCALE = 4.0


@dataclass(frozen=True)
class Weights:
    meaning: float = 1.0
    words: float = 1.0
    recency: float = 0.5


WEIGHTS = Weights()


@dataclass(frozen=True)
class Ranked:
    target: tuple[str, int]
    score: float  # 0..1
    meaning: float
    words: float
    recency: float
    meaning_key: int  # the key of the row that gave each feature, to show what matched
    words_key: int | None
    reasons: list[str] = field(default_factory=list)


def _top(scores: np.ndarray, visible: np.ndarray, n: int) -> np.ndarray:
    masked = np.where(visible, scores, -np.inf)
    n = min(n, int(visible.sum()))
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    top = np.argpartition(-masked, n - 1)[:n]
    return top[np.isfinite(masked[top])]


def rank(
    index: TextIndex,
    vector: np.ndarray,
    terms: list[str],
    *,
    before: float | None = None,
    exclude: set[tuple[str, int]] = frozenset(),
    keep=None,
    k: int = 5,
    weights: Weights = WEIGHTS,
) -> list[Ranked]:
    """The `k` best targets for a query (its vector and its stemmed words), best first. `exclude` names targets
    that are never candidates; `keep(targets) -> set` drops the others (closed leads, withdrawn records)."""
    if not len(index):
        return []
    visible = index.visible(before)
    cosines = index.cosines(vector)
    words = index.bm25(terms) if terms else np.zeros(index.size, dtype=np.float32)
    best_words = index.bm25_of_itself(terms)
    pool = set(_top(cosines, visible, POOL).tolist())
    if best_words > 0:
        pool.update(_top(words, visible & (words > 0), POOL).tolist())
    numbers = {int(index.target_of[row]) for row in pool}
    numbers = {n for n in numbers if index.targets[n] not in exclude}
    if keep is not None:
        kept = keep({index.targets[n] for n in numbers})
        numbers = {n for n in numbers if index.targets[n] in kept}
    if not numbers:
        return []
    # Every visible row of every candidate, grouped by candidate: each feature is a maximum per group.
    groups = [np.array(index.rows_of_target[n], dtype=np.int64) for n in sorted(numbers)]
    owners = np.repeat(np.arange(len(groups)), [len(g) for g in groups])
    rows = np.concatenate(groups)
    shown = visible[rows]
    rows, owners = rows[shown], owners[shown]
    if not len(rows):
        return []
    present, starts = np.unique(owners, return_index=True)  # owners are sorted: groups are contiguous
    row_cosines = np.maximum(cosines[rows], 0.0)
    meaning = np.maximum.reduceat(row_cosines, starts)
    lexical = np.zeros(len(starts))
    if best_words > 0:
        lexical = np.minimum(np.maximum.reduceat(words[rows], starts) / best_words, 1.0)
    latest = np.maximum.reduceat(index.orders[rows], starts)
    recency = np.where(latest > 0, 1.0 / (1.0 + index.arrived_since(latest, before) / RECENCY_SCALE), 0.0)
    total = weights.meaning + weights.words + weights.recency
    scores = (weights.meaning * meaning + weights.words * lexical + weights.recency * recency) / total
    numbers_sorted = sorted(numbers)
    ranked = []
    for i in np.argsort(-scores, kind="stable")[:k]:
        group = rows[starts[i] : (starts[i + 1] if i + 1 < len(starts) else len(rows))]
        word_row = int(group[np.argmax(words[group])])
        ranked.append(
            Ranked(
                index.targets[numbers_sorted[present[i]]],
                round(float(scores[i]), 4),
                round(float(meaning[i]), 4),
                round(float(lexical[i]), 4),
                round(float(recency[i]), 4),
                int(index.keys[group[np.argmax(cosines[group])]]),
                int(index.keys[word_row]) if lexical[i] > 0 else None,
            )  # fmt: skip
        )
    return ranked
