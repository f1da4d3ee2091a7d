"""How AIID things are named in this monitor: slugs of records and entities, publishers, entity names.

Shared by the importer (draft records) and the synthetic-record generator, so both name an AIID incident,
report or entity the same way.

About a quarter of the AIID entity slugs (1,120 of 4,477 in the February 2026 snapshot) have no name in the
GraphQL export: their name is derived from the slug, and the importer marks it as derived (AiidEntity.name_derived).
Title-casing the slug gave "Bp'S", "Ai", "Llm"; `derive_name` keeps the casing the known names use for the same
word ("YouTube", "BP"), a few acronyms ("AI", "LLM"), and possessives ("BP's"). It is still a guess.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from urllib.parse import urlsplit


def slugify(text: str, limit: int = 60) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:limit].strip("-") or "record"


def publisher_of(url: str) -> str:
    host = urlsplit(url).hostname or "unknown"
    return host.removeprefix("www.")


def entity_slug(aiid_slug: str) -> str:
    return f"aiid-{slugify(aiid_slug, 180)}"


# Written this way whatever the known names say: acronyms common in AIID slugs.
ACRONYMS = {
    w.casefold(): w for w in ("AI", "LLM", "LLMs", "UK", "US", "USA", "EU", "UN", "NHS", "NYC", "BBC")
}
# Lower case inside a name (never first), unless the known names write them otherwise.
SMALL_WORDS = frozenset(
    {"a", "an", "and", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to", "with"}
)
WORD_RE = re.compile(r"^(?P<lead>[^\w]*)(?P<core>.*?)(?P<possessive>'s|')?(?P<trail>[^\w']*)$")


def casing_of(names: Iterable[str]) -> dict[str, str]:
    """{casefolded word: how the names write it}, for the words the names write with inner capitals ("YouTube",
    "BP", "McDonald").

    The most frequent way wins (ties: the first in sorted order). Words the names write capitalised or in lower
    case are left out: AIID names mix sentence case ("Unknown scammers") and title case, so following them word
    by word would mix both in one derived name.
    """
    seen: dict[str, Counter] = defaultdict(Counter)
    for name in names:
        for word in re.split(r"[\s\-]+", name):
            core = WORD_RE.match(word)["core"]
            if core and any(c.isalpha() for c in core):
                seen[core.casefold()][core] += 1
    out = {}
    for key, forms in seen.items():
        best = min(forms.items(), key=lambda item: (-item[1], item[0]))[0]
        if best not in (best.lower(), best[:1].upper() + best[1:].lower()):
            out[key] = best
    return out


def _capitalised(word: str) -> str:
    return word[:1].upper() + word[1:]


def derive_name(aiid_slug: str, casing: dict[str, str] | None = None) -> str:
    """A name for an entity the GraphQL export does not name, made from its slug ("bp's-ai" -> "BP's AI")."""
    casing = casing or {}
    words = []
    for position, word in enumerate(w for w in aiid_slug.split("-") if w):
        m = WORD_RE.match(word)
        core, key = m["core"], m["core"].casefold()
        if key in ACRONYMS:
            core = ACRONYMS[key]
        elif key in casing:
            core = casing[key]
        elif position and key in SMALL_WORDS:
            core = key
        else:
            core = _capitalised(core)
        words.append(f"{m['lead']}{core}{m['possessive'] or ''}{m['trail']}")
    return " ".join(words) or aiid_slug


def entity_name(
    aiid_slug: str, names: dict[str, str], casing: dict[str, str] | None = None
) -> tuple[str, bool]:
    """(name, derived): the name `names` (the GraphQL export's) gives, else one derived from the slug."""
    name = names.get(aiid_slug)
    if name:
        return name, False
    return derive_name(aiid_slug, casing), True
