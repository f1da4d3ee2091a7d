"""What the mutation run of records/public.py found untested (docs/quality.md): the batch path with several records
in one batch (tags, entity roles, AI systems, vectors and the change log of each, not only of the last), the
related records it computes, and the re-projection's columns, tags, count and progress."""

from __future__ import annotations

import numpy as np
import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from caim.records import actions, public
from caim.records.bulk import bulk_create_drafts, bulk_publish
from caim.records.models import (
    PublicChange,
    PublicEntityRole,
    PublicRecord,
    PublicSystemLink,
    PublicTag,
    Record,
    RecordEmbedding,
    RelatedRecord,
    Status,
)
from caim.records.signals import public_record_changed
from caim.records.similarity import from_blobs, get_embedder
from tests import factories


@pytest.fixture
def bot(db):
    return factories.make_user("t-pub-bot", "editor")


@pytest.fixture
def approver(db):
    return factories.make_user("t-pub-approver", "reviewer")


@pytest.fixture
def systems(editor, entities, clock):
    return [
        actions.create_system(
            actor=editor, slug=f"t-pub-system-{n}", name=f"System {n}", system_type="chatbot", clock=clock
        )  # fmt: skip
        for n in (1, 2)
    ]


def variants() -> list[dict]:
    """Three records that differ in every part the public rows are derived from."""
    one = factories.incident_data(systems=[{"slug": "t-pub-system-1", "involvement_en": "Ran it.",
                                            "involvement_fr": "L'a fait tourner."}])  # fmt: skip
    one["taxonomy"]["domains"] = ["health"]
    two = factories.incident_data(severity="minor", entities=factories.INCIDENT["entities"][:1])
    two["taxonomy"]["domains"] = ["finance", "employment"]
    two["systems"] = [{"slug": "t-pub-system-2", "involvement_en": "Used.", "involvement_fr": "Utilisé."}]
    three = factories.incident_data(severity="severe", entities=factories.INCIDENT["entities"][1:])
    return [one, two, three]


def public_rows(pk: int) -> dict:
    columns = [
        f.name for f in PublicRecord._meta.concrete_fields if f.name not in ("record", "version", "slug")
    ]
    row = PublicRecord.objects.get(pk=pk)
    embedding = RecordEmbedding.objects.get(record_id=pk)
    return {
        "columns": [getattr(row, c) for c in columns],
        "tags": sorted(PublicTag.objects.filter(record_id=pk).values_list("vocabulary", "slug")),
        "roles": sorted(PublicEntityRole.objects.filter(record_id=pk).values_list("entity__slug", "role")),
        "systems": sorted(
            PublicSystemLink.objects.filter(record_id=pk).values_list("system__slug", flat=True)
        ),
        "model": embedding.model_id,
        "vector": from_blobs([bytes(embedding.vector)])[0],
    }


def same_rows(a: dict, b: dict) -> bool:
    """The same public rows; vectors equal but for the last bits (a model encoding a batch may round otherwise)."""
    return {k: v for k, v in a.items() if k != "vector"} == {
        k: v for k, v in b.items() if k != "vector"
    } and (np.allclose(a["vector"], b["vector"], atol=1e-5))


def test_a_batch_writes_the_public_rows_of_every_record_in_it(
    bot, approver, editor, reviewer, entities, systems, clock
):
    single = []
    for n, data in enumerate(variants()):
        record = factories.draft(editor, "incident", data, clock, slug=f"t-pub-single-{n}")
        factories.submit_and_publish(record, editor, reviewer, clock)
        single.append(record.pk)
    ids = bulk_create_drafts([("incident", f"t-pub-batch-{n}", data) for n, data in enumerate(variants())],
                             actor=bot, origin="editorial", status=Status.REVIEW, clock=clock)  # fmt: skip
    before = PublicChange.objects.count()
    published, refused = bulk_publish(ids, actor=approver, changelog_en="x", changelog_fr="y", clock=clock)
    assert sorted(published) == sorted(ids) and refused == {}
    for one, batched in zip(single, ids, strict=True):
        assert same_rows(public_rows(batched), public_rows(one))
    rows = [public_rows(pk) for pk in ids]
    assert rows[0]["systems"] == ["t-pub-system-1"] and rows[1]["systems"] == ["t-pub-system-2"]
    assert rows[2]["roles"] == [("t-privacy-regulator", "regulator")]
    assert ("domain", "health") in rows[0]["tags"] and ("domain", "finance") in rows[1]["tags"]
    assert {r["model"] for r in rows} == {get_embedder().model_id}
    # The change log names each record, so that processes patch their list index instead of reading it all.
    logged = list(PublicChange.objects.order_by("pk")[before:].values_list("record_id", flat=True))
    assert sorted(logged) == sorted(ids)


