"""Public pages rendered once per state of the public layer, and conditional GETs answered without rendering.

A public page is a function of its address, the public layer, the site's settings and the code: nothing on it
depends on who asks (no session, no form token, no clock). The public layer's token changes in the transaction of
every publication, withdrawal or merge, so a page kept under (build, settings, token, address) is exactly the page
a new render would give, and an ETag made of the same parts (and the address) is fresh as long as the page is.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import hashlib
import logging
import queue
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import caches
from django.db import connections
from django.http import HttpResponse
from django.utils import translation
from django.utils.cache import get_conditional_response
from django.utils.http import http_date

from caim.cache import build_id
from caim.records.models import PublicState

logger = logging.getLogger(__name__)


@functools.cache
def _settings_key() -> str:
    """What the page chrome shows from settings: changing any of them (a restart) makes pages new."""
    shown = (settings.CAIM_SITE_NAME, settings.CAIM_SITE_NAME_FR, settings.CAIM_SITE_URL, settings.CAIM_BANNER_EN,
             settings.CAIM_BANNER_FR, settings.CAIM_FEEDBACK_URL, settings.CAIM_CONTACT_EMAIL)  # fmt: skip
    return hashlib.blake2b("\x1f".join(shown).encode(), digest_size=4).hexdigest()


# Headers a kept answer keeps besides its body: htmx's address for a partial answer, and what it varies on.
KEPT_HEADERS = ("Content-Type", "HX-Push-Url", "Vary")


def reused_per_state(view=None, *, with_queries: bool = False, stale_while: Callable[[], bool] | None = None,
                     prepare: Callable[[], object] | None = None):  # fmt: skip
    """Keep a public page's 200 answer for the current state of the public layer; answer a matching
    If-None-Match with a 304 before anything but the state row is read.

    Only plain addresses are kept unless `with_queries` (the lists, whose filters are their query string): the
    language switch of a record page carries its query string, and an unbounded set of addresses must not fill
    the cache (it holds at most CAIM_PAGE_CACHE_ENTRIES answers either way). An htmx request (a partial answer)
    is kept apart from a full one.

    `stale_while` (the lists): after a publication, each process renders each list again once. While the
    process is busy with readers (`_Load`), the page of the previous state is answered at once and this process's
    background thread renders the new one (`prepare()` first brings the data it needs up to date): under a
    publication a second, no reader waits for a render. While `stale_while()` says that data is being brought up
    to date, or the background thread has the address in hand, the previous page is answered too. It is answered
    without validators, and only while that work lasts (a fraction of a second); a request to a quiet process
    always gets the current page.
    """
    if view is None:
        return functools.partial(reused_per_state, with_queries=with_queries, stale_while=stale_while,
                                 prepare=prepare)  # fmt: skip

    def render(request, args, kwargs, token: str, key: str, latest: str | None, keep: bool):
        """(the view's answer, whether it is this state's page: kept if `keep`, and given its validators)."""
        response = view(request, *args, **kwargs)
        if response.status_code != 200 or response.streaming:
            return response, False
        # A view that answered from an older state (a list while its index is being brought up to date) says
        # so: that answer is neither kept nor given this state's validators.
        if getattr(response, "public_state", token) != token:
            return response, False
        if keep:
            answer = ({h: response[h] for h in KEPT_HEADERS if h in response}, response.content)
            caches["pages"].set(key, answer)
            if latest is not None:
                caches["pages"].set(latest, answer)
        return response, True

    def render_later(request, args, kwargs, full: str, latest: str) -> None:
        """Render the current page of this address in the background thread, for the next readers."""

        def job() -> None:
            if prepare is not None:
                prepare()
            token, _changed_at, etag = _etag_parts(request)
            render(request, args, kwargs, token, f"{etag}:{full}", latest, True)

        _background.submit(full, job, getattr(request, "LANGUAGE_CODE", None))

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        with _load.answering(request):
            return answer(request, args, kwargs)

    def answer(request, args, kwargs) -> HttpResponse:
        token, changed_at, etag = _etag_parts(request)
        last_modified = changed_at.timestamp() if changed_at else None
        # The ETag alone decides here (it names the address): only an address that answered 200 was given it,
        # whereas a bare If-Modified-Since could be sent for any address, a 404 or a redirect included.
        fresh = get_conditional_response(request, etag=etag)
        if fresh is not None:
            return _validators(fresh, etag, last_modified)
        keep = with_queries or not request.META.get("QUERY_STRING")
        # The address's full hash: a key stays short whatever the address, and no collision mixes two pages.
        full = hashlib.sha256(f"{_kind(request)}:{request.get_full_path()}".encode()).hexdigest()
        cache, key = caches["pages"], f"{etag}:{full}"
        kept = cache.get(key) if keep else None
        if kept is not None:
            return _validators(_answer(kept), etag, last_modified)
        # The last page kept for this address, whatever the state: what a reader gets while the current one is
        # rendered by the background thread (a busy process), or while its data is being brought up to date.
        latest = f"latest:{full}" if keep and stale_while is not None else None
        later = latest is not None and _load.busy()
        if later or (latest is not None and (stale_while() or _background.busy_with(full))):
            previous = cache.get(latest)
            if previous is not None:
                if later:
                    render_later(request, args, kwargs, full, latest)
                response = _answer(previous)
                response["Cache-Control"] = "no-cache"
                return response
        response, current = render(request, args, kwargs, token, key, latest, keep)
        return _validators(response, etag, last_modified) if current else response

    return wrapped


def _kind(request) -> str:
    """An htmx request (a partial answer) and a history restore are kept apart from a full page."""
    return "".join(flag for flag, header in (("p", "HX-Request"), ("h", "HX-History-Restore-Request"))
                   if request.headers.get(header))  # fmt: skip


def _etag_parts(request) -> tuple[str, object, str]:
    """(the public layer's token, when it was set, the ETag of this address in that state)."""
    token, changed_at = PublicState.current_with_time()
    address = hashlib.blake2b(
        f"{_kind(request)}{request.get_full_path()}".encode(), digest_size=4
    ).hexdigest()
    return token, changed_at, f'"{build_id()}{_settings_key()}-{token}-{address}"'


class _Load:
    """How busy this process is with public pages: how many it is answering now, and when its last `BUSY_RATE`
    began. Only a server that answers requests in threads counts them (WSGI's `wsgi.multithread`): in a
    single-threaded one (the test client, a single-threaded server) no other reader ever waits."""

    BUSY_RATE = 50  # pages begun within a second: many readers, not one person clicking

    def __init__(self) -> None:
        self.count = 0
        self.started: collections.deque[float] = collections.deque(maxlen=self.BUSY_RATE)
        self.lock = threading.Lock()

    def busy(self) -> bool:
        """Other pages in flight, or many begun in the last second."""
        started = self.started
        return self.count > 1 or (len(started) == started.maxlen and time.monotonic() - started[0] < 1.0)

    @contextlib.contextmanager
    def answering(self, request):
        counted = bool(request.META.get("wsgi.multithread"))
        if counted:
            with self.lock:
                self.count += 1
                self.started.append(time.monotonic())
        try:
            yield
        finally:
            if counted:
                with self.lock:
                    self.count -= 1


_load = _Load()


class _Background:
    """One thread per process that does the work a publication brings for the next readers (the list index
    brought up to date, pages rendered again), one job at a time, each at most once in the queue."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pending: set[str] = set()
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.thread: threading.Thread | None = None

    def busy_with(self, address: str) -> bool:
        return address in self.pending

    def submit(self, address: str, job: Callable[[], None], language: str | None = None) -> None:
        """Run `job` (in `language`) in the background thread, unless the work named `address` is queued."""
        with self.lock:
            if address in self.pending:
                return
            self.pending.add(address)
            if self.thread is None or not self.thread.is_alive():  # started in the worker, after any fork
                self.thread = threading.Thread(target=self.run, name="caim-background-pages", daemon=True)
                self.thread.start()
        self.jobs.put((address, language, job))

    def run(self) -> None:
        while True:
            address, language, job = self.jobs.get()
            try:
                with translation.override(language):
                    job()
            except Exception:
                logger.exception("Background work for the next readers failed: %s", address)
            finally:
                with self.lock:
                    self.pending.discard(address)
                connections.close_all()  # this thread's own: nothing stays open between publications


_background = _Background()


def busy() -> bool:
    """Whether this process is busy answering readers (see `_Load`)."""
    return _load.busy()


def in_background(name: str, job: Callable[[], None]) -> None:
    """Run `job` in this process's background thread (once, if it is queued already under `name`)."""
    _background.submit(name, job)


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
