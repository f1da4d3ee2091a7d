"""Live corpus files. The ETag is the public-layer token, so a conditional GET is answered after one small
query, without reading any record; records.json is written once per state and served as a file (api/files.py);
a withdrawn record's file stays, with its withdrawal, as its page does."""

from __future__ import annotations

import hashlib

from django.core.cache import caches
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.urls import reverse
from django.utils import timezone, translation

from caim.api import bulk, corpus, files, graph
from caim.api.http import cacheable, json_endpoint, not_modified
from caim.records.models import PublicRecord, PublicState
from caim.records.versions import SCHEMA_VERSION
from caim.stats import api as stats_api

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


def _public(ident: str) -> tuple[PublicRecord | None, PublicRecord]:
    """(the record, if the address is its own; the record named): a number or an earlier slug redirects."""
    found = PublicRecord.objects.find(None, ident)
    if found is None:
        raise Http404
    return found.record if found.canonical else None, found.record


def _record_file(request, slug: str, view: str, suffix: str, build) -> HttpResponse:
    """A record's own file at the current state of the public layer. What a slug names, and the file itself,
    only change with that state, so the body is kept per (state, slug): a repeated request reads one token."""
    token = _token()
    etag = _etag(f"-{slug}{suffix}", token)
    # The address's hash: a key stays short whatever was asked (an address may be long and hostile).
    cache, key = caches["pages"], f"api:{view}:{token}:{hashlib.sha256(slug.encode()).hexdigest()}"
    body = cache.get(key)
    if body is None:
        public, named = _public(slug)  # first: a missing record is a 404, whatever the client holds
        if public is None:
            return HttpResponsePermanentRedirect(reverse(view, args=[named.slug]))
        body = build(public).encode()  # kept as bytes: no encoding per answer
        cache.set(key, body, 3600)
    return not_modified(request, etag) or cacheable(HttpResponse(body, content_type=JSON), etag)


@json_endpoint
def record_json(request, slug: str):
    return _record_file(request, slug, "api_record", "", corpus.record_json)


@json_endpoint
def versions_json(request, slug: str):
    return _record_file(request, slug, "api_record_versions", "-versions", corpus.versions_json)


def _document(build) -> list[str]:
    """A derived corpus file: `meta` and the document `build` makes, in English, as canonical JSON."""
    with translation.override("en"):
        document = build()
    meta = {"schema_version": SCHEMA_VERSION, "generated_at": timezone.now().isoformat(),
            "record_count": PublicRecord.objects.listed().count()}  # fmt: skip
    return [corpus.dumps({"meta": meta, **document}) + "\n"]


def _derived(request, name: str, build):
    """A file derived from the whole public layer: written once per state, then sent as a file."""
    token = _token()
    if answer := not_modified(request, _etag(token=token)):
        return answer
    found = files.current_file(name, lambda: _document(build), token)
    return cacheable(files.file_response(request, found, JSON), found.etag)


@json_endpoint
def stats_json(request):
    return _derived(request, "stats", stats_api.stats_document)


@json_endpoint
def systemic_json(request):
    return _derived(request, "systemic-analysis", stats_api.systemic_document)


@json_endpoint
def graph_json(request):
    return _derived(request, "graph", graph.graph_document)


# The bulk downloads (SPEC §5.3, api/bulk.py): written once per state of the public layer, served as files.


@json_endpoint
def bulk_file(request, filename: str):
    if filename not in bulk.FILES:
        raise Http404
    name, build, content_type = bulk.FILES[filename]
    token = _token()
    if answer := not_modified(request, _etag(token=token)):
        return bulk.with_licence(answer)
    found = files.current_file(name, build, token)
    response = cacheable(files.file_response(request, found, content_type), found.etag)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return bulk.with_licence(response)


@json_endpoint
def bulk_licence(request):
    response = HttpResponse(bulk.licence_text(), content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "public, max-age=3600"
    return bulk.with_licence(response)


def api_browser(request):
    """The query API's OpenAPI document, browsable (Swagger UI from the project's own static files)."""
    from ninja.openapi.docs import Swagger

    from caim.api.query import api

    return Swagger().render_page(request, api)
