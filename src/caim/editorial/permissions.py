"""Access to the editorial area: every staff view goes through `staff_required`."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.utils.cache import add_never_cache_headers

from caim.records.roles import is_staff_member


def staff_required(view):
    """Signed-in staff only; the answer is never stored by a browser or a proxy (it holds unpublished data)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            response = redirect_to_login(request.get_full_path())
        elif not is_staff_member(request.user):
            raise PermissionDenied
        else:
            response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        return response

    return wrapped
