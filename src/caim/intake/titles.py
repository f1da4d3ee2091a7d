"""The titles the fuzzy title matcher compares a lead with (`caim.intake.dedup.match_titles`), kept in each
process and brought up to date before each query.

Reading and folding every title from the database for each lead took about 1.3 s of CPU at 10,000 records (41,000
titles: records in both languages, their sources, open leads), and the record editor asks twice per panel. Here a
process keeps them, and before each query reads only what changed since: the records and leads created since (by
id) and those named by the audit events written since (every action that changes a record's titles, sources or
status, or a lead's status, writes one; audit ids only grow, whatever the clock says). Whatever looks like a
rollback (fewer rows, smaller newest ids) makes it read everything again.

A query is then compared only with the titles sharing at least one of its uncommon words (an inverted index of
folded words): a title reaching the matcher's threshold shares most of its words with the query.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import astuple, dataclass, field

from django.db.models import Count, Max, Q

from caim.intake.models import OPEN_STATUSES, Lead
from caim.intake.relevance import normalise
from caim.records.models import AuditEvent, Record, RecordSource, Status

MIN_TITLE_WORDS = 3  # token_set_ratio gives 100 whenever one word set holds the other: "AI" would match all
CLOSED_RECORDS = (Status.WITHDRAWN, Status.MERGED)
COMMON_SHARE = 0.05  # a word in more than this share of the titles narrows nothing: other words do


Key = tuple[str, int, str, str]  # (kind, pk, label, title)


@dataclass(frozen=True)
class _Marks:
    """Where the kept titles stand: counts and newest ids of records and leads, the newest audit event."""

    records: int = 0
    record_id: int = 0
    leads: int = 0
    lead_id: int = 0
    audit_id: int = 0

    @classmethod
    def now(cls) -> _Marks:
        r = Record.objects.aggregate(n=Count("id"), top=Max("id"))
        le = Lead.objects.aggregate(n=Count("id"), top=Max("id"))
        audit = AuditEvent.objects.aggregate(top=Max("id"))["top"] or 0
        return cls(r["n"], r["top"] or 0, le["n"], le["top"] or 0, audit)

    def follows(self, earlier: _Marks) -> bool:
        """Whether these marks can have come from `earlier` by changes alone (nothing rolled back or deleted)."""
        return all(new >= old for new, old in zip(astuple(self), astuple(earlier), strict=True))


@dataclass
class TitleIndex:
    by_target: dict[tuple[str, int], dict[Key, str]] = field(default_factory=dict)  # target -> {key: folded}
    words: dict[str, set[tuple[str, int]]] = field(default_factory=lambda: defaultdict(set))
    marks: _Marks | None = None

    def _set(self, target: tuple[str, int], titles: dict[Key, str]) -> None:
        for word in {w for folded in self.by_target.pop(target, {}).values() for w in folded.split()}:
            self.words[word].discard(target)
        if titles:
            self.by_target[target] = titles
            for word in {w for folded in titles.values() for w in folded.split()}:
                self.words[word].add(target)

    def _read_records(self, records) -> None:
        rows = list(records.values_list("pk", "slug", "title_en", "title_fr", "status"))
        sources = defaultdict(list)
        for start in range(0, len(rows), 500):
            chunk = [row[0] for row in rows[start : start + 500]]
            for pk, title in RecordSource.objects.filter(record_id__in=chunk).values_list(
                "record_id", "title"
            ):
                sources[pk].append(title)
        for pk, slug, en, fr, status in rows:
            titles: dict[Key, str] = {}
            if status not in CLOSED_RECORDS:
                label = f"{slug}: {en or fr}"
                for title in (en, fr, *sources[pk]):
                    _add(titles, ("record", pk, label, title))
            self._set(("record", pk), titles)

    def _read_leads(self, leads) -> None:
        for pk, title, status in leads.values_list("pk", "extracted__title", "status"):
            titles: dict[Key, str] = {}
            if status in OPEN_STATUSES and isinstance(title, str):
                _add(titles, ("lead", pk, title, title))
            self._set(("lead", pk), titles)

    def refresh(self) -> TitleIndex:
        marks = _Marks.now()
        held = self.marks
        if held is not None and marks == held:
            return self
        if held is None or not marks.follows(held):
            self.by_target.clear()
            self.words.clear()
            self._read_records(Record.objects.all())
            self._read_leads(Lead.objects.all())
        else:  # created since, or named by an audit event since
            changed = defaultdict(set)
            for kind, pk in AuditEvent.objects.filter(
                pk__gt=held.audit_id, subject_type__in=("record", "lead")
            ).values_list("subject_type", "subject_id"):
                changed[kind].add(pk)
            self._read_records(Record.objects.filter(Q(pk__gt=held.record_id) | Q(pk__in=changed["record"])))
            self._read_leads(Lead.objects.filter(Q(pk__gt=held.lead_id) | Q(pk__in=changed["lead"])))
        self.marks = marks
        return self

    def choices(self, folded_query: str, exclude: tuple[str, int] | None = None) -> dict[Key, str]:
        """The titles worth comparing with a query: those sharing one of its uncommon words (all, when every
        word of the query is common)."""
        common = max(1, int(COMMON_SHARE * len(self.by_target)))
        found: set[tuple[str, int]] = set()
        narrowed = False
        for word in set(folded_query.split()):
            targets = self.words.get(word)
            if targets and len(targets) <= common:
                found |= targets
                narrowed = True
        targets = found if narrowed else self.by_target.keys()
        return {
            key: folded
            for target in targets
            if target != exclude
            for key, folded in self.by_target.get(target, {}).items()
        }


def fold(title: str) -> str:
    """Accents off, lower case, words separated by single spaces: what titles are compared as."""
    return normalise(title).strip()


def _add(titles: dict[Key, str], key: Key) -> None:
    folded = fold(key[3] or "")
    if len(folded.split()) >= MIN_TITLE_WORDS:
        titles[key] = folded


_lock = threading.Lock()
_kept: TitleIndex | None = None


def choices(folded_query: str, exclude: tuple[str, int] | None = None) -> dict[Key, str]:
    """{(kind, pk, label, title): folded title} of the titles to compare with `folded_query`, up to date."""
    global _kept
    with _lock:
        if _kept is None:
            _kept = TitleIndex()
        return _kept.refresh().choices(folded_query, exclude)


def reset() -> None:
    """Forget this process's titles (tests whose database was rolled back)."""
    global _kept
    with _lock:
        _kept = None
