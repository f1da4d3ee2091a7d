"""Template helpers for bilingual text with fallback."""

import functools

from django import template
from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.urls import get_script_prefix, get_urlconf
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from caim.records.bilingual import lang_attr, linked_rows, marked, text_html
from caim.records.page_sections import PageContext
from caim.records.page_sections import record_sections as sections_html

register = template.Library()


register.simple_tag(text_html, name="text")  # records/bilingual.py: the rows written in Python use it too
register.simple_tag(marked)  # records/bilingual.py, as the record page's sections (page_sections.py)


@register.simple_tag(takes_context=True)
def record_sections(context) -> SafeString:
    """The sections of records/record_detail.html (records/page_sections.py), from the page's context."""
    read = lambda name: context.get(name, "")  # noqa: E731 - as a template reads a missing variable
    page_context = PageContext(
        public=context["public"],
        citation=read("citation"),
        correction_url=read("correction_url"),
        other_lang=read("other_lang"),
        other_lang_url=read("other_lang_url"),
        preview=context.get("preview"),
    )
    return sections_html(context["page"], page_context)


register.filter("linked_rows", linked_rows)  # records/bilingual.py: the record page's sections use it too
register.filter("lang_attr", lang_attr)  # records/bilingual.py: the list rows written in Python use it too


@register.simple_tag
def facet_options(facet: dict) -> str:
    """A list facet's values as checkboxes with their counts. Written here rather than in the template: a
    list page has about a hundred of them, and it is rendered again after every publication, when mostly the
    counts change: each checkbox's markup is kept (per process) under what it is made of, and only the count is
    written each time."""
    param = facet["param"]
    items = []
    for o in facet["options"]:
        label = o["label"]
        key = (param, o["value"], o["checked"], conditional_escape(label), lang_attr(label))
        parts = _options.get(key)
        if parts is None:
            if len(_options) >= OPTIONS_KEPT:
                _options.clear()
            parts = _options[key] = (
                format_html(
                    '<li><input type="checkbox" id="f-{}-{}" name="{}" value="{}"{}> <label for="f-{}-{}"{}>{} '
                    '<span class="count">(',
                    param, o["value"], param, o["value"], " checked" if o["checked"] else "", param, o["value"],
                    key[4], label,
                ),
                ")</span></label></li>",
            )  # fmt: skip
        items += (parts[0], _count(get_language(), o["count"]), parts[1])
    return SafeString(f"<ul>{''.join(items)}</ul>")


@register.simple_tag
def year_counts(years: list[dict]) -> str:
    """A list's records per year, as links with their counts (written here for the same reason as
    facet_options: a list has one per year of its records)."""
    colon = _("%(label)s:") % {"label": ""}  # "Year:" in the page language ("Année :")
    language = get_language()
    return SafeString(
        "".join(
            f'<li><a href="{conditional_escape(y["url"])}">{conditional_escape(y["label"])}</a>{colon} '
            f"{_count(language, y['count'])}</li>"
            for y in years
        )
    )


OPTIONS_KEPT = 20000  # checkboxes kept (a few hundred bytes each)
_options: dict[tuple, tuple[str, str]] = {}


@functools.lru_cache(maxsize=4096)
def _count(language: str, n: int) -> str:
    """A count as the page language writes it (intcomma), kept: the same numbers come back on every list."""
    return conditional_escape(intcomma(n))


class PerLanguageNode(template.Node):
    """What {% per_language %} encloses, rendered once per language, address layout and enclosed values."""

    def __init__(self, nodelist, values):
        self.nodelist, self.values = nodelist, values
        self.rendered: dict[tuple, str] = {}

    def render(self, context):
        key = (get_language(), get_script_prefix(), get_urlconf(), settings.ROOT_URLCONF, settings.STATIC_URL,
               *(value.resolve(context) for value in self.values))  # fmt: skip
        if key not in self.rendered:
            self.rendered[key] = self.nodelist.render(context)
        return self.rendered[key]


@register.tag
def per_language(parser, token):
    """{% per_language site_name ... %}...{% end_per_language %}: a part of every page that depends only on the
    language and on the values named (the header's links, the footer, the lists' badge key). Rendering their links and labels again
    for each page took about a fifth of a record page's time; the enclosed part must read no other variable."""
    values = [parser.compile_filter(bit) for bit in token.split_contents()[1:]]
    nodelist = parser.parse(("end_per_language",))
    parser.delete_first_token()
    return PerLanguageNode(nodelist, values)
