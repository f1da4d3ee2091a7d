"""The relevance score and its reasons, in English and French."""

from __future__ import annotations

import pytest

from caim.intake.relevance import load_terms, normalise, relevance


def test_an_ai_harm_in_canada_scores_high_with_its_reasons():
    score, reasons = relevance(
        "Toronto police facial recognition led to wrongful arrest",
        "The RCMP said the AI system misidentified a man in Ontario.",
    )
    assert score > 0.75
    assert reasons == [
        "ai:facial recognition",
        "ai:ai",
        "canada:toronto",
        "canada:rcmp",
        "canada:ontario",
        "harm:wrongful",
        "harm:misidentified",
    ]


def test_the_same_story_in_french_scores_high_too():
    score, reasons = relevance(
        "Reconnaissance faciale : une arrestation injustifiée à Montréal",
        "L'outil d'intelligence artificielle de la GRC a mal identifié un homme au Québec.",
    )
    assert score > 0.75
    assert {
        "ai:reconnaissance faciale",
        "ai:intelligence artificielle",
        "canada:montreal",
        "canada:grc",
    } <= set(reasons)
    assert "harm:arrestation injustifiee" in reasons


def test_nothing_about_ai_scores_zero_whatever_else_it_says():
    score, reasons = relevance("Raptors win in Toronto after a crash in the second half", "J'ai vu le match.")
    assert score == 0
    assert reasons[0] == "no-ai"
    assert "canada:toronto" in reasons and "harm:crash" in reasons


def test_ai_alone_stays_below_ai_with_a_canada_nexus_and_harm():
    ai_only, _ = relevance("New AI chip released", "A company released a chip for machine learning.")
    with_canada, _ = relevance(
        "New AI chip released in Ottawa", "A company released a chip for machine learning."
    )
    with_harm, _ = relevance(
        "New AI chip released in Ottawa", "A lawsuit says the machine learning chip failed."
    )
    assert 0 < ai_only <= 0.4 < with_canada < with_harm <= 1


def test_a_hit_in_the_title_weighs_more_than_in_the_text():
    in_title, _ = relevance("Chatbot", "Something happened.")
    in_text, _ = relevance("Something happened", "chatbot")
    assert in_title > in_text > 0


def test_repetition_saturates():
    once, _ = relevance("", "an algorithm")
    twice, _ = relevance("", "an algorithm and another algorithm")
    many, _ = relevance("", " ".join(["algorithm"] * 50))
    assert once < twice < many <= 0.4


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("L’IA générative", "ai:ia"),  # a curly apostrophe
        ("l'intelligence artificielle", "ai:intelligence artificielle"),
        ("INTELLIGENCE ARTIFICIELLE", "ai:intelligence artificielle"),
        ("Colombie-Britannique", "canada:colombie britannique"),
        ("Colombie Britannique", "canada:colombie britannique"),
        ("Quebec", "canada:quebec"),
        ("québécoise", "canada:quebecoise"),
        ("algorithmes", "ai:algorithmes"),
        ("a deepfake", "ai:deepfake"),
        ("hypertrucages", "ai:hypertrucages"),
        ("décès", "harm:deces"),
        ("Île-du-Prince-Édouard", "canada:ile du prince edouard"),
    ],
)
def test_matching_ignores_accents_case_and_punctuation(text, reason):
    assert reason in relevance("", text).reasons


@pytest.mark.parametrize("text", ["J'ai faim", "said the aide", "mail", "Ai Weiwei", "ia"])
def test_acronyms_keep_their_capitals(text):
    assert not [r for r in relevance("", text).reasons if r.startswith("ai:")]


def test_a_phrase_is_not_counted_again_for_the_shorter_term_inside_it():
    reasons = relevance("", "une arrestation injustifiée").reasons
    assert reasons == ["no-ai", "harm:arrestation injustifiee"]


def test_prefixes_match_whole_words_only():
    assert relevance("", "The harmony of the orchestra").reasons == ["no-ai"]  # "harm" is not "harm*"
    assert "ai:generative" not in relevance("", "the next generation").reasons


def test_the_term_lists_are_data(tmp_path):
    terms = tmp_path / "terms.yaml"
    terms.write_text("ai:\n  terms: [widget]\ncanada: {terms: [moose]}\nharm: {}\n", encoding="utf-8")
    score, reasons = relevance("A widget and a moose", terms_file=terms)
    assert reasons == ["ai:widget", "canada:moose"] and score > 0.4
    assert set(load_terms()) == {"ai", "canada", "harm"}


def test_normalise():
    assert normalise("L’Œuvre — Straße, déjà-vu!") == " l oeuvre strasse deja vu "
    assert normalise("L'IA", keep_case=True) == " L IA "
    assert normalise("cœur, nævus") == " coeur naevus "
