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


def render_cited_paragraphs(
    text: str, numbers: dict[str, int], *, anchor_prefix: str = "source-"
) -> SafeString:
    """Escape `text`, split it into paragraphs and link each resolvable citation to its numbered source."""
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
                pieces.append(
                    f'<a class="cite" href="#{anchor_prefix}{number}" aria-label="{label} [{number}]">{label}'
                    f'<sup aria-hidden="true">[{number}]</sup></a>'
                )
            last = cite.end
        pieces.append(html.escape(para[last:]))
        out.append("<p>" + "".join(pieces).replace("\n", "<br>") + "</p>")
    return mark_safe("\n".join(out))  # noqa: S308 - every piece of text above is escaped
