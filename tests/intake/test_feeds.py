"""Feeds and articles from the local server: each fixture gives the right items, or a clear error."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from caim.intake.extract import ExtractionError, detect_language, extract_article, fetch_article
from caim.intake.feeds import FeedError, fetch_feed, parse_feed
from caim.intake.fetch import FetchTimeout, TooLarge, TooManyRedirects


def test_an_rss_feed_gives_its_items(site, fetcher):
    feed = fetch_feed(fetcher, site.url("/feeds/rss20.xml"))
    assert (feed.title, feed.language, feed.format) == ("Example News: Technology", "en", "rss20")
    first, second = feed.items
    assert first.url == site.url("/articles/en.html?utm_source=rss&utm_medium=feed#top")
    assert first.canonical_url == site.url("/articles/en.html")
    assert first.title == "Toronto police facial recognition led to wrongful arrest, lawsuit says"
    assert first.published == datetime(2026, 11, 3, 19, 30, tzinfo=UTC)
    assert first.summary == "A lawsuit says an AI system misidentified a man."  # plain text, no markup
    assert first.language == "en" and first.guid.endswith("en-1")
    assert second.published is None  # no date given: none invented


def test_an_atom_feed_gives_its_items_with_absolute_links(site, fetcher):
    feed = fetch_feed(fetcher, site.url("/feeds/atom.xml"))
    assert feed.format == "atom10"
    (item,) = feed.items
    assert item.url == site.url("/articles/en.html")  # the relative link resolved against the feed's URL
    assert item.published == datetime(2026, 11, 4, 7, 0, tzinfo=UTC)  # published wins over updated
    assert item.language == "en"
    assert item.summary == "A British Columbia tribunal ruled on an airline chatbot."


def test_a_french_feed_gives_french_items(site, fetcher):
    feed = fetch_feed(fetcher, site.url("/feeds/fr.xml"))
    (item,) = feed.items
    assert item.title == "Reconnaissance faciale : une arrestation injustifiée à Montréal"
    assert item.language == "fr"
    assert item.canonical_url == site.url("/articles/fr.html")  # xtor stripped
    assert item.published == datetime(2026, 11, 4, 8, 15, tzinfo=UTC)
    assert item.published.tzinfo is UTC


def test_a_broken_feed_is_an_error_not_an_empty_success(site, fetcher):
    with pytest.raises(FeedError) as raised:
        fetch_feed(fetcher, site.url("/feeds/broken.xml"))
    assert raised.value.reason and raised.value.url == site.url("/feeds/broken.xml")


@pytest.mark.parametrize("content", [b"", b"<html><body>Not a feed</body></html>", b"\x00\x01garbage"])
def test_what_is_not_a_feed_is_an_error(content):
    with pytest.raises(FeedError):
        parse_feed(content, "https://example.com/feed")


def test_a_malformed_feed_with_usable_entries_is_read_with_a_warning():
    feed = parse_feed(
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>A</title>'
        b"<item><title>AT&T fined</title><link>https://example.com/a</link></item></channel></rss>"
    )
    assert [item.url for item in feed.items] == ["https://example.com/a"]
    assert "not well-formed" in feed.warning


def test_a_valid_empty_feed_is_an_empty_success():
    feed = parse_feed(
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Quiet</title></channel></rss>'
    )
    assert feed.items == [] and feed.title == "Quiet" and not feed.warning


def test_network_failures_of_a_feed_are_fetch_errors(site, fetcher):
    with pytest.raises(TooManyRedirects):
        fetch_feed(fetcher, site.url("/loop/a"))
    with pytest.raises(TooLarge):
        fetch_feed(fetcher, site.url("/big"))


# articles


def test_an_english_article_is_extracted_with_its_metadata(site, fetcher):
    article = fetch_article(fetcher, site.url("/articles/en.html"))
    assert article.method == "trafilatura"
    assert article.title == "Toronto police facial recognition led to wrongful arrest, lawsuit says"
    assert article.published == date(2026, 11, 3)
    assert article.language == "en"
    assert "thirty hours in custody" in article.text
    assert "Copyright" not in article.text and "Home" not in article.text  # boilerplate left out
    assert article.site_name == "Example News"


def test_a_french_article_is_extracted_with_its_metadata(site, fetcher):
    article = fetch_article(fetcher, site.url("/articles/fr.html"))
    assert article.title == "Reconnaissance faciale : une arrestation injustifiée à Montréal"
    assert article.published == date(2026, 11, 4)
    assert article.language == "fr"
    assert "Cour supérieure du Québec" in article.text


def test_a_page_trafilatura_cannot_read_falls_back_to_its_tags(site, fetcher):
    article = fetch_article(fetcher, site.url("/articles/short.html"))
    assert article.method == "fallback"
    assert article.title == "Chatbot refund ruling | Example"
    assert article.published == date(2026, 11, 4)
    assert article.description.startswith("A tribunal ruled that the airline")
    assert article.text == "A tribunal ruled on the chatbot."


def test_a_slow_article_is_a_fetch_error(site, make_fetcher):
    with pytest.raises(FetchTimeout):
        fetch_article(make_fetcher(retries=0), site.url("/slow"))


def test_a_page_that_is_not_html_is_not_an_article(site, fetcher):
    with pytest.raises(ExtractionError, match="text/plain"):
        fetch_article(fetcher, site.url("/text.txt"))


@pytest.mark.parametrize("html", [b"", b"   ", "<html><body><div></div></body></html>"])
def test_an_empty_page_is_an_extraction_error(html):
    with pytest.raises(ExtractionError):
        extract_article(html, "https://example.com/a")


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("The police said that the system was used in the investigation of the case.", "en"),
        ("La police a dit que le système est utilisé dans les enquêtes pour les suspects.", "fr"),
        ("Toronto Montréal 2026", None),
    ],
)
def test_language_detection_for_pages_that_do_not_say(text, language):
    assert detect_language(text) == language
