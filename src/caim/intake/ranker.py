"""Which targets (records, leads, AIID incidents) a text is most likely about: the one ranker of deduplication
(`caim.intake.dedup`) and of the linking benchmark (`bench/linking.py`).

For each target, these features over its rows in the `TextIndex` (each field of a target is a row of its own, and
a target scores as its best row, so a long description does not dilute a matching title):

- meaning: the best cosine between the query's vector and a row's (multilingual: EN↔FR);
- words: the best BM25 of the query's stemmed words against a row, divided by the BM25 a row holding exactly
  the query's words would get (capped at 1): how much of the query the row says, comparable across queries;
- names: the same share of the query's words, found in the target's "entities" row (the names of its
  entities), so that a named company or agency counts even when another row is the best;
- recency: 1 / (1 + n / recency_scale), n being how many texts arrived after the target's latest one (0 for a
  target with no arrival time). A story runs for a while: the report after the last one about an incident is
  often about it too;
- date, for a query with a day (a lead's article date): 1 / (1 + gap / date_scale), gap being the days between
  the query's day and the target's (a record's event date, an AIID incident's date); 0 for a target without a
  day. An article is mostly written soon after what it reports: most reports that open an incident have no
  earlier report to match, and their date is what tells two similar incidents apart.

The score is their weighted sum, divided by the sum of the weights (0..1); the date's weight counts only for a
query with a day, so an undated query scores as it would without the feature. Candidates are the targets of the
`POOL` best rows by meaning and the `POOL` best by words; each of them is then scored on all its rows.
`features` computes the features once; `Features.top` ranks them with a set of `Weights` (the benchmark
compares several on the same features).

`before` makes it chronological: only rows with an order below it exist (timeless rows, order 0, always do),
and recency counts the texts that arrived before it. Production passes None: everything held now.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from caim.intake.textindex import TextIndex

POOL = 100
RECENCY_SCALE = 4.0
DATE_SCALE = 90.0


@dataclass(frozen=True)
class Weights:
    meaning: float = 1.0
    words: float = 1.0
    recency: float = 0.5
    recency_scale: float = RECENCY_SCALE
    names: float = 0.0  # shared words with the names of the target's entities, beside the best row's
    date: float = 0.0
    date_scale: float = DATE_SCALE  # days


# Chosen on the dev split of bench/linking.py (reports whose lowest incident number is even), by its numbers
# only: the best recall@5 within 0.002 of the best, then the best recall@1 (bench/RESULTS.md).
# The date's weight and scale were chosen the same way, after the others, among the settings of DATE_GRID.
WEIGHTS = Weights(
    meaning=1.0, words=1.0, recency=0.5, recency_scale=4.0, names=0.5, date=0.25, date_scale=90.0
)


@dataclass(frozen=True)
class Ranked:
    target: tuple[str, int]
    score: float  # 0..1
    meaning: float
    words: float
    recency: float
    date: float  # 0 for an undated query or target
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


@dataclass
class Features:
    """The candidates of one query and their features, to be ranked by one or more sets of weights."""

    targets: list[tuple[str, int]]
    meaning: np.ndarray
    words: np.ndarray
    names: np.ndarray  # the share of the query's words found in the target's "entities" row
    arrived: np.ndarray  # texts that arrived after the candidate's latest (inf: it has no arrival time)
    gaps: np.ndarray  # days between the query's day and the candidate's (inf: either has none)
    # Per candidate, its rows' keys, cosines and BM25, to name the rows that matched.
    groups: list[tuple[np.ndarray, np.ndarray, np.ndarray]]
    query_dated: bool = False

    def top(self, k: int = 5, weights: Weights = WEIGHTS) -> list[Ranked]:
        if not self.targets:
            return []
        recency = 1.0 / (1.0 + self.arrived / weights.recency_scale)
        date_weight = weights.date if self.query_dated else 0.0
        dates = 1.0 / (1.0 + self.gaps / weights.date_scale)
        total = weights.meaning + weights.words + weights.recency + weights.names + date_weight
        scores = (
            weights.meaning * self.meaning
            + weights.words * self.words
            + weights.recency * recency
            + weights.names * self.names
            + date_weight * dates
        ) / total
        order = np.lexsort((np.arange(len(scores)), -scores))[:k]
        ranked = []
        for i in order:
            keys, cosines, words = self.groups[i]
            meaning_key = int(keys[np.argmax(cosines)])
            words_key = int(keys[np.argmax(words)]) if self.words[i] > 0 else None
            values = (
                scores[i],
                self.meaning[i],
                self.words[i],
                recency[i],
                dates[i] if self.query_dated else 0.0,
            )
            ranked.append(
                Ranked(self.targets[i], *(round(float(v), 4) for v in values), meaning_key, words_key)
            )
        return ranked


NO_FEATURES = Features([], np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0), [])


def features(
    index: TextIndex,
    vector: np.ndarray,
    terms: list[str],
    *,
    before: float | None = None,
    exclude: set[tuple[str, int]] = frozenset(),
    keep=None,
    day: int = 0,
) -> Features:
    """The candidates of a query (its vector, its stemmed words, its day or 0) and their features. `exclude`
    names targets that are never candidates; `keep(targets) -> set` drops the others (closed leads, withdrawn
    records)."""
    if not len(index):
        return NO_FEATURES
    visible = index.visible(before)
    cosines = index.cosines(vector)
    words = index.bm25(terms) if terms else np.zeros(index.size, dtype=np.float32)
    most_words = index.bm25_of_itself(terms)
    pool = set(_top(cosines, visible, POOL).tolist())
    if most_words > 0:
        pool.update(_top(words, visible & (words > 0), POOL).tolist())
    numbers = {int(index.target_of[row]) for row in pool}
    numbers = {n for n in numbers if index.targets[n] not in exclude}
    if keep is not None:
        kept = keep({index.targets[n] for n in numbers})
        numbers = {n for n in numbers if index.targets[n] in kept}
    if not numbers:
        return NO_FEATURES
    # Every visible row of every candidate, grouped by candidate: each feature is a maximum per group.
    numbers_sorted = sorted(numbers)
    groups = [np.array(index.rows_of_target[n], dtype=np.int64) for n in numbers_sorted]
    owners = np.repeat(np.arange(len(groups)), [len(g) for g in groups])
    rows = np.concatenate(groups)
    shown = visible[rows]
    rows, owners = rows[shown], owners[shown]
    if not len(rows):
        return NO_FEATURES
    present, starts = np.unique(owners, return_index=True)  # owners are sorted: groups are contiguous
    row_cosines = np.maximum(cosines[rows], 0.0)
    meaning = np.maximum.reduceat(row_cosines, starts)
    row_words = words[rows]
    lexical = np.zeros(len(starts))
    if most_words > 0:
        lexical = np.minimum(np.maximum.reduceat(row_words, starts) / most_words, 1.0)
    names = np.zeros(len(starts))
    if most_words > 0:
        name_words = np.where([index.fields[r] == "entities" for r in rows.tolist()], row_words, 0.0)
        names = np.minimum(np.maximum.reduceat(name_words, starts) / most_words, 1.0)
    latest = np.maximum.reduceat(index.orders[rows], starts)
    arrived = np.where(latest > 0, index.arrived_since(latest, before), np.inf)
    target_days = np.maximum.reduceat(index.days[rows], starts).astype(np.float64)  # one day per target
    gaps = np.where((target_days > 0) & (day > 0), np.abs(target_days - day), np.inf)
    row_keys = index.keys[rows]
    ends = np.append(starts[1:], len(rows))
    groups = [(row_keys[a:b], row_cosines[a:b], row_words[a:b]) for a, b in zip(starts, ends, strict=True)]
    return Features(
        [index.targets[numbers_sorted[i]] for i in present], meaning, lexical, names, arrived, gaps, groups,
        query_dated=day > 0,
    )  # fmt: skip


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
    day: int = 0,
) -> list[Ranked]:
    """The `k` best targets for a query, best first (`features`, then `Features.top`)."""
    found = features(index, vector, terms, before=before, exclude=exclude, keep=keep, day=day)
    return found.top(k, weights)
