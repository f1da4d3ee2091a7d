"""Template helpers for bilingual text with fallback."""

import functools

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from caim.records.bilingual import lang_attr

register = template.Library()


def _note(lang: str) -> str:
    label = _("English only") if lang == "en" else _("French only")
    return format_html(' <small class="lang-note">({})</small>', label)


def _machine(value) -> str:
    if not getattr(value, "machine", False):
        return ""
    return format_html(' <small class="lang-note machine-note">({})</small>', _("machine translation"))


@register.simple_tag
def text(value, tag="span", css=""):
    """Render a presenters.Text: in a `tag` element, with lang= and a note when it is a fallback."""
    if not value:
        return ""
    cls = format_html(' class="{}"', css) if css else ""
    if getattr(value, "fallback", False):
        return format_html(
            '<{} lang="{}"{}>{}</{}>{}', tag, value.lang, cls, value.text, tag, _note(value.lang)
        )
    return format_html("<{}{}>{}</{}>{}", tag, cls, value.text, tag, _machine(value))


@register.simple_tag
def html_block(value, css=""):
    """Render a presenters.Html block (already escaped paragraphs with citation links)."""
    if not value:
        return ""
    if value.fallback:
        return format_html(
            '<div class="{}" lang="{}">{}</div>{}', css, value.lang, value.html, _note(value.lang)
        )
    return format_html('<div class="{}">{}</div>{}', css, value.html, _machine(value))


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


@register.simple_tag
def marked(value, tag="span"):
    """A Text as written: in a `tag` element with `lang` when it is not in the page language, with no note (a
    name or a publisher is not a missing translation); plain text otherwise."""
    if not value:
        return ""
    if getattr(value, "fallback", False):
        return format_html('<{} lang="{}">{}</{}>', tag, value.lang, str(value), tag)
    return format_html("{}", str(value))
