"""Inline author-year citations such as "(RCMP, 2025)" or "(RCMP, 2025; BNN Bloomberg, 2025a)".

A parenthesis is a citation group when every ";"-separated item in it reads "<label>, <year>" (a year may carry
a letter, "2025a", or be "n.d."). Other parentheses, such as "(month)" or "(AIDA)", are ordinary text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.utils.safestring import SafeString, mark_safe

GROUP_RE = re.compile(r"\(([^()]{3,400})\)")
ITEM_RE = re.compile(r"^\s*(?P<label>[^;,()][^;()]*?),\s*(?P<year>(?:1[89]|20)\d\d[a-z]?|n\.d\.)\s*$")


@dataclass(frozen=True)
class Citation:
    key: str  # "RCMP, 2025": the label and year exactly as a source's citation_key
    start: int  # offsets of the key inside the text
    end: int


def _group_items(inner: str, offset: int) -> list[Citation] | None:
    items, pos = [], offset
    for part in inner.split(";"):
        match = ITEM_RE.match(part)
        if not match:
            return None
        key = f"{match['label'].strip()}, {match['year']}"
        lead = len(part) - len(part.lstrip())
        items.append(Citation(key=key, start=pos + lead, end=pos + len(part.rstrip())))
        pos += len(part) + 1
    return items


def find_citations(text: str) -> Iterator[Citation]:
    for group in GROUP_RE.finditer(text or ""):
        items = _group_items(group.group(1), group.start(1))
        if items:
            yield from items


def cited_keys(text: str) -> set[str]:
    return {c.key for c in find_citations(text)}


# "(RCMP 2025)", "(Globe and Mail 2024a)": a capitalised label and a year with no comma between them.
LOOSE_ITEM_RE = re.compile(r"^\s*(?P<label>[A-ZÀ-Ý][^;,()]*?)\s+(?P<year>(?:1[89]|20)\d\d[a-z]?)\s*$")
MONTHS = {
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
    "septembre", "octobre", "novembre", "décembre", "spring", "summer", "fall", "autumn", "winter",
}  # fmt: skip


@dataclass(frozen=True)
class LooseCitation:
    text: str  # the parenthesis' content, as written
    suggestion: str  # "RCMP, 2025": how it would read as a citation


def loose_citations(text: str) -> Iterator[LooseCitation]:
    """Parentheses that look like citations but miss the comma before the year ("(RCMP 2025)"): they are shown
    as plain text, unlinked. Dates such as "(March 2025)" are not taken for citations."""
    for group in GROUP_RE.finditer(text or ""):
        inner = group.group(1)
        if _group_items(inner, group.start(1)) is not None:
            continue
        items = [LOOSE_ITEM_RE.match(part) or ITEM_RE.match(part) for part in inner.split(";")]
        loose = [m for m in items if m and m.re is LOOSE_ITEM_RE]
        if all(items) and loose and not any(m["label"].strip().casefold() in MONTHS for m in loose):
            fixed = "; ".join(f"{m['label'].strip()}, {m['year']}" for m in items)
            yield LooseCitation(inner, fixed)


def render_cited_paragraphs(
    text: str,
    numbers: dict[str, int],
    *,
    anchor_prefix: str = "source-",
    languages: dict[str, str] | None = None,
    lang: str = "",
) -> SafeString:
    """Escape `text`, split it into paragraphs and link each resolvable citation to its numbered source.

    A key is written as its source names itself: with `languages` ({key: the source's language}) and the text's
    `lang`, a key in another language than the text's is marked with its own (`lang="en"` in a French text)."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text or "") if p.strip()]
    out = []
    for para in paragraphs:
        pieces, last = [], 0
        for cite in find_citations(para):
            pieces.append(html.escape(para[last : cite.start]))
            label = html.escape(para[cite.start : cite.end])
            number = numbers.get(cite.key)
            if number is None:
                pieces.append(label)
            else:
                own = (languages or {}).get(cite.key) or lang
                mark = f' lang="{html.escape(own)}"' if own != lang else ""
                pieces.append(
                    f'<a class="cite" href="#{anchor_prefix}{number}"{mark} aria-label="{label} [{number}]">{label}'
                    f'<sup aria-hidden="true">[{number}]</sup></a>'
                )
            last = cite.end
        pieces.append(html.escape(para[last:]))
        out.append("<p>" + "".join(pieces).replace("\n", "<br>") + "</p>")
    return mark_safe("\n".join(out))  # noqa: S308 - every piece of text above is escaped
