"""Talk time, timing and interruptions on small sessions written for these tests."""

from __future__ import annotations

import pytest

from analyzer.io import read_text
from analyzer.pipeline import analyze_transcript

TIMED_VTT = """WEBVTT

00:00:00.000 --> 00:00:04.000
Therapist: What brings you in today?

00:00:05.500 --> 00:00:15.000
Client: I have not been sleeping and work has been a lot lately, I keep going over everything at night and I am exhausted

00:00:14.200 --> 00:00:18.000
Therapist: Have you tried going to bed earlier?

00:00:18.100 --> 00:00:22.000
Client: I tried that but it did not help at all --

00:00:21.300 --> 00:00:24.000
Therapist: You should cut out coffee.

00:00:24.100 --> 00:00:24.600
Client: Mm-hmm.

00:00:24.700 --> 00:00:30.000
Therapist: And stop looking at your phone in bed, that is the main thing.

00:00:31.000 --> 00:00:40.000
Client: Okay. I guess I could try that, but the worrying is the real problem for me.

00:00:41.500 --> 00:00:46.000
Therapist: So the worry keeps you awake more than anything else.
"""

UNTIMED = """Therapist: How has the week been?
Client: Honestly it's been awful, I was going to tell you about my sister but --
Therapist: Let's focus on your sleep first.
Client: Okay.
Therapist: Tell me about your nights.
Client: I lie awake for hours thinking about everything that went wrong during the day.
Therapist: That sounds exhausting.
"""


@pytest.fixture(scope="module")
def timed(nlp):
    return analyze_transcript(read_text(TIMED_VTT, "vtt", session_id="timed")[0], nlp)


@pytest.fixture(scope="module")
def untimed(nlp):
    return analyze_transcript(read_text(UNTIMED, "text", session_id="untimed")[0], nlp)


def test_pause_before_response_from_timestamps(timed):
    turns = timed.markers.turns
    assert turns[0].pause_before_response_s is None  # nobody spoke before
    assert turns[2].pause_before_response_s == pytest.approx(-0.8)  # started 0.8 s before the client ended
    assert turns[8].pause_before_response_s == pytest.approx(1.5)
    assert timed.session["pause_basis"] == "timestamps"
    assert timed.session["median_pause_before_response_s"] is not None


def test_overlap_and_cut_off_are_interruptions(timed):
    turns = timed.markers.turns
    assert turns[2].interruption  # overlap of 0.8 s
    assert turns[4].interruption  # the client's turn ends with "--" (and overlaps)
    assert not turns[8].interruption
    assert timed.session["n_interruptions"] == 2
    assert timed.session["interruption_basis"] == "timestamps"
    assert any(h.code == "interruption" and h.rule_id for h in turns[2].hits)


def test_backchannel_is_not_a_turn_or_an_interruption(timed):
    turns = timed.markers.turns
    assert turns[5].backchannel and turns[5].turn.role == "client"
    assert not turns[6].interruption and turns[6].pause_before_response_s is None
    # the clinician's advice on both sides of "mm-hmm" is one monologue
    assert timed.session["longest_clinician_monologue_words"] == turns[4].n_words + turns[6].n_words
    assert timed.session["n_backchannels"] == 1


def test_talk_shares_add_up(timed):
    s = timed.session
    assert s["clinician_talk_share_words"] + s["client_talk_share_words"] == pytest.approx(1.0, abs=0.002)
    assert 0 < s["clinician_talk_share_time"] < 1
    assert s["duration_s"] == pytest.approx(46.0)
    assert s["speaker_switches_per_min"] is not None


def test_untimed_figures_are_empty_not_zero(untimed):
    s = untimed.session
    assert s["median_pause_before_response_s"] is None
    assert s["share_fast_responses"] is None
    assert s["clinician_talk_share_time"] is None
    assert s["n_long_silences"] is None
    assert s["pause_basis"] == "none"
    assert s["talk_time_basis"] == "none"


def test_untimed_interruption_from_text_markers(untimed):
    turns = untimed.markers.turns
    assert turns[2].interruption
    assert untimed.session["interruption_basis"] == "text markers"
    assert untimed.session["n_interruptions"] == 1
    assert turns[3].backchannel  # a bare "Okay." is a listener token


def test_client_words_after_reflection_and_question(untimed):
    s = untimed.session
    assert s["client_words_after_question"] is not None


def test_sentence_sentiment_and_miti_bands(untimed, timed):
    rows = timed.turn_rows()
    # "Okay. I guess I could try that, but the worrying is the real problem for me.": two sentences
    assert len(rows[7]["sentence_sentiment"].split()) == 2
    # "I lie awake for hours thinking about everything that went wrong during the day.": one, negative
    untimed_rows = untimed.turn_rows()
    assert len(untimed_rows[5]["sentence_sentiment"].split()) == 1
    assert float(untimed_rows[5]["sentence_sentiment"]) < 0
    s = untimed.session
    for figure in ("reflection_to_question_ratio", "complex_reflection_share", "open_question_share"):
        band = s[f"{figure}_band"]
        value = s[figure]
        assert band == "" if value is None else band in ("below fair", "fair", "good")
    # R:Q thresholds are MITI 4.2.1's: fair 1, good 2
    rq = timed.session["reflection_to_question_ratio"]
    expected = "" if rq is None else "good" if rq >= 2 else "fair" if rq >= 1 else "below fair"
    assert timed.session["reflection_to_question_ratio_band"] == expected
