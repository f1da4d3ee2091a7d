"""Duplicate candidates (SPEC §6.3, first step): canonical URLs and fuzzy titles against record sources, records
and open leads; shown on the staff lead page with a one-click attach."""

from __future__ import annotations

from caim.intake.actions import decline_lead, submit_lead
from caim.intake.dedup import Query, find_candidates
from caim.intake.models import Lead, LeadStatus
from tests import factories

NEWS = "https://news.example.ca/2025/assistant"  # a source of factories.INCIDENT


def records(editor, clock):
    """A record with the incident's title but no source, then one citing NEWS under an unrelated title (made
    second: with equal scores, the URL match must still rank first, not the lower id)."""
    by_title = factories.draft(
        editor, "incident", factories.incident_data(sources=[]), clock, slug="by-title"
    )
    by_url = factories.draft(
        editor,
        "incident",
        factories.incident_data(title_en="Municipal budget vote delayed again", title_fr=""),
        clock,
        slug="by-url",
    )
    return by_url, by_title


def test_a_canonical_url_match_ranks_first(editor, entities, clock):
    by_url, by_title = records(editor, clock)
    found = find_candidates(Query(urls=[NEWS], title="Acme assistant gave customers the wrong refund rules"))
    assert (found[0].kind, found[0].pk, found[0].score, found[0].reason) == ("record", by_url.pk, 1.0, "url")
    assert ("record", by_title.pk, "title") in [(c.kind, c.pk, c.reason) for c in found[1:]]


def test_a_tracking_variant_of_a_source_url_is_found(editor, entities, clock):
    by_url, _ = records(editor, clock)
    variant = "https://m.news.example.ca/2025/assistant/?utm_source=twitter&fbclid=abc#comments"
    found = find_candidates(Query(urls=[variant]))
    assert [(c.pk, c.reason) for c in found] == [(by_url.pk, "url")]


def test_a_source_stored_with_tracking_parameters_is_found_by_the_clean_url(editor, entities, clock):
    tracked = {**factories.SOURCES[1], "url": "https://www.other.example.ca/story/?utm_source=x&fbclid=y"}
    record = factories.draft(
        editor, "incident", factories.incident_data(sources=[tracked]), clock, slug="tracked"
    )
    found = find_candidates(Query(urls=["https://other.example.ca/story"]))
    assert [(c.pk, c.reason) for c in found] == [(record.pk, "url")]


def test_a_fuzzy_title_match_is_found_across_accents(editor, entities, clock):
    _, by_title = records(editor, clock)
    found = find_candidates(Query(title="L’assistant d’ACME a donne de mauvaises regles de remboursement"))
    assert found and found[0].pk == by_title.pk and found[0].reason == "title" and found[0].score == 1.0


def test_unrelated_items_find_nothing(editor, entities, clock):
    records(editor, clock)
    assert (
        find_candidates(Query(urls=["https://other.example.org/bakery"], title="Local bakery wins award"))
        == []
    )
    assert find_candidates(Query(title="Assistant")) == []  # too short to compare


def test_open_leads_are_candidates_and_a_lead_is_not_its_own(db):
    first = submit_lead(origin="submission", raw_text="x", urls=[NEWS + "?utm_medium=email"], consent=True,
                        language="en", address_hash="a").lead  # fmt: skip
    second = submit_lead(origin="submission", raw_text="y", urls=[NEWS], consent=True, language="en",
                         address_hash="b").lead  # fmt: skip
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.extracted["candidates"] == []
    assert [(c["kind"], c["pk"], c["reason"]) for c in second.extracted["candidates"]] == [
        ("lead", first.pk, "url")
    ]


def test_a_submission_gets_its_candidates_and_the_staff_page_attaches_in_one_click(
    client, editor, entities, clock
):
    by_url, _ = records(editor, clock)
    lead = submit_lead(origin="submission", raw_text="The assistant story", urls=[NEWS + "/"], consent=True,
                       language="en", address_hash="c").lead  # fmt: skip
    lead.refresh_from_db()
    assert lead.extracted["candidates"][0]["pk"] == by_url.pk
    client.force_login(editor)
    page = client.get(f"/staff/leads/{lead.pk}/").content.decode()
    assert "Possible duplicates" in page and "by-url: Municipal budget vote delayed again" in page
    assert f'name="record" value="{by_url.pk}"' in page
    response = client.post(f"/staff/leads/{lead.pk}/attach/", {"record": str(by_url.pk)})
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.status == LeadStatus.ATTACHED and lead.record_id == by_url.pk


