"""Relevance of a lead to the monitor: AI involvement, a Canada nexus, signs of harm (SPEC §6.2), EN and FR.

    score, reasons = relevance(title, text)

The term lists are data (`relevance.yaml` beside this module). Text and terms are compared after the same
normalisation: accents removed, lower case, every run of non-letters a single space ("l'IA", "Colombie-
Britannique" and "Colombie Britannique" all match). Acronyms ("AI", "IA", "RCMP") keep their capitals, so that
the French "j'ai" is not artificial intelligence.

Scoring, kept simple enough to explain to an editor:

- each category counts its hits (every occurrence of every term; a hit in the title counts twice, since a
  headline is what the article is about), and its strength is `1 - 0.5 ** hits`: one hit 0.5, two 0.75, three
  0.875... so a passing mention is weak and repetition saturates;
- `score = ai * (0.4 + 0.35 * canada + 0.25 * harm)`: without AI involvement nothing is relevant (0); AI alone
  reaches at most 0.4; a Canada nexus and harm signals raise it to at most 1.

The reasons are the evidence, stored with the lead: one short string per distinct matched term, `"ai:facial
recognition"`, `"canada:rcmp"`, `"harm:wrongful"` (the category, then the words as normalised), in order of
first appearance; and `"no-ai"` when nothing speaks of AI. Thresholds (what to queue, what to show first) belong
to the caller, not here.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import yaml

TERMS_FILE = Path(__file__).with_name("relevance.yaml")
CATEGORIES = ("ai", "canada", "harm")
BASE_AI, WEIGHT_CANADA, WEIGHT_HARM = 0.4, 0.35, 0.25
TITLE_WEIGHT = 2
LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "’": "'"})


class Relevance(NamedTuple):
    score: float
    reasons: list[str]


def normalise(text: str, *, keep_case: bool = False) -> str:
    """Accents off, non-letters to single spaces, lower case unless `keep_case`; padded with one space each side."""
    decomposed = unicodedata.normalize("NFKD", text.translate(LIGATURES))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    if not keep_case:
        stripped = stripped.lower()
    return " " + " ".join(re.findall(r"[^\W_]+", stripped)) + " "


def _pattern(term: str, *, keep_case: bool) -> re.Pattern:
    words = normalise(term.replace("*", "STAR" if keep_case else "star"), keep_case=keep_case).split()
    star = "STAR" if keep_case else "star"
    parts = [re.escape(w[: -len(star)]) + r"[^\W_]*" if w.endswith(star) else re.escape(w) for w in words]
    return re.compile(r"(?<= )" + " ".join(parts) + r"(?= )")


@lru_cache(maxsize=4)
def load_terms(path: str = str(TERMS_FILE)) -> dict[str, list[tuple[re.Pattern, bool]]]:
    """Each category's (pattern, keeps case) pairs."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    compiled: dict[str, list[tuple[re.Pattern, bool]]] = {}
    for category in CATEGORIES:
        entry = data.get(category) or {}
        patterns = [(_pattern(t, keep_case=False), False) for t in entry.get("terms") or []]
        patterns += [(_pattern(a, keep_case=True), True) for a in entry.get("acronyms") or []]
        compiled[category] = patterns
    return compiled


def _hits(patterns: list[tuple[re.Pattern, bool]], text: str) -> list[tuple[int, str]]:
    """(position, matched words) of every occurrence; a match inside a longer one of the same category (the
    "injust*" inside "arrestation* injustifiee*") is not counted again."""
    folded, cased = normalise(text), normalise(text, keep_case=True)  # same length: only the case differs
    found = []
    for pattern, keep_case in patterns:
        found += [
            (m.start(), m.end(), m.group(0).lower()) for m in pattern.finditer(cased if keep_case else folded)
        ]
    found.sort(key=lambda hit: (hit[0], -hit[1]))
    kept: list[tuple[int, str]] = []
    covered_to = -1
    for start, end, words in found:
        if end <= covered_to:
            continue
        kept.append((start, words))
        covered_to = max(covered_to, end)
    return kept


def relevance(title: str, text: str = "", *, terms_file: str | Path | None = None) -> Relevance:
    """(score in 0..1, reasons) of an article; see the module docstring for the rule."""
    terms = load_terms(str(terms_file or TERMS_FILE))
    strengths: dict[str, float] = {}
    reasons: list[str] = []
    for category in CATEGORIES:
        title_hits = _hits(terms[category], title)
        text_hits = _hits(terms[category], text)
        count = TITLE_WEIGHT * len(title_hits) + len(text_hits)
        strengths[category] = 1 - 0.5**count
        for _position, words in title_hits + text_hits:
            reason = f"{category}:{words}"
            if reason not in reasons:
                reasons.append(reason)
    if not strengths["ai"]:
        reasons.insert(0, "no-ai")
    score = strengths["ai"] * (
        BASE_AI + WEIGHT_CANADA * strengths["canada"] + WEIGHT_HARM * strengths["harm"]
    )
    return Relevance(round(score, 3), reasons)
