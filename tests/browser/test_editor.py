"""The editorial area in a real browser: an incident written from nothing through the editor's forms (htmx live
lint and entity creation included), the lint panel's links, review by a second person, publication of two
versions and the public diff; the conflict screen when two people save the same record; the editor without
JavaScript.

Each test signs in through /staff/login/ with the accounts of the `staff_accounts` fixture and writes records
with addresses of its own, so the tests run alone or together, in any order, on the session's demo server.
"""

from __future__ import annotations

import itertools
import re
import uuid

import pytest
from playwright.sync_api import Page, expect

RUN = uuid.uuid4().hex[:6]
_numbers = itertools.count(1)
EDIT_URL = re.compile(r"/staff/records/(\d+)/edit/$")
TIMEOUT_MS = 15_000


def unique(prefix: str) -> str:
    """An address no other test (nor an earlier run on the same server) uses."""
    return f"t-{prefix}-{RUN}-{next(_numbers)}"


# -- pages and people ------------------------------------------------------------------------------------------


@pytest.fixture
def open_page(browser, demo_server):
    """A page in a browser context of its own (its own cookies: one signed-in person), which notes the console
    errors of every page it shows in `page.console_errors`."""
    contexts = []

    def open_(*, java_script_enabled: bool = True) -> Page:
        context = browser.new_context(base_url=demo_server, java_script_enabled=java_script_enabled)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.console_errors = []
        page.on(
            "console",
            lambda m: page.console_errors.append(f"{page.url}: {m.text}") if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: page.console_errors.append(f"{page.url}: {e}"))
        return page

    yield open_
    for context in contexts:
        context.close()


def sign_in(page: Page, account) -> None:
    """Through the real sign-in page, as a person does."""
    page.goto("/staff/login/")
    page.get_by_label("Username").fill(account.username)
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/staff/$"))
    expect(page.locator(".staff-user")).to_contain_text(f"Signed in as {account.username}")


def new_record(page: Page, record_type: str, slug: str, title_en: str) -> int:
    """Create a draft from the New incident / New hazard page; returns its number (we land on its editor)."""
    page.goto(f"/staff/records/new/?type={record_type}")
    page.get_by_label("Address").fill(slug)
    page.get_by_label("Title (English)").fill(title_en)
    page.get_by_role("button", name="Create the draft").click()
    page.wait_for_url(EDIT_URL)
    expect(page.locator(".messages")).to_contain_text("Draft created.")
    return int(EDIT_URL.search(page.url)[1])


# -- the record form -------------------------------------------------------------------------------------------


def field(page: Page, name: str):
    return page.locator(f'#record-form [name="{name}"]')


def fill(page: Page, name: str, value) -> None:
    """Set a field of the record form by its input name as a person would: type in it, choose in the list, or
    tick the boxes of the values given (a list) and untick the others."""
    found = field(page, name)
    kind = found.first.evaluate("e => e.type")
    if kind == "select-one":
        found.select_option(value)
    elif kind == "checkbox" and isinstance(value, bool):
        found.set_checked(value)
    elif kind == "checkbox":
        values = [value] if isinstance(value, str) else list(value)
        for box in found.all():
            box.set_checked(box.get_attribute("value") in values)
    else:
        found.fill(value)


def fill_all(page: Page, values: dict) -> None:
    for name, value in values.items():
        fill(page, name, value)


def fill_row(page: Page, list_name: str, index: int, values: dict) -> None:
    """One row of a child list (formset): `index` counts from 0, as the input names do."""
    fill_all(page, {f"{list_name}-{index}-{key}": value for key, value in values.items()})


def rows(page: Page, list_name: str) -> int:
    return page.locator(f'[id="{list_name}-items"] > li').count()


def save(page: Page, expect_status: int = 200):
    """Press Save and wait for the page it leads to; returns that page's response (after the redirect)."""
    with page.expect_navigation() as navigation:
        page.locator("#record-form").get_by_role("button", name="Save").click()
    response = navigation.value
    assert response.status == expect_status, f"saving answered {response.status}, expected {expect_status}"
    if expect_status == 200:
        expect(page.locator(".messages")).to_contain_text("Saved.")
    return response


def lint_issues(page: Page, level: str = "error") -> dict[str, str]:
    """The lint panel's issues of one level: {field path (the link's text): the whole line}."""
    items = page.locator(f"#lint-panel li.lint-{level}")
    return {item.locator("a").inner_text(): item.inner_text() for item in items.all()}


