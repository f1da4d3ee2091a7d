"""The texts deduplication compares new leads with, their vectors, and this process's index of them.

Plain functions that a command or a background task calls:

- `embed_lead(lead)`: a new lead's title and text (called when the lead is stored, before its candidates);
- `embed_record(record_id, document)`: a published record's titles, summaries, sources' titles and entities
  (called at publication; a withdrawal removes them);
- `index_aiid_corpus(progress)`: every AIID incident's title, description, entities and reports' titles;
- `embed_missing(progress)`: all of the above that has no vector of the current model (`caim embed`).

Each text is a row of `IndexedText` with the id of the model that made its vector. A row whose text is unchanged
is kept; a changed row is deleted and inserted again, so rows are only ever inserted or deleted and a process's
`TextIndex` catches up by reading the ids above the last one it read and, when the count of deletions
(`IndexedTextDeletions`, kept by the functions here: delete rows through them) changed, the list of ids. A row
whose text is unchanged keeps its vector when it is inserted again (a new arrival time or day): only new texts are
encoded.

Every row also carries its target's day (`day_of`: a record's event date, a lead's article date, an AIID
incident's date), which the ranker compares with a dated query's.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import TypeVar

from django.db import transaction
from django.db.models import F, Max

from caim.intake.models import OPEN_STATUSES, IndexedText, IndexedTextDeletions, Lead
from caim.intake.textindex import TextIndex
from caim.records.public import event_columns
from caim.records.similarity import from_blobs, get_embedder, to_blob, tokens

T = TypeVar("T")
LEAD_TEXT_CHARS = 1000  # the start of a long text says what it is about; the encoder's cost grows with length
CHUNK = 2000


@dataclass(frozen=True)
class Text:
    field: str
    item: int
    text: str
    lang: str = "en"
    order: float = 0.0
    day: int = 0  # the target's day (`day_of`), 0 when unknown


def day_of(value, precision: str = "day") -> int:
    """The day a date stands for, as a proleptic ordinal: the date itself, or the middle of its month or year
    when that is its precision ("approximate" counts as a year); 0 when there is none or it cannot be read.
    Takes a date, a datetime or ISO text ("2024", "2024-03", "2024-03-15", "2024-03-15T10:00:00+00:00")."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 4:
                value, precision = date(int(text), 7, 1), "year"
            elif len(text) == 7:
                value, precision = date(int(text[:4]), int(text[5:7]), 1), "month"
            else:
                value = date.fromisoformat(text[:10])
        except ValueError:
            return 0
    if not isinstance(value, date):
        return 0
    if precision == "month":
        return value.replace(day=15).toordinal()
    if precision in ("year", "approximate"):
        return date(value.year, 7, 1).toordinal()
    return value.toordinal()


def record_day(document: dict) -> int:
    """A published record's event day: an incident's occurrence, a hazard's identification."""
    event = event_columns(document)
    return day_of(event["event_date"], event["event_precision"])


def lead_day(lead: Lead) -> int:
    """A lead's day: its article's date, as extracted or as its feed gave it."""
    published = (lead.extracted or {}).get("published")
    return day_of(published) if isinstance(published, str) else 0


def terms(text: str, lang: str) -> list[str]:
    return tokens(text, "fr" if lang == "fr" else "en")


# -- what each kind of target says --------------------------------------------------------------------------------


def lead_texts(lead: Lead) -> list[Text]:
    extracted = lead.extracted or {}
    order = lead.created_at.timestamp()
    lang = extracted.get("language") or lead.language or "en"
    title = extracted.get("title") if isinstance(extracted.get("title"), str) else ""
    body = lead.raw_text or (extracted.get("text") if isinstance(extracted.get("text"), str) else "")
    day = lead_day(lead)
    found = [
        Text("title", 0, title.strip(), lang, order, day),
        Text("text", 0, body.strip()[:LEAD_TEXT_CHARS], lang, order, day),
    ]
    return [t for t in found if t.text]


def record_texts(document: dict, order: float) -> list[Text]:
    found = []
    for lang in ("en", "fr"):
        for name in ("title", "summary"):
            found.append(
                Text(f"{name}_{lang}", 0, (document.get(f"{name}_{lang}") or "").strip(), lang, order)
            )
    for position, source in enumerate(document.get("sources") or [], start=1):
        found.append(Text("source", position, (source.get("title") or "").strip(), source.get("language") or "en",
                          order))  # fmt: skip
    names = sorted({e.get("name") or "" for e in document.get("entities") or []} - {""})
    found.append(Text("entities", 0, ", ".join(names), "en", order))
    day = record_day(document)
    return [replace(t, day=day) for t in found if t.text]


