"""Article text, title, date and language from an HTML page: trafilatura first, the page's own tags otherwise.

trafilatura finds the main text and reads the metadata (title, date from many markups, site name). When it finds
no main text (a short page, an unusual layout) the fallback still gives the editor something: `<title>` or
`og:title`, the description `<meta>`, a published-time `<meta>`, and the text of the `<p>` elements.
`Article.method` says which one answered, so that a lead shows how far its text can be trusted.

Language: `<html lang>`, then `og:locale` / `content-language`, then a stop-word count over the text (EN/FR only:
the monitor's two languages; anything else is None).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import lxml.html
import trafilatura

from caim.intake.fetch import Fetcher

STOPWORDS = {
    "en": frozenset(
        [
            "the",
            "and",
            "of",
            "to",
            "in",
            "is",
            "that",
            "for",
            "with",
            "was",
            "on",
            "as",
            "are",
            "by",
            "this",
            "from",
            "have",
            "has",
            "it",
            "be",
            "an",
            "were",
        ]
    ),
    "fr": frozenset(
        [
            "le",
            "la",
            "les",
            "et",
            "des",
            "du",
            "de",
            "un",
            "une",
            "est",
            "que",
            "qui",
            "dans",
            "pour",
            "sur",
            "au",
            "aux",
            "par",
            "pas",
            "sont",
            "avec",
            "ce",
        ]
    ),
}
MIN_TEXT_CHARS = 200  # below this, a trafilatura result is a caption or a cookie banner, not an article


class ExtractionError(Exception):
    def __init__(self, url: str, reason: str):
        self.url = url
        self.reason = reason
        super().__init__(f"no article: {url} ({reason})")


@dataclass(frozen=True)
class Article:
    url: str
    title: str
    text: str
    published: date | None
    language: str | None
    description: str = ""
    site_name: str = ""
    method: str = "trafilatura"  # or "fallback"


def detect_language(text: str) -> str | None:
    """ "en", "fr" or None, by counting each language's most common words (enough for news articles)."""
    words = re.findall(r"[a-zà-ÿ']+", text.lower())
    counts = {lang: sum(1 for w in words if w in stop) for lang, stop in STOPWORDS.items()}
    best = max(counts, key=counts.get)
    others = sum(v for k, v in counts.items() if k != best)
    return best if counts[best] >= 3 and counts[best] > 1.5 * others else None


def _language_code(value: str | None) -> str | None:
    if not value:
        return None
    code = value.strip().replace("_", "-").split("-", 1)[0].lower()
    return code if re.fullmatch(r"[a-z]{2,3}", code) else None


def _parse_date(value: str | None) -> date | None:
    if not value:
        return None
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})", value.strip())
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _meta(tree, *names: str) -> str:
    for name in names:
        for attr in ("property", "name", "itemprop", "http-equiv"):
            found = tree.xpath(
                f'//meta[translate(@{attr}, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")="{name}"]/@content'
            )
            if found and found[0].strip():
                return found[0].strip()
    return ""


def _page_language(tree) -> str | None:
    lang = tree.xpath(
        "/html/@lang | /html/@xml:lang", namespaces={"xml": "http://www.w3.org/XML/1998/namespace"}
    )
    return _language_code(lang[0] if lang else None) or _language_code(
        _meta(tree, "og:locale", "content-language")
    )


def extract_article(html: bytes | str, url: str = "") -> Article:
    """The article in `html`. Raises ExtractionError when the page has neither a title nor any text."""
    if isinstance(html, bytes) and not html.strip() or isinstance(html, str) and not html.strip():
        raise ExtractionError(url, "empty page")
    try:
        tree = lxml.html.fromstring(html)
    except (lxml.etree.ParserError, ValueError) as error:
        raise ExtractionError(url, f"not HTML: {error}") from error
    page_language = _page_language(tree)
    description = _meta(tree, "og:description", "description", "twitter:description")

    document = trafilatura.bare_extraction(
        html,
        url=url or None,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        favor_precision=True,
    )
    text = (getattr(document, "text", None) or "").strip() if document is not None else ""
    if document is not None and len(text) >= MIN_TEXT_CHARS:
        return Article(
            url=url,
            title=(document.title or "").strip(),
            text=text,
            published=_parse_date(document.date),
            language=page_language or detect_language(text),
            description=(document.description or description or "").strip(),
            site_name=(document.sitename or "").strip(),
            method="trafilatura",
        )

    # fallback: the page's own tags
    titles = tree.xpath("//title/text()")
    title = _meta(tree, "og:title", "twitter:title") or (" ".join(titles[0].split()) if titles else "")
    paragraphs = [" ".join(p.text_content().split()) for p in tree.xpath("//body//p")]
    text = "\n".join(p for p in paragraphs if p) or text
    if not title and not text:
        raise ExtractionError(url, "no title and no text")
    published = _parse_date(
        _meta(tree, "article:published_time", "date", "dc.date", "datepublished", "pubdate")
    )
    return Article(
        url=url,
        title=title,
        text=text,
        published=published,
        language=page_language or detect_language(f"{title} {description} {text}"),
        description=description,
        site_name=_meta(tree, "og:site_name"),
        method="fallback",
    )


def fetch_article(fetcher: Fetcher, url: str) -> Article:
    """Fetch and extract; raises FetchError, or ExtractionError for a page that is not an HTML article."""
    result = fetcher.fetch(url, accept="text/html, application/xhtml+xml;q=0.9, */*;q=0.1")
    if result.content_type and result.content_type not in {"text/html", "application/xhtml+xml"}:
        raise ExtractionError(result.url, f"not an HTML page: {result.content_type}")
    return extract_article(result.content, result.url)
