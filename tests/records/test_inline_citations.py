from django.utils.safestring import SafeString

from caim.records.inline_citations import cited_keys, render_cited_paragraphs


def test_finds_single_and_grouped_citations():
    text = (
        "A (RCMP, 2025). B (RCMP, 2025; BNN Bloomberg, 2025a). Not (month), not (AIDA, Bill C-27), (n.d. x)."
    )
    assert cited_keys(text) == {"RCMP, 2025", "BNN Bloomberg, 2025a"}


def test_keys_with_commas_in_the_label():
    assert cited_keys("(Office of the Privacy Commissioner of Canada, 2021)") == {
        "Office of the Privacy Commissioner of Canada, 2021"
    }
    assert cited_keys("(Toronto Police Service, Ontario, n.d.)") == {"Toronto Police Service, Ontario, n.d."}


def test_render_links_known_keys_and_escapes_text():
    html = render_cited_paragraphs("<b>x</b> (RCMP, 2025).\n\nSecond (Unknown, 2020).", {"RCMP, 2025": 3})
    assert isinstance(html, SafeString)
    assert html.count("<p>") == 2
    assert "&lt;b&gt;x&lt;/b&gt;" in html
    assert '<a class="cite" href="#source-3"' in html
    assert "(Unknown, 2020)" in html and "#source-" not in html.split("Second")[1]
