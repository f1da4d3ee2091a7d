"""The query API (SPEC §5.2), with django-ninja: records with every filter of the list pages, words, sort,
cursor pagination, a choice of fields and of language; entities, AI systems, search. OpenAPI 3 at
/api/v3/openapi.json, browsable at /api/docs (served from local files).

Every answer is a function of the public layer's state and the query, so each is computed once per state and
kept in this process's memory (a publication changes the state, so nothing stale is ever served); the ETag is
the state's token with the query, answered with a 304 after one small query. Bad parameters are 400s with a
JSON message, never a 500.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import Any, Literal

from django.conf import settings
from django.core.cache import caches
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, QueryDict
from ninja import NinjaAPI, Query, Schema
from ninja.errors import ValidationError
from pydantic import ConfigDict, Field

from caim.api.corpus import dumps, materialized_incidents, record_entry
from caim.api.http import cacheable, not_modified, with_cors
from caim.params import parse_int
from caim.records.fields import CHILD_LISTS, RECORD_FIELDS
from caim.records.models import AISystem, Entity, PublicRecord, PublicState, RelatedRecord
from caim.records.queries import listed
from caim.records.versions import SCHEMA_VERSION
from caim.search.backends import get_backend
from caim.search.models import SearchEntry
from caim.search.text import parse_query
from caim.site import lists

JSON = "application/json; charset=utf-8"
DEFAULT_LIMIT, MAX_LIMIT = 50, 200
LIST_PARAMS = [f.param for f in lists.FACETS] + ["q", "sort", "from", "to", "year_from", "year_to"]


def _record_keys() -> list[str]:
    """Top-level keys a record entry may hold, for `fields=` (id and slug always come)."""
    keys = {"schema_version", "version", "translation_status", "created_at", "first_published_at", "published_at",
            "withdrawn", "title", "dates", "url", "url_fr", "source_count", "has_french", "materialized_incidents"}  # fmt: skip
    for f in RECORD_FIELDS:
        if f.public:
            keys |= {key.split(".")[0] for key in f.document_keys()}
    return sorted(keys | {c.name for c in CHILD_LISTS})


RECORD_KEYS = _record_keys()

api = NinjaAPI(
    title="Canadian AI Incident Monitor API",
    version="3.1",
    description="Published AI incidents and hazards, in English and French: no authentication, CORS open. "
    "The corpus files (records.json and others) are described on the monitor's Data and API page.",
    urls_namespace="api-3",
    docs_url=None,
    openapi_url="/openapi.json",
)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str):
        self.status, self.code, self.message = status, code, message


def _error(status: int, code: str, message: str) -> HttpResponse:
    return with_cors(
        HttpResponse(dumps({"error": code, "message": message}), status=status, content_type=JSON)
    )


@api.exception_handler(ApiError)
def _api_error(request, exc: ApiError):
    return _error(exc.status, exc.code, exc.message)


@api.exception_handler(ValidationError)
def _invalid(request, exc: ValidationError):
    problems = "; ".join(
        f"{'.'.join(str(p) for p in e.get('loc', [])[1:]) or 'query'}: {e.get('msg', 'invalid')}"
        for e in exc.errors
    )
    return _error(400, "bad_request", f"Invalid parameters: {problems}")


# -- answers computed once per state of the public layer -------------------------------------------------------


@dataclass
class Built:
    """An answer's document, and the state of the public layer it was built from when that may be older than
    the current one (the records list while its list index is being brought up to date)."""

    document: dict
    state: str


def _answer(request: HttpRequest, build) -> HttpResponse:
    """The answer for this path and query at the current state: a 304, the kept copy, or built and kept. An
    answer built from an older state is sent as it is: neither kept nor given this state's validators."""
    token, changed_at = PublicState.current_with_time()
    key = hashlib.sha256(f"{token}|{request.path}|{_canonical_query(request.GET)}".encode()).hexdigest()
    etag = f'"{key[:32]}"'
    if answer := not_modified(request, etag, last_modified=changed_at):
        return with_cors(answer)
    cache = caches["local"]
    body = cache.get(f"caim:api:{key}")
    if body is None:
        built = build()
        document, state = (built.document, built.state) if isinstance(built, Built) else (built, token)
        body = (dumps(document) + "\n").encode()  # kept as bytes: no encoding per answer
        if state != token:
            return with_cors(HttpResponse(body, content_type=JSON))
        cache.set(f"caim:api:{key}", body, 3600)
    return with_cors(cacheable(HttpResponse(body, content_type=JSON), etag, last_modified=changed_at))


