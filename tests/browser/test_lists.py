"""Filters work the same without JavaScript and with htmx; the browser history keeps the filter state."""

from __future__ import annotations

import re

LIST = "/incidents/"


def listed(page) -> list[str]:
    return page.locator("ol.record-list h2 a").evaluate_all("els => els.map(e => e.getAttribute('href'))")


def test_filter_without_javascript_matches_htmx(browser, demo_server):
    # Without JavaScript: the form is a plain GET form.
    context = browser.new_context(java_script_enabled=False)
    plain = context.new_page()
    plain.goto(demo_server + LIST)
    plain.check("#f-severity-significant")
    plain.click("form.filters button[type=submit]")
    plain.wait_for_url(re.compile(r"severity=significant"))
    assert plain.url == demo_server + LIST + "?severity=significant"  # the empty fields left out (a redirect)
    without_js = listed(plain)
    plain_count = plain.locator(".result-count").inner_text()
    context.close()

    context = browser.new_context()
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(demo_server + LIST)
    with page.expect_response(
        lambda r: "severity=significant" in r.url and r.request.headers.get("hx-request")
    ):
        page.check("#f-severity-significant")  # htmx fires on change, no submit needed
    page.wait_for_url(re.compile(r"severity=significant"))
    assert (
        page.url == demo_server + LIST + "?severity=significant"
    )  # pushed clean by the server (HX-Push-Url)
    assert listed(page) == without_js and without_js
    assert page.locator(".result-count").inner_text() == plain_count
    assert errors == []
    context.close()


def test_back_and_forward_keep_the_filter_state(page, demo_server):
    page.goto(demo_server + LIST)
    everything = listed(page)
    with page.expect_response(lambda r: "severity=significant" in r.url):
        page.check("#f-severity-significant")
    page.wait_for_url(re.compile(r"severity=significant"))
    filtered = listed(page)
    assert filtered != everything
    page.go_back()
    page.wait_for_url(demo_server + LIST)
    page.wait_for_function("!document.querySelector('#f-severity-significant').checked")
    assert listed(page) == everything
    page.go_forward()
    page.wait_for_url(re.compile(r"severity=significant"))
    page.wait_for_function("document.querySelector('#f-severity-significant').checked")
    assert listed(page) == filtered
    assert page.console_errors == []


def test_search_from_the_list(page, demo_server):
    page.goto(demo_server + "/fr" + LIST)
    page.fill("#f-q", "hypertrucage")
    with page.expect_response(lambda r: "q=hypertrucage" in r.url):
        page.press("#f-q", "Enter")
    page.locator("mark").first.wait_for()  # the answer is in; htmx swaps it in just after
    assert all("/fr/incidents/" in href for href in listed(page))


def test_two_values_of_a_facet_with_htmx(page, demo_server):
    page.goto(demo_server + LIST)
    with page.expect_response(
        lambda r: "severity=significant" in r.url and r.request.headers.get("hx-request")
    ):
        page.check("#f-severity-significant")
    page.wait_for_url(re.compile(r"severity=significant$"))
    one = listed(page)
    with page.expect_response(lambda r: "severity=severe" in r.url and r.request.headers.get("hx-request")):
        page.check("#f-severity-severe")
    page.wait_for_url(re.compile(r"severity=significant&severity=severe$"))
    both = listed(page)
    assert set(one) < set(both)
    assert page.locator(".active-filters li").count() == 2  # one chip per value
    assert "Severity:" in page.title()
    assert page.console_errors == []


def test_typing_part_of_a_name_offers_the_matching_entities_as_one_types(page, demo_server):
    page.goto(demo_server + LIST)
    before = page.locator("#f-entity input[type=checkbox]").count()
    page.locator("#f-entity_q").press_sequentially("canad", delay=40)
    page.wait_for_url(re.compile(r"entity_q=canad"))
    choices = page.locator("#f-entity li label")
    choices.first.wait_for()
    names = choices.all_inner_texts()
    assert names and all("canad" in name.casefold() for name in names)
    assert page.locator("#f-entity input[type=checkbox]").count() != before
    assert page.evaluate("document.activeElement.id") == "f-entity_q"  # one keeps typing in the box
    choices.first.click()  # choosing one filters the list by it
    page.wait_for_url(re.compile(r"entity=[\w-]+"))
    page.locator("ol.record-list li.record-item").first.wait_for()
    assert page.console_errors == []