class FixedEmbedder:
    """Vectors chosen by slug, under a model id of their own: the related records are known in advance."""

    model_id = "t-fixed"

    def __init__(self, vectors: dict[str, list[float]]):
        self.vectors = vectors

    def embed(self, documents: list[dict]) -> np.ndarray:
        rows = np.array([self.vectors[d["slug"]] for d in documents], dtype=np.float32)
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def publish_with(vectors: dict[str, list[float]], bot, approver, monkeypatch, clock, **options) -> list[int]:
    monkeypatch.setattr(public, "get_embedder", lambda: FixedEmbedder(vectors))
    ids = bulk_create_drafts([("incident", slug, factories.incident_data()) for slug in vectors], actor=bot,
                             origin="editorial", status=Status.REVIEW, clock=clock)  # fmt: skip
    published, _ = bulk_publish(
        ids, actor=approver, changelog_en="x", changelog_fr="y", clock=clock, **options
    )
    assert sorted(published) == sorted(ids)
    return ids


def related(pk: int) -> list[tuple[int, float]]:
    links = RelatedRecord.objects.filter(record_id=pk).order_by("-score").values_list("related_id", "score")
    return [(other, round(score, 3)) for other, score in links]


@pytest.mark.parametrize("chunk", [256, 2])
def test_a_batch_relates_each_record_to_its_most_similar_others(
    bot, approver, entities, clock, monkeypatch, chunk
):
    vectors = {"t-rel-a": [1, 0, 0, 0], "t-rel-b": [0.9, 0.4359, 0, 0], "t-rel-c": [0.6, 0, 0.8, 0],
               "t-rel-d": [0.3, 0.2, 0.2, 0.9110]}  # fmt: skip
    a, b, c, d = publish_with(vectors, bot, approver, monkeypatch, clock, related=False)
    assert public.bulk_related([a, b, c, d], chunk=chunk) == 12  # three others each, none of them itself
    assert related(a) == [(b, 0.9), (c, 0.6), (d, 0.3)]
    assert related(b) == [(a, 0.9), (c, 0.54), (d, 0.357)]
    assert related(c) == [(a, 0.6), (b, 0.54), (d, 0.34)]
    assert related(d) == [(b, 0.357), (c, 0.34), (a, 0.3)]


def test_a_record_has_no_related_record_below_the_threshold(bot, approver, entities, clock, monkeypatch):
    vectors = {"t-far-a": [1, 0, 0], "t-far-b": [1, 0.1, 0], "t-far-c": [0, 0, 1]}
    a, b, c = publish_with(vectors, bot, approver, monkeypatch, clock)  # related computed by the batch
    assert [pk for pk, _ in related(a)] == [b] and [pk for pk, _ in related(b)] == [a]
    assert related(c) == []  # 0 with both, below MIN_SCORE


def test_two_records_alone_are_related_and_one_alone_is_not(bot, approver, entities, clock, monkeypatch):
    [alone] = publish_with({"t-alone": [1, 0]}, bot, approver, monkeypatch, clock, related=False)
    assert public.bulk_related([alone]) == 0 and related(alone) == []
    [other] = publish_with({"t-alone-2": [1, 0.2]}, bot, approver, monkeypatch, clock, related=False)
    assert public.bulk_related([alone, other]) == 2
    assert [pk for pk, _ in related(alone)] == [other] and [pk for pk, _ in related(other)] == [alone]


def test_no_vectors_no_related_records(db, monkeypatch):
    monkeypatch.setattr(public, "get_embedder", lambda: FixedEmbedder({}))
    assert public.bulk_related([1, 2, 3]) == 0


