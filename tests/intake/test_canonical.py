"""Canonical URLs (SPEC §6.3): one table of cases per rule; each case is (as submitted, key)."""

from __future__ import annotations

import pytest

from caim.intake.canonical import canonical_url, same_article

CASES = {
    "scheme and host in lower case": [
        ("HTTPS://Example.COM/Path", "https://example.com/Path"),  # the path keeps its case
        ("http://EXAMPLE.com/a", "http://example.com/a"),
        ("https://example.com./a", "https://example.com/a"),  # the root-label dot
        ("https://café.ca/a", "https://xn--caf-dma.ca/a"),
    ],
    "default ports dropped": [
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("http://example.com:443/a", "http://example.com:443/a"),
        ("https://user:secret@example.com/a", "https://example.com/a"),
    ],
    "tracking parameters stripped": [
        (
            "https://example.com/a?utm_source=x&utm_medium=y&utm_campaign=z&utm_content=w",
            "https://example.com/a",
        ),
        ("https://example.com/a?fbclid=IwAR0&gclid=abc&id=7", "https://example.com/a?id=7"),
        ("https://example.com/a?mc_cid=1&mc_eid=2", "https://example.com/a"),
        ("https://example.com/a?ref=twitter&cmpid=rss", "https://example.com/a"),
        ("https://example.com/a?xtor=RSS-3&at_medium=social", "https://example.com/a"),  # French sites
        ("https://example.com/a?UTM_Source=x&msclkid=1&_ga=2.1&igshid=q", "https://example.com/a"),
        ("https://example.com/a?page=2&utm_source=x", "https://example.com/a?page=2"),
    ],
    "fragments dropped": [
        ("https://example.com/a#comments", "https://example.com/a"),
        ("https://example.com/a?x=1#top", "https://example.com/a?x=1"),
        ("https://example.com/#", "https://example.com/"),
    ],
    "AMP variants": [
        ("https://example.com/news/story/amp/", "https://example.com/news/story"),
        ("https://example.com/news/story/amp", "https://example.com/news/story"),
        ("https://example.com/amp/news/story", "https://example.com/news/story"),
        ("https://example.com/news/story?amp=1", "https://example.com/news/story"),
        ("https://example.com/news/story?amp", "https://example.com/news/story"),
        ("https://example.com/news/story?outputType=amp", "https://example.com/news/story"),
        ("https://example.com/news/story.amp.html", "https://example.com/news/story.html"),
        ("https://example.com/news/story.amp", "https://example.com/news/story"),
        ("https://amp.example.com/news/story", "https://example.com/news/story"),
        ("https://www-cbc-ca.cdn.ampproject.org/c/s/www.cbc.ca/news/story", "https://cbc.ca/news/story"),
        ("https://example-com.cdn.ampproject.org/c/example.com/a/amp/", "http://example.com/a"),
        (
            "https://www.google.com/amp/s/www.lapresse.ca/actualites/a.amp.html",
            "https://lapresse.ca/actualites/a.html",
        ),
        ("https://www.google.com/amp/example.com/a", "http://example.com/a"),
        ("https://example.com/ampersand", "https://example.com/ampersand"),  # a word starting with amp stays
        ("https://example.com/lamp/", "https://example.com/lamp"),
    ],
    "mobile hosts": [
        ("https://m.cbc.ca/news/a", "https://cbc.ca/news/a"),
        ("https://mobile.example.com/a", "https://example.com/a"),
        ("https://m.example.com/a", "https://example.com/a"),
        ("https://m.co/a", "https://m.co/a"),  # a two-label host is a site, not a variant
        ("https://mtl.example.com/a", "https://mtl.example.com/a"),
    ],
    "www dropped": [
        ("https://www.example.com/a", "https://example.com/a"),
        ("https://www.m.example.com/a", "https://example.com/a"),
        ("https://www.co/a", "https://www.co/a"),
        ("https://www2.example.com/a", "https://www2.example.com/a"),
    ],
    "trailing slashes": [
        ("https://example.com/a/", "https://example.com/a"),
        ("https://example.com/a///", "https://example.com/a"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com/", "https://example.com/"),
        ("https://example.com/a/?x=1", "https://example.com/a?x=1"),
    ],
    "query parameters sorted": [
        ("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"),
        (
            "https://example.com/a?tag=z&tag=y&id=1",
            "https://example.com/a?id=1&tag=z&tag=y",
        ),  # values keep order
        ("https://example.com/a?empty=&x=1", "https://example.com/a?empty=&x=1"),
    ],
    "percent-encoding normalised": [
        ("https://example.com/%7Euser/%61bc", "https://example.com/~user/abc"),
        ("https://example.com/a%2fb", "https://example.com/a%2Fb"),  # an escaped slash stays escaped
        ("https://example.com/caf%c3%a9", "https://example.com/caf%C3%A9"),
        ("https://example.com/café", "https://example.com/caf%C3%A9"),
        ("https://example.com/a b", "https://example.com/a%20b"),
        ("https://example.com/s?q=a+b", "https://example.com/s?q=a%20b"),
        ("https://example.com/s?q=a%20b", "https://example.com/s?q=a%20b"),
        ("https://example.com/s?q=%C3%A9t%C3%A9", "https://example.com/s?q=%C3%A9t%C3%A9"),
        ("https://example.com/a/./b/../c", "https://example.com/a/c"),
    ],
    "not http(s): left alone": [
        ("mailto:someone@example.com", "mailto:someone@example.com"),
        ("  https://example.com/a  ", "https://example.com/a"),
        ("https://example.com:notaport/a", "https://example.com:notaport/a"),
    ],
}


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param(url, expected, id=f"{rule}: {url}")
        for rule, cases in CASES.items()
        for url, expected in cases
    ],
)
def test_canonical_url(url, expected):
    assert canonical_url(url) == expected


@pytest.mark.parametrize(("url", "_expected"), [pair for cases in CASES.values() for pair in cases])
def test_canonicalisation_is_idempotent(url, _expected):
    assert canonical_url(canonical_url(url)) == canonical_url(url)


def test_the_variants_of_one_article_share_a_key():
    variants = [
        "https://www.cbc.ca/news/canada/ai-story-1.234?utm_source=twitter#comments",
        "http://m.cbc.ca/news/canada/ai-story-1.234/",
        "https://amp.cbc.ca/news/canada/ai-story-1.234/amp/",
        "https://www-cbc-ca.cdn.ampproject.org/c/s/www.cbc.ca/news/canada/ai-story-1.234",
        "https://WWW.CBC.CA:443/news/canada/ai-story-1.234?fbclid=1",
    ]
    keys = {canonical_url(url) for url in variants if url.startswith("https")}
    assert keys == {"https://cbc.ca/news/canada/ai-story-1.234"}
    assert same_article(variants[0], variants[3])
    assert not same_article(variants[0], "https://www.cbc.ca/news/canada/ai-story-1.235")
