"""Access to the editorial area, decided in one place: every staff view is wrapped by `staff_view`, which names
the roles it needs. The actions check their own role again, so a view that forgot would still be refused."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from caim.records.roles import ADMIN, EDITOR, REVIEWER, ROLES, TRANSLATOR, roles_of

ANY_STAFF = ROLES
WRITERS = (EDITOR, REVIEWER)  # edit every field of a draft
TRANSLATORS = (EDITOR, REVIEWER, TRANSLATOR)  # edit the texts
REVIEWERS = (REVIEWER,)  # publish, return, withdraw, revert, merge records
ENTITY_KEEPERS = (EDITOR, ADMIN)  # create and merge entities and AI systems
SCREENERS = (EDITOR,)  # screen leads: decline, make a draft, attach (SPEC §3.1 stage 2)
SOURCE_KEEPERS = (EDITOR,)  # add, change and deactivate monitored sources (SPEC §6.2)
SOURCE_READERS = (EDITOR, REVIEWER, ADMIN)  # see the sources and how their polls went (not translators)
CONTACT_READERS = (
    EDITOR,
    REVIEWER,
    ADMIN,
)  # see a submitter's email (SPEC §3.5: staff-only; not translators)


def staff_view(roles=ANY_STAFF, methods=("GET", "HEAD")):
    """Signed-in staff holding one of `roles` only; answers are never stored by a browser or a proxy (they hold
    unpublished data); other HTTP methods get a 405."""

    def decorate(view):
        @require_http_methods(list(methods))
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            return guarded(view, roles, request, *args, **kwargs)

        wrapped.staff_roles = tuple(roles)  # for the permission test, which reads what each view requires
        return wrapped

    return decorate


def guarded(view, roles, request, *args, **kwargs):
    """The answer of `view` if the user holds one of `roles`; sign-in or 403 otherwise. (A plain function, not
    inside the decorator, so that mutation testing reaches it: mutmut leaves decorated functions alone.)"""
    if not request.user.is_authenticated:
        response = redirect_to_login(request.get_full_path())
    elif not roles_of(request.user) & set(roles):
        response = forbidden(request, _("Your role does not give access to this page."))
    else:
        try:
            response = view(request, *args, **kwargs)
        except PermissionDenied as refused:  # an action refused the user: nothing was written
            response = forbidden(request, str(refused) or _("You may not do this."))
    add_never_cache_headers(response)
    return response


def forbidden(request, message: str):
    return render(request, "editorial/forbidden.html", {"message": message}, status=403)


def staff_required(view):
    """Any staff role, reading only."""
    return staff_view()(view)


def can(user, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))