def _canonical_query(params: QueryDict) -> str:
    return "&".join(f"{k}={v}" for k in sorted(params) for v in params.getlist(k))


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o{offset}".encode()).decode().rstrip("=")


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    offset = parse_int(text[1:], low=0, high=10**9) if text.startswith("o") else None
    if offset is None:
        raise ApiError(400, "bad_request", "“cursor” is not a cursor this API gave; start again without it.")
    return offset


def _next_url(request: HttpRequest, offset: int) -> str:
    query = request.GET.copy()
    query["cursor"] = _cursor(offset)
    return settings.CAIM_SITE_URL + request.path + "?" + query.urlencode()


def _limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise ApiError(400, "bad_request", f"“limit” must be between 1 and {MAX_LIMIT}.")
    return limit


def _lang(lang: str | None) -> str:
    if lang in (None, "", "en", "fr"):
        return lang or "en"
    raise ApiError(400, "bad_request", "“lang” must be en or fr.")


# -- schemas (documentation of the answers) --------------------------------------------------------------------


class Meta(Schema):
    schema_version: str
    count: int = Field(description="How many items match, on every page.")
    limit: int
    next: str | None = Field(description="The URL of the next page, or null on the last one.")
    lang: str


class Dates(Schema):
    occurred: str | None = None
    occurred_precision: str | None = None
    reported: str | None = None
    occurred_end: str | None = None


class RecordOut(Schema):
    """A published record: its current version's document with computed fields (see the Data and API page for
    every field); with `fields=`, only the fields asked for, and always `id` and `slug`."""

    model_config = ConfigDict(extra="allow")
    id: int
    slug: str
    type: str | None = None
    title: str | None = None
    title_fr: str | None = None
    dates: Dates | None = None
    url: str | None = None
    url_fr: str | None = None


class RecordList(Schema):
    meta: Meta
    records: list[RecordOut]


class NamedOut(Schema):
    model_config = ConfigDict(extra="allow")
    slug: str
    name: str
    record_count: int
    url: str


class NamedList(Schema):
    meta: Meta
    items: list[NamedOut]


class SearchHit(Schema):
    kind: str
    slug: str
    title: str
    snippet: str
    url: str


class SearchOut(Schema):
    meta: Meta
    results: list[SearchHit]


class SimilarOut(Schema):
    id: int
    slug: str
    type: str
    title: str
    url: str
    score: float = Field(description="Cosine similarity of the two records' vectors (0 to 1).")


class SimilarList(Schema):
    meta: Meta
    record: str = Field(description="The slug of the record the others resemble.")
    records: list[SimilarOut]


class ErrorOut(Schema):
    error: str
    message: str


ERRORS = {400: ErrorOut}
NOT_FOUND = {404: ErrorOut}

# -- records ---------------------------------------------------------------------------------------------------


FACET_DOC = "repeat the parameter for several values: a record matches any of them; filters combine with AND"


def _facet(description: str):
    return Field(None, description=f"{description}; {FACET_DOC}")


class RecordFilters(Schema):
    type: Literal["incident", "hazard"] | None = Field(None, description="incident or hazard (default: both)")
    verification: list[str] | None = _facet("a value of the verification vocabulary (taxonomy.json)")
    severity: list[str] | None = _facet("a value of the severity vocabulary")
    hazard_status: list[str] | None = _facet("a value of the hazard_status vocabulary")
    confidence: list[str] | None = _facet("a value of the confidence vocabulary")
    domain: list[str] | None = _facet("a value of the domain vocabulary")
    harm_type: list[str] | None = _facet("a value of the harm_type vocabulary")
    ai_pathway: list[str] | None = _facet("a value of the ai_pathway vocabulary")
    lifecycle_phase: list[str] | None = _facet("a value of the lifecycle_phase vocabulary")
    province: list[str] | None = _facet("a value of the province vocabulary (ca_on, ca_qc, ..., federal)")
    entity: list[str] | None = _facet("an entity's slug")
    system: list[str] | None = _facet("an AI system's slug")
    fr: Literal["1"] | None = Field(None, description="1: only records with a French version")
    date_from: str | None = Field(
        None,
        alias="from",
        max_length=10,
        description="records whose event date (occurred, or identified for hazards), at its precision, is on or "
        "after this YYYY, YYYY-MM or YYYY-MM-DD",
    )
    date_to: str | None = Field(
        None, alias="to", max_length=10, description="on or before this YYYY, YYYY-MM or YYYY-MM-DD"
    )
    year_from: int | None = Field(
        None, ge=lists.YEAR_MIN, le=lists.YEAR_MAX, description="older form of from"
    )
    year_to: int | None = Field(None, ge=lists.YEAR_MIN, le=lists.YEAR_MAX, description="older form of to")
    q: str | None = Field(None, max_length=200, description="words, in English or French")
    sort: Literal["occurred", "published", "severity", "relevance"] | None = Field(
        None, description="occurred (default), published, severity, or relevance (with q)"
    )
    cursor: str | None = Field(None, description="from a previous answer's meta.next")
    limit: int | None = Field(None, ge=1, le=MAX_LIMIT, description=f"default {DEFAULT_LIMIT}")
    fields: str | None = Field(None, description="comma-separated top-level fields to return")
    lang: Literal["en", "fr"] | None = Field(None, description="en (default) or fr: the language of `title`")


