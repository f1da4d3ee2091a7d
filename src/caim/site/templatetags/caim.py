"""Template helpers for bilingual text with fallback."""

from django import template
from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.urls import get_script_prefix, get_urlconf
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from caim.records.bilingual import lang_attr, language_note, machine_note, text_html

register = template.Library()


register.simple_tag(text_html, name="text")  # records/bilingual.py: the rows written in Python use it too


@register.filter
def linked_rows(records) -> SafeString:
    """The rows of records/_linked_list.html: an entity page lists up to thousands of linked records."""
    return SafeString("".join(f"\n  {record.linked_item_html}\n  " for record in records))


@register.simple_tag
def html_block(value, css=""):
    """Render a presenters.Html block (already escaped paragraphs with citation links)."""
    if not value:
        return ""
    if value.fallback:
        return format_html(
            '<div class="{}" lang="{}">{}</div>{}', css, value.lang, value.html, language_note(value.lang)
        )
    return format_html('<div class="{}">{}</div>{}', css, value.html, machine_note(value))


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
    language and on the values named (the header's links, the footer). Rendering their links and labels again
    for each page took about a fifth of a record page's time; the enclosed part must read no other variable."""
    values = [parser.compile_filter(bit) for bit in token.split_contents()[1:]]
    nodelist = parser.parse(("end_per_language",))
    parser.delete_first_token()
    return PerLanguageNode(nodelist, values)
