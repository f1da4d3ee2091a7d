"""Leads as staff objects: who sees them, who sees the submitter's email (no public page, no API), the correction
request in the record's timeline, the list's query count, and the retention of contact details."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from caim.cli import main
from caim.intake import actions
from caim.intake.models import Lead, LeadStatus, Origin
from caim.records.models import AuditEvent
from caim.records.roles import ADMIN, EDITOR, REVIEWER, TRANSLATOR
from tests import factories
from tests.intake.conftest import submission

pytestmark = pytest.mark.django_db
EMAIL = "secret-reader@example.org"


def submit(**changes) -> actions.Submitted:
    values = {"origin": Origin.SUBMISSION, "raw_text": "Deepfake robocalls in a by-election.",
              "urls": ["https://example.ca/robocalls"], "consent": True, "language": "en", "email": EMAIL,
              "address_hash": "a" * 64}  # fmt: skip
    values.update(changes)
    return actions.submit_lead(**values)


def test_staff_lead_pages_need_a_sign_in(client):
    done = submit()
    for url in ("/staff/leads/", f"/staff/leads/{done.lead.pk}/"):
        answer = client.get(url)
        assert answer.status_code == 302 and answer["Location"].startswith("/staff/login/")
    for action in ("screen", "decline", "draft", "attach", "incident"):
        assert client.post(f"/staff/leads/{done.lead.pk}/{action}/", {"reason": "spam"}).status_code == 302
    assert Lead.objects.get(pk=done.lead.pk).status == LeadStatus.RECEIVED


def test_only_editors_screen_and_translators_never_see_the_email(client):
    done = submit()
    users = {role: factories.make_user(f"l-{role}", role) for role in (EDITOR, REVIEWER, TRANSLATOR, ADMIN)}
    outsider = factories.make_user("l-outsider")
    client.force_login(outsider)
    assert client.get(f"/staff/leads/{done.lead.pk}/").status_code == 403
    for role, user in users.items():
        client.force_login(user)
        page = client.get(f"/staff/leads/{done.lead.pk}/").content.decode()
        assert "Deepfake robocalls" in page
        assert (EMAIL in page) == (role != TRANSLATOR), role
        assert ('id="decline-form"' in page) == (role == EDITOR), role
        if role != EDITOR:
            assert client.post(f"/staff/leads/{done.lead.pk}/decline/", {"reason": "spam"}).status_code == 403
    assert Lead.objects.get(pk=done.lead.pk).status == LeadStatus.RECEIVED
    with pytest.raises(PermissionDenied):  # the action checks the role again
        actions.decline_lead(done.lead, actor=users[TRANSLATOR], reason="spam")


def test_the_email_never_appears_on_a_public_page_or_the_api(client, incident, editor):
    done = submit()
    actions.attach_lead(done.lead, actor=editor, record=incident)
    correction = submit(origin=Origin.CORRECTION, record=incident, raw_text="The date is wrong.")
    public = [f"/submit/status/{done.token}/", f"/submit/status/{correction.token}/", f"/incidents/{incident.slug}/",
              "/", "/incidents/", "/api/v3/records.json", f"/api/v3/records/{incident.slug}.json",
              "/api/v3/feed.json", "/feeds/records.atom", f"/submit/correction/{incident.pk}/"]  # fmt: skip
    for url in public:
        answer = client.get(url)
        assert answer.status_code == 200, url
        body = answer.content if not answer.streaming else b"".join(answer.streaming_content)
        assert EMAIL.encode() not in body and b"secret-reader" not in body, url


def test_a_correction_request_reaches_the_records_timeline(client, incident, editor):
    page = client.get(f"/incidents/{incident.slug}/").content.decode()
    assert (
        f'href="/submit/correction/{incident.pk}/"' in page
        and "mailto:" not in page.split("record-actions")[1][:400]
    )
    form = client.get(f"/submit/correction/{incident.pk}/").content.decode()
    assert "Suggest a correction" in form and incident.slug in form
    answer = client.post(f"/submit/correction/{incident.pk}/",
                         submission(what="The fine was $5,000, not $50,000.", urls=""))  # fmt: skip
    assert answer.status_code == 200
    lead = Lead.objects.get()
    assert (lead.origin, lead.record_id, lead.status) == (Origin.CORRECTION, incident.pk, LeadStatus.RECEIVED)
    event = AuditEvent.objects.get(
        subject_type="record", subject_id=incident.pk, verb="record.correction_requested"
    )
    assert event.after == {"lead": lead.pk}
    client.force_login(editor)
    staff = client.get(f"/staff/records/{incident.pk}/").content.decode()
    assert "received a correction request from a reader" in staff and "The fine was $5,000" in staff
    assert f'href="/staff/leads/{lead.pk}/"' in staff


def test_a_correction_needs_a_public_record_and_some_text(client, incident, editor):
    draft = factories.draft(editor, "incident", {"title_en": "Not public"})
    assert client.get(f"/submit/correction/{draft.pk}/").status_code == 404
    assert client.get("/submit/correction/999999/").status_code == 404
    answer = client.post(f"/submit/correction/{incident.pk}/", submission(what="", urls=""))
    assert answer.status_code == 400 and "Tell us what is wrong." in answer.content.decode()
    assert Lead.objects.count() == 0


def test_the_lead_list_filters_newest_first_with_a_fixed_number_of_queries(client, editor, incident):
    first = submit(raw_text="first")
    submit(raw_text="second", address_hash="b" * 64)
    submit(origin=Origin.CORRECTION, record=incident, raw_text="third")
    actions.decline_lead(first.lead, actor=editor, reason="spam")
    client.force_login(editor)
    page = client.get("/staff/leads/").content.decode()
    assert page.index("third") < page.index("second") < page.index("first")
    assert "first" not in client.get("/staff/leads/?status=open").content.decode()
    only = client.get("/staff/leads/?origin=correction").content.decode()
    assert "third" in only and "second" not in only
    assert "first" in client.get("/staff/leads/?status=declined").content.decode()
    with CaptureQueriesContext(connection) as few:
        client.get("/staff/leads/")
    for n in range(5):
        submit(origin=Origin.CORRECTION, record=incident, raw_text=f"more {n}")
    with CaptureQueriesContext(connection) as many:
        client.get("/staff/leads/")
    assert len(many) == len(few) <= 8, [q["sql"] for q in many.captured_queries]


def test_purge_contacts_deletes_emails_and_address_hashes_after_the_retention(
    editor, clock, settings, capsys
):
    settings.CAIM_CONTACT_RETENTION_DAYS = 30
    old, recent, still_open = (
        submit(clock=clock),
        submit(raw_text="b", clock=clock),
        submit(raw_text="c", clock=clock),
    )
    actions.decline_lead(old.lead, actor=editor, reason="spam", clock=clock)
    Lead.objects.filter(pk=old.lead.pk).update(closed_at=timezone.now() - timedelta(days=31))
    actions.decline_lead(recent.lead, actor=editor, reason="spam", clock=clock)
    Lead.objects.filter(pk=recent.lead.pk).update(closed_at=timezone.now() - timedelta(days=29))
    Lead.objects.filter(pk=still_open.lead.pk).update(created_at=clock.now() - timedelta(days=400))
    assert main(["purge-contacts"]) == 0
    assert "1 closed lead" in capsys.readouterr().out
    leads = {lead.pk: lead for lead in Lead.objects.all()}
    assert (leads[old.lead.pk].email, leads[old.lead.pk].ip_hash) == ("", "")
    assert leads[recent.lead.pk].email == EMAIL and leads[still_open.lead.pk].email == EMAIL
    assert leads[old.lead.pk].raw_text == "Deepfake robocalls in a by-election."  # the content stays
    assert AuditEvent.objects.filter(subject_type="lead", verb="lead.contacts_purged").count() == 1
    assert main(["purge-contacts", "--days", "1"]) == 0
    assert Lead.objects.get(pk=recent.lead.pk).email == ""
