"""axe-core finds no serious or critical violation on every page type, in both languages, on a wide screen and
on a phone."""

from __future__ import annotations

from pathlib import Path

import pytest

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
PAGES = [
    "/",
    "/incidents/",
    "/incidents/?severity=significant&q=clearview",
    "/hazards/",
    "/incidents/air-canada-chatbot-bereavement-fare/",
    "/incidents/air-canada-chatbot-bereavement-fare/v/1/",  # an earlier version
    "/incidents/air-canada-chatbot-bereavement-fare/diff/1/2/",
    "/hazards/ai-voice-cloning-fraud/",
    "/search/?q=deepfake",
    "/about/",
    "/stats/",
    "/stats/?type=incident&entity=air-canada",  # records over time for a filter of a list, with bar links
    "/entities/",
    "/entities/air-canada/",
    "/systems/",
    "/systems/clearview-ai-facial-recognition/",
    "/taxonomy/",
    "/methodology/",
    "/corrections/",
    "/api/",
]
WIDTHS = {"wide": (1280, 900), "phone": (390, 844)}


@pytest.fixture(scope="module")
def axe_context(browser):
    context = browser.new_context(bypass_csp=True)  # axe is injected as a script the site's CSP would refuse
    yield context
    context.close()


def violations(context, url: str, size: tuple[int, int] = WIDTHS["wide"]) -> list[str]:
    page = context.new_page()
    page.set_viewport_size({"width": size[0], "height": size[1]})
    response = page.goto(url)
    if response.status == 404:
        page.close()
        return ["404"]
    page.evaluate(AXE)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    page.close()
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ["", "/fr"])
def test_no_serious_violations(axe_context, demo_server, lang, width):
    found = {}
    for path in PAGES:
        problems = violations(axe_context, demo_server + lang + path, WIDTHS[width])
        if problems:
            found[lang + path] = problems
    assert found == {}
