"""The reader's layout on a phone (390×844) and a wide screen (issue 17): the list's filters within the first
screen, no sideways scrolling of the page, readable chart text, badges that name their facet, and the "assessed"
mark explained."""

from __future__ import annotations

import re

import pytest

from caim.taxonomy.loader import get_taxonomy

PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1280, "height": 900}
RECORD = "/incidents/air-canada-chatbot-bereavement-fare/"
HAZARD = "/hazards/ai-voice-cloning-fraud/"
# Pages a reader reaches from the menu, and the page types under them.
NO_SIDEWAYS_SCROLL = ["/", "/incidents/", "/hazards/", RECORD, HAZARD, "/entities/", "/entities/air-canada/",
                      "/systems/", "/stats/", "/taxonomy/", "/methodology/", "/corrections/", "/api/",
                      "/search/?q=deepfake"]  # fmt: skip
# The vocabulary of each badge's css kind (records/badges.py).
FACETS = {"verification": "verification", "dispute": "dispute", "severity": "severity", "status": "hazard_status",
          "confidence": "confidence"}  # fmt: skip


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    yield page
    context.close()


@pytest.mark.parametrize("lang", ["", "/fr"])
def test_filters_are_within_the_first_screen_on_a_phone(phone, demo_server, lang):
    phone.goto(f"{demo_server}{lang}/incidents/")
    summary = phone.locator("details.filters-disclosure > summary")
    box = summary.bounding_box()
    assert box is not None and box["y"] + box["height"] <= PHONE["height"], box
    assert summary.inner_text().strip() == ("Filtres" if lang else "Filters")
    severity = phone.locator("#f-severity")
    assert not severity.is_visible()  # closed: the results follow at once
    summary.click()
    assert severity.is_visible() and phone.locator("#f-q").is_visible()
    # htmx still drives the form inside the disclosure, which stays open for the next choice.
    with phone.expect_response(
        lambda r: "severity=significant" in r.url and r.request.headers.get("hx-request")
    ):
        phone.check("#f-severity-significant")
    phone.wait_for_url(re.compile(r"severity=significant"))
    phone.wait_for_function("document.querySelector('#f-severity-significant').checked")
    assert phone.locator("details.filters-disclosure").get_attribute("open") is not None
    assert phone.locator("#f-severity").is_visible()
    assert phone.console_errors == []


def test_filters_are_shown_beside_the_results_on_a_wide_screen(browser, demo_server):
    context = browser.new_context(viewport=WIDE, java_script_enabled=False)
    page = context.new_page()
    page.goto(demo_server + "/incidents/")
    assert page.locator("#f-severity").is_visible()  # open without a click, and without JavaScript
    assert not page.locator("details.filters-disclosure > summary").is_visible()
    filters = page.locator("form.filters").bounding_box()
    results = page.locator(".results").bounding_box()
    assert filters["x"] + filters["width"] <= results["x"] and abs(filters["y"] - results["y"]) < 50
    context.close()


@pytest.mark.parametrize("lang", ["", "/fr"])
def test_no_page_scrolls_sideways_on_a_phone(phone, demo_server, lang):
    wide = {}
    for path in NO_SIDEWAYS_SCROLL:
        phone.goto(f"{demo_server}{lang}{path}")
        width = phone.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"] + 1:
            wide[lang + path] = width
    assert wide == {}


@pytest.mark.parametrize("lang", ["", "/fr"])
def test_tables_scroll_in_their_box_on_a_phone(phone, demo_server, lang):
    for path in ("/entities/", "/systems/", "/corrections/", RECORD, "/stats/"):
        phone.goto(f"{demo_server}{lang}{path}")
        outside = phone.evaluate(
            "[...document.querySelectorAll('main table')].filter(t => !t.closest('.table-scroll')).length"
        )
        assert outside == 0, path


@pytest.mark.parametrize("lang", ["", "/fr"])
def test_chart_text_is_readable_on_a_phone(phone, demo_server, lang):
    phone.goto(f"{demo_server}{lang}/stats/")
    sizes = phone.evaluate(
        """[...document.querySelectorAll('.chart svg text')].map(t => {
             const m = t.getScreenCTM();
             return parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b);
           })"""
    )
    assert len(sizes) > 50 and min(sizes) >= 11, min(sizes)
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_badges_name_their_facet(phone, demo_server, lang):
    tax = get_taxonomy()
    prefix = "/fr" if lang == "fr" else ""
    seen = set()
    for path, selector in (("/incidents/", ".record-list .badge"), ("/hazards/", ".record-list .badge"),
                           (RECORD, ".record-header .badge"), (HAZARD, ".record-header .badge"),
                           ("/", "main .badge")):  # fmt: skip
        phone.goto(f"{demo_server}{prefix}{path}")
        badges = phone.locator(selector)
        assert badges.count() > 0, path
        for i in range(badges.count()):
            badge = badges.nth(i)
            kind = re.search(r"\bbadge-([a-z]+)\b", badge.get_attribute("class")).group(1)
            text = " ".join(badge.inner_text().split())
            if kind == "version":
                assert text.startswith("Version"), text
                continue
            facet = tax[FACETS[kind]].label_in(lang)
            assert text.startswith(facet), (path, text, facet)
            seen.add(kind)
    assert {"verification", "severity", "status", "confidence"} <= seen


@pytest.mark.parametrize("lang", ["", "/fr"])
def test_assessed_mark_leads_to_its_explanation(phone, demo_server, lang):
    phone.goto(f"{demo_server}{lang}{RECORD}")
    marks = phone.locator("a.assessed")
    assert marks.count() >= 3
    name = marks.first.evaluate("a => a.textContent")
    assert ("évalué" if lang else "assessed") in name and len(name.split()) > 3  # says more than the mark
    assert marks.first.get_attribute("href") == f"{lang}/methodology/#assessed"
    marks.first.click()
    phone.wait_for_url(re.compile(r"/methodology/#assessed$"))
    heading = phone.locator("h2#assessed")
    assert ("évalué" if lang else "assessed") in heading.inner_text()
    assert heading.bounding_box()["y"] < PHONE["height"]  # scrolled to it


@pytest.mark.parametrize("lang", ["", "/fr"])
def test_badge_key_on_the_lists_and_the_methodology(phone, demo_server, lang):
    phone.goto(f"{demo_server}{lang}/incidents/")
    key = phone.locator("details.badge-key")
    key.locator("summary").click()
    assert key.locator(".badge-legend .badge-verification-confirmed").is_visible()
    assert key.locator(f'a[href="{lang}/methodology/#badges"]').count() == 1
    phone.goto(f"{demo_server}{lang}/methodology/#badges")
    legend = phone.locator("section:has(> h2#badges) .badge-legend")
    assert legend.locator(".badge").count() >= 15  # every value of the five facets


def test_page_title_is_not_stuck_under_the_banner(phone, demo_server):
    for path in ("/", "/incidents/", "/stats/"):
        phone.goto(demo_server + path)
        gap = phone.evaluate(
            "document.querySelector('h1').getBoundingClientRect().top"
            " - document.querySelector('main').previousElementSibling.getBoundingClientRect().bottom"
        )
        assert gap >= 16, (path, gap)
