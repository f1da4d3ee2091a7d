"""Template helpers for bilingual text with fallback."""

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.html import format_html, format_html_join
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
    list page has about a hundred of them, and it is rendered again after every publication."""
    param = facet["param"]
    items = format_html_join(
        "",
        '<li><input type="checkbox" id="f-{}-{}" name="{}" value="{}"{}> <label for="f-{}-{}"{}>{} '
        '<span class="count">({})</span></label></li>',
        (
            (param, o["value"], param, o["value"], " checked" if o["checked"] else "", param, o["value"],
             lang_attr(o["label"]), o["label"], intcomma(o["count"]))
            for o in facet["options"]
        ),
    )  # fmt: skip
    return format_html("<ul>{}</ul>", items)


@register.simple_tag
def marked(value, tag="span"):
    """A Text as written: in a `tag` element with `lang` when it is not in the page language, with no note (a
    name or a publisher is not a missing translation); plain text otherwise."""
    if not value:
        return ""
    if getattr(value, "fallback", False):
        return format_html('<{} lang="{}">{}</{}>', tag, value.lang, str(value), tag)
    return format_html("{}", str(value))
