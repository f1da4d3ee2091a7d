"""Live corpus files. Every response carries CORS, Cache-Control and an ETag that is the public-layer token, so a
conditional GET is answered after one small query, without reading any record."""

from __future__ import annotations

from django.http import Http404, HttpResponse, HttpResponseNotModified, StreamingHttpResponse
from django.views.decorators.http import require_safe

from caim.api import corpus
from caim.records.models import PublicRecord, PublicState

JSON = "application/json; charset=utf-8"


def _headers(response, etag: str):
    response["ETag"] = etag
    response["Cache-Control"] = "public, max-age=60"
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Expose-Headers"] = "ETag"
    return response


def _not_modified(request, etag: str):
    tags = [t.strip().removeprefix("W/") for t in request.headers.get("If-None-Match", "").split(",")]
    if etag in tags or "*" in tags:
        return _headers(HttpResponseNotModified(), etag)
    return None


def _etag(suffix: str = "") -> str:
    return f'"{PublicState.current() or "empty"}{suffix}"'


@require_safe
def records_json(request):
    etag = _etag()
    return _not_modified(request, etag) or _headers(
        StreamingHttpResponse(corpus.iter_records_json(), content_type=JSON), etag
    )


def _public(slug: str) -> PublicRecord:
    public = PublicRecord.objects.select_related("version").filter(slug=slug, withdrawn=False).first()
    if public is None:
        raise Http404
    return public


@require_safe
def record_json(request, slug: str):
    etag = _etag(f"-{slug}")
    return _not_modified(request, etag) or _headers(
        HttpResponse(corpus.record_json(_public(slug)), content_type=JSON), etag
    )


@require_safe
def versions_json(request, slug: str):
    etag = _etag(f"-{slug}-versions")
    return _not_modified(request, etag) or _headers(
        HttpResponse(corpus.versions_json(_public(slug)), content_type=JSON), etag
    )
