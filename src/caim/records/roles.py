"""Staff roles and the one place that checks them (SPEC §3.1).

Roles are Django groups, so one account can hold several (a one-person team), while a publication still needs
an explicit approval by someone holding the reviewer role.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

EDITOR = "editor"  # intake to assessment: edits drafts
REVIEWER = "reviewer"  # approves publication, withdraws, reverts
TRANSLATOR = "translator"  # edits the French/English text of records only
ADMIN = "admin"  # users and configuration
ROLES = (EDITOR, REVIEWER, TRANSLATOR, ADMIN)


def roles_of(user) -> frozenset[str]:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_caim_roles", None)
    if cached is None:
        cached = (
            frozenset(ROLES) if user.is_superuser else frozenset(user.groups.values_list("name", flat=True))
        )
        user._caim_roles = cached
    return cached


def has_role(user, role: str) -> bool:
    return role in roles_of(user)


def is_staff_member(user) -> bool:
    return bool(roles_of(user))


def require_role(user, *roles: str) -> None:
    """Raise PermissionDenied unless the user holds one of the roles."""
    if not roles_of(user) & set(roles):
        raise PermissionDenied(f"This needs the {' or '.join(roles)} role.")


def system_account(username: str, *role_names: str):
    """An account that acts for a command (demo loader, importer, generator): it holds roles, so its actions
    are checked and audited like anyone's, but it has no usable password and cannot sign in."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user, created = get_user_model().objects.get_or_create(username=username, defaults={"is_active": True})
    if created:
        user.set_unusable_password()
        user.save()
    for name in role_names:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user