# The schema's attribute of each list parameter (the date bounds' names are Python keywords).
ATTRIBUTES = {"from": "date_from", "to": "date_to"}


def _fields(fields: str | None) -> set[str] | None:
    if not fields:
        return None
    wanted = {f.strip() for f in fields.split(",") if f.strip()}
    unknown = sorted(wanted - set(RECORD_KEYS))
    if unknown:
        raise ApiError(
            400, "bad_request", f"Unknown field(s): {', '.join(unknown)}. Known: {', '.join(RECORD_KEYS)}."
        )
    return wanted | {"id", "slug"}


@api.get(
    "/records", response={200: RecordList, **ERRORS}, summary="Published records, filtered like the lists"
)
def records(request, filters: Query[RecordFilters]):
    record_type = filters.type or ""
    if record_type not in ("", "incident", "hazard"):
        raise ApiError(400, "bad_request", "“type” must be incident or hazard.")
    limit, lang, offset = _limit(filters.limit), _lang(filters.lang), _offset(filters.cursor)
    wanted = _fields(filters.fields)
    params = QueryDict(mutable=True)
    for name in LIST_PARAMS:
        value = getattr(filters, ATTRIBUTES.get(name, name), None)
        if isinstance(value, list):
            params.setlist(name, [str(v) for v in value])
        elif value not in (None, ""):
            params[name] = str(value)

    def build() -> Built:
        index = lists.get_index()
        try:
            state = lists.parse_state(record_type, params, index)
        except lists.BadFilter as exc:
            raise ApiError(400, "bad_filter", str(exc)) from None
        ids = lists.matching_ids(state, index)
        page = ids[offset : offset + limit]
        publics = {p.pk: p for p in PublicRecord.objects.filter(pk__in=page).select_related("version")}
        incidents = materialized_incidents([pk for pk, p in publics.items() if p.record_type == "hazard"])
        entries = []
        for pk in page:
            entry = record_entry(publics[pk], publics[pk].version.document, incidents.get(pk), lang)
            entries.append({k: v for k, v in entry.items() if k in wanted} if wanted else entry)
        more = offset + limit < len(ids)
        meta = {"schema_version": SCHEMA_VERSION, "count": len(ids), "limit": limit, "lang": lang,
                "next": _next_url(request, offset + limit) if more else None}  # fmt: skip
        return Built({"meta": meta, "records": entries}, index.version)

    return _answer(request, build)


@api.get(
    "/records/{ref}/similar",
    response={200: SimilarList, **ERRORS, **NOT_FOUND},
    summary="The listed records most similar to one record (its slug, an earlier slug or its id)",
)
def similar(request, ref: str, lang: Literal["en", "fr"] | None = None):
    """The "Similar records" of a record page (SPEC §6.4), computed when either record was published: records
    of either type whose title, summary and taxonomy resemble this one's, most similar first."""
    lang = _lang(lang)
    found = PublicRecord.objects.find(None, ref[:200])
    if found is None:
        raise ApiError(404, "not_found", f"No published record is called “{ref[:200]}”.")
    public = found.record

    def build() -> dict:
        links = (
            RelatedRecord.objects.filter(listed("related__"), record_id=public.pk)
            .select_related("related")
            .order_by("-score", "related_id")
        )
        records = []
        for link in links:
            other = link.related
            records.append({"id": other.pk, "slug": other.slug, "type": other.record_type, "title": other.title(lang),
                            "url": settings.CAIM_SITE_URL + other.url(lang), "score": round(link.score, 4)})  # fmt: skip
        meta = {"schema_version": SCHEMA_VERSION, "count": len(records), "limit": len(records), "lang": lang,
                "next": None}  # fmt: skip
        return {"meta": meta, "record": public.slug, "records": records}

    return _answer(request, build)


# -- entities and AI systems -----------------------------------------------------------------------------------


