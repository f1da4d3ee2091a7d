"""Rendered citations, exactly as a reader gets them (gaps found by mutation testing, see docs/quality.md)."""

from caim.records.inline_citations import render_cited_paragraphs

NUMBERS = {"RCMP, 2025": 1, "BNN Bloomberg, 2025a": 2}


def link(label: str, number: int) -> str:
    return (
        f'<a class="cite" href="#source-{number}" aria-label="{label} [{number}]">{label}'
        f'<sup aria-hidden="true">[{number}]</sup></a>'
    )


def test_each_citation_of_a_group_links_exactly_its_own_text():
    html = render_cited_paragraphs("See (RCMP, 2025;  BNN Bloomberg, 2025a) now.", NUMBERS)
    assert html == f"<p>See ({link('RCMP, 2025', 1)};  {link('BNN Bloomberg, 2025a', 2)}) now.</p>"


def test_text_around_citations_is_kept_once_and_in_order():
    html = render_cited_paragraphs("A (RCMP, 2025) b (BNN Bloomberg, 2025a) c.", NUMBERS)
    assert html == f"<p>A ({link('RCMP, 2025', 1)}) b ({link('BNN Bloomberg, 2025a', 2)}) c.</p>"


def test_line_breaks_and_paragraphs():
    html = render_cited_paragraphs(
        "First line (RCMP, 2025).\nSecond line.\n\n  Second <i>paragraph</i>.", NUMBERS
    )
    assert html == (
        f"<p>First line ({link('RCMP, 2025', 1)}).<br>Second line.</p>\n<p>Second &lt;i&gt;paragraph&lt;/i&gt;.</p>"
    )


def test_empty_text_renders_nothing():
    assert render_cited_paragraphs("", NUMBERS) == ""
    assert render_cited_paragraphs(None, NUMBERS) == ""


def test_anchor_prefix():
    html = render_cited_paragraphs("(RCMP, 2025)", NUMBERS, anchor_prefix="v2-source-")
    assert 'href="#v2-source-1"' in html
