"""Every record of an incident or hazard list, for its filters, as CSV or JSON (SPEC §5.3).

`/incidents/download.csv?<the list's query string>` holds the records the list shows on all its pages, in its
order: the same filters (`lists.parse_state`, a bad one is the list's 400), the same matches and order
(`lists.matching_ids`). The columns are those of the bulk records.csv and the JSON entries those of
records.json (api/bulk.py, api/corpus.py). Computed per request, but streamed, reading the records in chunks:
memory stays flat whatever the number of matches.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from caim.api import bulk
from caim.api.corpus import CHUNK, dumps
from caim.api.http import with_cors
from caim.records.models import PublicRecord
from caim.records.versions import SCHEMA_VERSION
from caim.site import lists

CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json; charset=utf-8"}


def _entries(ids: list[int]) -> Iterator[dict]:
    """The records.json entries of `ids`, in that order, CHUNK records at a time."""
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        found = PublicRecord.objects.listed().select_related("version").in_bulk(chunk)
        yield from bulk.entries([found[pk] for pk in chunk if pk in found])


def _csv(ids: list[int]) -> Iterator[str]:
    lines = bulk.CsvLines()
    yield lines.row(bulk.RECORD_COLUMNS)
    for entry in _entries(ids):
        yield lines.row(bulk.record_row(entry))


def _json(ids: list[int], state: lists.ListState) -> Iterator[str]:
    # Each filter as the list's query string has it: a facet's values as a list, the period's bounds and the
    # words as written.
    filters: dict = {name: list(values) for name, values in state.values.items()}
    filters.update(
        {name: bound.text for name, bound in (("from", state.date_from), ("to", state.date_to)) if bound}
    )
    if state.q:
        filters["q"] = state.q
    meta = {
        "generated_at": timezone.now().isoformat(),
        "schema_version": SCHEMA_VERSION,
        "record_type": state.record_type,
        "record_count": len(ids),
        "filters": filters,
        "sort": state.sort,
        "licence": bulk.licence(),
    }
    yield '{"meta":' + dumps(meta) + ',"records":['
    for i, entry in enumerate(_entries(ids)):
        yield ("," if i else "") + dumps(entry)
    yield "]}\n"


@require_safe
def download(request, record_type: str, fmt: str):
    index = lists.get_index()
    try:
        state = lists.parse_state(record_type, request.GET, index)
    except lists.BadFilter as exc:
        return render(
            request, "site/bad_filter.html", {"message": str(exc), "record_type": record_type}, status=400
        )
    ids = lists.matching_ids(state, index)
    content = _csv(ids) if fmt == "csv" else _json(ids, state)
    response = StreamingHttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{record_type}s.{fmt}"'
    return with_cors(bulk.with_licence(response))