def test_a_reprojection_rewrites_columns_and_tags_of_every_record(editor, reviewer, entities, clock):
    record = factories.published_incident(editor, reviewer, clock)
    first = PublicRecord.objects.order_by("pk").first()
    expected = {pk: public_rows(pk) for pk in (first.pk, record.pk)}
    for pk in (first.pk, record.pk):  # changes the log does not name: only a re-projection puts them right
        PublicRecord.objects.filter(pk=pk).update(severity="", title_fr="?", response_count=99)
        PublicTag.objects.filter(record_id=pk).delete()
    count = PublicRecord.objects.count()
    done = []
    with CaptureQueriesContext(connection) as queries:
        assert public.reproject_all(batch=7, progress=done.append) == count
    assert done == [min(n, count) for n in range(7, count + 7, 7)]
    assert all(same_rows(public_rows(pk), rows) for pk, rows in expected.items())
    batches = len(done)
    assert len(queries) <= 10 * batches + 5  # versions read with their rows, not one query per record


def test_a_refresh_ignores_score_noise_below_the_fifth_decimal(bot, approver, entities, clock, monkeypatch):
    # Scores computed again (another process, another batch) may differ in the last bits: not a change that
    # renders pages again. A difference in the fifth decimal is one.
    ids = publish_with({"t-noise-a": [1, 0], "t-noise-b": [0.9, 0.4359]}, bot, approver, monkeypatch, clock)
    RelatedRecord.objects.filter(record_id__in=ids).update(score=F("score") + 2e-6)
    assert public.refresh_related(ids) == []
    RelatedRecord.objects.filter(record_id=ids[0]).update(score=F("score") + 2e-5)
    assert public.refresh_related(ids) == [ids[0]]


def test_event_columns_of_documents_without_precisions_default_to_the_day():
    # Version documents written before a precision was recorded are projected again by `reproject_all`.
    assert public.event_columns({"type": "incident", "occurred": "2024-11-01"}) == {
        "event_date": "2024-11-01", "event_precision": "day", "event_end": None, "event_end_precision": "day"}  # fmt: skip
    assert public.event_columns({"type": "hazard", "identified": "2024-01-01"}) == {
        "event_date": "2024-01-01", "event_precision": "day", "event_end": None, "event_end_precision": "day"}  # fmt: skip
    incident = {"type": "incident", "occurred": "2024-11-01", "occurred_precision": "month",
                "occurred_end": "2025-03-01", "occurred_end_precision": "year"}  # fmt: skip
    assert public.event_columns(incident) == {
        "event_date": "2024-11-01", "event_precision": "month", "event_end": "2025-03-01",
        "event_end_precision": "year"}  # fmt: skip
    hazard = {"type": "hazard", "identified": "2024-01-01", "identified_precision": "year"}
    assert public.event_columns(hazard)["event_precision"] == "year"


def test_a_republication_tells_listeners_what_the_record_named_before(
    editor, reviewer, entities, systems, clock
):
    # The search index drops entity and system pages that lose their last record: it needs the previous ones.
    data = factories.incident_data(systems=[{"slug": "t-pub-system-1"}])
    record = factories.draft(editor, "incident", data, clock)
    factories.submit_and_publish(record, editor, reviewer, clock)
    record.refresh_from_db()
    sent = []

    def receiver(sender, public, document, previous_entities, previous_systems, **kwargs):
        sent.append((previous_entities, previous_systems))

    public_record_changed.connect(receiver, sender=PublicRecord)
    try:
        actions.update_record(record, actor=editor, expected_lock_version=record.lock_version, clock=clock,
                              data={"systems": [], "entities": factories.INCIDENT["entities"][:1]})  # fmt: skip
        actions.publish_record(record, actor=reviewer, changelog_en="x", changelog_fr="y", clock=clock)
    finally:
        public_record_changed.disconnect(receiver, sender=PublicRecord)
    assert sent == [({entities["t-acme-ai"].pk, entities["t-privacy-regulator"].pk}, {systems[0].pk})]
    assert not PublicSystemLink.objects.filter(record_id=record.pk).exists()
    assert list(PublicEntityRole.objects.filter(record_id=record.pk).values_list("entity__slug", flat=True)) == [
        "t-acme-ai", "t-acme-ai"]  # fmt: skip


