"""The process's matrix of listed vectors stays equal to what the database holds, and answers as a full read."""

from __future__ import annotations

import numpy as np
import pytest
from django.db import transaction

from caim.records import actions, vectors
from caim.records.models import PublicChange, RecordEmbedding
from caim.records.similarity import get_embedder
from tests import factories

MODEL = get_embedder().model_id


def as_table(ids, matrix) -> dict[int, bytes]:
    return {int(pk): row.tobytes() for pk, row in zip(ids, matrix, strict=True)}


def kept_ids() -> set[int]:
    return set(vectors.listed_vectors(MODEL)[0].tolist())


def assert_in_step() -> None:
    kept = as_table(*vectors.listed_vectors(MODEL))
    assert kept == as_table(*vectors._read(MODEL))
    stored = RecordEmbedding.objects.listed().filter(model_id=MODEL).values_list("record_id", flat=True)
    assert set(kept) == set(stored)


@pytest.fixture
def fresh_process(monkeypatch, db):
    """No matrix yet, and a change log without "any record may have changed" lines (the test database's
    loading writes them), so that what follows is patched from the log rather than read in full."""
    monkeypatch.setattr(vectors, "_current", None)
    PublicChange.objects.all().delete()
    monkeypatch.setattr(vectors, "build", counting(vectors.build))


def counting(build):
    def counted(model_id):
        counted.calls += 1
        return build(model_id)

    counted.calls = 0
    return counted


def test_kept_matrix_follows_publications_and_withdrawals(fresh_process, editor, reviewer, entities, clock):
    before = kept_ids()  # whatever the test database already holds
    first = factories.published_incident(editor, reviewer, clock)
    assert kept_ids() == before | {first.pk}
    second = factories.published_incident(editor, reviewer, clock)
    assert kept_ids() == before | {first.pk, second.pk}
    assert_in_step()
    actions.withdraw_record(first, actor=reviewer, reason_en="Duplicate.", reason_fr="Doublon.")
    assert kept_ids() == before | {second.pk}
    assert vectors.build.calls == 1  # read in full once, then patched
    assert_in_step()
    first_again = factories.published_incident(editor, reviewer, clock)  # a hole, then a new row
    assert kept_ids() == before | {second.pk, first_again.pk}
    assert_in_step()


def test_change_the_log_does_not_name_is_read_again(fresh_process, editor, reviewer, entities, clock):
    factories.published_incident(editor, reviewer, clock)
    vectors.listed_vectors(MODEL)
    # A row removed without the change log (a restored database, a rolled-back test): the count differs.
    with transaction.atomic():
        RecordEmbedding.objects.all().delete()
    assert kept_ids() == set()
    assert vectors.build.calls == 2


def test_nearest_is_best_first_without_the_record_itself():
    kept = vectors.Vectors(
        MODEL,
        None,
        np.array([1, 2, 3], dtype=np.int64),
        np.array([[1, 0], [0.6, 0.8], [0, 1]], dtype=np.float32),
    )
    query = np.array([1, 0], dtype=np.float32)
    assert [pk for pk, _ in kept.nearest(query, 5, exclude=1)] == [2, 3]
    assert [pk for pk, _ in kept.nearest(query, 1, exclude=3)] == [1]
    assert kept.nearest(query, 2, exclude=9)[0] == (1, 1.0)
    kept.put(1, None)  # no longer listed: a hole
    assert [pk for pk, _ in kept.nearest(query, 5, exclude=9)] == [2, 3]
    kept.put(2, np.array([0, 1], dtype=np.float32))  # a new vector in its row
    assert dict(kept.nearest(query, 5, exclude=9))[2] == 0.0
    for pk in range(10, 40):  # new records past the first capacity
        kept.put(pk, np.array([1, 0], dtype=np.float32))
    assert len(kept.nearest(query, 50, exclude=9)) == 32
    assert {int(pk) for pk in kept.table()[0]} == {2, 3, *range(10, 40)}