def follow_lint_link(page: Page, path: str) -> None:
    """Click the lint panel's link to a field: the page jumps to it (the URL's hash, the :target element, in view)."""
    page.locator("#lint-panel").get_by_role("link", name=path, exact=True).click()
    page.wait_for_function("hash => decodeURIComponent(location.hash) === hash", arg=f"#field-{path}")
    target = page.locator(f'[id="field-{path}"]')
    expect(target).to_be_visible()
    expect(target).to_be_in_viewport()
    assert page.evaluate("document.querySelector(':target')?.id") == f"field-{path}"


def dead_lint_links(page: Page) -> list[str]:
    """The lint panel's links whose target is not on the page."""
    hrefs = page.locator("#lint-panel a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    return [h for h in hrefs if not page.evaluate("id => !!document.getElementById(id)", h.split("#", 1)[1])]


def csrf_headers(page: Page) -> dict[str, str]:
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    return {"X-CSRFToken": token}


# -- 1. from nothing to version 2 ------------------------------------------------------------------------------


def incident_content(uid: str, entity_slug: str) -> dict:
    """What the editor writes, by save round (the form offers one empty row per list: save, and another
    appears). The first rounds hold two mistakes on purpose: no severity, and a citation of no source."""
    regulator, news, watchdog = "Privacy Commissioner, 2025", "Daily Ledger, 2025", "Consumer Watch, 2025"

    def source(key, kind, publisher, title, slug):
        return {
            "citation_key": key,
            "source_type": kind,
            "publisher": publisher,
            "title": title,
            "url": f"https://{slug}.example.ca/{uid}",
            "date_published": "2025-03-04",
            "supports_en": f"What {publisher} reported.",
            "supports_fr": f"Ce que {publisher} a rapporté.",
        }

    return {
        "record": {
            "title_fr": "L'assistant HelpBot a annoncé de faux remboursements",
            "verification": "confirmed",
            "summary_en": "A customer-service assistant promised refunds that did not exist. "
            "The company honoured none of them.",
            "summary_fr": "Un assistant du service à la clientèle a promis des remboursements inexistants.",
            "narrative_en": "The assistant gave wrong refund rules for months (Daily Ledger, 2025). "
            "Customers complained (Consumer Watch, 2025).\n\n"
            "The regulator found the company responsible (Privacy Commissioner, 2025).",
            "narrative_fr": "L'assistant a donné de mauvaises règles pendant des mois (Daily Ledger, 2025). "
            "Un journal l'a confirmé (Ghost Gazette, 2025).\n\n"
            "L'organisme a conclu à la responsabilité de l'entreprise (Privacy Commissioner, 2025).",
            "occurred": "2024-11-01",
            "occurred_precision": "month",
            "domains": ["consumer_technology"],
            "harm_types": ["economic_harm", "misinformation_manipulation"],
            "canada_nexus": "harm_in_canada",
        },
        "sources": [
            source(
                regulator, "regulator", "Office of the Privacy Commissioner", "Findings on HelpBot", "gov"
            ),
            source(news, "media", "Daily Ledger", "HelpBot misled customers", "news"),
            source(watchdog, "civil_society", "Consumer Watch", "Complaints about HelpBot", "watch"),
        ],
        "harms": [
            {
                "description_en": "Customers lost money.",
                "description_fr": "Des clients ont perdu de l'argent.",
                "harm_types": ["economic_harm"],
                "severity": "minor",
                "reach": "group",
            },
            {
                "description_en": "Customers were misled about their rights.",
                "description_fr": "Des clients ont été induits en erreur sur leurs droits.",
                "harm_types": ["misinformation_manipulation"],
                "severity": "minor",
                "reach": "group",
            },
        ],
        "policy_recommendations": [
            {
                "text_en": "Test assistants against the refund policy before release.",
                "text_fr": "Tester les assistants par rapport à la politique de remboursement.",
                "source_key": regulator,
            },
            {
                "text_en": "Give customers a way to reach a person.",
                "text_fr": "Permettre aux clients de joindre une personne.",
                "source_key": watchdog,
            },
        ],
        "entities": [
            {
                "entity": entity_slug,
                "roles": ["developer", "deployer"],
                "description_en": "Runs the assistant.",
                "description_fr": "Exploite l'assistant.",
            },
        ],
    }


def create_entity_in_place(page: Page, name: str) -> str:
    """The editor page's "New entity" box (htmx): the entity is created without leaving the page, and the answer
    gives its address; returns that address."""
    before = page.url
    box = page.locator("section", has=page.get_by_role("heading", name="New entity"))
    box.get_by_label("Name", exact=True).fill(name)
    box.get_by_label("Kind").select_option("company")
    with page.expect_response(lambda r: r.url.endswith("/staff/entities/new/")) as answer:
        box.get_by_role("button", name="Create the entity").click()
    assert answer.value.status == 200, answer.value.text()
    created = page.locator("#entity-created")
    expect(created).to_contain_text(f"“{name}” created")
    assert page.url == before, "creating an entity with JavaScript must not leave the editor"
    return created.locator("code").inner_text()


def test_editor_to_public_v2(open_page, staff_accounts):
    uid = f"{RUN}-{next(_numbers)}"
    slug = f"t-helpbot-{uid}"
    title = f"HelpBot announced refunds that did not exist {uid}"
    editor = open_page()
    sign_in(editor, staff_accounts["editor"])
    pk = new_record(editor, "incident", slug, title)
    edit_url = f"/staff/records/{pk}/edit/"
    record_url = f"/staff/records/{pk}/"
    public_url = f"/incidents/{slug}/"

    # A new entity, from the editor page's own box, without leaving the page (htmx).
    entity_slug = create_entity_in_place(editor, f"HelpBot Systems {uid}")
    content = incident_content(uid, entity_slug)

    # Round 1: the record's own fields and the first row of each list; the entity row finds the new entity
    # by search as you type.
    fill_all(editor, content["record"])
    fill_row(editor, "sources", 0, content["sources"][0])
    fill_row(editor, "harms", 0, content["harms"][0])
    fill_row(editor, "policy_recommendations", 0, content["policy_recommendations"][0])
    entity_row = content["entities"][0]
    with editor.expect_response(lambda r: "/staff/entities/search/" in r.url) as search:
        field(editor, "entities-0-entity").press_sequentially(entity_row["entity"][:12])
    assert entity_slug in search.value.text()
    expect(editor.locator(f'#entity-options option[value="{entity_slug}"]')).to_have_count(1)
    fill_row(editor, "entities", 0, entity_row)
    save(editor)
    # Rounds 2 and 3: saving offered a new empty row in each list.
    assert [rows(editor, name) for name in ("sources", "harms", "policy_recommendations")] == [2, 2, 2]
    fill_row(editor, "sources", 1, content["sources"][1])
    fill_row(editor, "harms", 1, content["harms"][1])
    fill_row(editor, "policy_recommendations", 1, content["policy_recommendations"][1])
    save(editor)
    fill_row(editor, "sources", 2, content["sources"][2])
    save(editor)
    assert rows(editor, "sources") == 4 and rows(editor, "harms") == 3 and rows(editor, "entities") == 2
    assert field(editor, "entities-0-entity").input_value() == entity_slug
    assert field(editor, "policy_recommendations-1-source_key").input_value() == "Consumer Watch, 2025"

    # The lint panel shows the two mistakes, and only them; its links lead to the fields.
    errors = lint_issues(editor)
    assert set(errors) == {"severity", "narrative_fr"}, errors
    assert "Ghost Gazette, 2025" in errors["narrative_fr"]
    assert dead_lint_links(editor) == []
    follow_lint_link(editor, "narrative_fr")
    # Fixing a field re-lints the form as it stands (htmx), without saving it.
    fixed = content["record"]["narrative_fr"].replace(" Un journal l'a confirmé (Ghost Gazette, 2025).", "")
    with editor.expect_response(lambda r: r.url.endswith(f"/staff/records/{pk}/lint/")):
        fill(editor, "narrative_fr", fixed)
        field(editor, "narrative_fr").blur()
    expect(editor.locator("#lint-panel")).to_contain_text("as the form stands, not saved")
    assert set(lint_issues(editor)) == {"severity"}
    follow_lint_link(editor, "severity")
    with editor.expect_response(lambda r: r.url.endswith(f"/staff/records/{pk}/lint/")):
        fill(editor, "severity", "significant")
    expect(editor.locator("#lint-panel")).to_contain_text("No lint issue.")
    save(editor)
    expect(editor.locator("#lint-panel")).to_contain_text("No lint issue.")

    # To review. The editor cannot publish: no form, and a forged request is refused with nothing written.
    editor.goto(record_url)
    editor.get_by_label("Move to").select_option("review")
    editor.get_by_role("button", name="Move").click()
    expect(editor.locator(".messages")).to_contain_text("The record is now in “Review”.")
    expect(editor.locator(".stage")).to_have_text("Review")
    expect(editor.locator(f'form[action="/staff/records/{pk}/publish/"]')).to_have_count(0)
    expect(editor.get_by_role("button", name=re.compile("publish", re.I))).to_have_count(0)
    forged = editor.request.post(
        f"{record_url}publish/",
        form={"changelog_en": "x", "changelog_fr": "y"},
        headers=csrf_headers(editor),
        max_redirects=0,
    )
    assert forged.status == 403 and "CSRF" not in forged.text(), (forged.status, forged.text()[:300])
    control = editor.request.post(
        f"{record_url}comment/",
        form={"text": f"Ready for review {uid}."},
        headers=csrf_headers(editor),
        max_redirects=0,
    )
    assert control.status == 302, "the same request with the same token is accepted where the editor may act"
    editor.reload()
    expect(editor.locator(".timeline")).to_contain_text(f"Ready for review {uid}.")
    expect(editor.locator(".stage")).to_have_text("Review")
    expect(editor.locator(".versions")).to_contain_text("Not published yet.")
    assert editor.request.get(public_url).status == 404

    # The reviewer publishes version 1.
    reviewer = open_page()
    sign_in(reviewer, staff_accounts["reviewer"])
    publish(reviewer, record_url, "First version.", "Première version.", button="Approve and publish")
    reviewer.goto(public_url)
    expect(reviewer.locator("h1")).to_have_text(title)
    expect(reviewer.locator(".version-line")).to_have_text("Version 1")

    # The editor corrects one sentence; the reviewer publishes version 2.
    editor.goto(edit_url)
    summary = content["record"]["summary_en"]
    fill(editor, "summary_en", summary.replace("honoured none of them", "later refunded every customer"))
    save(editor)
    publish(
        reviewer,
        record_url,
        "Corrected the summary.",
        "Résumé corrigé.",
        button="Approve and publish a new version",
    )

    # The public page: both changelog lines, version 2, and what changed.
    reviewer.goto(public_url)
    expect(reviewer.locator(".version-line")).to_have_text("Version 2")
    changelog = reviewer.locator("table.changelog")
    expect(changelog).to_contain_text("First version.")
    expect(changelog).to_contain_text("Corrected the summary.")
    changelog.get_by_role("link", name="what changed").click()
    reviewer.wait_for_url(re.compile(rf"/incidents/{slug}/diff/1/2/$"))
    expect(reviewer.locator("h1")).to_have_text("What changed from version 1 to version 2")
    summary_row = reviewer.locator("table.diff tr", has_text="Summary")
    expect(summary_row).to_have_count(1)
    assert " ".join(summary_row.locator("ins").all_inner_texts()) == "later refunded every customer."
    assert " ".join(summary_row.locator("del").all_inner_texts()) == "honoured none of them."
    reviewer.goto(f"/fr{public_url}")
    expect(reviewer.locator("table.changelog")).to_contain_text("Résumé corrigé.")

    errors = editor.console_errors + reviewer.console_errors
    known = (
        "\nAn input's pattern attribute is not a valid regular expression under the v flag browsers use."
        if any("Pattern attribute value" in e for e in errors)
        else ""
    )
    assert not errors, "console errors on the pages visited:\n" + "\n".join(errors) + known


def publish(page: Page, record_url: str, changelog_en: str, changelog_fr: str, *, button: str) -> None:
    page.goto(record_url)
    page.get_by_label("Changelog (English)").fill(changelog_en)
    page.get_by_label("Changelog (French)").fill(changelog_fr)
    page.get_by_role("button", name=button, exact=True).click()
    expect(page.locator(".messages")).to_contain_text(re.compile(r"Version \d+ is published\."))
    expect(page.locator(".versions")).to_contain_text(changelog_en)


# -- 2. two people save the same record ------------------------------------------------------------------------


def test_second_save_gets_the_conflict_screen(open_page, staff_accounts):
    a, b = open_page(), open_page()
    sign_in(a, staff_accounts["editor"])
    sign_in(b, staff_accounts["editor2"])
    pk = new_record(a, "incident", unique("conflict"), "A record two editors open at once")
    b.goto(f"/staff/records/{pk}/edit/")  # both forms now hold the same version of the record

    fill(a, "summary_en", "Summary saved first, by editor A.")
    save(a)
    mine = "Summary written at the same time by editor B, which must not be lost."
    fill(b, "summary_en", mine)
    save(b, expect_status=409)
    expect(b.get_by_role("heading", name="Someone saved this record while you were editing")).to_be_visible()
    summary_row = b.locator(".conflict-table tr", has_text="Summary")
    expect(summary_row.locator(".theirs")).to_contain_text("Summary saved first, by editor A.")
    expect(summary_row.locator(".mine")).to_contain_text(mine)
    expect(field(b, "summary_en")).to_have_value(mine)  # nothing lost: B's text is still in B's form

    save(b)  # saving again from the conflict screen is a deliberate choice: it goes through
    expect(field(b, "summary_en")).to_have_value(mine)
    b.goto(f"/staff/records/{pk}/preview/")
    expect(b.locator("main")).to_contain_text(mine)
    expect(b.locator("main")).not_to_contain_text("Summary saved first, by editor A.")


# -- 3. without JavaScript -------------------------------------------------------------------------------------


def test_editor_works_without_javascript(open_page, staff_accounts):
    page = open_page(java_script_enabled=False)
    sign_in(page, staff_accounts["editor"])
    pk = new_record(page, "hazard", unique("nojs-hazard"), "Assistants that invent company policy")
    expect(page.locator("#lint-panel")).to_contain_text("errors block publication")  # a new draft lacks a lot
    dead_links = dead_lint_links(page)
    values = {
        "title_fr": "Des assistants qui inventent la politique de l'entreprise",
        "summary_en": "Customer-service assistants can state policies that do not exist.",
        "summary_fr": "Les assistants peuvent énoncer des politiques inexistantes.",
        "governance_gap_en": "No rule requires companies to test their assistants.",
        "governance_gap_fr": "Aucune règle n'oblige les entreprises à tester leurs assistants.",
        "severity": "significant",
        "hazard_status": "active",
        "confidence": "medium",
        "identified": "2024-01-01",
        "domains": ["consumer_technology", "finance"],
        "harm_types": ["economic_harm"],
        "canada_nexus": "canadian_governance_gap",
        "canada_nexus_note_en": "Such assistants are deployed in Canada.",  # no French yet: a warning
    }
    fill_all(page, values)
    save(page)  # a plain form post: the page comes back with the saved values
    for name, value in values.items():
        if isinstance(value, list):
            checked = field(page, name).evaluate_all(
                "boxes => boxes.filter(b => b.checked).map(b => b.value)"
            )
            assert sorted(checked) == sorted(value), name
        else:
            expect(field(page, name)).to_have_value(value)
    # The lint list, rendered by the server: what is still missing, and nothing of what was filled in.
    errors = lint_issues(page)
    assert set(errors) == {"sources", "harms"}, errors
    warnings = lint_issues(page, "warning")
    assert any(path.endswith("canada_nexus_note_fr") for path in warnings), warnings
    expect(page.locator("#lint-panel .lint-summary")).to_have_text("2 errors block publication.")
    dead_links += dead_lint_links(page)

    # The New entity box works without JavaScript too: it leaves the page and comes back to the editor.
    name = f"No Script Labs {RUN}-{next(_numbers)}"
    box = page.locator("section", has=page.get_by_role("heading", name="New entity"))
    box.get_by_label("Name", exact=True).fill(name)
    with page.expect_navigation(url=re.compile(rf"/staff/records/{pk}/edit/$")):
        box.get_by_role("button", name="Create the entity").click()
    expect(page.locator(".messages")).to_contain_text(f"“{name}” created")

    # Every link of the lint list leads to a field of the form.
    assert not dead_links, f"lint links that lead to no field of the editor: {dead_links}"


# -- 4. the New entity box when it refuses ---------------------------------------------------------------------


def test_new_entity_box_says_why_it_refuses(open_page, staff_accounts):
    """The box answers in place when it refuses too (here: the address is taken)."""
    page = open_page()
    sign_in(page, staff_accounts["editor"])
    new_record(page, "incident", unique("entity-refusal"), "A record whose editor creates an entity twice")
    name = f"Twice Named Labs {RUN}-{next(_numbers)}"
    create_entity_in_place(page, name)
    box = page.locator("section", has=page.get_by_role("heading", name="New entity"))
    with page.expect_response(lambda r: r.url.endswith("/staff/entities/new/")) as answer:
        box.get_by_role("button", name="Create the entity").click()
    assert "is taken" in answer.value.text()  # the fragment holds the refusal (htmx swaps successful answers)
    expect(page.locator("#entity-created"), "the refusal is shown in the box").to_contain_text("is taken")
