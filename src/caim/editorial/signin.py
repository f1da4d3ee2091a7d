"""Staff sign-in with a limit on failed attempts (SPEC §10), per client address and per username.

Counts live in Django's cache: the default in-process cache suits one process; a deployment with several
workers sets CACHE_URL to a shared cache (docs/deploy.md) so that the limit holds across them.
"""

from __future__ import annotations

import hashlib

from django.contrib.auth.views import LoginView
from django.core.cache import cache
from django.shortcuts import render
from django.utils.translation import gettext as _

MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60


def _keys(request) -> list[str]:
    address = request.META.get("REMOTE_ADDR", "")
    username = (request.POST.get("username") or "").strip().lower()
    digest = hashlib.sha256(username.encode()).hexdigest()[:32]  # no username in cache keys
    return [f"caim:signin:addr:{address}", f"caim:signin:user:{digest}"]


class RateLimitedLoginView(LoginView):
    template_name = "editorial/login.html"

    def post(self, request, *args, **kwargs):
        keys = _keys(request)
        if any((cache.get(key) or 0) >= MAX_FAILURES for key in keys):
            message = _("Too many failed sign-in attempts. Wait 15 minutes and try again.")
            return render(
                request, self.template_name, {"form": self.get_form(), "locked": message}, status=429
            )
        response = super().post(request, *args, **kwargs)
        if response.status_code != 302:  # the form came back: the attempt failed
            for key in keys:
                cache.add(key, 0, WINDOW_SECONDS)
                cache.incr(key)
        return response