def test_the_contested_and_french_columns(editor, reviewer, entities, clock):
    contested = factories.published_incident(editor, reviewer, clock, dispute="contested",
        dispute_note_en="The company disputes the count.", dispute_note_fr="L'entreprise conteste.")  # fmt: skip
    row = PublicRecord.objects.get(pk=contested.pk)
    assert row.contested and row.has_french
    version = contested.current_version
    assert not public.public_columns(version.document | {"dispute": None}, version)["contested"]
    # French is shown as available only with both a French title and a French summary.
    assert not public.public_columns(version.document | {"summary_fr": ""}, version)["has_french"]
    assert not public.public_columns(version.document | {"title_fr": ""}, version)["has_french"]


def unit(pairs: dict[int, float], size: int = 8) -> list[float]:
    row = [0.0] * size
    for axis, value in pairs.items():
        row[axis] = value
    return row


def around(score: float, axis: int) -> list[float]:
    """A vector whose similarity with axis 0 is `score` and that shares nothing else with the others."""
    return unit({0: score, axis: (1 - score**2) ** 0.5})


def publish_one(slug, vectors, editor, reviewer, clock, monkeypatch) -> int:
    """The publication path of one record (project_public), with the fixed vectors."""
    monkeypatch.setattr(public, "get_embedder", lambda: FixedEmbedder(vectors))
    record = factories.draft(editor, "incident", factories.incident_data(), clock, slug=slug)
    factories.submit_and_publish(record, editor, reviewer, clock)
    return record.pk


def test_a_published_record_joins_its_neighbours_lists(
    bot, approver, editor, reviewer, entities, clock, monkeypatch
):
    vectors = {
        "t-nb-a": unit({0: 1}),
        "t-nb-b": around(0.9, 1),
        "t-nb-c": around(0.6, 2),
        "t-nb-far": unit({7: 1}),
    }
    a, b = publish_with({k: vectors[k] for k in ("t-nb-a", "t-nb-b")}, bot, approver, monkeypatch, clock)
    assert related(a) == [(b, 0.9)]
    # A list that is not full takes the new record even below its last score.
    c = publish_one("t-nb-c", vectors, editor, reviewer, clock, monkeypatch)
    assert related(a) == [(b, 0.9), (c, 0.6)] and related(c) == [(a, 0.6), (b, 0.54)]
    # Below the threshold a record is nobody's neighbour.
    far = publish_one("t-nb-far", vectors, editor, reviewer, clock, monkeypatch)
    assert related(far) == [] and far not in [pk for pk, _ in related(a)]
    # Published again with another vector: the neighbours' scores follow.
    vectors["t-nb-c"] = around(0.7, 2)
    record = Record.objects.get(pk=c)
    actions.update_record(record, actor=editor, expected_lock_version=record.lock_version,
                          data={"summary_en": "Changed."}, clock=clock)  # fmt: skip
    actions.publish_record(record, actor=reviewer, changelog_en="x", changelog_fr="y", clock=clock)
    assert related(a) == [(b, 0.9), (c, 0.7)]
    # Withdrawn, it leaves every list at once.
    actions.withdraw_record(record, actor=reviewer, reason_en="Duplicate.", reason_fr="Doublon.", clock=clock)
    assert not RelatedRecord.objects.filter(related_id=c).exists() and related(a) == [(b, 0.9)]


def test_a_full_list_takes_a_closer_record_in_place_of_its_last(
    bot, approver, editor, reviewer, entities, clock, monkeypatch
):
    scores = [0.9, 0.8, 0.7, 0.6, 0.5]
    vectors = {"t-full-a": unit({0: 1}), **{f"t-full-{n}": around(s, n) for n, s in enumerate(scores, 1)}}
    a, *neighbours = publish_with(vectors, bot, approver, monkeypatch, clock)
    assert related(a) == list(zip(neighbours, scores, strict=True))
    x = publish_one(
        "t-full-x", {**vectors, "t-full-x": around(0.55, 6)}, editor, reviewer, clock, monkeypatch
    )
    assert related(a) == [*zip(neighbours[:4], scores[:4], strict=True), (x, 0.55)]
