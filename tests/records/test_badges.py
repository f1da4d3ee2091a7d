"""Badges name their facet ("Severity: Significant") in the page's language, in the HTML of every page that shows
them, and the key lists every value of every facet (issue 17)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from caim.records.badges import Badge, legend, record_badges
from caim.taxonomy.loader import get_taxonomy

# css kind of a badge -> its vocabulary
FACETS = {
    "verification": "verification",
    "dispute": "dispute",
    "severity": "severity",
    "status": "hazard_status",
    "confidence": "confidence",
}


class Badges(HTMLParser):
    """The text and kind of every <li class="badge ..."> of a page."""

    def __init__(self):
        super().__init__()
        self.badges: list[tuple[str, str]] = []
        self._depth = 0  # > 0 inside a badge
        self._kind = ""
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if tag == "li" and "badge" in classes:
            self._kind = next(
                c[len("badge-") :] for c in classes if c.startswith("badge-") and c.count("-") == 1
            )
            self._depth, self._text = 1, []
        elif self._depth:
            self._depth += 1

    def handle_endtag(self, tag):
        if self._depth:
            self._depth -= 1
            if not self._depth:
                self.badges.append((self._kind, " ".join("".join(self._text).split())))

    def handle_data(self, data):
        if self._depth:
            self._text.append(data)


def badges_of(client, url: str) -> list[tuple[str, str]]:
    response = client.get(url)
    assert response.status_code == 200, url
    main = response.content.decode().split('<main id="main"', 1)[1].split("</main>", 1)[0]
    main = re.sub(r'<dl class="badge-legend">.*?</dl>', "", main, flags=re.S)  # the key shows values only
    parser = Badges()
    parser.feed(main)
    return parser.badges


def facet_label(kind: str, lang: str) -> str:
    return get_taxonomy()[FACETS[kind]].label_in(lang)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_each_badge_carries_its_facet_label(lang):
    incident = record_badges(
        "incident", verification="confirmed", contested=True, severity="significant", version=2, lang=lang
    )
    hazard = record_badges(
        "hazard", hazard_status="escalating", severity="severe", confidence="high", lang=lang
    )
    for badge in incident + hazard:
        if badge.kind == "version":
            assert badge.facet == "" and badge.label == "Version 2"  # the label names itself
        else:
            assert badge.facet == facet_label(badge.kind, lang) and badge.label
            assert badge.label == get_taxonomy().label(FACETS[badge.kind], badge.value, lang)
    assert [(b.kind, b.facet) for b in incident][:3] == [
        (kind, facet_label(kind, lang)) for kind in ("verification", "dispute", "severity")
    ]


def test_badge_facet_is_optional_for_other_callers():
    assert Badge("version", "3", "Version 3").facet == ""


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_legend_lists_every_value_of_every_facet(lang):
    tax = get_taxonomy()
    key = legend(("incident", "hazard"), lang)
    facets = [facet for facet, _badges in key]
    assert facets == [
        facet_label(k, lang) for k in ("verification", "dispute", "severity", "status", "confidence")
    ]
    for (_facet, badges), kind in zip(
        key, ("verification", "dispute", "severity", "status", "confidence"), strict=True
    ):
        assert [b.value for b in badges] == tax[FACETS[kind]].slugs()
        assert all(b.kind == kind for b in badges)
    assert [f for f, _ in legend(("hazard",), lang)] == [
        facet_label(k, lang) for k in ("status", "severity", "confidence")
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_pages_show_the_facet_label_of_each_badge(client, lang):
    prefix = "/fr" if lang == "fr" else ""
    colon = " :" if lang == "fr" else ":"  # French puts a space before the colon
    kinds = set()
    for path in ("/incidents/", "/hazards/", "/", "/incidents/air-canada-chatbot-bereavement-fare/",
                 "/hazards/ai-voice-cloning-fraud/", "/search/?q=deepfake", "/stats/"):  # fmt: skip
        badges = badges_of(client, prefix + path)
        assert badges, path
        for kind, text in badges:
            if kind == "version":
                assert text.startswith("Version "), (path, text)
                continue
            facet = facet_label(kind, lang)
            assert text.startswith(facet), (path, kind, text)
            assert text[len(facet) :].replace("\u00a0", " ").startswith(colon), text
            kinds.add(kind)
    assert {"verification", "severity", "status", "confidence"} <= kinds


@pytest.mark.django_db
def test_markup_of_a_badge(client):
    page = client.get("/incidents/air-canada-chatbot-bereavement-fare/").content.decode()
    assert (
        '<li class="badge badge-verification badge-verification-confirmed"><span class="badge-facet">'
        'Verification:</span> <span class="badge-value">Confirmed</span></li>'
    ) in page


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_assessed_mark_links_to_its_explanation(client, lang):
    prefix = "/fr" if lang == "fr" else ""
    page = client.get(f"{prefix}/incidents/air-canada-chatbot-bereavement-fare/").content.decode()
    marks = re.findall(
        r'<a class="assessed" href="([^"]+)">([^<]+)<span class="visually-hidden">([^<]+)</span></a>', page
    )
    assert len(marks) >= 3
    assert {href for href, _, _ in marks} == {f"{prefix}/methodology/#assessed"}
    methodology = client.get(f"{prefix}/methodology/").content.decode()
    assert 'id="assessed"' in methodology and 'id="badges"' in methodology
