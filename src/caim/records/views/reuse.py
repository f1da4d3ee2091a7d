"""Public pages rendered once per state of the public layer, and conditional GETs answered without rendering.

A public page is a function of its address, the public layer, the site's settings and the code: nothing on it
depends on who asks (no session, no form token, no clock). The public layer's token changes in the transaction of
every publication, withdrawal or merge, so a page kept under (build, settings, token, address) is exactly the page
a new render would give, and an ETag made of the same parts (and the address) is fresh as long as the page is.
"""

from __future__ import annotations

import functools
import hashlib

from django.conf import settings
from django.core.cache import caches
from django.http import HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date

from caim.cache import build_id
from caim.records.models import PublicState


@functools.cache
def _settings_key() -> str:
    """What the page chrome shows from settings: changing any of them (a restart) makes pages new."""
    shown = (settings.CAIM_SITE_NAME, settings.CAIM_SITE_NAME_FR, settings.CAIM_SITE_URL, settings.CAIM_BANNER_EN,
             settings.CAIM_BANNER_FR, settings.CAIM_FEEDBACK_URL, settings.CAIM_CONTACT_EMAIL)  # fmt: skip
    return hashlib.blake2b("\x1f".join(shown).encode(), digest_size=4).hexdigest()


def reused_per_state(view):
    """Keep a public page's 200 answer for the current state of the public layer; answer a matching
    If-None-Match with a 304 before anything but the state row is read.

    Only plain addresses are kept (a query string is answered by the view each time): the language switch of a
    page carries its query string, and an unbounded set of addresses must not fill the cache.
    """

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        token, changed_at = PublicState.current_with_time()
        address = hashlib.blake2b(request.get_full_path().encode(), digest_size=4).hexdigest()
        etag = f'"{build_id()}{_settings_key()}-{token}-{address}"'
        last_modified = changed_at.timestamp() if changed_at else None
        # The ETag alone decides here (it names the address): only an address that answered 200 was given it,
        # whereas a bare If-Modified-Since could be sent for any address, a 404 or a redirect included.
        fresh = get_conditional_response(request, etag=etag)
        if fresh is not None:
            return _validators(fresh, etag, last_modified)
        plain = not request.META.get("QUERY_STRING")
        # The address's full hash: a key stays short whatever the address, and no collision mixes two pages.
        cache, key = caches["pages"], f"{etag}:{hashlib.sha256(request.path.encode()).hexdigest()}"
        kept = cache.get(key) if plain else None
        if kept is not None:
            content_type, body = kept
            return _validators(HttpResponse(body, content_type=content_type), etag, last_modified)
        response = view(request, *args, **kwargs)
        if response.status_code != 200 or response.streaming:
            return response
        if plain:
            cache.set(key, (response["Content-Type"], response.content))
        return _validators(response, etag, last_modified)

    return wrapped


def _validators(response: HttpResponse, etag: str, last_modified: float | None) -> HttpResponse:
    response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified)
    response["Cache-Control"] = "public, no-cache"  # keep it, but ask each time: a correction shows at once
    return response
