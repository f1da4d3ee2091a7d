"""What only a browser shows: the language switch, citation anchors, no console errors, no script from data."""

from __future__ import annotations

RECORD = "/incidents/air-canada-chatbot-bereavement-fare/"


def test_language_switch_lands_on_the_same_record(page, demo_server):
    page.goto(demo_server + RECORD)
    title_en = page.locator("h1").inner_text()
    page.locator("header .lang-switch").click()
    page.wait_for_url(demo_server + "/fr" + RECORD)
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("h1").inner_text() != title_en
    assert page.get_by_role("heading", name="Journal des modifications").is_visible()
    page.locator("header .lang-switch").click()
    page.wait_for_url(demo_server + RECORD)
    assert page.locator("h1").inner_text() == title_en
    assert page.console_errors == []


def test_citation_link_jumps_to_its_source(page, demo_server):
    page.goto(demo_server + RECORD)
    link = page.locator("a.cite").first
    target = link.get_attribute("href")
    link.click()
    assert page.url.endswith(target)
    assert page.locator(target).is_visible()


def test_main_pages_have_no_console_errors(page, demo_server):
    for path in ("/", "/fr/", "/incidents/", "/hazards/", "/fr/hazards/", RECORD, "/about/", "/staff/login/",
                 "/stats/", "/fr/stats/", "/entities/", "/entities/air-canada/", "/search/?q=deepfake",
                 "/taxonomy/", "/methodology/", "/corrections/"):  # fmt: skip
        page.goto(demo_server + path)
        assert page.console_errors == [], (path, page.console_errors)


def test_skip_link_moves_focus_to_main(page, demo_server):
    page.goto(demo_server + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
