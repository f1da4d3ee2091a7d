"""Screening a lead (SPEC §3.1 stage 2) through the staff pages, and what the submitter sees and is told."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from caim.intake import actions
from caim.intake.models import Lead, LeadStatus, Origin
from caim.records.models import AuditEvent, Record
from tests import factories

pytestmark = pytest.mark.django_db


def submit(language="en", email="reader@example.org", **changes) -> actions.Submitted:
    values = {"origin": Origin.SUBMISSION, "raw_text": "A bank's chatbot refused loans by postal code.",
              "urls": ["https://news.example.ca/chatbot-loans"], "consent": True, "language": language,
              "email": email, "address_hash": "h" * 64}  # fmt: skip
    values.update(changes)
    return actions.submit_lead(**values)


def status_page(client, done: actions.Submitted, lang="en") -> str:
    prefix = "/fr" if lang == "fr" else ""
    answer = client.get(f"{prefix}/submit/status/{done.token}/")
    assert answer.status_code == 200
    return re.sub(r"\s+", " ", answer.content.decode())


def test_unknown_or_forged_tokens_are_404(client):
    done = submit()
    assert client.get("/submit/status/not-a-token/").status_code == 404
    assert client.get(f"/submit/status/{done.token[:-1]}/").status_code == 404
    assert client.get(f"/fr/submit/status/{done.token}x/").status_code == 404
    assert (
        client.get(f"/submit/status/{done.lead.token_hash}/").status_code == 404
    )  # the stored hash is no key


def test_received_screening_declined_on_the_status_page_and_by_email(client, editor, commits):
    with commits(execute=True):
        done = submit()
    assert len(mail.outbox) == 1 and f"/submit/status/{done.token}/" in mail.outbox[0].body
    page = status_page(client, done)
    assert "Received: the editors will screen it soon." in page and 'aria-current="step">Received' in page
    assert "no-store" in client.get(f"/submit/status/{done.token}/")["Cache-Control"]

    client.force_login(editor)
    with commits(execute=True):
        assert client.post(f"/staff/leads/{done.lead.pk}/screen/").status_code == 302
    client.logout()
    assert "The editors are screening your report." in status_page(client, done)
    assert "screening your report" in mail.outbox[1].body

    client.force_login(editor)
    with commits(execute=True):
        client.post(
            f"/staff/leads/{done.lead.pk}/decline/", {"reason": "no_nexus", "note": "US only; staff note"}
        )
    client.logout()
    page = status_page(client, done)
    assert "Declined: No Canada nexus." in page and "staff note" not in page
    assert "declined your report: No Canada nexus" in mail.outbox[2].body
    assert mail.outbox[2].to == ["reader@example.org"] and len(mail.outbox) == 3
    lead = Lead.objects.get(pk=done.lead.pk)
    assert lead.status == LeadStatus.DECLINED and lead.closed_at is not None
    verbs = list(
        AuditEvent.objects.filter(subject_type="lead", subject_id=lead.pk).values_list("verb", "actor")
    )
    assert verbs == [("lead.received", None), ("lead.screening", editor.pk), ("lead.declined", editor.pk)]
    # closed: no second outcome
    client.force_login(editor)
    client.post(f"/staff/leads/{lead.pk}/screen/")
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.DECLINED


def test_a_french_submitter_is_told_in_french(client, editor, commits):
    with commits(execute=True):
        done = submit(language="fr")
        actions.decline_lead(done.lead, actor=editor, reason="out_of_scope")
    assert "/fr/submit/status/" in mail.outbox[0].body
    assert "Hors" in mail.outbox[1].body or "hors" in mail.outbox[1].body  # the reason, in French
    assert "Écarté" in status_page(client, done, lang="fr") or "écarté" in status_page(
        client, done, lang="fr"
    )


def test_no_email_no_mail(editor, commits):
    with commits(execute=True):
        done = submit(email="")
        actions.decline_lead(done.lead, actor=editor, reason="spam")
    assert mail.outbox == []


def test_attached_to_a_record_as_a_new_source(client, editor, incident, commits):
    done = submit()
    client.force_login(editor)
    with commits(execute=True):
        answer = client.post(
            f"/staff/leads/{done.lead.pk}/attach/",
            {
                "record": incident.slug,
                "url": "https://news.example.ca/chatbot-loans",
                "publisher": "CBC News",
                "title": "Chatbot refused loans",
                "citation_key": "CBC, 2026",
                "source_type": "media",
                "language": "en",
            },  # fmt: skip
        )
    assert answer.status_code == 302, answer
    lead = Lead.objects.get(pk=done.lead.pk)
    assert (lead.status, lead.record_id) == (LeadStatus.ATTACHED, incident.pk)
    assert incident.record_sources.filter(source__url="https://news.example.ca/chatbot-loans").exists()
    client.logout()
    page = status_page(client, done)
    assert "Attached to the record" in page and f'href="/incidents/{incident.slug}/"' in page
    assert "attached to the record" in mail.outbox[-1].body and incident.slug in mail.outbox[-1].body
    staff = client.get(f"/staff/records/{incident.pk}/")
    assert staff.status_code == 302  # signed out
    client.force_login(editor)
    assert f'href="/staff/leads/{lead.pk}/"' in client.get(f"/staff/records/{incident.pk}/").content.decode()


def test_a_bad_source_is_refused_and_nothing_changes(client, editor, incident):
    done = submit()
    client.force_login(editor)
    answer = client.post(f"/staff/leads/{done.lead.pk}/attach/",
                         {"record": incident.slug, "url": "https://news.example.ca/chatbot-loans"})  # fmt: skip
    assert answer.status_code == 302
    assert "publisher is required" in client.get(f"/staff/leads/{done.lead.pk}/").content.decode()
    assert Lead.objects.get(pk=done.lead.pk).status == LeadStatus.RECEIVED
    assert not incident.record_sources.filter(source__url="https://news.example.ca/chatbot-loans").exists()


def test_a_draft_from_the_lead_is_published_with_it(client, editor, reviewer, entities, commits):
    done = submit()
    client.force_login(editor)
    with commits(execute=True):
        answer = client.post(f"/staff/leads/{done.lead.pk}/draft/",
                             {"record_type": "incident", "slug": "t-from-lead", "title_en": "Loans chatbot"})  # fmt: skip
    record = Record.objects.get(slug="t-from-lead")
    assert answer["Location"] == f"/staff/records/{record.pk}/edit/"
    lead = Lead.objects.get(pk=done.lead.pk)
    assert (lead.status, lead.record_id) == (LeadStatus.SCREENING, record.pk)
    client.logout()
    assert "The editors are screening your report." in status_page(client, done)  # a draft is not public
    factories.draft(editor, "incident", factories.incident_data(), slug="t-unrelated")
    actions_data = factories.incident_data()
    from caim.records import actions as record_actions

    record_actions.update_record(
        record, actor=editor, expected_lock_version=record.lock_version, data=actions_data
    )
    with commits(execute=True):
        factories.submit_and_publish(Record.objects.get(pk=record.pk), editor, reviewer)
    lead.refresh_from_db()
    assert lead.status == LeadStatus.PUBLISHED and lead.closed_at is not None
    page = status_page(client, done)
    assert "Published as the record" in page and 'href="/incidents/t-from-lead/"' in page
    assert "published as the record" in mail.outbox[-1].body


def test_attached_as_a_new_incident_of_a_hazard(client, editor, hazard, commits):
    done = submit()
    client.force_login(editor)
    answer = client.post(
        f"/staff/leads/{done.lead.pk}/incident/", {"hazard": hazard.slug, "slug": "t-new-case"}
    )
    made = Record.objects.get(slug="t-new-case")
    assert answer["Location"] == f"/staff/records/{made.pk}/edit/"
    assert (
        list(made.materialized_from.values_list("pk", flat=True)) == [hazard.pk]
        and made.status == "screening"
    )
    lead = Lead.objects.get(pk=done.lead.pk)
    assert (lead.status, lead.record_id) == (LeadStatus.ATTACHED, hazard.pk)
    client.logout()
    assert f'href="/hazards/{hazard.slug}/"' in status_page(client, done)


def test_a_hazard_is_needed_for_a_new_incident(client, editor, incident):
    done = submit()
    client.force_login(editor)
    client.post(f"/staff/leads/{done.lead.pk}/incident/", {"hazard": incident.slug, "slug": "t-new-case"})
    assert not Record.objects.filter(slug="t-new-case").exists()
    assert Lead.objects.get(pk=done.lead.pk).status == LeadStatus.RECEIVED


@pytest.mark.parametrize(("action", "field"), [("attach", "record"), ("incident", "hazard")])
def test_a_record_that_does_not_exist_is_said_and_nothing_changes(client, editor, action, field):
    done = submit()
    client.force_login(editor)
    answer = client.post(f"/staff/leads/{done.lead.pk}/{action}/", {field: "no-such-record"}, follow=True)
    assert "No record is numbered or named “no-such-record”." in answer.content.decode()
    lead = Lead.objects.get(pk=done.lead.pk)
    assert lead.status == LeadStatus.RECEIVED and lead.record_id is None
