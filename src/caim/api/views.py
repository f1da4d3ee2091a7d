"""Live corpus files. The ETag is the public-layer token, so a conditional GET is answered after one small
query, without reading any record; records.json is written once per state and served as a file (api/files.py);
a withdrawn record's file stays, with its withdrawal, as its page does."""

from __future__ import annotations

from django.http import Http404, HttpResponse

from caim.api import corpus, files
from caim.api.http import cacheable, json_endpoint, not_modified
from caim.records.models import PublicRecord, PublicState

JSON = "application/json; charset=utf-8"


def _token() -> str:
    return PublicState.current() or "empty"


def _etag(suffix: str = "", token: str | None = None) -> str:
    return f'"{token or _token()}{suffix}"'


@json_endpoint
def records_json(request):
    token = _token()
    if answer := not_modified(request, _etag(token=token)):
        return answer
    found = files.current_file("records", corpus.iter_records_json, token)
    return cacheable(files.file_response(request, found, JSON), found.etag)


def _public(slug: str) -> PublicRecord:
    public = PublicRecord.objects.select_related("version").filter(slug=slug).first()
    if public is None:
        raise Http404
    return public


@json_endpoint
def record_json(request, slug: str):
    public = _public(slug)  # first: a missing record is a 404, whatever the client holds
    etag = _etag(f"-{slug}")
    return not_modified(request, etag) or cacheable(
        HttpResponse(corpus.record_json(public), content_type=JSON), etag
    )


@json_endpoint
def versions_json(request, slug: str):
    public = _public(slug)
    etag = _etag(f"-{slug}-versions")
    return not_modified(request, etag) or cacheable(
        HttpResponse(corpus.versions_json(public), content_type=JSON), etag
    )
