"""Words, stems and highlights, the same for every backend.

Text and queries go through the same steps: Unicode words, accents folded ("société" -> "societe"), lower case,
common words dropped, then Snowball stems. A query word matches its English or its French stem, so "deepfake"
finds "deepfakes", "hypertrucages" finds "hypertrucage", and a query works whichever language the page is in.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from django.utils.safestring import SafeString, mark_safe

from caim.records.similarity import STOPWORDS, fold, stem

WORD_RE = re.compile(r"\w+", re.UNICODE)
TOKEN_RE = re.compile(r"[a-z0-9]+")
MAX_QUERY_TERMS = 12


def stems_of(text: str, lang: str) -> list[str]:
    return [stem(lang, w) for w in TOKEN_RE.findall(fold(text)) if w not in STOPWORDS]


def index_text(texts: dict[str, tuple[str, str]]) -> str:
    """The stems of {lang: (title, body)}: each language with its own stemmer, titles counted twice."""
    return " ".join(
        " ".join(stems_of(f"{title} {title} {body}", lang)) for lang, (title, body) in texts.items()
    )


@dataclass(frozen=True)
class Query:
    """A parsed query: for each word, the stems it may match (English and French)."""

    terms: tuple[frozenset[str], ...]

    def __bool__(self) -> bool:
        return bool(self.terms)

    @property
    def all_stems(self) -> frozenset[str]:
        return frozenset().union(*self.terms) if self.terms else frozenset()


def parse_query(raw: str) -> Query:
    words = [w for w in TOKEN_RE.findall(fold(raw or "")) if w not in STOPWORDS][:MAX_QUERY_TERMS]
    terms = []
    for word in words:
        options = frozenset({stem("en", word), stem("fr", word)})
        if options not in terms:
            terms.append(options)
    return Query(tuple(terms))


def _matches(word: str, stems: frozenset[str]) -> bool:
    folded = fold(word)
    return bool(stems & {stem("en", folded), stem("fr", folded)})


def highlight(text: str, query: Query, *, words_around: int = 14, max_words: int = 40) -> SafeString:
    """An escaped excerpt of `text` around its first matching word, each matching word in <mark>."""
    stems = query.all_stems
    matches = list(WORD_RE.finditer(text or ""))
    if not matches:
        return mark_safe("")  # noqa: S308 - empty string
    first = next((i for i, m in enumerate(matches) if _matches(m.group(), stems)), 0)
    start_word = max(0, first - words_around)
    end_word = min(len(matches), start_word + max_words)
    start = matches[start_word].start() if start_word else 0
    end = matches[end_word - 1].end() if end_word < len(matches) else len(text)
    out, last = [], start
    for m in matches[start_word:end_word]:
        out.append(html.escape(text[last : m.start()]))
        word = html.escape(m.group())
        out.append(f"<mark>{word}</mark>" if _matches(m.group(), stems) else word)
        last = m.end()
    out.append(html.escape(text[last:end]))
    prefix = "… " if start_word else ""
    suffix = " …" if end_word < len(matches) else ""
    return mark_safe(prefix + "".join(out).strip() + suffix)  # noqa: S308 - every piece is escaped above
