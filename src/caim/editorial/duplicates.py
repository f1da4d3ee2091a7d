""" "Possible duplicate" warnings while drafting (SPEC §6.4): the records and open leads that look like the record
being edited, found by the intake's duplicate matchers (its sources' addresses, its titles in both languages, and
whatever matchers intake adds) so that an editor and a screener see the same candidates."""

from __future__ import annotations

from caim.intake.dedup import Candidate, Query, find_candidates
from caim.intake.embedding import day_of
from caim.records.models import Record, RecordSource, RecordType

SHOWN = 5


def possible_duplicates(record: Record, limit: int = SHOWN) -> list[Candidate]:
    """The best candidate per other record or open lead, best first; never the record itself."""
    urls = list(RecordSource.objects.filter(record=record).values_list("source__url", flat=True))
    if record.record_type == RecordType.HAZARD:
        day = day_of(record.identified, record.identified_precision)
    else:
        day = day_of(record.occurred, record.occurred_precision)
    queries = [Query(urls=urls, title=record.title_en, day=day), Query(title=record.title_fr, day=day)]
    best: dict[tuple[str, int], Candidate] = {}
    for query in queries:
        if not query.urls and not query.title:
            continue
        for candidate in find_candidates(query, limit=limit + 1):
            key = (candidate.kind, candidate.pk)
            if key == ("record", record.pk):
                continue
            if key not in best or candidate.score > best[key].score:
                best[key] = candidate
    return sorted(best.values(), key=lambda c: (-c.score, c.reason != "url", c.kind, c.pk))[:limit]
