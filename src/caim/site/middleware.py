"""Security headers Django 5.2 does not set itself, and requests refused before any view."""

from __future__ import annotations

from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _

# Everything is served from our own origin: no CDN, no inline scripts, no inline styles (the server-built SVG
# charts use presentation attributes and classes).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"
        )
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response


class RejectNulMiddleware:
    """A NUL character is never part of a valid address, parameter or form field, and PostgreSQL refuses it in any
    text, stored or compared (a query with one would answer 500): such a request gets a 400 before any view
    runs. Forms included: staff forms pass some fields straight to an action (a comment, a withdrawal reason, the
    record a lead is attached to)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or _holds_nul(request.GET):
            message = _("Bad request: the address holds a NUL character.")
        elif request.method == "POST" and _holds_nul(request.POST):
            message = _("Bad request: the form holds a NUL character.")
        else:
            return self.get_response(request)
        if request.path.startswith("/api/v3/"):  # machines get the API's JSON errors
            response = JsonResponse({"error": "bad_request", "message": message}, status=400)
            response["Access-Control-Allow-Origin"] = "*"
            return response
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


def _holds_nul(params) -> bool:
    return any("\x00" in v for key, items in params.lists() for v in (key, *items))
