"""The in-memory index of deduplication: rows added, replaced and removed; cosines, BM25 and arrival order as a
query sees them; and the ranker's choice of targets over it."""

from __future__ import annotations

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
