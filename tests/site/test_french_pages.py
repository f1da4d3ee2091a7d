"""Every French page of the demo marks its English text (issue 17): a screen reader reads a text in the language
its element says, so an English name or title outside `lang="en"` is read with French pronunciation.

The scan fetches the French version of every page type for every demo record (current page, each earlier
version, each diff), entity and AI system, the lists, search, home, stats, taxonomy, methodology and the other
prose pages. It parses the HTML with the standard library, gives each text node the language of its nearest
ancestor with `lang` (the root is `<html lang="fr">`), and flags the text nodes in French context that look
English by a small, transparent rule:

- more English function words ("the", "of", "and", ...) than French ones, as whole words; or
- an entity's or AI system's English name, or an English source's title or publisher, found in the text (the
  name of an entity with a French name of its own that is the same, such as Air Canada, is French too).

The test fails listing each offending text with its URL. The fix is to mark the text, never to hide it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from html.parser import HTMLParser

import pytest

from caim.records.models import AISystem, Entity, PublicRecord, RecordVersion
from caim.site import directory

PROSE_PAGES = (
    "/fr/",
    "/fr/about/",
    "/fr/methodology/",
    "/fr/standards/",
    "/fr/privacy/",
    "/fr/api/",
    "/fr/corrections/",
    "/fr/stats/",
    "/fr/taxonomy/",
    "/fr/incidents/",
    "/fr/hazards/",
    "/fr/incidents/?sort=severity",
    "/fr/hazards/?page=2",
    "/fr/entities/",
    "/fr/entities/?page=2",
    "/fr/systems/",
    "/fr/search/",
    "/fr/search/?q=police",
    "/fr/search/?q=reconnaissance+faciale",
    "/fr/search/?q=chatbot",
)

# Whole words. A text is taken for English when it has more of the first than of the second.
ENGLISH_WORDS = frozenset({
    "the", "of", "and", "for", "with", "to", "in", "on", "by", "from", "is", "are", "was", "were", "has", "have",
    "its", "their",
})  # fmt: skip
FRENCH_WORDS = frozenset({
    "le", "la", "les", "l", "de", "des", "du", "d", "et", "un", "une", "pour", "par", "dans", "sur", "avec", "au",
    "aux", "à", "en", "est", "sont", "était", "ont", "a", "qui", "que", "qu", "ce", "cette", "ces", "son", "sa",
    "ses", "leur", "leurs", "ne", "pas", "se", "il", "elle", "ils", "elles", "on",
})  # fmt: skip
WORD = re.compile(r"[^\W\d_]+")
NOT_WORDS = re.compile(r"[/_@]")  # URLs, identifiers and addresses are not words of a language
FRENCH_PROSE = 3  # this many French function words make a French sentence

# Proper names that are the same in both languages, found, as they should be, inside French phrases ("Modèles
# GPT d'OpenAI", "éditeur du Toronto Star"): names of a company, a product or a newspaper, not English text. Keep
# this list short: a name with a French form gets it (`name_fr`) or is marked instead.
SAME_IN_BOTH = frozenset({"Clearview AI", "OpenAI", "Toronto Star"})

VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
)
# Not text of the page: scripts and styles. The document <title> is left out too: it is one text that cannot
# mark a part of itself ("Clearview AI · Moniteur canadien des incidents d'IA"); the page's <h1> carries the
# name, marked.
SKIPPED = frozenset({"script", "style", "title"})


class LangTexts(HTMLParser):
    """(language, text) of every text node, the language being that of the nearest element with `lang`."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str]] = [("", "")]
        self.texts: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            return
        attributes = dict(attrs)
        lang = (attributes.get("lang") or self.stack[-1][1]).split("-")[0].lower()
        self.stack.append((tag, lang))

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        text = " ".join(data.split())
        if text and not any(tag in SKIPPED for tag, _lang in self.stack):
            self.texts.append((self.stack[-1][1], text))


def texts_of(html: str) -> list[tuple[str, str]]:
    parser = LangTexts()
    parser.feed(html)
    parser.close()
    return parser.texts


def english_names() -> set[str]:
    """Every entity and AI system name with no French name of the same spelling, every English source's title and
    publisher in the demo's published documents."""
    names = set()
    for model in (Entity, AISystem):
        for name, name_fr in model.objects.values_list("name", "name_fr"):
            if name != name_fr:
                names.add(name)
    for doc in RecordVersion.objects.values_list("document", flat=True):
        for s in doc.get("sources", []):
            if s.get("language", "en") == "en":
                names.update(n for n in (s.get("title"), s.get("publisher")) if n)
    return {n for n in names if len(n) > 3} - SAME_IN_BOTH


def looks_english(text: str, names: re.Pattern) -> bool:
    """More English function words than French ones; or an English name in a text that is not French prose
    (a French sentence may name an English-language newspaper, as French writers do)."""
    prose = " ".join(t for t in text.split() if not NOT_WORDS.search(t))
    words = [w.casefold() for w in WORD.findall(prose)]
    english = sum(w in ENGLISH_WORDS for w in words)
    french = sum(w in FRENCH_WORDS for w in words)
    return english > french or (french < FRENCH_PROSE and bool(names.search(text)))


def french_urls() -> list[str]:
    urls = list(PROSE_PAGES)
    for public in PublicRecord.objects.select_related("record").order_by("pk"):
        urls.append(public.url("fr"))
        numbers = list(
            RecordVersion.objects.filter(record_id=public.pk)
            .order_by("number")
            .values_list("number", flat=True)
        )
        urls += [public.url("fr", version=n) for n in numbers]
        base = public.url("fr")
        urls += [f"{base}diff/{a}/{b}/" for a, b in zip(numbers, numbers[1:], strict=False)]
    for entity in directory.public_entities().order_by("slug"):
        urls.append(f"/fr/entities/{entity.slug}/")
        urls.append(f"/fr/incidents/?entity={entity.slug}")
    for system in directory.public_systems().order_by("slug"):
        urls.append(f"/fr/systems/{system.slug}/")
        urls.append(f"/fr/incidents/?system={system.slug}")
    return urls


@pytest.mark.django_db
def test_every_english_text_on_a_french_page_is_marked(client):
    names = english_names()
    pattern = re.compile(
        "|".join(rf"(?<!\w){re.escape(n)}(?!\w)" for n in sorted(names, key=len, reverse=True))
    )
    found: dict[str, list[str]] = defaultdict(list)
    for url in french_urls():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        for lang, text in texts_of(response.content.decode()):
            if lang == "fr" and looks_english(text, pattern):
                found[text].append(url)
    report = "\n".join(
        f"{text!r}  ({len(urls)} pages, e.g. {urls[0]})" for text, urls in sorted(found.items())
    )
    assert not found, f'{len(found)} English texts outside lang="en" on French pages:\n{report}'
