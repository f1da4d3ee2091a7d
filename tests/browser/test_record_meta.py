"""A reader sees each record's type and date wherever records are listed, in both languages, and can reach the
list behind a statistics bar with the keyboard."""

from __future__ import annotations

import re

import pytest

TYPES = {"": {"Incident", "Hazard"}, "/fr": {"Incident", "Danger"}}
PUBLISHED = {"": "Published", "/fr": "Publié le"}
# page -> each record of its list
ITEMS = {
    "/incidents/": "ol.record-list > li.record-item",
    "/hazards/": "ol.record-list > li.record-item",
    "/search/?q=deepfake": "ol.record-list > li.record-item",
    "/": "section[aria-labelledby='h-latest'] > ul > li",
    "/entities/air-canada/": "ul.linked-records > li",
}


@pytest.mark.parametrize("lang", ["", "/fr"])
@pytest.mark.parametrize("path", ITEMS)
def test_every_listed_record_shows_its_type_and_date(page, demo_server, lang, path):
    page.goto(demo_server + lang + path)
    items = page.locator(ITEMS[path])
    assert items.count() > 0
    for i in range(items.count()):
        line = items.nth(i).locator(".record-meta")
        assert line.count() == 1 and line.is_visible()
        assert line.locator(".record-type").inner_text() in TYPES[lang]
        when = line.locator("time").first
        assert when.is_visible()
        stamp = when.get_attribute("datetime")
        assert re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", stamp), stamp
        text = line.inner_text()
        assert re.search(r"\d{4}", text), text
        if "Published" in text or "Publié" in text:
            assert PUBLISHED[lang] in text


@pytest.mark.parametrize("lang", ["", "/fr"])
def test_a_chart_bar_is_a_keyboard_link_to_its_list(page, demo_server, lang):
    page.goto(demo_server + lang + "/stats/")
    bar = page.locator("#domain a.chart-link").first
    name = bar.get_attribute("aria-label")
    value = int(re.sub(r"\D", "", name.rsplit(":", 1)[1]))
    bar.focus()
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == name
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert re.search(r"/(incidents|hazards)/\?domain=", page.url)
    assert int(re.sub(r"\D", "", page.locator(".result-count").inner_text())) == value


@pytest.mark.parametrize("lang", ["", "/fr"])
def test_a_list_opens_its_records_over_time(page, demo_server, lang):
    page.goto(demo_server + lang + "/incidents/?domain=finance")
    total = int(re.sub(r"\D", "", page.locator(".result-count").inner_text()))
    page.locator(".over-time-link a").click()
    page.wait_for_url(re.compile(r"/stats/\?domain=finance&type=incident"))
    cells = page.locator("#table-over-time tbody tr td:last-child").all_inner_texts()
    assert sum(int(re.sub(r"\D", "", c)) for c in cells) == total
