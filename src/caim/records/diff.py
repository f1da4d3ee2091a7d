"""What changed between two documents of a record: field by field (from the declaration), and word by word
inside texts, in both languages. Used for the public diff between published versions, the staff diff of a
working copy against the published version, and the before/after of audit events.
"""

from __future__ import annotations

import difflib
import html
import json
import re
from dataclasses import dataclass

from django.utils.safestring import SafeString, mark_safe

from caim.records.fields import CHILD_LISTS, LANGUAGES, RECORD_FIELDS, get_path

WORDS = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class Change:
    path: str  # document path: "summary_fr", "taxonomy.domains", "sources"
    label: str
    lang: str  # "en", "fr" or "" for values without a language
    before: SafeString
    after: SafeString
    inline: SafeString  # one text with deletions and insertions marked


def as_text(value) -> str:
    """A document value as readable text (lists and objects as compact JSON)."""
    if value in (None, "", []):
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ", ".join(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True, indent=1)


def word_diff(before: str, after: str) -> tuple[SafeString, SafeString, SafeString]:
    """(before with deletions marked, after with insertions marked, both in one text), escaped."""
    a, b = WORDS.findall(before), WORDS.findall(after)
    old, new, both = [], [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        removed, added = html.escape("".join(a[i1:i2])), html.escape("".join(b[j1:j2]))
        if op == "equal":
            old.append(removed)
            new.append(added)
            both.append(added)
            continue
        if removed:
            old.append(f"<del>{removed}</del>")
            both.append(f"<del>{removed}</del>")
        if added:
            new.append(f"<ins>{added}</ins>")
            both.append(f"<ins>{added}</ins>")
    return mark_safe("".join(old)), mark_safe("".join(new)), mark_safe("".join(both))  # noqa: S308 - escaped


DIFF_TAG = re.compile(r"</?(?:del|ins)>")
JSON_KEY = re.compile(r'^\s*"(\w+)":')


def by_language(marked: str) -> SafeString:
    """A value shown as JSON (a list of sources, entities, ...), line by line, each line marked with its language
    (issue 17): a `…_fr` key's line is French, every other line English (the keys, and texts as written: names,
    titles, citation keys). The <del> and <ins> marks of `word_diff` are closed and reopened at line ends."""
    out, open_tag = [], ""
    for line in marked.split("\n"):
        body = f"<{open_tag}>{line}" if open_tag else line
        for tag in DIFF_TAG.findall(line):
            open_tag = "" if tag.startswith("</") else tag[1:-1]
        if open_tag:
            body += f"</{open_tag}>"
        text = html.unescape(DIFF_TAG.sub("", line))
        if text.strip(" \t{}[],"):
            key = JSON_KEY.match(text)
            body = f'<span lang="{"fr" if key and key.group(1).endswith("_fr") else "en"}">{body}</span>'
        out.append(body)
    return mark_safe("\n".join(out))  # noqa: S308 - pieces of word_diff's escaped output


def _json(value) -> bool:
    return isinstance(value, dict) or (isinstance(value, list) and not all(isinstance(v, str) for v in value))


def _paths(record_type: str):
    """(document path, label, language) of every public field of a record type, in page order."""
    for f in RECORD_FIELDS:
        if not f.public or not f.applies_to(record_type):
            continue
        if f.bilingual:
            for lang in LANGUAGES:
                yield f"{f.path}_{lang}", f.label, lang
        else:
            yield f.path, f.label, ""
    for child in CHILD_LISTS:
        yield child.name, child.label, ""


def diff_documents(before: dict, after: dict) -> list[Change]:
    """The fields whose values differ between two documents of the same record, in page order."""
    changes = []
    for path, label, lang in _paths(after.get("type") or before.get("type")):
        old, new = get_path(before, path), get_path(after, path)
        if old == new or (old in (None, "", []) and new in (None, "", [])):
            continue
        marked_old, marked_new, inline = word_diff(as_text(old), as_text(new))
        if _json(old) or _json(new):
            marked_old, marked_new, inline = (
                by_language(marked_old),
                by_language(marked_new),
                by_language(inline),
            )
        changes.append(Change(path, str(label), lang, marked_old, marked_new, inline))
    return changes


def diff_values(before: dict, after: dict) -> list[Change]:
    """The same for the before/after of an audit event (keys as the event names them)."""
    changes = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        marked_old, marked_new, inline = word_diff(as_text(old), as_text(new))
        lang = key[-2:] if key.endswith(("_en", "_fr")) else ""
        changes.append(Change(key, key, lang, marked_old, marked_new, inline))
    return changes
