"""Every staff URL, as every role: the resolver lists the routes (a new route is covered as soon as it exists),
each view declares the roles it needs, and the answers follow: sign-in for anonymous visitors, 403 for roles
without the right, a real answer for the others, never a stored response."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from caim.intake.actions import create_source, submit_lead
from caim.records import actions
from caim.records.models import Entity
from caim.records.roles import ADMIN, EDITOR, REVIEWER, TRANSLATOR
from tests import factories

PUBLIC = {"staff:login", "staff:logout"}


def staff_routes():
    """(name, pattern, view) of every route under /staff/, from the URL resolver."""
    routes = []

    def walk(patterns, prefix, namespace):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern), p.namespace or namespace)
            elif isinstance(p, URLPattern) and namespace == "staff":
                routes.append((f"staff:{p.name}", prefix + str(p.pattern), p.callback, p.default_args))

    walk(get_resolver().url_patterns, "/", None)
    return routes


ROUTES = staff_routes()


def test_the_routes_are_found():
    names = {name for name, *_ in ROUTES}
    assert {"staff:dashboard", "staff:edit", "staff:publish", "staff:merge_entity"} <= names


def test_every_staff_view_declares_its_roles():
    for name, _pattern, view, _defaults in ROUTES:
        if name in PUBLIC:
            continue
        assert getattr(view, "staff_roles", None), (
            f"{name} is not wrapped by editorial.permissions.staff_view"
        )


@pytest.fixture
def accounts(db):
    return {
        "anonymous": None,
        "outsider": factories.make_user("p-outsider"),
        EDITOR: factories.make_user("p-editor", EDITOR),
        REVIEWER: factories.make_user("p-reviewer", REVIEWER),
        TRANSLATOR: factories.make_user("p-translator", TRANSLATOR),
        ADMIN: factories.make_user("p-admin", ADMIN),
    }


def url_of(pattern: str, record_pk: int, entity_pk: int, lead_pk: int = 0, source_pk: int = 0) -> str:
    pk = (entity_pk if "entities/" in pattern else lead_pk if "leads/" in pattern
          else source_pk if "sources/" in pattern else record_pk)  # fmt: skip
    return pattern.replace("<int:pk>", str(pk))


@pytest.mark.parametrize("who", ["anonymous", "outsider", EDITOR, REVIEWER, TRANSLATOR, ADMIN])
def test_every_staff_url_as_every_role(client, accounts, entities, clock, who):
    author = factories.make_user("p-author", EDITOR)
    record = factories.draft(author, "incident", factories.incident_data(), clock)
    entity = actions.create_entity(
        actor=author, slug="p-entity", name="P Entity", kind="company", clock=clock
    )
    lead = submit_lead(origin="submission", raw_text="p", urls=[], consent=True, language="en",
                       address_hash="").lead  # fmt: skip
    source = create_source(actor=author, data={"kind": "feed", "name": "P feed", "url": "https://p.example/rss",
                                               "language": "en", "active": True})  # fmt: skip
    user = accounts[who]
    if user is not None:
        client.force_login(user)
    for name, pattern, view, _defaults in ROUTES:
        if name in PUBLIC:
            continue
        url = url_of(pattern, record.pk, entity.pk, lead.pk, source.pk)
        get = view.__wrapped__ if hasattr(view, "__wrapped__") else view
        methods = ["POST"] if name.split(":")[1] in POST_ONLY else ["GET"]
        for method in methods:
            response = client.post(url, {}) if method == "POST" else client.get(url)
            allowed = user is not None and bool({g.name for g in user.groups.all()} & set(view.staff_roles))
            where = f"{method} {url} as {who}"
            if user is None:
                assert response.status_code == 302 and response["Location"].startswith("/staff/login/"), where
            elif not allowed:
                assert response.status_code == 403, where
            else:
                assert response.status_code in (200, 302, 400), f"{where}: {response.status_code}"
            assert "no-store" in response.get("Cache-Control", ""), where
        assert get is not None
    assert Entity.objects.filter(pk=entity.pk).exists()


POST_ONLY = {
    "lint", "move", "assign", "comment", "return", "publish", "withdraw", "revert",
    "create_entity", "create_system", "lead_screen", "lead_decline", "lead_draft", "lead_attach", "lead_incident", "source_active",
}  # fmt: skip


def test_post_only_routes_refuse_get(client, accounts, entities, clock):
    client.force_login(accounts[REVIEWER])
    record = factories.draft(accounts[EDITOR], "incident", factories.incident_data(), clock)
    for name, pattern, _view, _defaults in ROUTES:
        if name.split(":")[1] in POST_ONLY:
            assert client.get(url_of(pattern, record.pk, 0)).status_code == 405, name
