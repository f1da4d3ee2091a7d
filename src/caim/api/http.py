"""What every machine-readable endpoint shares: CORS (preflight included), JSON errors, ETag revalidation."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import Http404, HttpResponse, HttpResponseNotModified, JsonResponse
from django.utils.http import http_date, parse_http_date_safe

ALLOWED = "GET, HEAD, OPTIONS"


def with_cors(response: HttpResponse) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Expose-Headers"] = "ETag, Last-Modified, Link"
    return response


def json_error(status: int, code: str, message: str) -> JsonResponse:
    return with_cors(JsonResponse({"error": code, "message": message}, status=status))


def json_endpoint(view: Callable) -> Callable:
    """Answer CORS preflights, refuse other methods with a JSON 405, and turn a 404 into a JSON 404."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method == "OPTIONS":
            response = HttpResponse(status=204)
            response["Access-Control-Allow-Methods"] = ALLOWED
            response["Access-Control-Allow-Headers"] = "If-None-Match, If-Modified-Since"
            response["Access-Control-Max-Age"] = "86400"
            return with_cors(response)
        if request.method not in ("GET", "HEAD"):
            response = json_error(405, "method_not_allowed", f"Use {ALLOWED}.")
            response["Allow"] = ALLOWED
            return response
        try:
            return with_cors(view(request, *args, **kwargs))
        except Http404:
            return json_error(404, "not_found", "No published record or file at this address.")

    return wrapped


def not_modified(request, etag: str, max_age: int = 60, last_modified=None) -> HttpResponse | None:
    """A 304 (with the headers the full answer would have) when the client already holds `etag` (or, without
    If-None-Match, a copy at least as new as `last_modified`)."""
    sent = request.headers.get("If-None-Match")
    if sent is not None:
        tags = [t.strip().removeprefix("W/") for t in sent.split(",")]
        fresh = etag in tags or "*" in tags
    else:
        since = parse_http_date_safe(request.headers.get("If-Modified-Since") or "")
        fresh = bool(since and last_modified and int(last_modified.timestamp()) <= since)
    if fresh:
        return cacheable(HttpResponseNotModified(), etag, max_age, last_modified)
    return None


def cacheable(response: HttpResponse, etag: str, max_age: int = 60, last_modified=None) -> HttpResponse:
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={max_age}"
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified.timestamp())
    return response


class ApiCorsMiddleware:
    """CORS for every answer under /api/v3/ (the query API's included), and their preflight requests: the data
    is public and read-only, so any origin may read it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/v3/"):
            return self.get_response(request)
        if request.method == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in request.META:
            response = HttpResponse(status=204)
            response["Access-Control-Allow-Methods"] = ALLOWED
            response["Access-Control-Allow-Headers"] = "If-None-Match, If-Modified-Since"
            response["Access-Control-Max-Age"] = "86400"
            return with_cors(response)
        response = self.get_response(request)
        is_json = response.get("Content-Type", "").startswith("application/json")
        if response.status_code == 405 and not is_json:
            allowed = response.get("Allow", ALLOWED)
            response = json_error(405, "method_not_allowed", f"Use {allowed}.")
            response["Allow"] = allowed
        elif response.status_code == 404 and not is_json:  # an address no route matches ("records/a b.json")
            response = json_error(404, "not_found", "No published record or file at this address.")
        if "Access-Control-Allow-Origin" not in response:
            with_cors(response)
        return response
