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


def _entries(kind: str, obj_id: int, texts: dict[str, tuple[str, str]]) -> list[SearchEntry]:
    return [
        SearchEntry(
            kind=kind, obj_id=obj_id, lang=lang, title=title, body=body, stems=index_text(title, body, lang)
        )
        for lang, (title, body) in texts.items()
    ]


def _replace(kind: str, obj_id: int, texts: dict[str, tuple[str, str]] | None) -> None:
    backend = get_backend()
    old = list(SearchEntry.objects.filter(kind=kind, obj_id=obj_id).values_list("id", flat=True))
    backend.remove(old)
    SearchEntry.objects.filter(id__in=old).delete()
    if texts:
        entries = SearchEntry.objects.bulk_create(_entries(kind, obj_id, texts))
        backend.add([e.id for e in entries])


def entity_texts(entity: Entity) -> dict[str, tuple[str, str]]:
    aliases = " ".join(entity.aliases)
    return {
        lang: (entity.name, f"{aliases}\n{_text(vars(entity), 'description', lang)}".strip())
        for lang in LANGS
    }


def system_texts(system: AISystem) -> dict[str, tuple[str, str]]:
    return {lang: (system.name, _text(vars(system), "description", lang)) for lang in LANGS}


def index_record(public: PublicRecord, doc: dict) -> None:
    texts = None if public.withdrawn else {lang: record_texts(doc, lang) for lang in LANGS}
    _replace("record", public.pk, texts)


def index_entity(entity: Entity) -> None:
    is_public = entity.public_roles.filter(record__withdrawn=False).exists()
    _replace("entity", entity.pk, entity_texts(entity) if is_public else None)


def index_system(system: AISystem) -> None:
    is_public = system.public_links.filter(record__withdrawn=False).exists()
    _replace("system", system.pk, system_texts(system) if is_public else None)


def on_public_record_changed(sender, public: PublicRecord, document: dict, **kwargs) -> None:
    index_record(public, document)
    entity_slugs = [e["slug"] for e in document.get("entities", [])]
    system_slugs = [s["slug"] for s in document.get("systems", [])]
    for entity in Entity.objects.filter(slug__in=entity_slugs):
        index_entity(entity)
    for system in AISystem.objects.filter(slug__in=system_slugs):
        index_system(system)


def on_public_records_added(sender, publics: list[PublicRecord], **kwargs) -> None:
    """Index a batch of newly published records, and the entities and systems they make public."""
    record_ids = [p.pk for p in publics]
    entries = []
    for public in publics:
        entries += _entries(
            "record", public.pk, {lang: record_texts(public.version.document, lang) for lang in LANGS}
        )
    seen = set(SearchEntry.objects.filter(kind__in=("entity", "system")).values_list("kind", "obj_id"))
    for entity in Entity.objects.filter(public_roles__record_id__in=record_ids).distinct():
        if ("entity", entity.pk) not in seen:
            entries += _entries("entity", entity.pk, entity_texts(entity))
    for system in AISystem.objects.filter(public_links__record_id__in=record_ids).distinct():
        if ("system", system.pk) not in seen:
            entries += _entries("system", system.pk, system_texts(system))
    SearchEntry.objects.bulk_create(entries, batch_size=1000)
    get_backend().add([e.id for e in entries])


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
