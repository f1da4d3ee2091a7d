"""Bilingual text, decided in one place: a text in the page language, or the other language's text marked as
such (`lang` and a note in the page), never an empty section; and a public record as a link in a page.

Templates render a `Text` with the `text` tag (site/templatetags/caim.py), which adds `lang` and the "English
only" note; where a link's markup needs only the attribute, `title.fallback` and `title.lang` say it.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from functools import cached_property

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import override

from caim.records.badges import Badge, badges_html, public_badges
from caim.records.formatting import period_html, time_html
from caim.taxonomy.loader import get_taxonomy

LANGUAGES = ("en", "fr")


def e(value) -> str:
    """conditional_escape without its checks for lazy arguments (a record page calls it hundreds of times):
    markup as it is, anything else as escaped text, the same characters escaped as django.utils.html.escape."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


def other_language(lang: str) -> str:
    return "en" if lang == "fr" else "fr"


@dataclass(frozen=True)
class Text:
    """A text in the page language, or in the other language when it has no translation yet."""

    text: str
    lang: str
    fallback: bool = False
    machine: bool = False  # a machine translation (the page says so)

    def __bool__(self) -> bool:
        return bool(self.text)

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Html:
    html: SafeString
    lang: str
    fallback: bool = False
    machine: bool = False

    def __bool__(self) -> bool:
        return bool(self.html)


# These make the text of every record page (hundreds of calls a page): written with `e`, not format_html,
# whose checks for lazy arguments cost more than the escaping; the markup is the same.


def language_note(lang: str) -> SafeString:
    label = _("English only") if lang == "en" else _("French only")
    return SafeString(f' <small class="lang-note">({e(label)})</small>')


def machine_note(value) -> str:
    if not getattr(value, "machine", False):
        return ""
    return SafeString(f' <small class="lang-note machine-note">({e(_("machine translation"))})</small>')


def text_html(value, tag="span", css=""):
    """A Text in a `tag` element, with lang= and a note when it is a fallback (the `text` template tag)."""
    if not value:
        return ""
    tag = e(tag)
    cls = f' class="{e(css)}"' if css else ""
    if getattr(value, "fallback", False):
        return SafeString(
            f'<{tag} lang="{e(value.lang)}"{cls}>{e(value.text)}</{tag}>{language_note(value.lang)}'
        )
    return SafeString(f"<{tag}{cls}>{e(value.text)}</{tag}>{machine_note(value)}")


def html_block(value, css=""):
    """An Html block (already escaped paragraphs with citation links) in a div, marked as text_html marks."""
    if not value:
        return ""
    if value.fallback:
        return SafeString(
            f'<div class="{e(css)}" lang="{e(value.lang)}">{e(value.html)}</div>{language_note(value.lang)}'
        )
    return SafeString(f'<div class="{e(css)}">{e(value.html)}</div>{machine_note(value)}')


def marked(value, tag="span"):
    """A Text as written: in a `tag` element with `lang` when it is not in the page language, with no note (a
    name or a publisher is not a missing translation); plain text otherwise."""
    if not value:
        return ""
    if getattr(value, "fallback", False):
        return SafeString(f'<{e(tag)} lang="{e(value.lang)}">{e(str(value))}</{e(tag)}>')
    return SafeString(e(str(value)))


def pick(item: dict, name: str, lang: str) -> Text:
    """The `name` text of a document part in `lang`, falling back to the other language (marked)."""
    own = (item.get(f"{name}_{lang}") or "").strip()
    if own:
        return Text(own, lang)
    other = other_language(lang)
    theirs = (item.get(f"{name}_{other}") or "").strip()
    return Text(theirs, other, fallback=bool(theirs))


def pick_attribute(obj, name: str, lang: str) -> Text:
    """The same for an object with `name_en` and `name_fr` attributes (a PublicRecord row, an entity)."""
    return pick({f"{name}_{code}": getattr(obj, f"{name}_{code}") for code in LANGUAGES}, name, lang)


def name_in(named, lang: str) -> Text:
    """The name of an entity or AI system (a model object, or its entry in a document) in the page language.

    In French, its French name; without one, its name, which is then English text (`fallback`: templates mark it
    with `lang="en"`, and no note: a name is not an untranslated text). A name that is the same in both
    languages (Air Canada) has it as its French name too. Documents published before French names existed have
    no `name_fr`."""
    get = named.get if isinstance(named, dict) else lambda key: getattr(named, key, "")
    name, name_fr = (get("name") or "").strip(), (get("name_fr") or "").strip()
    if lang == "fr":
        return Text(name_fr, "fr") if name_fr else Text(name, "en", fallback=bool(name))
    return Text(name, "en")


def as_written(text: str, text_lang: str, lang: str) -> Text:
    """A text shown as written, in its own language (a source's title or publisher): marked when it is not the
    page's."""
    text_lang = (text_lang or lang).strip().lower()
    return Text(text or "", text_lang, fallback=text_lang != lang)


