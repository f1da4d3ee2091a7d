"""Staff sign-in with a limit on failed attempts (SPEC §10), per client address and per username.

Counts live in Django's cache: the default in-process cache suits one process; a deployment with several
workers sets CACHE_URL to a shared cache (docs/deploy.md) so that the limit holds across them.
"""

from __future__ import annotations

import contextlib
import hashlib
import unicodedata

from django.conf import settings
from django.contrib.auth.views import LoginView
from django.core.cache import cache
from django.shortcuts import render
from django.utils.translation import gettext as _

# Failures allowed in the window: per account from one address (guessing one password), and per address
# over all accounts (trying many). Counting per account alone would let anyone lock an editor out.
LIMITS = {"pair": 5, "address": 20}
WINDOW_SECONDS = 15 * 60


def client_address(request) -> str:
    """The client's address; behind the TLS proxy, the last address it appended to X-Forwarded-For."""
    if settings.BEHIND_TLS_PROXY:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
        if forwarded:
            return forwarded[-1]
    return request.META.get("REMOTE_ADDR", "")


def _keys(request) -> dict[str, str]:
    address = client_address(request)
    # The form normalises usernames (NFKC) before checking them: count look-alike spellings as one.
    username = unicodedata.normalize("NFKC", request.POST.get("username") or "").strip().casefold()
    digest = hashlib.sha256(f"{address}|{username}".encode()).hexdigest()[:32]  # no username in cache keys
    return {"pair": f"caim:signin:pair:{digest}", "address": f"caim:signin:addr:{address}"}


class RateLimitedLoginView(LoginView):
    template_name = "editorial/login.html"

    def get_context_data(self, **kwargs):
        # Django's sign-in view names the site after the request's host ("127.0.0.1:8000"): the monitor's name.
        context = super().get_context_data(**kwargs)
        context.pop("site_name", None)
        context.pop("site", None)
        return context

    def post(self, request, *args, **kwargs):
        # Count the attempt before checking the password, so that parallel attempts cannot all get through.
        keys = _keys(request)
        counts = {kind: _count(key) for kind, key in keys.items()}
        if any(counts[kind] > LIMITS[kind] for kind in keys):
            message = _("Too many failed sign-in attempts. Wait 15 minutes and try again.")
            return render(
                request, self.template_name, {"form": self.get_form(), "locked": message}, status=429
            )
        response = super().post(request, *args, **kwargs)
        if response.status_code == 302:  # signed in: this account's failures from here are forgiven
            cache.delete(keys["pair"])
            _uncount(keys["address"])
        return response


def _count(key: str) -> int:
    cache.add(key, 0, WINDOW_SECONDS)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, WINDOW_SECONDS)
        return 1


def _uncount(key: str) -> None:
    with contextlib.suppress(ValueError):  # already expired
        cache.decr(key)
