"""Synthetic records and the batch actions: the batch path writes exactly what the one-record path writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from caim.cli import main
from caim.demo.synthetic import generate
from caim.interop.aiid.reader import read_aiid
from caim.records import actions
from caim.records.bulk import bulk_create_drafts, bulk_publish
from caim.records.changes import InvalidRecordData
from caim.records.models import PublicEntityRole, PublicRecord, PublicTag, Record, RecordVersion, Status
from caim.search.models import SearchEntry
from tests import factories

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "aiid"


@pytest.fixture
def bot(db):
    return factories.make_user("t-bot", "editor", "reviewer")


@pytest.fixture
def bot_reviewer(db):
    return factories.make_user("t-bot-reviewer", "reviewer")


def test_reads_the_aiid_cut():
    aiid = read_aiid(FIXTURE)
    assert len(aiid.incidents) == 40
    first = aiid.incidents[0]
    assert first.incident_id == 1 and first.reports and first.reports[0].url.startswith("http")
    assert aiid.entity_name("youtube") == "YouTube"


def test_drafts_by_default_and_never_public(client, bot):
    result = generate(read_aiid(FIXTURE), 12, editor=bot, reviewer=bot, publish=False, start=9001)
    assert result["created"] == 12 and result["published"] == 0
    records = Record.objects.filter(origin="synthetic", slug__startswith="synthetic-90")
    assert records.count() == 12 and set(records.values_list("status", flat=True)) == {Status.SCREENING}
    assert not PublicRecord.objects.filter(pk__in=records.values("pk")).exists()
    assert "[Synthetic]" not in client.get("/incidents/").content.decode()


def test_published_synthetic_records(client, bot, bot_reviewer):
    result = generate(read_aiid(FIXTURE), 15, editor=bot, reviewer=bot_reviewer, publish=True, start=9101)
    assert result["published"] + result["refused"] == 15 and result["published"] >= 12
    public = PublicRecord.objects.filter(slug__startswith="synthetic-91").first()
    path = "incidents" if public.record_type == "incident" else "hazards"
    page = client.get(f"/{path}/{public.slug}/").content.decode()
    assert "Synthetic record generated from AI Incident Database texts" in page
    fr = client.get(f"/fr/{path}/{public.slug}/").content.decode()
    assert "Fiche synthétique" in fr and "[Synthétique]" in fr
    assert SearchEntry.objects.filter(kind="record", obj_id=public.pk).count() == 1


def test_batch_and_single_publication_write_the_same_public_layer(
    bot, bot_reviewer, editor, reviewer, entities, clock, hazard
):
    data = factories.incident_data(materialized_from=[hazard.slug])
    single = factories.draft(editor, "incident", data, clock, slug="t-single-path")
    factories.submit_and_publish(single, editor, reviewer, clock, note="Same.")
    [batch_id] = bulk_create_drafts([("incident", "t-batch-path", data)], actor=bot, origin="editorial",
                                    status=Status.REVIEW, clock=clock)  # fmt: skip
    published, refused = bulk_publish([batch_id], actor=bot_reviewer, changelog_en="Same.", changelog_fr="FR: Same.",
                                      clock=clock)  # fmt: skip
    assert published == [batch_id] and refused == {}

    def strip(doc):
        return {k: v for k, v in doc.items() if k not in ("id", "slug")}

    a, b = RecordVersion.objects.get(record=single), RecordVersion.objects.get(record_id=batch_id)
    assert strip(a.document) == strip(b.document)
    columns = [
        f.name for f in PublicRecord._meta.concrete_fields if f.name not in ("record", "version", "slug")
    ]
    pa, pb = PublicRecord.objects.get(pk=single.pk), PublicRecord.objects.get(pk=batch_id)
    assert [getattr(pa, c) for c in columns] == [getattr(pb, c) for c in columns]

    def related_rows(pk):
        tags = sorted(PublicTag.objects.filter(record_id=pk).values_list("vocabulary", "slug"))
        roles = sorted(PublicEntityRole.objects.filter(record_id=pk).values_list("entity_id", "role"))
        links = sorted(pb.materialized_from.values_list("pk", flat=True)) if pk == batch_id else sorted(
            pa.materialized_from.values_list("pk", flat=True))  # fmt: skip
        stems = sorted(SearchEntry.objects.filter(kind="record", obj_id=pk).values_list("stems"))
        return tags, roles, links, stems

    assert related_rows(single.pk) == related_rows(batch_id)


def test_batch_refuses_invalid_items_and_writes_nothing(bot, entities):
    before = Record.objects.count()
    good = factories.incident_data()
    bad = factories.incident_data(severity="apocalyptic")
    with pytest.raises(InvalidRecordData) as excinfo:
        bulk_create_drafts(
            [("incident", "t-good-1", good), ("incident", "t-bad-2", bad)], actor=bot, origin="editorial"
        )
    assert "item 2 (t-bad-2): severity: unknown severity value 'apocalyptic'" in str(excinfo.value)
    assert Record.objects.count() == before


def test_batch_publication_lints_each_record(bot, bot_reviewer, entities, clock):
    ids = bulk_create_drafts(
        [("incident", "t-lint-ok", factories.incident_data()),
         ("incident", "t-lint-bad", factories.incident_data(reported="2024-01-01"))],
        actor=bot, origin="editorial", status=Status.REVIEW, clock=clock,
    )  # fmt: skip
    published, refused = bulk_publish(
        ids, actor=bot_reviewer, changelog_en="x", changelog_fr="y", clock=clock
    )
    assert published == [ids[0]] and list(refused) == [ids[1]]
    assert [i.rule for i in refused[ids[1]]] == ["date-reported-before-occurred"]
    assert Record.objects.get(pk=ids[1]).status == Status.REVIEW


def test_batch_publication_needs_a_second_person(bot, entities, clock):
    """The account that wrote the drafts holds the reviewer role too, and still cannot approve them."""
    ids = bulk_create_drafts([("incident", "t-own-draft", factories.incident_data())], actor=bot,
                             origin="editorial", status=Status.REVIEW, clock=clock)  # fmt: skip
    published, refused = bulk_publish(ids, actor=bot, changelog_en="x", changelog_fr="y", clock=clock)
    assert published == [] and [i.rule for i in refused[ids[0]]] == ["second-person"]
    assert Record.objects.get(pk=ids[0]).status == Status.REVIEW
    assert not PublicRecord.objects.filter(pk=ids[0]).exists()


def test_generate_command(db, capsys):
    assert main(["generate", "--records", "3", "--aiid-dir", str(FIXTURE)]) == 0
    assert "3 synthetic records created from 40 AIID incidents, left as drafts" in capsys.readouterr().out
    assert main(["generate", "--records", "3", "--aiid-dir", "/nonexistent"]) == 2
    assert "No AIID data" in capsys.readouterr().err


def test_synthetic_and_single_actions_need_roles(outsider, entities):
    with pytest.raises(actions.roles.PermissionDenied):
        bulk_create_drafts(
            [("incident", "t-x", factories.incident_data())], actor=outsider, origin="editorial"
        )
