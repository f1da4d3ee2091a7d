"""What the mutation run of editorial/permissions.py found untested (docs/quality.md): what a refused user reads,
where an anonymous visitor comes back to after signing in, and the decorator's own contract with the views it
wraps (roles, methods, arguments, never stored)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory

from caim.editorial.permissions import REVIEWERS, staff_view
from caim.records.roles import EDITOR, REVIEWER
from tests import factories


def test_a_role_without_access_reads_why_in_the_site_frame(client, translator):
    client.force_login(translator)  # translators do not see the monitored sources
    page = client.get("/staff/sources/")
    text = page.content.decode()
    assert page.status_code == 403
    assert '<p role="alert">Your role does not give access to this page.</p>' in text
    assert f"<title>Not allowed · {settings.CAIM_SITE_NAME}</title>" in text
    french = client.get("/fr/staff/sources/").content.decode()
    assert '<p role="alert">Votre rôle ne donne pas accès à cette page.</p>' in french
    assert f"<title>Accès refusé · {settings.CAIM_SITE_NAME_FR}</title>".replace("'", "&#x27;") in french


def test_an_action_that_refuses_says_why(client, entities, clock):
    both = factories.make_user("t-perm-both", EDITOR, REVIEWER)
    record = factories.draft(both, "incident", factories.incident_data(), clock)
    client.force_login(both)
    client.post(f"/staff/records/{record.pk}/move/", {"status": "review"})
    refused = client.post(f"/staff/records/{record.pk}/publish/", {"changelog_en": "x", "changelog_fr": "y"})
    text = refused.content.decode()
    assert refused.status_code == 403
    assert (
        '<p role="alert">You changed this record since its last publication, so another reviewer must approve'
        " it.</p>" in text
    )
    assert f"<title>Not allowed · {settings.CAIM_SITE_NAME}</title>" in text


def test_an_anonymous_visitor_signs_in_and_comes_back_to_the_same_address(client, db):
    response = client.get("/staff/records/5/?tab=sources")
    assert response.status_code == 302
    assert response["Location"] == "/staff/login/?next=/staff/records/5/%3Ftab%3Dsources"


def _request(user, method="GET"):
    request = getattr(RequestFactory(), method.lower())("/staff/test/")
    request.user = user
    return request


def test_the_decorator_passes_the_arguments_and_names_its_roles(reviewer):
    @staff_view(REVIEWERS, methods=("POST",))
    def view(request, *args, **kwargs):
        return HttpResponse(f"{args} {kwargs}")

    assert view.staff_roles == (REVIEWER,)
    answer = view(_request(reviewer, "POST"), 7, pk=9)
    assert answer.content == b"(7,) {'pk': 9}"
    assert "no-store" in answer["Cache-Control"]
    assert view(_request(reviewer, "GET")).status_code == 405
    assert view(_request(AnonymousUser(), "POST"))["Location"] == "/staff/login/?next=/staff/test/"


def test_a_refusal_without_words_gets_a_general_message(editor):
    @staff_view()
    def view(request):
        raise PermissionDenied

    answer = view(_request(editor))
    assert answer.status_code == 403
    assert '<p role="alert">You may not do this.</p>' in answer.content.decode()
    assert "no-store" in answer["Cache-Control"]