def test_closed_leads_are_not_candidates(db):
    first = submit_lead(origin="submission", raw_text="x", urls=[NEWS], consent=True, language="en",
                        address_hash="a").lead  # fmt: skip
    Lead.objects.filter(pk=first.pk).update(status=LeadStatus.DECLINED)
    assert find_candidates(Query(urls=[NEWS])) == []


def title_matches(title: str) -> list[tuple[str, int, str]]:
    return [(c.kind, c.pk, c.matched) for c in find_candidates(Query(title=title)) if c.reason == "title"]


def test_the_kept_titles_follow_new_edited_withdrawn_records_and_closed_leads(
    editor, reviewer, entities, clock
):
    """The process keeps the titles between queries: each change of a record or a lead reaches the next query."""
    from caim.intake import titles
    from caim.records import actions

    budget = "Municipal budget vote delayed again by council"
    assert title_matches(budget) == []  # the titles are now kept, before the record exists
    record = factories.draft(editor, "incident", factories.incident_data(title_en=budget, title_fr=""), clock,
                             slug="budget")  # fmt: skip
    assert ("record", record.pk, budget) in title_matches(budget)
    record.refresh_from_db()
    # Edited (with a clock behind the newest record's time: the audit log says what changed, not the time).
    renamed = "Hospital triage software sent sepsis patients home"
    actions.update_record(record, data={"title_en": renamed}, actor=editor,
                          expected_lock_version=record.lock_version, clock=clock)  # fmt: skip
    assert title_matches(budget) == [] and ("record", record.pk, renamed) in title_matches(renamed)
    # A source's title counts for its record.
    record.refresh_from_db()
    source = {**factories.SOURCES[0], "title": "Coroner questions the emergency triage algorithm"}
    actions.update_record(record, data={"sources": [source]}, actor=editor,
                          expected_lock_version=record.lock_version, clock=clock)  # fmt: skip
    assert ("record", record.pk, source["title"]) in title_matches(source["title"])
    # Withdrawn and merged records are no candidates.
    published = factories.published_incident(
        editor, reviewer, clock, title_en="Robot lawnmower ran over a hedgehog family"
    )
    assert [pk for _, pk, _ in title_matches("Robot lawnmower ran over a hedgehog family")] == [published.pk]
    actions.withdraw_record(published, actor=reviewer, reason_en="Duplicate.", reason_fr="Doublon.")
    assert title_matches("Robot lawnmower ran over a hedgehog family") == []
    # An open lead's title, until it is closed.
    lead = submit_lead(origin="submission", raw_text="x", urls=[], consent=True, language="en",
                       address_hash="t").lead  # fmt: skip
    Lead.objects.filter(pk=lead.pk).update(extracted={"title": "Drone delivery crashed into a backyard pool"})
    titles.reset()  # (the extracted title is set when a lead is made: new here, as a new lead)
    assert ("lead", lead.pk, "Drone delivery crashed into a backyard pool") in title_matches(
        "Drone delivery crashed into backyard pool"
    )
    decline_lead(lead, actor=editor, reason="out_of_scope")
    assert title_matches("Drone delivery crashed into backyard pool") == []


def test_unchanged_titles_are_not_read_again(editor, entities, clock):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _, by_title = records(editor, clock)
    title = "Acme assistant gave customers the wrong refund rules"
    assert ("record", by_title.pk) in [(kind, pk) for kind, pk, _ in title_matches(title)]
    with CaptureQueriesContext(connection) as ctx:
        assert ("record", by_title.pk) in [(kind, pk) for kind, pk, _ in title_matches(title)]
    read = [q["sql"] for q in ctx.captured_queries if "title" in q["sql"].lower()]
    assert read == []  # only the two checks of what changed


def test_a_title_sharing_only_common_words_is_still_compared(db, editor, clock):
    """Narrowing by shared words skips a word that most titles hold: the rest of the query still finds them."""
    from caim.intake import titles

    index = titles.TitleIndex()
    for n in range(40):
        index._set(("lead", n), {("lead", n, f"t{n}", "x"): f"police use ai tool number{n} today"})
    found = index.choices(titles.fold("Police use AI tool number7 today"))
    assert set(found) == {("lead", 7, "t7", "x")}  # "number7" is rare: only its title is compared
    everything = index.choices(titles.fold("Police use AI tool today"))
    assert len(everything) == 40  # every word is common: all are compared
