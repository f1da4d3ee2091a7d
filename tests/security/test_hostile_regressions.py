"""The 5xx the hostile-input suite found, one example each, so that they stay fixed whatever hypothesis draws."""

from __future__ import annotations

import json

import pytest

from caim.intake.actions import submit_lead
from caim.intake.models import Lead
from caim.records.models import AISystem, AuditEvent, Entity, PublicRecord, Record, RecordVersion
from caim.records.roles import EDITOR, REVIEWER
from tests import factories

FORM = "application/x-www-form-urlencoded"


def counts() -> tuple:
    return tuple(m.objects.count() for m in (Record, RecordVersion, Entity, AISystem, Lead, AuditEvent))


@pytest.fixture
def staff_client(client, db, entities, clock):
    client.force_login(factories.make_user("r-staff", EDITOR, REVIEWER))
    return client


@pytest.fixture
def places(db, entities, clock):
    author = factories.make_user("r-author", EDITOR)
    draft = factories.draft(author, "incident", factories.incident_data(), clock)
    published = PublicRecord.objects.listed().filter(record_type="incident").order_by("pk").first()
    lead = submit_lead(
        origin="submission", raw_text="r", urls=[], consent=True, language="en", address_hash=""
    ).lead
    return {"draft": draft.pk, "published": published.pk, "lead": lead.pk, "entity": entities["t-acme-ai"].pk}


# PostgreSQL refuses a NUL in any text, stored or compared: each of these answered 500 there (SQLite stored it).
NUL_POSTS = [
    ("/staff/records/{draft}/comment/", "text=a%00b"),
    ("/staff/records/{draft}/assign/", "assignee=a%00b"),
    ("/staff/records/{draft}/merge/", "into=a%00b"),
    ("/staff/records/{published}/withdraw/", "reason_en=a%00b&reason_fr=c"),
    ("/staff/entities/new/", "name=a%00b&entity_kind=company"),
    ("/staff/entities/{entity}/merge/", "into=a%00b"),
    ("/staff/leads/{lead}/decline/", "reason=no_nexus&note=a%00b"),
    ("/staff/leads/{lead}/attach/", "record=a%00b"),
    ("/staff/leads/{lead}/incident/", "hazard=a%00b&slug=r-x"),
    ("/submit/", "what=a%00b&consent=on"),
    ("/staff/login/", "username=a%00b&password=x"),
]


@pytest.mark.parametrize(("path", "body"), NUL_POSTS, ids=[p for p, _b in NUL_POSTS])
def test_a_nul_in_a_form_is_a_clear_400_and_nothing_changes(staff_client, places, path, body):
    before = counts()
    response = staff_client.post(path.format(**places), data=body, content_type=FORM)
    assert response.status_code == 400
    assert "NUL" in response.content.decode()
    assert counts() == before


@pytest.mark.parametrize("kind", ["entities", "systems"])
def test_a_name_longer_than_its_column_is_refused_with_a_message(staff_client, kind):
    """Entity and AI system names are 300 characters at most; a longer one answered 500 on PostgreSQL."""
    before = counts()
    extra = "entity_kind=company" if kind == "entities" else "system_type=chatbot"
    response = staff_client.post(f"/staff/{kind}/new/", data=f"name={'x' * 301}&{extra}", content_type=FORM,
                                 follow=True)  # fmt: skip
    assert response.status_code == 200 and "at most 300 characters" in response.content.decode()
    assert counts() == before
    response = staff_client.post(f"/staff/{kind}/new/", data=f"name=y&name_fr={'é' * 301}&{extra}",
                                 content_type=FORM, follow=True)  # fmt: skip
    assert "at most 300 characters" in response.content.decode() and counts() == before


@pytest.mark.parametrize("target", ["ab", "2024-01-01T25:61:00", "staff:dashboard", "<script>x</script>",
                                    "//evil.example/", "https://evil.example/", "javascript:alert(1)"])  # fmt: skip
def test_entity_creation_goes_back_to_a_page_of_this_site_only(staff_client, target):
    """`next` names the page to go back to; a bare word was taken for a view's name (500), and a relative one
    led nowhere."""
    response = staff_client.post("/staff/entities/new/", data={"name": f"R {target}", "next": target})
    assert response.status_code == 302 and response["Location"] == "/staff/"
    response = staff_client.post("/staff/entities/new/", data={"name": "R back", "next": "/staff/entities/"})
    assert response["Location"] == "/staff/entities/"


@pytest.mark.parametrize(
    "path", ["/api/v3/records/%ED%A0%80.json", "/api/v3/records/a%20b.json", "/api/v3/nowhere"]
)
def test_an_api_address_no_route_matches_is_a_json_404(client, db, path):
    response = client.get(path)
    assert response.status_code == 404 and response["Content-Type"].startswith("application/json")
    assert (
        json.loads(response.content)["error"] == "not_found"
        and response["Access-Control-Allow-Origin"] == "*"
    )
