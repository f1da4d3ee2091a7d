"""What a page holding the hostile corpus may contain, checked on the server's HTML (here) and in the browser's
DOM (DOM_AUDIT, the same rules in JavaScript).

The site's own markup has no inline script or style, no event handler attribute, no frame, object or base
element, and only links with http(s), mailto or relative addresses. So anything of that kind on a page that shows
the corpus was put there by a payload: a payload in executable position, whether or not the
Content-Security-Policy would then stop it.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

from lxml import etree
from lxml import html as lxml_html

URL_ATTRIBUTES = ("href", "src", "action", "formaction", "xlink:href", "data", "poster", "cite", "background",
                  "ping", "codebase", "manifest")  # fmt: skip
SAFE_SCHEMES = ("http", "https", "mailto")
FORBIDDEN_TAGS = (
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "base",
    "foreignobject",
    "noembed",
)
# Control characters and spaces that browsers drop from a URL before reading its scheme ("java\tscript:").
URL_NOISE = re.compile(r"[\x00-\x20\x7f]")
EVALUATED = ("49x53",)  # "{{ 7|add:42 }}x53" or "${7*7}x53" evaluated by a template engine


def unsafe_url(value: str) -> bool:
    """Whether a link or source address would run or load something other than an http(s), mailto or relative
    address."""
    value = URL_NOISE.sub("", value or "")
    scheme = urlsplit(value).scheme if ":" in value.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0] else ""
    return bool(scheme) and scheme.lower() not in SAFE_SCHEMES


def _is_static(value: str | None) -> bool:
    return bool(value) and value.startswith("/static/")


def audit_html(text: str) -> list[str]:
    """Everything on the page a payload could have put there, as readable lines (empty: nothing)."""
    found = []
    doc = lxml_html.fromstring(text)
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue
        tag = el.tag.lower().rsplit("}", 1)[-1]
        where = f"<{tag}> {etree.tostring(el, encoding='unicode')[:160]!r}"
        if tag in FORBIDDEN_TAGS:
            found.append(f"forbidden element {where}")
        if tag == "script" and (not _is_static(el.get("src")) or (el.text or "").strip()):
            found.append(f"script that is not one of ours {where}")
        if tag == "style":
            found.append(f"style element {where}")
        if tag == "link" and "stylesheet" in (el.get("rel") or "") and not _is_static(el.get("href")):
            found.append(f"style sheet that is not one of ours {where}")
        if tag == "meta" and el.get("http-equiv"):
            found.append(f"meta http-equiv {where}")
        for name, value in el.attrib.items():
            name = name.lower()
            if name.startswith("on") or name.startswith("hx-on") or name.startswith("data-hx-on"):
                found.append(f"event handler {name} {where}")
            elif name in ("style", "srcdoc"):
                found.append(f"{name} attribute {where}")
            elif name in URL_ATTRIBUTES and unsafe_url(value):
                found.append(f"{name} with a scheme that runs {where}")
            elif name.startswith(("hx-", "data-hx-")) and "xss" in value:
                found.append(f"htmx attribute from a payload {where}")
    visible = doc.text_content()
    found += [f"template evaluated: {marker}" for marker in EVALUATED if marker in visible]
    return found


ATOM = "{http://www.w3.org/2005/Atom}"


def _html_fragment(fragment: str) -> list[str]:
    """An HTML text carried by a feed (Atom `type="html"`, JSON Feed `content_html`): feed readers render it."""
    return audit_html(f"<div>{fragment}</div>") if fragment.strip() else []


def audit_atom(body: bytes) -> list[str]:
    """A feed is well-formed XML in which every element is Atom's, and whose HTML texts are clean."""
    root = etree.fromstring(body, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    found = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if not el.tag.startswith(ATOM):
            found.append(f"element {el.tag} from outside Atom")
        if el.get("type") in ("html", "xhtml"):
            found += _html_fragment(el.text or "")
        if el.tag == f"{ATOM}link" and unsafe_url(el.get("href") or ""):
            found.append(f"link {el.get('href')!r}")
    return found


def audit_json_feed(body: bytes) -> list[str]:
    data = json.loads(body)
    found = []
    for item in data.get("items", []):
        found += _html_fragment(item.get("content_html") or "")
        for key in ("url", "external_url"):
            if unsafe_url(item.get(key) or ""):
                found.append(f"item {key} {item.get(key)!r}")
    return found


# The same rules in the browser, on the DOM as parsed and as scripts left it (htmx fragments included).
DOM_AUDIT = r"""() => {
  const found = [];
  const safe = (value) => {
    const v = (value || "").replace(/[\x00-\x20\x7f]/g, "");
    let url;
    try { url = new URL(v, document.baseURI); } catch (e) { return true; }
    return ["http:", "https:", "mailto:"].includes(url.protocol);
  };
  const urlAttributes = new Set(["href", "src", "action", "formaction", "xlink:href", "data", "poster", "cite",
                                 "background", "ping", "codebase", "manifest"]);
  const forbidden = new Set(["IFRAME", "FRAME", "FRAMESET", "OBJECT", "EMBED", "APPLET", "BASE", "FOREIGNOBJECT"]);
  for (const el of document.querySelectorAll("*")) {
    const tag = el.tagName.toUpperCase();
    const where = `<${el.tagName.toLowerCase()}> ${el.outerHTML.slice(0, 160)}`;
    if (forbidden.has(tag)) found.push(`forbidden element ${where}`);
    if (tag === "SCRIPT" && (!(el.getAttribute("src") || "").startsWith("/static/") || el.textContent.trim()))
      found.push(`script that is not one of ours ${where}`);
    if (tag === "STYLE") found.push(`style element ${where}`);
    if (tag === "LINK" && /stylesheet/i.test(el.getAttribute("rel") || "")
        && !(el.getAttribute("href") || "").startsWith("/static/")) found.push(`style sheet ${where}`);
    if (tag === "META" && el.hasAttribute("http-equiv")) found.push(`meta http-equiv ${where}`);
    for (const a of el.attributes) {
      const name = a.name.toLowerCase();
      if (name.startsWith("on") || name.startsWith("hx-on") || name.startsWith("data-hx-on"))
        found.push(`event handler ${name} ${where}`);
      else if (name === "style" || name === "srcdoc") found.push(`${name} attribute ${where}`);
      else if (urlAttributes.has(name) && !safe(a.value)) found.push(`${name} with a scheme that runs ${where}`);
      else if ((name.startsWith("hx-") || name.startsWith("data-hx-")) && a.value.includes("xss"))
        found.push(`htmx attribute from a payload ${where}`);
    }
  }
  if (document.body && document.body.innerText.includes("49x53")) found.push("template evaluated: 49x53");
  return found;
}"""