# What a list item reads from a PublicRecord row (besides its address): see RecordLink.list_item_html.
ITEM_COLUMNS = ("record_type", "title_en", "title_fr", "summary_en", "summary_fr", "verification", "contested",
                "severity", "hazard_status", "confidence", "event_date", "event_precision", "event_end",
                "event_end_precision", "first_published_at")  # fmt: skip
ITEMS_KEPT = 5000  # about 2 KB each (the key holds both summaries)
_items: dict[tuple, SafeString] = {}


class RecordLink:
    """A public record as a link in a page: address, title and summary in the page language (marked when in
    the other one), badges, type. Each part is computed when a template asks for it, so a query that loaded
    only the columns a page shows never loads more."""

    snippet: SafeString | None = None  # search results add a highlighted extract

    def __init__(self, record, lang: str, *, version: int | None = None):
        self.record, self.lang, self.version = record, lang, version

    @cached_property
    def url(self) -> str:
        return self.record.url(self.lang, version=self.version)

    @cached_property
    def title(self) -> Text:
        return pick_attribute(self.record, "title", self.lang)

    @cached_property
    def summary(self) -> Text:
        return pick_attribute(self.record, "summary", self.lang)

    @cached_property
    def badges(self) -> list[Badge]:
        return public_badges(self.record, self.lang)

    @cached_property
    def badges_html(self) -> SafeString:
        return badges_html(self.badges)

    @property
    def list_item_html(self) -> SafeString:
        """The record as an item of the incident and hazard lists: link, type and date, badges, and the search
        extract or the start of the summary.

        Kept per process under everything it is made of (the columns it reads, the language and the address):
        after a publication every list is rendered again, mostly with rows it has already written, and an
        item kept under its inputs can never be out of date. Search extracts are not kept (one per query)."""
        if self.snippet:
            return self._list_item_html()
        r = self.record
        key = (self.lang, self.url, *(getattr(r, name) for name in ITEM_COLUMNS))
        html = _items.get(key)
        if html is None:
            if len(_items) >= ITEMS_KEPT:
                _items.clear()  # a simple bound: lists mostly show the same few thousand records
            html = _items[key] = self._list_item_html()
        return html

    def _list_item_html(self) -> SafeString:
        title, summary = self.title, self.summary
        if self.snippet:
            text = format_html('<p class="snippet">{}</p>', self.snippet)
        else:
            text = format_html(
                "<p{}>{}</p>", lang_attr(summary), Truncator(summary.text).words(60, truncate=" …")
            )
        return format_html(
            '<li class="record-item">\n        <h2><a href="{}"{}>{}</a></h2>\n        <p class="record-line">{}</p>'
            "\n        {}\n        {}\n      </li>",
            self.url, lang_attr(title), title.text, self.meta_html, self.badges_html, text,
        )  # fmt: skip

    @cached_property
    def linked_item_html(self) -> SafeString:
        """The record as an item of a list of linked records (a record's related records, an entity's)."""
        return SafeString(
            f'<li><a href="{e(self.url)}">{text_html(self.title)}</a> {e(self.meta_html)} {e(self.badges_html)}</li>'
        )

    @property
    def meta_html(self) -> SafeString:
        """Type and date, as every list of records shows them after the link."""
        return SafeString(
            f'<span class="record-meta"><span class="record-type">{escape(self.type_label)}</span> · {self.when}</span>'
        )

    @cached_property
    def type_label(self) -> str:
        return get_taxonomy().label("record_type", self.record.record_type, self.lang)

    @cached_property
    def when(self) -> SafeString:
        """The record's event date at its precision (a period when it has an end), in <time> elements; for a
        record without one (a hazard not dated yet), the day it was first published, said so. Reads only
        PublicRecord.META_COLUMNS."""
        r = self.record
        if r.event_date:
            return period_html(r.event_date, r.event_precision, r.event_end, r.event_end_precision, self.lang)
        with override(self.lang):
            label = _("Published %(date)s")
        return SafeString(escape(label) % {"date": time_html(r.first_published_at, "day", self.lang)})


def lang_attr(value) -> SafeString:
    """` lang="en"` for a Text in another language than the page's (a name, a publisher, a title as written),
    to put on the element that holds it; nothing otherwise (a plain string is in the page language)."""
    if getattr(value, "fallback", False) and getattr(value, "lang", ""):
        return SafeString(f' lang="{e(value.lang)}"')
    return SafeString("")


def linked_rows(records) -> SafeString:
    """RecordLinks as the items of a list of linked records (site/_directory_records.html, a record's linked and
    related records): an entity page lists up to thousands."""
    return SafeString("".join(f"\n  {record.linked_item_html}\n  " for record in records))


def record_links(records, lang: str) -> list[RecordLink]:
    return [RecordLink(record, lang) for record in records]
