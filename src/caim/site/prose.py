"""Prose pages written in Markdown (content/<lang>/<page>.md), rendered through an allow-list sanitiser."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import nh3
from markdown_it import MarkdownIt

CONTENT_DIR = Path(__file__).resolve().parent / "content"
ALLOWED_TAGS = {
    "h1",
    "h2",
    "h3",
    "h4",
    "p",
    "a",
    "ul",
    "ol",
    "li",
    "strong",
    "em",
    "code",
    "pre",
    "blockquote",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "hr",
    "br",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title", "hreflang"}, "th": {"scope"}, "h2": {"id"}, "h3": {"id"}}

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


HEADING_ID_RE = re.compile(r"<(h[23])>(.*?)\s*\{#([a-z][a-z0-9-]*)\}</h[23]>")


def render_markdown(text: str) -> str:
    """Markdown to HTML, then through nh3: whatever the input, only allow-listed tags and attributes remain.

    A heading ending in "{#name}" gets that id, so that pages can link to it.
    """
    html = HEADING_ID_RE.sub(r'<\1 id="\3">\2</\1>', _markdown.render(text))
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener",
    )


@cache
def load_page(name: str, lang: str) -> tuple[str, str] | None:
    """(title, html) of a prose page, from its first heading; None when the file does not exist."""
    path = CONTENT_DIR / lang / f"{name}.md"
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    first, _, rest = text.partition("\n")
    title = first.lstrip("# ").strip()
    return title, render_markdown(rest)
