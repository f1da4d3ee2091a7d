"""What every machine-readable endpoint shares: CORS (preflight included), JSON errors, ETag revalidation."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import Http404, HttpResponse, HttpResponseNotModified, JsonResponse

ALLOWED = "GET, HEAD, OPTIONS"


def with_cors(response: HttpResponse) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Expose-Headers"] = "ETag"
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
            response["Access-Control-Allow-Headers"] = "If-None-Match"
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


def not_modified(request, etag: str, max_age: int = 60) -> HttpResponse | None:
    """A 304 (with the headers the full answer would have) when the client already holds `etag`."""
    tags = [t.strip().removeprefix("W/") for t in request.headers.get("If-None-Match", "").split(",")]
    if etag in tags or "*" in tags:
        return cacheable(HttpResponseNotModified(), etag, max_age)
    return None


def cacheable(response: HttpResponse, etag: str, max_age: int = 60) -> HttpResponse:
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={max_age}"
    return response
