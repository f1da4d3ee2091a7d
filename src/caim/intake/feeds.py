"""RSS 2.0 and Atom feeds of monitored sources, read with feedparser from bytes the fetcher got.

feedparser never raises: a broken document comes back as a "bozo" result with few or no entries. An empty
success would make a broken source look quiet for months, so `parse_feed` raises `FeedError` when the document is
not a feed, or is malformed and yielded no usable entry (one with a link). A malformed feed that still yielded entries (a wrong declared
encoding, an undefined entity late in the file) is read, and `Feed.warning` says what was wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import feedparser
import lxml.html

from caim.intake.canonical import canonical_url
from caim.intake.fetch import Fetcher

FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.1"


class FeedError(Exception):
    """A document that is not a usable feed. `reason` is short, for a log line or the source's status."""

    def __init__(self, url: str, reason: str):
        self.url = url
        self.reason = reason
        super().__init__(f"not a usable feed: {url} ({reason})")


@dataclass(frozen=True)
class FeedItem:
    url: str  # absolute, as the feed gave it
    canonical_url: str  # caim.intake.canonical.canonical_url(url): the deduplication key
    title: str
    published: datetime | None  # aware, UTC; None when the entry has no parseable date
    summary: str  # plain text
    language: str | None  # "en", "fr"..., from the entry or else the feed
    guid: str = ""


@dataclass(frozen=True)
class Feed:
    url: str
    title: str
    language: str | None
    format: str  # feedparser's version: "rss20", "atom10"...
    items: list[FeedItem] = field(default_factory=list)
    warning: str = ""


def _language(value: str | None) -> str | None:
    """ "fr-CA" -> "fr"; "" and None -> None."""
    if not value:
        return None
    return value.strip().replace("_", "-").split("-", 1)[0].lower() or None


def _plain_text(html: str) -> str:
    if not html or "<" not in html:
        return " ".join((html or "").split())
    try:
        return " ".join(lxml.html.fromstring(html).text_content().split())
    except (lxml.etree.ParserError, ValueError):
        return " ".join(html.split())


def _published(entry) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if parsed:  # a struct_time already converted to UTC by feedparser
            return datetime(*parsed[:6], tzinfo=UTC)
    return None


def parse_feed(content: bytes, url: str = "", *, content_type: str | None = None) -> Feed:
    """The feed in `content` (bytes as fetched; feedparser reads the declared encoding). Raises FeedError."""
    headers = {"content-location": url} if url else {}
    if content_type:
        headers["content-type"] = content_type
    parsed = feedparser.parse(
        content, response_headers=headers, sanitize_html=True, resolve_relative_uris=True
    )
    problem = str(parsed.get("bozo_exception", "")) if parsed.get("bozo") else ""
    if not parsed.get("version") and not parsed.entries:
        raise FeedError(url, problem or "not RSS or Atom")
    feed_language = _language(parsed.feed.get("language"))
    items = []
    for entry in parsed.entries:
        link = entry.get("link") or ""
        if not link.startswith(("http://", "https://")):
            continue  # an entry without a usable link cannot become a lead
        title_detail = entry.get("title_detail") or {}
        items.append(
            FeedItem(
                url=link,
                canonical_url=canonical_url(link),
                title=_plain_text(entry.get("title", "")),
                published=_published(entry),
                summary=_plain_text(entry.get("summary", "")),
                language=_language(title_detail.get("language")) or feed_language,
                guid=entry.get("id", ""),
            )
        )
    if problem and not items:  # the lax parser may recover husks of entries (no title, no link): no success
        raise FeedError(url, problem)
    return Feed(
        url=url,
        title=_plain_text(parsed.feed.get("title", "")),
        language=feed_language,
        format=parsed.get("version", ""),
        items=items,
        warning=problem,
    )


def fetch_feed(fetcher: Fetcher, url: str) -> Feed:
    """Fetch and parse; raises FetchError (network) or FeedError (document)."""
    result = fetcher.fetch(url, accept=FEED_ACCEPT)
    return parse_feed(result.content, result.url, content_type=result.headers.get("content-type"))
