"""VADER adapter: reflection stems no longer read as positive, ordinary sentences unchanged."""

from __future__ import annotations

import pytest

from analyzer.markers.sentiment import SentimentScorer, get_scorer


@pytest.fixture(scope="module")
def scorer():
    return get_scorer()


@pytest.mark.parametrize(
    "text",
    ["It sounds like you're feeling overwhelmed.", "it sounds like you're feeling overwhelmed",
     "It sounds like you are feeling unsure.", "It seems like you're feeling stuck between the two.",
     "Okay, so what brings you in today?", "okay so what brings you in today", "Well, I guess it's like that."],
)
def test_reflection_stems_not_positive(nlp, scorer, text):
    assert scorer.turn_score(nlp(text)) <= 0.05


def test_stem_was_positive_before_adjustment():
    # the problem the adapter fixes: raw VADER calls the stem positive
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    raw = SentimentIntensityAnalyzer().polarity_scores("It sounds like you're feeling overwhelmed.")["compound"]
    assert raw > 0.4


@pytest.mark.parametrize("text", ["I like my new job.", "i like my new job", "I really like her.", "Well done!"])
def test_ordinary_positive_stays_positive(nlp, scorer, text):
    assert scorer.turn_score(nlp(text)) > 0.3


@pytest.mark.parametrize("text", ["I feel terrible.", "i feel terrible", "I feel like a failure.", "It was pretty bad."])
def test_negative_stays_negative(nlp, scorer, text):
    assert scorer.turn_score(nlp(text)) < -0.05


def test_neutralised_tokens_are_contextual(nlp, scorer):
    doc = nlp("It sounds like you like your job.")
    idx = scorer.neutralised(doc)
    assert [doc[i].text for i in sorted(idx)] == ["like"] and doc[2].i in idx  # the first "like" only


def test_sentence_scores_and_word_weighting(nlp, scorer):
    doc = nlp("I love it. This is a terrible, awful, horrible day for everyone here.")
    s = scorer.sentence_scores(doc)
    assert len(s) == 2 and s[0] > 0 and s[1] < 0
    # 3 words vs 10 words: the weighted mean follows the longer, negative sentence
    expected = (s[0] * 3 + s[1] * 10) / 13
    assert scorer.turn_score(doc) == pytest.approx(expected, abs=1e-3)
    assert scorer.turn_score(doc) < 0


def test_empty_turn_is_none(nlp, scorer):
    assert scorer.turn_score(nlp("")) is None
    assert scorer.turn_score(nlp("...")) is None
    assert scorer.sentence_scores(nlp("")) == []


def test_vader_lexicon_not_changed_globally(scorer):
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    fresh = SentimentIntensityAnalyzer()
    assert fresh.lexicon["like"] == 1.5 and fresh.lexicon["overwhelmed"] == 0.2
    assert scorer.analyzer is not fresh and get_scorer() is scorer


def test_bad_config_rejected(tmp_path):
    from analyzer.errors import ConfigError

    bad = tmp_path / "s.toml"
    bad.write_text('placeholder = "good"\n', encoding="utf-8")
    with pytest.raises(ConfigError):
        SentimentScorer(bad)
