"""What the mutation run of records/roles.py found untested (docs/quality.md): accounts that hold roles but may not
use them (deactivated, no account at all), the superuser, the accounts that act for commands, and roles read
once per account object."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from caim.records import actions
from caim.records.roles import (
    EDITOR,
    REVIEWER,
    ROLES,
    TRANSLATOR,
    has_role,
    is_staff_member,
    require_role,
    roles_of,
    system_account,
)
from tests import factories


def test_a_deactivated_account_keeps_its_groups_but_may_do_nothing(editor, entities, clock):
    editor.is_active = False
    editor.save()
    user = get_user_model().objects.get(pk=editor.pk)
    assert roles_of(user) == frozenset() and not is_staff_member(user)
    with pytest.raises(PermissionDenied, match="editor"):
        factories.draft(user, "incident", factories.incident_data(), clock)


@pytest.mark.parametrize("actor", [None, AnonymousUser()], ids=["no actor", "anonymous"])
def test_an_action_without_a_signed_in_actor_is_refused(actor, editor, entities, clock):
    record = factories.draft(editor, "incident", factories.incident_data(), clock)
    with pytest.raises(
        PermissionDenied, match="This needs the editor or reviewer or translator or admin role."
    ):
        actions.comment_record(record, actor=actor, text="A note.", clock=clock)
    assert roles_of(actor) == frozenset()


def test_a_superuser_holds_every_role_without_a_group(client, db):
    boss = get_user_model().objects.create_superuser("t-boss", password="a-long-test-password")
    assert not boss.groups.exists()
    assert roles_of(boss) == frozenset(ROLES)
    client.force_login(boss)
    assert client.get("/staff/sources/").status_code == 200


def test_roles_are_read_once_per_account_object(editor, django_assert_num_queries):
    user = get_user_model().objects.get(pk=editor.pk)
    with django_assert_num_queries(1):
        assert has_role(user, EDITOR) and not has_role(user, REVIEWER)
        assert is_staff_member(user)
        require_role(user, EDITOR)


def test_a_system_account_acts_but_cannot_sign_in(client, entities, clock):
    robot = system_account("t-robot", EDITOR)
    assert robot.is_active and not robot.has_usable_password()
    assert roles_of(robot) == {EDITOR}
    record = factories.draft(robot, "incident", factories.incident_data(), clock)
    assert record.pk
    assert not client.login(username="t-robot", password="")
    again = system_account("t-robot", TRANSLATOR)  # the same account, one role more
    assert again.pk == robot.pk
    assert roles_of(get_user_model().objects.get(pk=robot.pk)) == {EDITOR, TRANSLATOR}


def test_an_actor_that_is_not_an_account_is_refused_not_crashed(editor, entities, clock):
    """The check fails closed: a caller that passes a username instead of an account gets a refusal."""
    record = factories.draft(editor, "incident", factories.incident_data(), clock)
    with pytest.raises(PermissionDenied):
        actions.comment_record(record, actor=editor.username, text="A note.", clock=clock)
    assert roles_of(editor.username) == frozenset()
