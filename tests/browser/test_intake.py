"""A submission end to end in a real browser: the public form, the private status link, and the status changing
after an editor declines it; a second submission attached to a record shows "attached"."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

TIMEOUT_MS = 15_000


def submit_report(page, demo_server, text: str) -> str:
    page.goto(f"{demo_server}/submit/")
    page.get_by_label("Links to reports of it").fill(f"https://news.example.ca/{uuid.uuid4().hex[:8]}")
    page.get_by_label("What happened").fill(text)
    page.get_by_label("Your email (optional)").fill("reader@example.org")
    page.get_by_label("I agree that the editors process").check()
    page.wait_for_timeout(3200)  # a person takes longer than the minimum fill time
    page.get_by_role("button", name="Send the report").click()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    link = page.locator("a.status-link")
    link.click()
    expect(page.locator("#status")).to_contain_text("Received: the editors will screen it soon.")
    return page.url


def open_lead_as_editor(browser, demo_server, staff_accounts, text: str):
    context = browser.new_context(base_url=demo_server)
    context.set_default_timeout(TIMEOUT_MS)
    staff = context.new_page()
    account = staff_accounts["editor"]
    staff.goto("/staff/login/")
    staff.get_by_label("Username").fill(account.username)
    staff.get_by_label("Password").fill(account.password)
    staff.get_by_role("button", name="Sign in").click()
    staff.goto("/staff/leads/?status=open")
    staff.get_by_role("row").filter(has_text=text).get_by_role("link").first.click()
    expect(staff.get_by_text(text)).to_be_visible()
    return context, staff


def test_submit_follow_the_status_link_declined_then_attached(page, browser, demo_server, staff_accounts):
    page.set_default_timeout(TIMEOUT_MS)
    text = f"Browser report {uuid.uuid4().hex[:8]}: a chatbot misled travellers."
    status_url = submit_report(page, demo_server, text)
    assert re.search(r"/submit/status/[\w-]{20,}/$", status_url)

    context, staff = open_lead_as_editor(browser, demo_server, staff_accounts, text)
    expect(staff.locator(".lead-contact")).to_contain_text("reader@example.org")
    staff.get_by_label("Reason").select_option("no_nexus")
    staff.get_by_role("button", name="Decline the lead").click()
    expect(staff.get_by_text("The lead is declined")).to_be_visible()

    page.goto(status_url)
    expect(page.locator("#status")).to_contain_text("Declined: No Canada nexus.")
    assert "reader@example.org" not in page.content()
    page.goto(status_url.replace(demo_server, demo_server + "/fr"))
    expect(page.locator("#status")).to_contain_text("Écarté : Aucun lien avec le Canada.")

    # a second report, attached to a published record
    page.goto(f"{demo_server}/incidents/")
    hrefs = page.locator("main a[href^='/incidents/']").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    slug = next(m[1] for h in hrefs if (m := re.fullmatch(r"/incidents/([a-z0-9-]*[a-z][a-z0-9-]*)/", h)))
    text2 = f"Browser report {uuid.uuid4().hex[:8]}: the same chatbot again."
    status_url2 = submit_report(page, demo_server, text2)
    staff.goto("/staff/leads/?status=open")
    staff.get_by_role("row").filter(has_text=text2).get_by_role("link").first.click()
    staff.get_by_text("Attach to an existing record").click()
    staff.get_by_label("Record (number or slug)").fill(slug)
    staff.get_by_role("button", name="Attach the lead").click()
    expect(staff.get_by_text("The lead is attached to the record")).to_be_visible()
    context.close()

    page.goto(status_url2)
    expect(page.locator("#status")).to_contain_text("Attached to the record")
    expect(page.locator("#status a")).to_have_attribute("href", f"/incidents/{slug}/")
    assert page.console_errors == []
