"""The public "Report an incident" form and its abuse controls (SPEC §6.1)."""

from __future__ import annotations

import pytest
from django.core import mail

from caim.intake.models import Lead, LeadStatus, Origin
from caim.records.models import AuditEvent
from tests.intake.conftest import started, submission

pytestmark = pytest.mark.django_db


def status_path(html: str) -> str:
    import re

    return re.search(r'class="status-link" href="([^"]+)"', html).group(1)


def test_the_form_in_both_languages_with_its_traps(client):
    en = client.get("/submit/").content.decode()
    fr = client.get("/fr/submit/").content.decode()
    assert "Report an incident" in en and 'name="csrfmiddlewaretoken"' in en
    assert "Signaler un incident" in fr and 'lang="fr"' in fr
    assert 'name="website"' in en and 'name="started"' in en  # honeypot and signed time
    home = client.get("/").content.decode()
    assert 'href="/submit/"' in home and 'href="/fr/submit/"' in client.get("/fr/").content.decode()


def test_a_legitimate_post_is_stored_exactly_once(client, commits):
    before = Lead.objects.count()
    with commits(execute=True):
        answer = client.post("/submit/", submission(email="reader@example.org"), REMOTE_ADDR="203.0.113.5")
    assert answer.status_code == 200
    html = answer.content.decode()
    assert "Your report reached the editors" in html
    lead = Lead.objects.get()
    assert Lead.objects.count() == before + 1
    assert lead.origin == Origin.SUBMISSION and lead.status == LeadStatus.RECEIVED
    assert lead.urls == ["https://news.example.ca/ai-chatbot-error", "http://example.org/story"]
    assert (lead.raw_text, lead.occurred, lead.place) == (
        "A chatbot gave wrong refund rules.",
        "March 2026",
        "Toronto",
    )
    assert lead.email == "reader@example.org" and lead.consent and lead.language == "en"
    assert lead.ip_hash and "203.0.113.5" not in lead.ip_hash and len(lead.ip_hash) == 64
    # the token is not stored, only its hash
    path = status_path(html)
    token = path.rstrip("/").rsplit("/", 1)[1]
    assert token not in (lead.token_hash, lead.token_nonce) and client.get(path).status_code == 200
    assert AuditEvent.objects.filter(subject_type="lead", subject_id=lead.pk, verb="lead.received").exists()
    # sent again (a reload, a double click): not stored twice, the same status link
    with commits(execute=True):
        again = client.post("/submit/", submission(email="reader@example.org"), REMOTE_ADDR="203.0.113.5")
    assert again.status_code == 200 and status_path(again.content.decode()) == path
    assert "not stored twice" in again.content.decode()
    assert Lead.objects.count() == before + 1
    # the receipt holds the status link
    assert len(mail.outbox) == 1 and path in mail.outbox[0].body


def test_the_same_text_from_another_address_is_another_lead(client):
    client.post("/submit/", submission(), REMOTE_ADDR="203.0.113.5")
    client.post("/submit/", submission(), REMOTE_ADDR="203.0.113.6")
    assert Lead.objects.count() == 2


def test_a_french_submission_is_answered_in_french(client, commits):
    with commits(execute=True):
        answer = client.post("/fr/submit/", submission(email="lectrice@example.org"))
    assert "Votre signalement" in answer.content.decode()
    lead = Lead.objects.get()
    assert lead.language == "fr" and status_path(answer.content.decode()).startswith("/fr/submit/status/")
    assert mail.outbox[0].subject.startswith("Votre signalement")


@pytest.mark.parametrize(
    "changes",
    [
        {"website": "http://spam.example"},
        {"started": lambda: started(seconds_ago=0.5)},
        {"started": "forged"},
        {"started": ""},
    ],  # fmt: skip
    ids=["honeypot", "too-fast", "forged-time", "no-time"],
)
def test_robots_are_dropped_silently(client, changes, commits):
    changes = {k: v() if callable(v) else v for k, v in changes.items()}
    with commits(execute=True):
        answer = client.post("/submit/", submission(email="bot@example.org", **changes))
    assert answer.status_code == 200 and "Your report reached the editors" in answer.content.decode()
    assert Lead.objects.count() == 0 and AuditEvent.objects.filter(subject_type="lead").count() == 0
    assert mail.outbox == []
    assert client.get(status_path(answer.content.decode())).status_code == 404


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"urls": "javascript:alert(1)"}, "is not a web address"),
        ({"urls": "ftp://example.org/file"}, "is not a web address"),
        ({"urls": "https://example.org/" + "a" * 2100}, "too long"),
        ({"urls": "\n".join(f"https://example.org/{i}" for i in range(11))}, "at most 10 links"),
        ({"what": "x" * 5001}, "at most 5000 characters"),
        ({"where": "y" * 201}, "at most 200 characters"),
        ({"email": "not-an-address"}, "valid email"),
        ({"consent": ""}, "give your consent"),
        ({"urls": "", "what": "  "}, "at least one link, or describe"),
    ],
    ids=[
        "javascript",
        "ftp",
        "long-url",
        "many-urls",
        "long-text",
        "long-where",
        "email",
        "consent",
        "empty",
    ],
)
def test_bad_input_gets_a_clear_message_and_changes_nothing(client, changes, message):
    answer = client.post("/submit/", submission(**changes))
    assert answer.status_code == 400
    assert message in answer.content.decode()
    assert Lead.objects.count() == 0 and AuditEvent.objects.filter(subject_type="lead").count() == 0


def test_past_the_per_address_limit_the_answer_is_429_and_keeps_the_text(client, settings):
    settings.CAIM_SUBMIT_PER_ADDRESS = 3
    for n in range(3):
        assert (
            client.post("/submit/", submission(what=f"report {n}"), REMOTE_ADDR="198.51.100.7").status_code
            == 200
        )
    answer = client.post("/submit/", submission(what="report 4"), REMOTE_ADDR="198.51.100.7")
    assert answer.status_code == 429
    assert "wait an hour" in answer.content.decode() and "report 4" in answer.content.decode()
    assert Lead.objects.count() == 3
    # another address is not held back, and the French message is French
    assert client.post("/submit/", submission(what="other"), REMOTE_ADDR="198.51.100.8").status_code == 200
    fr = client.post("/fr/submit/", submission(what="report 5"), REMOTE_ADDR="198.51.100.7")
    assert fr.status_code == 429 and "attendez une heure" in fr.content.decode()


def test_past_the_global_limit_everyone_waits(client, settings):
    settings.CAIM_SUBMIT_GLOBAL = 2
    for n in range(2):
        client.post("/submit/", submission(what=f"report {n}"), REMOTE_ADDR=f"198.51.100.{n}")
    assert client.post("/submit/", submission(what="late"), REMOTE_ADDR="198.51.100.99").status_code == 429
    assert Lead.objects.count() == 2


def test_csrf_is_checked(db):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/submit/", submission()).status_code == 403
    assert Lead.objects.count() == 0
