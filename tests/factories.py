"""Valid record data and helpers to create and publish records in tests."""

from __future__ import annotations

import copy
import itertools

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from caim.records import actions
from caim.records.models import Entity, Record, Status

_counter = itertools.count(1)


def make_user(username: str, *role_names: str):
    user, _ = get_user_model().objects.get_or_create(username=username)
    for name in role_names:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user


def make_entities() -> dict[str, Entity]:
    out = {}
    for slug, name, kind in (
        ("t-acme-ai", "Acme AI Inc.", "company"),
        ("t-privacy-regulator", "Test Privacy Regulator", "regulator"),
    ):
        out[slug], _ = Entity.objects.get_or_create(slug=slug, defaults={"name": name, "kind": kind})
    return out


SOURCES = [
    {
        "citation_key": "Test Regulator, 2025",
        "source_type": "regulator",
        "publisher": "Test Privacy Regulator",
        "title": "Findings on the Acme assistant",
        "url": "https://regulator.example.ca/findings/2025-01",
        "date_published": "2025-03-04",
        "date_precision": "day",
        "language": "en",
        "supports_en": "The regulator's findings.",
        "supports_fr": "Les conclusions de l'organisme de réglementation.",
    },
    {
        "citation_key": "Daily News, 2025",
        "source_type": "media",
        "publisher": "Daily News",
        "title": "Assistant misled customers",
        "url": "https://news.example.ca/2025/assistant",
        "date_published": "2025-02-01",
        "date_precision": "month",
        "language": "en",
        "supports_en": "First report of the failure.",
        "supports_fr": "Premier article sur la défaillance.",
    },
]

INCIDENT = {
    "title_en": "Acme assistant gave customers wrong refund rules",
    "title_fr": "L'assistant d'Acme a donné de mauvaises règles de remboursement",
    "summary_en": "A customer-service assistant told customers they could claim refunds they could not claim.",
    "summary_fr": "Un assistant du service à la clientèle a annoncé des remboursements inexistants.",
    "narrative_en": "The assistant gave wrong answers for months (Daily News, 2025).\n\n"
    "The regulator found that the company was responsible (Test Regulator, 2025; Daily News, 2025).",
    "narrative_fr": "L'assistant a donné de mauvaises réponses pendant des mois (Daily News, 2025).\n\n"
    "L'organisme a conclu à la responsabilité de l'entreprise (Test Regulator, 2025).",
    "editorial_assessment_en": "A company stays responsible for its assistant (Test Regulator, 2025).",
    "editorial_assessment_fr": "Une entreprise reste responsable de son assistant (Test Regulator, 2025).",
    "severity": "significant",
    "verification": "confirmed",
    "occurred": "2024-11-01",
    "occurred_precision": "month",
    "reported": "2025-02-01",
    "canada_nexus": "harm_in_canada",
    "canada_nexus_note_en": "Customers in Canada.",
    "canada_nexus_note_fr": "Clientèle au Canada.",
    "taxonomy": {
        "domains": ["consumer_technology"],
        "harm_types": ["economic_harm"],
        "ai_pathways": ["performance_failure"],
        "lifecycle_phases": ["operation"],
    },
    "sources": SOURCES,
    "harms": [
        {
            "description_en": "Customers lost money.",
            "description_fr": "Des clients ont perdu de l'argent.",
            "harm_types": ["economic_harm"],
            "severity": "minor",
            "reach": "group",
        }
    ],
    "entities": [
        {
            "slug": "t-acme-ai",
            "roles": ["developer", "deployer"],
            "description_en": "Runs the assistant.",
            "description_fr": "Exploite l'assistant.",
        },
        {
            "slug": "t-privacy-regulator",
            "roles": ["regulator"],
            "description_en": "Investigated.",
            "description_fr": "A enquêté.",
        },
    ],
    "responses": [
        {
            "kind": "investigation",
            "actor": "t-privacy-regulator",
            "date": "2025-03-04",
            "description_en": "Findings published.",
            "description_fr": "Conclusions publiées.",
            "source_key": "Test Regulator, 2025",
        }
    ],
    "policy_recommendations": [
        {
            "text_en": "Test assistants before release.",
            "text_fr": "Tester les assistants avant leur lancement.",
            "source_key": "Test Regulator, 2025",
        }
    ],
    "mitigations": [
        {
            "pathway": "performance_failure",
            "text_en": "Check answers against policy.",
            "text_fr": "Vérifier les réponses par rapport à la politique.",
        }
    ],
    "private_persons": ["Jane Roe"],
}

HAZARD = {
    "title_en": "Assistants that invent company policy",
    "title_fr": "Des assistants qui inventent la politique de l'entreprise",
    "summary_en": "Customer-service assistants can state policies that do not exist.",
    "summary_fr": "Les assistants du service à la clientèle peuvent énoncer des politiques inexistantes.",
    "narrative_en": "Regulators have found such failures (Test Regulator, 2025).",
    "narrative_fr": "Des organismes de réglementation ont relevé de telles défaillances (Test Regulator, 2025).",
    "governance_gap_en": "No rule requires companies to test their assistants.",
    "governance_gap_fr": "Aucune règle n'oblige les entreprises à tester leurs assistants.",
    "severity": "significant",
    "hazard_status": "active",
    "confidence": "medium",
    "identified": "2024-01-01",
    "identified_precision": "year",
    "last_assessed": "2026-01-15",
    "canada_nexus": "canadian_governance_gap",
    "taxonomy": {
        "domains": ["consumer_technology"],
        "harm_types": ["economic_harm"],
        "ai_pathways": [],
        "lifecycle_phases": [],
    },
    "sources": [SOURCES[0]],
    "harms": [
        {
            "description_en": "Financial loss.",
            "description_fr": "Pertes financières.",
            "harm_types": ["economic_harm"],
            "severity": "significant",
            "reach": "national",
        }
    ],
}


def incident_data(**overrides) -> dict:
    data = copy.deepcopy(INCIDENT)
    data.update(overrides)
    return data


def hazard_data(**overrides) -> dict:
    data = copy.deepcopy(HAZARD)
    data.update(overrides)
    return data


def unique_slug(prefix: str) -> str:
    return f"t-{prefix}-{next(_counter)}"


def draft(editor, record_type: str, data: dict, clock=None, slug: str | None = None) -> Record:
    return actions.create_draft(
        actor=editor, record_type=record_type, slug=slug or unique_slug(record_type), data=data, clock=clock
    )


def submit_and_publish(record: Record, editor, reviewer, clock=None, note: str = "Initial publication."):
    actions.set_status(record, actor=editor, status=Status.REVIEW, clock=clock)
    return actions.publish_record(
        record, actor=reviewer, changelog_en=note, changelog_fr=f"FR: {note}", clock=clock
    )


def published_hazard(editor, reviewer, clock=None, **overrides) -> Record:
    record = draft(editor, "hazard", hazard_data(**overrides), clock)
    submit_and_publish(record, editor, reviewer, clock)
    record.refresh_from_db()
    return record


def published_incident(editor, reviewer, clock=None, hazard: Record | None = None, **overrides) -> Record:
    data = incident_data(**overrides)
    if hazard is not None:
        data["materialized_from"] = [hazard.slug]
    record = draft(editor, "incident", data, clock)
    submit_and_publish(record, editor, reviewer, clock)
    record.refresh_from_db()
    return record