# -- writing ----------------------------------------------------------------------------------------------------


def store(target: str, target_id: int, texts: list[Text]) -> int:
    """Make `target`'s rows of the current model exactly `texts`; returns how many vectors were computed."""
    return store_many([(target, target_id, texts)])


def store_many(batch: Iterable[tuple[str, int, list[Text]]]) -> int:
    """`store` for many targets at once: one call of the encoder for all their new texts."""
    embedder = get_embedder()
    batch = list(batch)
    # (target, id) -> {(field, item): (pk, text, order, day, vector)}
    held: dict[tuple[str, int], dict[tuple[str, int], tuple]] = {}
    for target in {t for t, _, _ in batch}:
        ids = [i for t, i, _ in batch if t == target]
        for start in range(0, len(ids), 500):
            rows = IndexedText.objects.filter(
                model_id=embedder.model_id, target=target, target_id__in=ids[start : start + 500]
            ).values_list("pk", "target_id", "field", "item", "text", "order", "day", "vector")
            for pk, target_id, name, item, text, order, day, vector in rows:
                held.setdefault((target, target_id), {})[(name, item)] = (pk, text, order, day, vector)
    stale, fresh, kept_vectors = [], [], {}
    for target, target_id, texts in batch:
        mine = held.get((target, target_id), {})
        wanted = {(t.field, t.item): t for t in texts}
        for place, (pk, text, order, day, vector) in mine.items():
            new = wanted.get(place)
            if new is None or (new.text, new.order, new.day) != (text, order, day):
                stale.append(pk)
                if new is not None and new.text == text:  # only its time or day changed: no new vector
                    kept_vectors[(target, target_id, place)] = bytes(vector)
        fresh += [(target, target_id, t) for place, t in wanted.items()
                  if place not in mine or (t.text, t.order, t.day) != mine[place][1:4]]  # fmt: skip
    to_encode = [t.text for target, i, t in fresh if (target, i, (t.field, t.item)) not in kept_vectors]
    encoded = iter(embedder.encode(to_encode) if to_encode else ())
    blobs = [
        kept_vectors.get((target, i, (t.field, t.item))) or to_blob(next(encoded)) for target, i, t in fresh
    ]
    with transaction.atomic():
        for start in range(0, len(stale), 500):
            IndexedText.objects.filter(pk__in=stale[start : start + 500]).delete()
        if stale:
            _count_deletion()
        IndexedText.objects.bulk_create(
            [
                IndexedText(
                    target=target,
                    target_id=target_id,
                    field=t.field,
                    item=t.item,
                    text=t.text,
                    lang=t.lang,
                    order=t.order,
                    day=t.day,
                    model_id=embedder.model_id,
                    vector=blob,
                )  # fmt: skip
                for (target, target_id, t), blob in zip(fresh, blobs, strict=True)
            ],
            batch_size=500,
        )
    return len(to_encode)


def _count_deletion() -> None:
    """Tell every process's index that rows were deleted (in the deleting transaction)."""
    if not IndexedTextDeletions.objects.filter(pk=1).update(count=F("count") + 1):
        _row, created = IndexedTextDeletions.objects.get_or_create(pk=1, defaults={"count": 1})
        if not created:  # another process made it meanwhile
            IndexedTextDeletions.objects.filter(pk=1).update(count=F("count") + 1)


def _deletions() -> int:
    return IndexedTextDeletions.objects.filter(pk=1).values_list("count", flat=True).first() or 0


def forget(target: str, target_id: int) -> None:
    """The target is no candidate any more (a withdrawn record): its rows of every model go."""
    with transaction.atomic():
        if IndexedText.objects.filter(target=target, target_id=target_id).delete()[0]:
            _count_deletion()


def embed_lead(lead: Lead) -> int:
    return store("lead", lead.pk, lead_texts(lead))


def embed_record(record_id: int, document: dict | None, published_at=None) -> int:
    """A record's texts as published (`document`); None (a withdrawal): forget them."""
    if document is None:
        forget("record", record_id)
        return 0
    order = published_at.timestamp() if published_at else 0.0
    return store("record", record_id, record_texts(document, order))


