"""Keeps the search index in step with the public layer: records, and the entities and AI systems they name.

Only public objects are indexed: a record while it is published (not withdrawn), an entity or AI system while
at least one such record names it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import transaction

from caim.records.models import AISystem, Entity, PublicRecord
from caim.search.backends import get_backend
from caim.search.models import SearchEntry
from caim.search.text import index_text

LANGS = ("en", "fr")


def _text(item: dict, name: str, lang: str) -> str:
    other = "fr" if lang == "en" else "en"
    return (item.get(f"{name}_{lang}") or item.get(f"{name}_{other}") or "").strip()


def record_texts(doc: dict, lang: str) -> tuple[str, str]:
    """(title, body) of a record document in one language, falling back to the other language per field."""
    parts = [
        _text(doc, name, lang) for name in ("summary", "narrative", "editorial_assessment", "governance_gap")
    ]
    parts += [_text(h, "description", lang) for h in doc.get("harms", [])]
    parts += [e["name"] for e in doc.get("entities", [])] + [s["name"] for s in doc.get("systems", [])]
    return _text(doc, "title", lang), "\n".join(p for p in parts if p)


def _replace(kind: str, obj_id: int, texts: dict[str, tuple[str, str]] | None) -> None:
    backend = get_backend()
    old = list(SearchEntry.objects.filter(kind=kind, obj_id=obj_id).values_list("id", flat=True))
    backend.remove(old)
    SearchEntry.objects.filter(id__in=old).delete()
    if not texts:
        return
    entries = SearchEntry.objects.bulk_create(
        SearchEntry(
            kind=kind, obj_id=obj_id, lang=lang, title=title, body=body, stems=index_text(title, body, lang)
        )
        for lang, (title, body) in texts.items()
    )
    backend.add([e.id for e in entries])


def index_record(public: PublicRecord, doc: dict) -> None:
    texts = None if public.withdrawn else {lang: record_texts(doc, lang) for lang in LANGS}
    _replace("record", public.pk, texts)


def index_entity(entity: Entity) -> None:
    is_public = entity.public_roles.filter(record__withdrawn=False).exists()
    texts = None
    if is_public:
        aliases = " ".join(entity.aliases)
        texts = {
            lang: (entity.name, f"{aliases}\n{_text(vars(entity), 'description', lang)}".strip())
            for lang in LANGS
        }
    _replace("entity", entity.pk, texts)


def index_system(system: AISystem) -> None:
    is_public = system.public_links.filter(record__withdrawn=False).exists()
    texts = None
    if is_public:
        texts = {lang: (system.name, _text(vars(system), "description", lang)) for lang in LANGS}
    _replace("system", system.pk, texts)


def on_public_record_changed(sender, public: PublicRecord, document: dict, **kwargs) -> None:
    index_record(public, document)
    entity_slugs = [e["slug"] for e in document.get("entities", [])]
    system_slugs = [s["slug"] for s in document.get("systems", [])]
    for entity in Entity.objects.filter(slug__in=entity_slugs):
        index_entity(entity)
    for system in AISystem.objects.filter(slug__in=system_slugs):
        index_system(system)


def reindex_all(progress: Callable[[int], None] | None = None, batch: int = 500) -> dict[str, int]:
    """Rebuild the whole index from the public layer; returns the number of objects indexed per kind."""
    counts = {"record": 0, "entity": 0, "system": 0}
    with transaction.atomic():
        SearchEntry.objects.all().delete()
        publics: Iterable[PublicRecord] = (
            PublicRecord.objects.filter(withdrawn=False).select_related("version").iterator(chunk_size=batch)
        )
        pending: list[SearchEntry] = []
        for public in publics:
            for lang in LANGS:
                title, body = record_texts(public.version.document, lang)
                pending.append(SearchEntry(kind="record", obj_id=public.pk, lang=lang, title=title, body=body,
                                           stems=index_text(title, body, lang)))  # fmt: skip
            counts["record"] += 1
            if len(pending) >= batch:
                SearchEntry.objects.bulk_create(pending)
                pending.clear()
                if progress:
                    progress(counts["record"])
        SearchEntry.objects.bulk_create(pending)
        for entity in Entity.objects.filter(public_roles__record__withdrawn=False).distinct():
            index_entity(entity)
            counts["entity"] += 1
        for system in AISystem.objects.filter(public_links__record__withdrawn=False).distinct():
            index_system(system)
            counts["system"] += 1
        get_backend().rebuild()
    return counts
