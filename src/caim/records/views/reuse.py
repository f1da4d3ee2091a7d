"""Public pages rendered once per state of the public layer, and conditional GETs answered without rendering.

A public page is a function of its address, the public layer, the site's settings and the code: nothing on it
depends on who asks (no session, no form token, no clock). The public layer's token changes in the transaction of
every publication, withdrawal or merge, so a page kept under (build, settings, token, address) is exactly the page
a new render would give, and an ETag made of the same parts (and the address) is fresh as long as the page is.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

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


class SharedPages:
    """The lists rendered for the current state, on disk, for every worker of the deployment: the first worker
    that renders a list after a publication writes it, and the others read it instead of bringing their own
    list index up to date and rendering it again. One folder per state (build, settings and token, as the ETag);
    a worker claims an address with a lock file while it renders, so the others answer the previous page
    meanwhile. A file is written whole (a temporary name, then renamed), and a folder of an older state is
    removed when a newer one starts."""

    STALE_LOCK = 10.0  # seconds: a lock older than this was left by a worker that died while rendering

    def __init__(self, root: Path):
        self.root = root

    def _folder(self, state: str) -> Path:
        return self.root / state

    def get(self, state: str, key: str) -> tuple[dict, bytes] | None:
        try:
            raw = (self._folder(state) / key).read_bytes()
        except OSError:
            return None
        header, _newline, body = raw.partition(b"\n")
        return json.loads(header), body

    def put(self, state: str, key: str, answer: tuple[dict, bytes]) -> None:
        folder = self._folder(state)
        try:
            if not folder.is_dir():
                folder.mkdir(parents=True, exist_ok=True)
                self._prune(keep=folder)
            temporary = folder / f".{key}.{os.getpid()}.{threading.get_ident()}"
            temporary.write_bytes(json.dumps(answer[0]).encode() + b"\n" + answer[1])
            os.replace(temporary, folder / key)
        except (
            OSError
        ):  # a full disk or a folder pruned meanwhile: the page is still answered, only not shared
            pass

    def claim(self, state: str, key: str) -> bool:
        """True when this worker may render the address (no other one is), with the lock taken."""
        lock = self._folder(state) / f"{key}.lock"
        try:
            lock.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            return True
        except FileExistsError:
            with contextlib.suppress(OSError):
                if time.time() - lock.stat().st_mtime > self.STALE_LOCK:
                    lock.unlink()
            return False
        except OSError:
            return True  # no shared folder: every worker renders for itself

    def release(self, state: str, key: str) -> None:
        with contextlib.suppress(OSError):
            (self._folder(state) / f"{key}.lock").unlink()

    def _prune(self, keep: Path) -> None:
        """Folders of earlier states, a few seconds after they were replaced (a worker may still be writing)."""
        with contextlib.suppress(OSError):
            for folder in self.root.iterdir():
                if folder != keep and time.time() - folder.stat().st_mtime > 5:
                    shutil.rmtree(folder, ignore_errors=True)


def shared_pages() -> SharedPages:
    return SharedPages(Path(settings.CAIM_SHARED_PAGES_DIR))


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
        shared, state = shared_pages(), etag.strip('"').rsplit("-", 1)[0]
        mine = claimed = False
        if keep and stale_while is not None:
            if (written := shared.get(state, full)) is not None:  # another worker rendered it
                cache.set(key, written)
                cache.set(latest, written)
                return _validators(_answer(written), etag, last_modified)
            with _rendering_lock:
                mine = full not in _rendering and not stale_while()
                if mine:
                    _rendering.add(full)
            claimed = mine and shared.claim(state, full)
            if not claimed and (previous := cache.get(latest)) is not None:
                if mine:
                    with _rendering_lock:
                        _rendering.discard(full)
                response = _answer(previous)
                response["Cache-Control"] = "no-cache"
                return response
        try:
            response = view(request, *args, **kwargs)
        finally:
            if mine:
                with _rendering_lock:
                    _rendering.discard(full)
            if claimed:
                shared.release(state, full)
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
                shared.put(state, full, answer)
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
