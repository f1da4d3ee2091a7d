"""The in-memory index of deduplication: rows added, replaced and removed; cosines, BM25 and arrival order as a
query sees them; and the ranker's choice of targets over it."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from caim.intake import ranker
from caim.intake.textindex import TextIndex


def unit(*values) -> np.ndarray:
    vector = np.zeros(8, dtype=np.float32)
    vector[: len(values)] = values
    return vector / np.linalg.norm(vector)


def filled() -> TextIndex:
    index = TextIndex(8)
    index.add(1, ("record", 10), "title_en", 100.0, unit(1, 0), ["facial", "recognit", "polic"])
    index.add(2, ("record", 10), "summary_en", 100.0, unit(1, 1), ["toronto", "polic", "clearview"])
    index.add(3, ("lead", 20), "title", 200.0, unit(0, 1), ["chatbot", "refund"])
    index.add(4, ("aiid", 7), "description", 0.0, unit(0, 0, 1), ["self", "drive", "bus"])
    return index


def test_cosines_are_those_of_the_vectors_within_int8_precision():
    index = filled()
    query = unit(1, 0.5)
    expected = [float(unit(1, 0) @ query), float(unit(1, 1) @ query), float(unit(0, 1) @ query), 0.0]
    assert index.cosines(query) == pytest.approx(expected, abs=0.01)
    assert index.cosines(query, np.array([2])) == pytest.approx([expected[2]], abs=0.01)


def test_bm25_scores_the_rows_holding_the_words():
    index = filled()
    scores = index.bm25(["clearview", "polic"])
    assert scores[1] > scores[0] > 0  # both words beat one
    assert scores[2] == scores[3] == 0
    assert 0 < scores[1] <= index.bm25_of_itself(["clearview", "polic"])


def test_a_row_is_replaced_under_its_key_and_removed():
    index = filled()
    index.add(3, ("lead", 20), "title", 200.0, unit(0, 0, 0, 1), ["bakery"])
    assert len(index) == 4
    assert index.bm25(["chatbot"]).max() == 0 and index.bm25(["bakery"]).max() > 0
    assert index.cosines(unit(0, 0, 0, 1)).max() == pytest.approx(1.0, abs=0.01)
    index.remove(3)
    index.remove(3)  # removing twice is harmless
    assert len(index) == 3
    assert index.bm25(["bakery"]).max() == 0 and index.cosines(unit(0, 0, 0, 1)).max() == 0
    assert ("lead", 20) not in {r.target for r in ranker.rank(index, unit(0, 0, 0, 1), ["bakery"])}


def test_the_index_grows_past_its_first_capacity():
    index = TextIndex(8)
    for key in range(1, 201):
        index.add(key, ("lead", key), "title", float(key), unit(1, key / 200), [f"word{key}"])
    assert len(index) == 200
    best = ranker.rank(index, unit(1, 0.5), ["word100"], k=1)[0]
    assert best.target == ("lead", 100)


def test_rows_after_before_do_not_exist_for_the_query():
    index = filled()
    assert index.visible(150.0).tolist() == [True, True, False, True]  # timeless rows (order 0) always exist
    assert index.arrived_since(np.array([100.0]), None).tolist() == [1]  # the lead's row came after
    assert index.arrived_since(np.array([100.0]), 150.0).tolist() == [0]


def test_the_ranker_scores_a_target_by_its_best_row_and_names_it():
    index = filled()
    found = ranker.rank(index, unit(1, 1), ["clearview"], k=3)
    assert found[0].target == ("record", 10)
    assert found[0].meaning_key == 2 and found[0].words_key == 2
    assert found[0].meaning == pytest.approx(1.0, abs=0.01) and found[0].words > 0.5
    assert [r.score for r in found] == sorted((r.score for r in found), reverse=True)
    assert all(0 <= r.score <= 1 for r in found)


def test_the_ranker_leaves_out_excluded_and_dropped_targets_and_unborn_rows():
    index = filled()
    targets = {r.target for r in ranker.rank(index, unit(0, 1), ["chatbot"], exclude={("record", 10)})}
    assert ("record", 10) not in targets and ("lead", 20) in targets
    kept = ranker.rank(
        index, unit(0, 1), ["chatbot"], keep=lambda found: {t for t in found if t[0] != "lead"}
    )
    assert ("lead", 20) not in {r.target for r in kept}
    assert ("lead", 20) not in {r.target for r in ranker.rank(index, unit(0, 1), ["chatbot"], before=150.0)}


def test_recency_prefers_the_target_with_the_latest_text():
    index = TextIndex(8)
    index.add(1, ("aiid", 1), "report", 10.0, unit(1, 0), ["same"])
    index.add(2, ("aiid", 2), "report", 11.0, unit(1, 0), ["same"])
    for key in range(3, 13):  # ten other stories arrive after incident 1's last report
        index.add(key, ("aiid", 100 + key), "report", 11.0 + key, unit(0, 1), ["other"])
    index.add(20, ("aiid", 1), "report", 30.0, unit(1, 0), ["same"])
    found = ranker.rank(index, unit(1, 0), ["same"], before=31.0, k=2)
    assert [r.target for r in found] == [("aiid", 1), ("aiid", 2)]
    assert found[0].recency > found[1].recency
    earlier = ranker.rank(index, unit(1, 0), ["same"], before=30.0, k=2)  # report 20 not yet arrived
    assert [r.target for r in earlier] == [("aiid", 2), ("aiid", 1)]


def test_the_process_index_follows_inserted_changed_and_deleted_rows(db, settings):
    """The lexical embedder: no model needed to check the bookkeeping."""
    from caim.intake import embedding
    from caim.intake.embedding import Text, forget, search, store

    settings.CAIM_EMBEDDER = "lexical"

    def texts_of(target):
        return search(lambda index: sorted(index.fields[r] for r in index.rows_of_target.get(
            index.target_numbers.get(target, -1), [])))  # fmt: skip

    before = search(len)
    assert (
        store(
            "aiid",
            77,
            [Text("title", 0, "Robot vacuum maps homes"), Text("report", 5, "Vacuum maps", order=5)],
        )
        == 2
    )
    assert search(len) == before + 2 and texts_of(("aiid", 77)) == ["report", "title"]
    assert (
        store(
            "aiid",
            77,
            [Text("title", 0, "Robot vacuum maps homes"), Text("report", 5, "Vacuum photos leak", order=5)],
        )
        == 1
    )
    assert search(len) == before + 2  # the changed report is a new row; the old one is gone from the index
    found = search(lambda index: index.bm25(embedding.terms("photos leak", "en")).max())
    assert found > 0
    forget("aiid", 77)
    assert search(len) == before and texts_of(("aiid", 77)) == []


def twins() -> TextIndex:
    """Two targets saying the same thing, about different days (ordinals 1,000 days apart), and one undated."""
    index = TextIndex(8)
    index.add(1, ("aiid", 1), "title", 0.0, unit(1, 0), ["same"], day=738_000)
    index.add(2, ("aiid", 2), "title", 0.0, unit(1, 0), ["same"], day=739_000)
    index.add(3, ("aiid", 3), "title", 0.0, unit(1, 0), ["same"])
    return index


def test_a_dated_query_prefers_the_target_about_its_day():
    index = twins()
    near_first = ranker.rank(index, unit(1, 0), ["same"], day=738_010, k=3)
    assert [r.target for r in near_first] == [("aiid", 1), ("aiid", 2), ("aiid", 3)]
    assert near_first[0].date == pytest.approx(1 / (1 + 10 / ranker.DATE_SCALE), abs=1e-4)
    assert near_first[2].date == 0  # undated: no closeness at all
    near_second = ranker.rank(index, unit(1, 0), ["same"], day=739_020, k=3)
    assert [r.target for r in near_second][:2] == [("aiid", 2), ("aiid", 1)]


def test_an_undated_query_scores_as_without_the_date_feature():
    index = twins()
    undated = ranker.rank(index, unit(1, 0), ["same"], k=3)
    without = ranker.rank(index, unit(1, 0), ["same"], k=3, weights=replace(ranker.WEIGHTS, date=0.0))
    assert [(r.target, r.score) for r in undated] == [(r.target, r.score) for r in without]
    assert {r.date for r in undated} == {0.0}
    assert [r.target for r in undated] == [("aiid", 1), ("aiid", 2), ("aiid", 3)]  # ties: lower number first


def test_the_date_counts_with_its_weight_in_the_score():
    w = ranker.WEIGHTS
    index = twins()
    found = ranker.rank(index, unit(1, 0), ["same"], day=738_000, k=3)
    assert [r.date for r in found] == [1.0, pytest.approx(1 / (1 + 1000 / w.date_scale), abs=1e-4), 0.0]
    total = w.meaning + w.words + w.recency + w.names + w.date  # no entities row: names is 0; no arrival time
    for r in found:
        assert r.recency == 0.0
        assert r.score == pytest.approx((w.meaning * r.meaning + w.words * r.words + w.date * r.date) / total,
                                        abs=1e-3)  # fmt: skip


def test_day_of_reads_dates_at_their_precision():
    from datetime import date, datetime

    from caim.intake.embedding import day_of

    assert day_of(date(2024, 3, 15)) == date(2024, 3, 15).toordinal()
    assert day_of(datetime(2024, 3, 15, 23, 0)) == date(2024, 3, 15).toordinal()
    assert day_of("2024-03-15T10:00:00+00:00") == date(2024, 3, 15).toordinal()
    assert day_of("2024-03") == day_of(date(2024, 3, 1), "month") == date(2024, 3, 15).toordinal()
    assert day_of("2024") == day_of(date(2024, 1, 1), "year") == date(2024, 7, 1).toordinal()
    assert day_of(date(2024, 1, 1), "approximate") == date(2024, 7, 1).toordinal()
    assert day_of(None) == day_of("") == day_of("soon") == day_of("2024-02-31") == day_of(12) == 0


def test_a_new_day_or_time_keeps_the_stored_vector(db, settings, monkeypatch):
    """Only new texts are encoded: a row whose text is unchanged is inserted again with its vector."""
    from caim.intake.embedding import Text, search, store
    from caim.intake.models import IndexedText
    from caim.records.similarity import get_embedder

    settings.CAIM_EMBEDDER = "lexical"
    embedder = get_embedder()
    encoded = []
    real = type(embedder).encode
    monkeypatch.setattr(
        type(embedder), "encode", lambda self, texts: encoded.extend(texts) or real(self, texts)
    )
    assert store("aiid", 78, [Text("title", 0, "Robot vacuum maps homes", day=5)]) == 1
    vector = bytes(IndexedText.objects.get(target_id=78).vector)
    assert store("aiid", 78, [Text("title", 0, "Robot vacuum maps homes", order=3.0, day=9)]) == 0
    row = IndexedText.objects.get(target_id=78)
    assert (row.day, row.order, bytes(row.vector)) == (9, 3.0, vector)
    assert encoded == ["Robot vacuum maps homes"]
    assert search(lambda index: int(index.days[index.slots[row.pk]])) == 9
