"""Clarity: the product's word count, sentence length, Flesch-Kincaid grade, jargon and fillers."""

from __future__ import annotations

import pytest

from analyzer.markers.clarity import clarity, count_words, syllables


@pytest.mark.parametrize(
    "text, n",
    [("I don't know.", 3), ("i dont know", 3), ("We're gonna be fine", 4), ("Mm-hmm.", 1), ("self-esteem issues", 2),
     ("Well—I guess", 3), ("  ", 0), ("...", 0), ("It's 5 o'clock", 3), ("Hello , world !", 2)],
)
def test_count_words(nlp, text, n):
    assert count_words(nlp(text)) == n


def test_words_per_sentence_exact(nlp):
    c = clarity(nlp("I feel tired. I do not sleep well at night."))
    assert c["words"] == 10 and c["sentences"] == 2
    assert c["words_per_sentence"] == 5.0


@pytest.mark.parametrize("word, n", [("cat", 1), ("make", 1), ("table", 2), ("walked", 1), ("wanted", 2),
                                     ("radio", 3), ("actual", 3), ("medication", 4), ("alcoholism", 5), ("you", 1)])
def test_syllables(word, n):
    assert syllables(word) == n


def test_grade_higher_for_long_polysyllabic(nlp):
    plain = clarity(nlp("I see. You feel sad. That is hard."))
    dense = clarity(nlp(
        "Pharmacological interventions demonstrating considerable effectiveness necessitate comprehensive "
        "individualised evaluation, particularly regarding contraindicated medications and psychological comorbidity."
    ))
    assert dense["readability_grade"] > plain["readability_grade"] + 10
    # the formula (Kincaid et al. 1975) on the plain example, by hand: 8 words, 3 sentences, 8 syllables
    assert plain["readability_grade"] == pytest.approx(0.39 * 8 / 3 + 11.8 * 8 / 8 - 15.59, abs=0.01)


def test_unpunctuated_long_turn_has_no_sentence_length(nlp):
    text = " ".join(["so i was thinking about what you said and"] * 5)  # 45 words, no punctuation
    c = clarity(nlp(text))
    assert c["words"] == 45 and c["sentences"] == 1
    assert c["words_per_sentence"] is None and c["readability_grade"] is None
    assert c["syllables_per_word"] is not None
    short = clarity(nlp("so what brings you in today"))
    assert short["words_per_sentence"] == 6.0


def test_jargon_flagged_unless_explained(nlp):
    text = "Your SSRI dose looks right. We could try CBT, which is a talking therapy."
    c = clarity(nlp(text))
    assert [h.value for h in c["jargon"]] == ["ssri"]
    h = c["jargon"][0]
    assert text[h.start_char : h.end_char] == "SSRI" and h.rule_id == "jargon:ssri"
    assert clarity(nlp("We call that a cognitive distortion."))["jargon"][0].value == "cognitive distortion"
    assert clarity(nlp("Thinking patterns, or what we call cognitive distortions, matter."))["jargon"] == []


def test_fillers_in_clarity(nlp):
    c = clarity(nlp("Um, you know, it's uh fine."))
    assert sorted(h.value for h in c["fillers"]) == ["uh", "um", "you know"]


def test_empty(nlp):
    c = clarity(nlp(""))
    assert c["words"] == 0 and c["words_per_sentence"] is None and c["readability_grade"] is None
    assert c["syllables_per_word"] is None and c["jargon"] == [] and c["fillers"] == []