def _named(request, model, kind: str, q: str | None, cursor: str | None, limit: int | None) -> HttpResponse:
    limit, offset = _limit(limit), _offset(cursor)
    link = "public_roles" if model is Entity else "public_links"

    def build() -> dict:
        found = model.objects.filter(listed(f"{link}__record__")).annotate(
            record_count=Count(f"{link}__record", distinct=True)
        )
        if q:
            found = found.filter(name__icontains=q[:100])
        total = found.count()
        items = []
        for obj in found.order_by("name", "pk")[offset : offset + limit]:
            item = {"slug": obj.slug, "name": obj.name, "name_fr": obj.name_fr,
                    "record_count": obj.record_count, "url": f"{settings.CAIM_SITE_URL}/{kind}/{obj.slug}/",
                    "description_en": obj.description_en, "description_fr": obj.description_fr}  # fmt: skip
            if model is Entity:
                item.update(
                    kind=obj.kind,
                    jurisdiction=obj.jurisdiction,
                    aliases=obj.aliases,
                    aliases_fr=obj.aliases_fr,
                    same_as=obj.same_as,
                )
            else:
                item.update(system_type=obj.system_type)
            items.append(item)
        more = offset + limit < total
        meta = {"schema_version": SCHEMA_VERSION, "count": total, "limit": limit, "lang": "en",
                "next": _next_url(request, offset + limit) if more else None}  # fmt: skip
        return {"meta": meta, "items": items}

    return _answer(request, build)


@api.get("/entities", response={200: NamedList, **ERRORS}, summary="Entities named in published records")
def entities(
    request,
    q: str | None = None,
    cursor: str | None = None,
    limit: int | None = Query(None, ge=1, le=MAX_LIMIT),
):
    return _named(request, Entity, "entities", q, cursor, limit)


@api.get("/systems", response={200: NamedList, **ERRORS}, summary="AI systems named in published records")
def systems(
    request,
    q: str | None = None,
    cursor: str | None = None,
    limit: int | None = Query(None, ge=1, le=MAX_LIMIT),
):
    return _named(request, AISystem, "systems", q, cursor, limit)


# -- search ----------------------------------------------------------------------------------------------------


@api.get("/search", response={200: SearchOut, **ERRORS}, summary="Records, entities and AI systems by words")
def search(
    request,
    q: str = Query(..., max_length=200),
    kind: Literal["record", "entity", "system"] | None = None,
    limit: int | None = Query(None, ge=1, le=MAX_LIMIT),
    lang: Literal["en", "fr"] | None = None,
):
    limit, lang = _limit(limit), _lang(lang)
    kinds = ("record", "entity", "system") if not kind else (kind,)
    if kind not in (None, "", "record", "entity", "system"):
        raise ApiError(400, "bad_request", "“kind” must be record, entity or system.")
    query = parse_query(q[:200])

    def build() -> dict:
        results: list[dict[str, Any]] = []
        if query:
            backend = get_backend()
            for k in kinds:
                ranked = [pk for pk, _score in backend.ranked(query, k, limit)]
                entries = {e.obj_id: e for e in SearchEntry.objects.filter(kind=k, obj_id__in=ranked)}
                addresses = _addresses(k, ranked, lang)
                results += [
                    _hit(k, entries[pk], addresses[pk], lang)
                    for pk in ranked
                    if pk in entries and pk in addresses
                ]
        meta = {
            "schema_version": SCHEMA_VERSION,
            "count": len(results),
            "limit": limit,
            "lang": lang,
            "next": None,
        }
        return {"meta": meta, "results": results}

    return _answer(request, build)


def _addresses(kind: str, ids: list[int], lang: str) -> dict[int, tuple[str, str]]:
    """(slug, URL) of each public object among `ids`, in one query."""
    if kind == "record":
        return {
            p.pk: (p.slug, p.url(lang))
            for p in PublicRecord.objects.listed().filter(pk__in=ids).only("slug", "record_type")
        }
    model, path = (Entity, "entities") if kind == "entity" else (AISystem, "systems")
    prefix = "/fr" if lang == "fr" else ""
    return {
        pk: (slug, f"{prefix}/{path}/{slug}/")
        for pk, slug in model.objects.filter(pk__in=ids).values_list("pk", "slug")
    }


def _hit(kind: str, entry: SearchEntry, address: tuple[str, str], lang: str) -> dict:
    title = (entry.title_fr if lang == "fr" else entry.title_en) or entry.title_en
    slug, url = address
    return {"kind": kind, "slug": slug, "title": title, "snippet": entry.body(lang)[:300],
            "url": settings.CAIM_SITE_URL + url}  # fmt: skip