def index_aiid_corpus(progress: Callable[[int, int], None] | None = None, batch: int = 100) -> int:
    """Every AIID incident of the reference corpus (`caim import-aiid`); returns how many vectors were made."""
    from caim.interop.aiid.reference import incident_texts

    made = done = 0
    pending = []
    incidents = incident_texts()
    total = len(incidents)
    for incident_id, texts in incidents:
        pending.append(("aiid", incident_id, [Text(*t) for t in texts]))
        if len(pending) == batch:
            made += store_many(pending)
            done += len(pending)
            pending = []
            if progress:
                progress(done, total)
    if pending:
        made += store_many(pending)
        done += len(pending)
    if progress:
        progress(done, total)
    return made


def embed_missing(progress: Callable[[str, int, int], None] | None = None) -> dict[str, int]:
    """Vectors of the current model for every published record, open lead and AIID incident that lacks them (or
    whose texts changed). Returns how many vectors were computed per kind."""
    from caim.records.models import PublicRecord

    def tick(what):
        return (lambda done, total: progress(what, done, total)) if progress else None

    made = {}
    publics = PublicRecord.objects.listed().select_related("version").order_by("pk")
    total = publics.count()
    made["record"] = 0
    for start in range(0, total, 200):
        chunk = list(publics[start : start + 200])
        made["record"] += store_many(
            ("record", p.pk, record_texts(p.version.document, p.version.published_at.timestamp()))
            for p in chunk
        )
        if progress:
            tick("records")(start + len(chunk), total)
    # Closed leads are never candidates: their rows go, and only open ones are embedded.
    with transaction.atomic():
        closed = IndexedText.objects.filter(target="lead").exclude(
            target_id__in=Lead.objects.filter(status__in=OPEN_STATUSES).values("pk")
        )
        if closed.delete()[0]:
            _count_deletion()
    leads = Lead.objects.filter(status__in=OPEN_STATUSES).order_by("pk")
    total = leads.count()
    made["lead"] = 0
    for start in range(0, total, 200):
        chunk = list(leads[start : start + 200])
        made["lead"] += store_many(("lead", lead.pk, lead_texts(lead)) for lead in chunk)
        if progress:
            tick("leads")(start + len(chunk), total)
    made["aiid"] = index_aiid_corpus(tick("AIID incidents"))
    return made


# -- this process's index -----------------------------------------------------------------------------------------


class KeptIndex:
    def __init__(self, model_id: str, dimensions: int):
        self.model_id = model_id
        self.index = TextIndex(dimensions)
        self.last_id = 0
        self.deletions = 0  # the count of deletions when this index last matched the rows

    def read(self, rows) -> None:
        keys, blobs = [], []

        def flush():
            matrix = from_blobs(blobs)
            for (pk, target, target_id, name, text, lang, order, day), vector in zip(
                keys, matrix, strict=True
            ):
                self.index.add(pk, (target, target_id), name, order, vector, terms(text, lang), day)
            keys.clear()
            blobs.clear()

        for pk, target, target_id, name, text, lang, order, day, blob in rows.values_list(
            "pk", "target", "target_id", "field", "text", "lang", "order", "day", "vector"
        ).iterator(chunk_size=CHUNK):
            keys.append((pk, target, target_id, name, text, lang, order, day))
            blobs.append(bytes(blob))
            self.last_id = max(self.last_id, pk)
            if len(blobs) == CHUNK:
                flush()
        if blobs:
            flush()

    def refresh(self) -> TextIndex:
        """Bring the index up to date: two index lookups when nothing was deleted (counting the rows, as this
        did before, took about 20 ms at 100,000 rows, half a candidate query)."""
        rows = IndexedText.objects.filter(model_id=self.model_id)
        deletions = _deletions()  # before reading the rows: a deletion after it is seen next time
        top = rows.aggregate(top=Max("id"))["top"] or 0
        if top > self.last_id:
            self.read(rows.filter(pk__gt=self.last_id).order_by("pk"))
        if deletions != self.deletions:  # rows were deleted (a changed text, a withdrawal, a closed lead)
            held = set(rows.values_list("pk", flat=True).iterator(chunk_size=10_000))
            for key in [k for k in self.index.slots if k not in held]:
                self.index.remove(key)
            self.deletions = deletions
        return self.index


_lock = threading.Lock()
_kept: KeptIndex | None = None


def search(read: Callable[[TextIndex], T]) -> T:
    """`read(index)` on this process's index of the current model's rows, brought up to date with the database
    first; one thread at a time (the index is patched in place)."""
    global _kept
    embedder = get_embedder()
    with _lock:
        if _kept is None or _kept.model_id != embedder.model_id:
            _kept = KeptIndex(embedder.model_id, embedder.dimensions)
        return read(_kept.refresh())


def reset() -> None:
    """Forget this process's index (tests whose database was rolled back)."""
    global _kept
    with _lock:
        _kept = None
