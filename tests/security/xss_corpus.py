"""Hostile strings for the hostile-input suite (tests/security/test_hostile_*.py).

Each payload, if a page ever let it act, calls the sentinel `window.__xss(<id>)` (the browser test defines it
before any page script runs) or makes the browser ask the server for `/xss-beacon/<id>` (an image, a style
sheet, a frame, an htmx request): HTML that reaches a page unescaped shows even where the Content-Security-Policy
stops the script. The id names the payload that got through.

`HTML` payloads go into text fields (titles, prose, names, notes, comments); `URL` payloads into fields that
become links (source URLs, archived copies, `same_as` links, submitted links, feed addresses). A URL payload is
either one an http(s)-only check must refuse (`javascript:`, `data:`, `vbscript:` and disguised forms of them)
or an http(s) address carrying quotes and markup, which must be stored and written back inside its attribute.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SENTINEL = "__xss"
BEACON = "/xss-beacon/"
HTML, URL = "html", "url"


@dataclass(frozen=True)
class Payload:
    id: int
    kind: str  # HTML or URL
    text: str
    about: str
    refused: bool = False  # URL: an http(s)-only check refuses it; HTML: no text field stores it (NUL)


def _html(id_: int, text: str, about: str, refused: bool = False) -> Payload:
    return Payload(id_, HTML, text.replace("{id}", str(id_)), about, refused)


def _url(id_: int, text: str, about: str, refused: bool = False) -> Payload:
    return Payload(id_, URL, text.replace("{id}", str(id_)), about, refused)


S = SENTINEL
B = BEACON
# fmt: off
PAYLOADS: tuple[Payload, ...] = (
    # Script elements, plain and disguised
    _html(1, f"<script>{S}({{id}})</script>", "script element"),
    _html(2, "<SCRIPT SRC=/xss-beacon/{id}.js></SCRIPT>", "external script, upper case"),
    _html(3, f"<scr<script>ipt>{S}({{id}})</scr</script>ipt>", "nested: stripping the inner tag leaves a script"),
    _html(4, f"<<script>script>{S}({{id}})<</script>/script>", "nested angle brackets"),
    _html(5, f"<scr\x01ipt>{S}({{id}})</scr\x01ipt>", "a control character that text cleaning removes"),
    _html(6, f"<svg><script>{S}({{id}})</script></svg>", "script inside SVG"),
    # Event handlers
    _html(7, f"<img src=x onerror={S}({{id}})>", "img onerror"),
    _html(8, f"<svg onload={S}({{id}})>", "svg onload"),
    _html(9, f"<body onload={S}({{id}})>", "body onload"),
    _html(10, f"<details open ontoggle={S}({{id}})>", "details ontoggle, fires without a click"),
    _html(11, f"<input autofocus onfocus={S}({{id}})>", "autofocus onfocus"),
    _html(12, f"<video><source onerror={S}({{id}})></video>", "source onerror"),
    _html(13, '<img src="x" onerror="&#95;&#95;xss({id})">', "entity-encoded handler"),
    _html(14, f"<math><mtext><table><mglyph><style><img src=x onerror={S}({{id}})>", "mutation XSS (math, style)"),
    _html(15, f'<noscript><p title="</noscript><img src=x onerror={S}({{id}})>">', "mutation XSS (noscript)"),
    # Frames, objects, documents
    _html(16, f'<iframe srcdoc="<script>parent.{S}({{id}})</script>"></iframe>', "iframe srcdoc"),
    _html(17, "<iframe src=/xss-beacon/{id}></iframe>", "iframe to the server"),
    _html(18, f'<object data="javascript:{S}({{id}})"></object>', "object with javascript: data"),
    _html(19, f'<embed src="javascript:{S}({{id}})">', "embed"),
    _html(20, '<meta http-equiv="refresh" content="0;url=/xss-beacon/{id}">', "meta refresh"),
    _html(21, '<base href="/xss-beacon/{id}/">', "base element hijacking relative links"),
    # Links in HTML and Markdown
    _html(22, f'<a href="javascript:{S}({{id}})">link {{id}}</a>', "javascript: link"),
    _html(23, f'<a href="data:text/html,<script>{S}({{id}})</script>">link {{id}}</a>', "data: link"),
    _html(24, f'<a href="vbscript:{S}({{id}})">link {{id}}</a>', "vbscript: link"),
    _html(25, f'<a href="jav&#x09;ascript:{S}({{id}})">link {{id}}</a>', "javascript: split by an encoded tab"),
    _html(26, f"[link {{id}}](javascript:{S}({{id}}))", "Markdown link"),
    _html(27, f"![image {{id}}](/xss-beacon/{{id}}) ![x](javascript:{S}({{id}}))", "Markdown images"),
    _html(28, f'<svg><a xlink:href="javascript:{S}({{id}})"><text>link {{id}}</text></a></svg>', "SVG xlink:href"),
    _html(29, f'<form action="javascript:{S}({{id}})"><button formaction="javascript:{S}({{id}})">go {{id}}</button></form>',
          "form action and formaction"),
    # Breaking out of attributes, scripts and JSON
    _html(30, f'"><script>{S}({{id}})</script>', "double-quoted attribute breakout"),
    _html(31, f"'><script>{S}({{id}})</script>", "single-quoted attribute breakout"),
    _html(32, f'" autofocus onfocus="{S}({{id}})" x="', "attribute injection"),
    _html(33, f"' autofocus onfocus='{S}({{id}})' x='", "attribute injection, single quotes"),
    _html(34, f"'-{S}({{id}})-'", "JavaScript string breakout"),
    _html(35, f'";{S}({{id}});//', "JavaScript string breakout, double quotes"),
    _html(36, f"</script><script>{S}({{id}})</script>", "closing a script or JSON block"),
    _html(37, f'"}}]</script><script>{S}({{id}})</script>', "JSON-LD / inline JSON breakout"),
    _html(38, f"</textarea><script>{S}({{id}})</script>", "closing a textarea"),
    _html(39, f"</title><script>{S}({{id}})</script>", "closing the title element"),
    _html(40, f"]]><script>{S}({{id}})</script><![CDATA[", "closing a CDATA section (feeds)"),
    # CSS
    _html(41, f'<div style="background:url(javascript:{S}({{id}}))">css {{id}}</div>', "style url(javascript:)"),
    _html(42, f'<div style="width:expression({S}({{id}}))">css {{id}}</div>', "CSS expression"),
    _html(43, "<style>@import '/xss-beacon/{id}.css';</style>", "style element importing from the server"),
    _html(44, "<link rel=stylesheet href=/xss-beacon/{id}.css>", "link stylesheet"),
    _html(45, '<div style="background-image:url(/xss-beacon/{id})">css {id}</div>', "style attribute loading"),
    # htmx: markup that would make htmx itself act
    _html(46, '<div hx-get="/xss-beacon/{id}" hx-trigger="load">htmx {id}</div>', "htmx request on load"),
    _html(47, f'<div hx-on:htmx:load="{S}({{id}})" hx-get="/" hx-trigger="load">htmx {{id}}</div>', "htmx hx-on"),
    # Encoded forms: must stay as written, never be decoded into markup
    _html(48, f"&lt;script&gt;{S}({{id}})&lt;/script&gt;", "HTML entities"),
    _html(49, f"&#60;img src=x onerror={S}({{id}})&#62;", "numeric entities"),
    _html(50, f"%3Cscript%3E{S}({{id}})%3C%2Fscript%3E", "percent-encoded"),
    _html(51, f"\\u003cscript\\u003e{S}({{id}})\\u003c/script\\u003e", "JavaScript unicode escapes"),
    _html(52, f"＜script＞{S}({{id}})＜/script＞", "fullwidth angle brackets"),
    # Templates
    _html(53, "{{ 7|add:42 }}x{id} {% now 'Y' %} ${7*7}x{id} #{7*7}", "template injection (Django, JS, Ruby)"),
    _html(54, f"{{{{constructor.constructor('{S}({{id}})')()}}}}", "client-side template injection"),
    # Invisible and direction characters
    _html(55, f"\u202e<script>{S}({{id}})</script>\u202c", "right-to-left override around a script"),
    _html(56, f"<scr\u200bipt>{S}({{id}})</scr\u200bipt> \ufeff<img src=x onerror={S}({{id}})>", "zero-width characters"),
    # SQL-ish text: stored and shown as written
    _html(57, "x57'; DROP TABLE records_record; -- \" OR 1=1 --", "SQL injection"),
    # NUL: no text field stores it (refused with a message)
    _html(58, f"<scr\x00ipt>{S}({{id}})</script>", "NUL inside a tag", refused=True),
    # URLs for fields that become links
    _url(60, f"javascript:{S}({{id}})", "javascript: URL", True),
    _url(61, f"JaVaScRiPt:{S}({{id}})", "javascript: URL, mixed case", True),
    _url(62, f" javascript:{S}({{id}})", "javascript: URL after a space", True),
    _url(63, f"java\tscript:{S}({{id}})", "javascript: URL split by a tab", True),
    _url(64, f"data:text/html,<script>{S}({{id}})</script>", "data: URL", True),
    _url(65, "data:text/html;base64,PHNjcmlwdD5fX3hzcyg2NSk8L3NjcmlwdD4=", "base64 data: URL", True),
    _url(66, f"vbscript:{S}({{id}})", "vbscript: URL", True),
    _url(67, f"https:javascript:{S}({{id}})", "http(s) scheme without a host", True),
    _url(68, f'https://example.org/x{{id}}?"><script>{S}({{id}})</script>', "https URL breaking out of href"),
    _url(69, f"https://example.org/x{{id}}?'onmouseover='{S}({{id}})'", "https URL with single quotes"),
    _url(70, f"https://example.org/x{{id}}#</script><img/src=x/onerror={S}({{id}})>", "https URL with markup"),
)
# fmt: on

BY_ID = {p.id: p for p in PAYLOADS}
HTML_PAYLOADS = tuple(p for p in PAYLOADS if p.kind == HTML and not p.refused)
REFUSED_TEXT = tuple(p for p in PAYLOADS if p.kind == HTML and p.refused)
BAD_URLS = tuple(p for p in PAYLOADS if p.kind == URL and p.refused)
GOOD_URLS = tuple(p for p in PAYLOADS if p.kind == URL and not p.refused)
MARKER_RE = re.compile(rf"{SENTINEL}\((\d+)\)|{BEACON}(\d+)")


def prose(first: int = 0) -> str:
    """Every stored HTML payload, one per paragraph, starting at the `first`-th (for prose fields)."""
    items = HTML_PAYLOADS[first:] + HTML_PAYLOADS[:first]
    return "\n\n".join(p.text for p in items)


def line(limit: int, first: int = 0) -> str:
    """As many stored HTML payloads as fit in `limit` characters on one line, from the `first`-th on (for
    titles, names, keys: fields with a length limit)."""
    out, n = "", 0
    while n < len(HTML_PAYLOADS):
        text = HTML_PAYLOADS[(first + n) % len(HTML_PAYLOADS)].text.replace("\n", " ")
        candidate = f"{out} {text}" if out else text
        if len(candidate) > limit:
            break
        out, n = candidate, n + 1
    return out


def ids_in(text: str) -> set[int]:
    """The payload ids a text holds (sentinel calls and beacon addresses)."""
    return {int(a or b) for a, b in MARKER_RE.findall(text or "")}
