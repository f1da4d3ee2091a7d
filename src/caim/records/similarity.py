"""Related records (SPEC §6.4): vectors over title, summary and taxonomy, compared by cosine.

`Embedder` is the swappable part: `LexicalEmbedder` (stemmed, accent-folded words of both languages plus
taxonomy tags, hashed into a fixed-size vector) needs nothing but numpy. Every stored vector keeps the id of the
model that made it, so vectors of different models are never compared.
"""

from __future__ import annotations

import math
import re
import unicodedata
import zlib
from collections import Counter
from functools import cache, lru_cache
from typing import Protocol

import numpy as np
import snowballstemmer

RELATED_COUNT = 5
MIN_SCORE = 0.12  # below this, records share little more than common words

WORD_RE = re.compile(r"[a-z0-9]+")


class Embedder(Protocol):
    model_id: str

    def embed(self, documents: list[dict]) -> np.ndarray:
        """One L2-normalised float32 row per record document."""


def fold(text: str) -> str:
    """Lower case without accents: "Société" -> "societe"."""
    text = text or ""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


# Common words of both languages, accent-folded like the text they are removed from.
STOPWORDS = frozenset(
    fold(word)
    for word in """
    a an and are as at be been by for from had has have he her his in into is it its of on or that the their
    they this to was were which who will with without not no than then there these those also after before
    au aux avec ce ces dans de des du elle en est et il ils la le les leur leurs lui mais ne ni non nous ou par
    pas pour qu que qui sa se ses son sont sur un une vos votre été être avait ont aussi apres avant cette""".split()  # noqa: SIM905
)


@cache
def _stemmer(lang: str):
    return snowballstemmer.stemmer("french" if lang == "fr" else "english")


@lru_cache(maxsize=500_000)
def stem(lang: str, word: str) -> str:
    """The Snowball stem of a folded word. Stemming in pure Python is slow and vocabularies are small, so
    every word is stemmed once per process."""
    return _stemmer(lang).stemWord(word)


def tokens(text: str, lang: str) -> list[str]:
    return [stem(lang, w) for w in WORD_RE.findall(fold(text)) if w not in STOPWORDS and len(w) > 2]


class LexicalEmbedder:
    """Hashed bag of stemmed words (title counted twice) and taxonomy tags, with sublinear term weights."""

    model_id = "lexical-hash-v1"
    dimensions = 512

    def features(self, doc: dict) -> Counter:
        counts: Counter = Counter()
        for lang in ("en", "fr"):
            title = doc.get(f"title_{lang}") or ""
            counts.update(tokens(f"{title} {title} {doc.get(f'summary_{lang}') or ''}", lang))
        taxonomy = doc.get("taxonomy") or {}
        for key, values in taxonomy.items():
            for value in values:
                counts[f"{key}:{value}"] += 3
        for entity in doc.get("entities", []):
            counts[f"entity:{entity['slug']}"] += 2
        return counts

    def embed(self, documents: list[dict]) -> np.ndarray:
        matrix = np.zeros((len(documents), self.dimensions), dtype=np.float32)
        for row, doc in enumerate(documents):
            for feature, count in self.features(doc).items():
                column = zlib.crc32(feature.encode()) % self.dimensions
                matrix[row, column] += 1.0 + math.log(count)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return matrix / np.where(norms == 0, 1, norms)


def get_embedder() -> Embedder:
    return LexicalEmbedder()


def to_blob(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def from_blobs(blobs: list[bytes]) -> np.ndarray:
    return (
        np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), -1)
        if blobs
        else np.zeros((0, 0))
    )
