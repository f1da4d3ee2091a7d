"""Public pages rendered once per state of the public layer, and conditional GETs answered without rendering.

A public page is a function of its address, the public layer, the site's settings and the code: nothing on it
depends on who asks (no session, no form token, no clock). The public layer's token changes in the transaction of
every publication, withdrawal or merge, so a page kept under (build, settings, token, address) is exactly the page
a new render would give, and an ETag made of the same parts (and the address) is fresh as long as the page is.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections.abc import Callable

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


# Headers a kept answer keeps besides its body: htmx's address for a partial answer, and what it varies on.
KEPT_HEADERS = ("Content-Type", "HX-Push-Url", "Vary")


# Addresses whose page this process is rendering for the current state (see `stale_while`).
_rendering: set[str] = set()
_rendering_lock = threading.Lock()


def reused_per_state(view=None, *, with_queries: bool = False, stale_while: Callable[[], bool] | None = None):
    """Keep a public page's 200 answer for the current state of the public layer; answer a matching
    If-None-Match with a 304 before anything but the state row is read.

    Only plain addresses are kept unless `with_queries` (the lists, whose filters are their query string): the
    language switch of a record page carries its query string, and an unbounded set of addresses must not fill
    the cache (it holds at most CAIM_PAGE_CACHE_ENTRIES answers either way). An htmx request (a partial answer)
    is kept apart from a full one.

    `stale_while` (the lists): after a publication, each process renders each list again once. While another
    thread of the process renders the same address, or while `stale_while()` says the data it needs is being
    brought up to date, the page of the previous state is answered instead of rendering it once more: under a
    publication a second, readers would otherwise all render at once. It is answered without validators, and
    only while that work lasts (a fraction of a second); a lone request always gets the current page.
    """
    if view is None:
        return functools.partial(reused_per_state, with_queries=with_queries, stale_while=stale_while)

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        token, changed_at = PublicState.current_with_time()
        kind = "".join(flag for flag, header in (("p", "HX-Request"), ("h", "HX-History-Restore-Request"))
                       if request.headers.get(header))  # fmt: skip
        address = hashlib.blake2b(f"{kind}{request.get_full_path()}".encode(), digest_size=4).hexdigest()
        etag = f'"{build_id()}{_settings_key()}-{token}-{address}"'
        last_modified = changed_at.timestamp() if changed_at else None
        # The ETag alone decides here (it names the address): only an address that answered 200 was given it,
        # whereas a bare If-Modified-Since could be sent for any address, a 404 or a redirect included.
        fresh = get_conditional_response(request, etag=etag)
        if fresh is not None:
            return _validators(fresh, etag, last_modified)
        keep = with_queries or not request.META.get("QUERY_STRING")
        # The address's full hash: a key stays short whatever the address, and no collision mixes two pages.
        full = hashlib.sha256(f"{kind}:{request.get_full_path()}".encode()).hexdigest()
        cache, key = caches["pages"], f"{etag}:{full}"
        kept = cache.get(key) if keep else None
        if kept is not None:
            return _validators(_answer(kept), etag, last_modified)
        latest = f"latest:{full}"  # the last page kept for this address, whatever the state
        mine = False
        if keep and stale_while is not None:
            with _rendering_lock:
                mine = full not in _rendering and not stale_while()
                if mine:
                    _rendering.add(full)
            if not mine and (previous := cache.get(latest)) is not None:
                response = _answer(previous)
                response["Cache-Control"] = "no-cache"
                return response
        try:
            response = view(request, *args, **kwargs)
        finally:
            if mine:
                with _rendering_lock:
                    _rendering.discard(full)
        if response.status_code != 200 or response.streaming:
            return response
        # A view that answered from an older state (a list while its index is being brought up to date) says
        # so: that answer is neither kept nor given this state's validators.
        if getattr(response, "public_state", token) != token:
            return response
        if keep:
            answer = ({h: response[h] for h in KEPT_HEADERS if h in response}, response.content)
            cache.set(key, answer)
            if stale_while is not None:
                cache.set(latest, answer)
        return _validators(response, etag, last_modified)

    return wrapped


def _answer(kept: tuple[dict, bytes]) -> HttpResponse:
    headers, body = kept
    response = HttpResponse(body)
    for name, value in headers.items():
        response[name] = value
    return response


def _validators(response: HttpResponse, etag: str, last_modified: float | None) -> HttpResponse:
    response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified)
    response["Cache-Control"] = "public, no-cache"  # keep it, but ask each time: a correction shows at once
    return response
