"""Duplicate candidates of a new lead (SPEC §6.3): canonical URLs, fuzzy titles and similar texts.

    candidates = find_candidates(Query(urls=[...], title="...", exclude_lead=lead.pk))
    candidates = candidates_for_text("Titre d'un article", "son texte", lang="fr")  # similar texts only

Each matcher takes a `Query` and yields `Candidate`s; `find_candidates` keeps the best score per target (a record,
an open lead or an AIID incident), best first, and the first `CAIM_DEDUP_CANDIDATES`.

- URL matcher: a lead URL whose canonical form (`canonical.canonical_url`) equals that of a record's source, or
  of another open lead's URL: score 1.0 (the same article). The database is narrowed by host first (a
  `LIKE '%host%'`, both databases), then compared exactly in Python.
- Title matcher: rapidfuzz `token_set_ratio` between accent-folded, lower-cased titles (the relevance module's
  `normalise`), against record titles (EN and FR), the titles of the records' sources and the extracted titles
  of open leads; kept from `CAIM_DEDUP_TITLE_THRESHOLD` (0–100); score = ratio / 100. Titles of fewer than three
  words are not compared: `token_set_ratio` gives 100 whenever one word set contains the other, so "AI" would
  match every headline. The titles are kept per process and narrowed by shared words (`caim.intake.titles`).

- Similar-text matcher (`match_similar`, `candidates_for_text`): the query's title (or its text when it has
  none) against this process's `TextIndex` of published records (titles, summaries, sources' titles, entities),
  open leads and the AIID reference corpus (caim.intake.embedding), ranked by `caim.intake.ranker` (meaning by
  multilingual embeddings, EN↔FR; shared words by BM25; recency), the ranker the linking benchmark measures.
  Kept when its meaning or its words reach `CAIM_DEDUP_MIN_SIMILARITY`; score = the ranker's score. An AIID
  incident is a reference (kind "aiid", pk = AIID's incident number), not something to attach to.

Ties rank a URL match before a title match. Withdrawn and merged records are not candidates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from rapidfuzz import fuzz, process

from caim.intake import embedding, ranker, titles
from caim.intake.canonical import canonical_url
from caim.intake.models import OPEN_STATUSES, IndexedText, Lead
from caim.intake.titles import CLOSED_RECORDS, MIN_TITLE_WORDS, fold
from caim.records.models import Record, RecordSource, Source
from caim.records.similarity import get_embedder


@dataclass(frozen=True)
class Query:
    urls: list[str] = field(default_factory=list)
    title: str = ""
    exclude_lead: int | None = None  # the lead being matched is not its own duplicate
    text: str = ""  # compared by meaning when there is no title
    lang: str = "en"
    day: int = 0  # the day it is about (`embedding.day_of`): its article's date; 0 when unknown


@dataclass(frozen=True)
class Candidate:
    kind: str  # "record", "lead" or "aiid"
    pk: int  # a record's or a lead's id; an AIID incident's number
    label: str  # a record's slug and title, a lead's title, an AIID incident's title, for the screening view
    score: float  # 0..1
    reason: str  # "url", "title" or "similar"
    matched: str = ""  # the URL, the title or the text that matched
    details: dict = field(
        default_factory=dict
    )  # "similar": the ranker's features (meaning, words, recency, date)

    def as_dict(self) -> dict:
        return asdict(self)


Matcher = Callable[[Query], Iterable[Candidate]]


def _host(canonical: str) -> str:
    return (urlsplit(canonical).hostname or "").lower()


def _record_label(record: Record) -> str:
    return f"{record.slug}: {record.title_en or record.title_fr}"


def match_urls(query: Query) -> Iterable[Candidate]:
    wanted = {canonical_url(u): u for u in query.urls if u}
    hosts = {_host(c) for c in wanted} - {""}
    for host in hosts:
        for source in Source.objects.filter(url__icontains=host).only("pk", "url"):
            if canonical_url(source.url) not in wanted:
                continue
            citations = RecordSource.objects.filter(source=source).exclude(record__status__in=CLOSED_RECORDS)
            for citation in citations.select_related("record").only(
                "record__id", "record__slug", "record__title_en", "record__title_fr"
            ):
                yield Candidate("record", citation.record.pk, _record_label(citation.record), 1.0, "url",
                                source.url)  # fmt: skip
        leads = Lead.objects.filter(status__in=OPEN_STATUSES, urls__icontains=host)
        if query.exclude_lead:
            leads = leads.exclude(pk=query.exclude_lead)
        for pk, urls, title in leads.values_list("pk", "urls", "extracted__title"):
            for url in urls or []:
                if canonical_url(url) in wanted:
                    yield Candidate("lead", pk, title or url, 1.0, "url", url)
                    break


def match_titles(query: Query) -> Iterable[Candidate]:
    folded = fold(query.title)
    if len(folded.split()) < MIN_TITLE_WORDS:
        return
    exclude = ("lead", query.exclude_lead) if query.exclude_lead else None
    found = process.extract(
        folded,
        titles.choices(folded, exclude),
        scorer=fuzz.token_set_ratio,
        processor=None,
        score_cutoff=settings.CAIM_DEDUP_TITLE_THRESHOLD,
        limit=None,
    )
    for _folded, ratio, (kind, pk, label, title) in found:
        yield Candidate(kind, pk, label, round(ratio / 100, 3), "title", title)


def _open_targets(targets: set[tuple[str, int]]) -> set[tuple[str, int]]:
    """The targets that can still be candidates: AIID incidents, records neither withdrawn nor merged, open leads."""
    records = [pk for kind, pk in targets if kind == "record"]
    leads = [pk for kind, pk in targets if kind == "lead"]
    kept = {t for t in targets if t[0] == "aiid"}
    if records:
        found = Record.objects.filter(pk__in=records).exclude(status__in=CLOSED_RECORDS)
        kept |= {("record", pk) for pk in found.values_list("pk", flat=True)}
    if leads:
        found = Lead.objects.filter(pk__in=leads, status__in=OPEN_STATUSES)
        kept |= {("lead", pk) for pk in found.values_list("pk", flat=True)}
    return kept


def _labels(ranked: list[ranker.Ranked]) -> dict[tuple[str, int], str]:
    from caim.interop.aiid.reference import incident_labels

    wanted = {
        kind: [r.target[1] for r in ranked if r.target[0] == kind] for kind in ("record", "lead", "aiid")
    }
    labels = {("aiid", n): label for n, label in incident_labels(wanted["aiid"]).items()}
    for pk, slug, en, fr in Record.objects.filter(pk__in=wanted["record"]).values_list(
        "pk", "slug", "title_en", "title_fr"
    ):
        labels[("record", pk)] = f"{slug}: {en or fr}"
    for pk, title, text in Lead.objects.filter(pk__in=wanted["lead"]).values_list(
        "pk", "extracted__title", "raw_text"
    ):
        labels[("lead", pk)] = title if isinstance(title, str) and title else " ".join(text.split())[:120]
    return labels


def candidates_for_text(
    title: str,
    text: str = "",
    *,
    lang: str = "en",
    exclude: Iterable[tuple[str, int]] = (),
    limit: int | None = None,
    day: int = 0,
) -> list[Candidate]:
    """Records, open leads and AIID incidents whose texts are most like this title (or, without one, this text),
    best first: what screening shows for a lead, and what the record editor's "possible duplicate" and related
    records of the API can ask. `exclude` names targets never to return, such as ("record", 12) for the record
    being edited; `day` (an ordinal) favours targets about the same time. Nothing is written."""
    query = " ".join((title or text[: embedding.LEAD_TEXT_CHARS] or "").split())
    if not query:
        return []
    limit = settings.CAIM_DEDUP_CANDIDATES if limit is None else limit
    vector = get_embedder().encode([query])[0]
    ranked = embedding.search(
        lambda index: ranker.rank(
            index,
            vector,
            embedding.terms(query, lang),
            exclude=set(exclude),
            keep=_open_targets,
            k=limit * 2,
            day=day,
        )  # fmt: skip
    )
    floor = settings.CAIM_DEDUP_MIN_SIMILARITY
    ranked = [r for r in ranked if max(r.meaning, r.words) >= floor][:limit]
    if not ranked:
        return []
    labels = _labels(ranked)
    texts = dict(IndexedText.objects.filter(pk__in=[r.meaning_key for r in ranked]).values_list("pk", "text"))
    return [
        Candidate(
            r.target[0],
            r.target[1],
            labels.get(r.target, ""),
            r.score,
            "similar",
            texts.get(r.meaning_key, ""),
            {"meaning": r.meaning, "words": r.words, "recency": r.recency, "date": r.date},
        )  # fmt: skip
        for r in ranked
    ]


def match_similar(query: Query) -> Iterable[Candidate]:
    exclude = [("lead", query.exclude_lead)] if query.exclude_lead else []
    return candidates_for_text(query.title, query.text, lang=query.lang, exclude=exclude, day=query.day)


MATCHERS: list[Matcher] = [match_urls, match_titles, match_similar]


def find_candidates(
    query: Query, *, limit: int | None = None, matchers: list[Matcher] | None = None
) -> list[Candidate]:
    """The best candidate per target, best first (a URL match before a title match of the same score)."""
    best: dict[tuple[str, int], Candidate] = {}
    for matcher in MATCHERS if matchers is None else matchers:
        for candidate in matcher(query):
            key = (candidate.kind, candidate.pk)
            held = best.get(key)
            if held is None or (candidate.score, candidate.reason == "url") > (
                held.score,
                held.reason == "url",
            ):
                best[key] = candidate
    ranked = sorted(best.values(), key=lambda c: (-c.score, c.reason != "url", c.kind, c.pk))
    return ranked[: settings.CAIM_DEDUP_CANDIDATES if limit is None else limit]


def lead_query(lead: Lead) -> Query:
    """What a lead is matched by: its URLs, and its extracted title (or a short submission's text)."""
    extracted = lead.extracted or {}
    title = extracted.get("title") or ""
    if not title and len(lead.raw_text) <= 300:
        title = lead.raw_text
    lang = extracted.get("language") or lead.language or "en"
    return Query(urls=list(lead.urls or []), title=title, exclude_lead=lead.pk, text=lead.raw_text, lang=lang,
                 day=embedding.lead_day(lead))  # fmt: skip


def known_url(url: str) -> bool:
    """Whether the article at `url` is already held: a record's source, or a lead (open or not)."""
    canonical = canonical_url(url)
    host = _host(canonical)
    if not host:
        return False
    if any(
        canonical_url(u) == canonical
        for u in Source.objects.filter(url__icontains=host).values_list("url", flat=True)
    ):
        return True
    for urls in Lead.objects.filter(urls__icontains=host).values_list("urls", flat=True):
        if any(canonical_url(u) == canonical for u in urls or []):
            return True
    return False
