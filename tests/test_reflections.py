"""Reflection detection (MITI 4.2.1 simple/complex) on exchanges written for these tests."""

from __future__ import annotations

import pytest

from analyzer.markers.reflections import classify_reflection

# (client context, clinician turn) that are reflections
REFLECTIONS = [
    ("I keep trying to cut down on the drinking but every weekend I end up back at the pub.",
     "It sounds like cutting down at the weekend has been the hard part."),
    ("my mum keeps calling me every day asking if i've found a job yet",
     "so your mum calls you every day about the job"),
    ("I don't really know if I want to change anything right now.",
     "You're not sure change is something you want right now."),
    ("work has been crazy and then i come home and the kids need everything",
     "you feel pulled in every direction"),
    ("I like smoking with my friends, but I hate how I feel in the mornings.",
     "On the one hand you enjoy smoking with friends, and on the other hand the mornings are rough."),
]
# clinician turns that are not reflections, whatever the context
NOT_REFLECTIONS = [
    ("I keep forgetting my tablets.", "You should set an alarm on your phone."),
    ("I keep forgetting my tablets.", "you need to take them with breakfast every day"),
    ("I went three days without a cigarette.", "Well done, that's a great start."),
    ("I keep forgetting my tablets.", "What gets in the way of taking them?"),
    ("I keep forgetting my tablets.", "okay"),
    ("", "Let me explain how the programme works."),
]


def _ctx(nlp, text):
    return [nlp(text)] if text else []


@pytest.mark.parametrize("client,turn", REFLECTIONS)
def test_reflections(nlp, client, turn):
    kind, hits = classify_reflection(nlp(turn), _ctx(nlp, client))
    assert kind in ("simple", "complex"), hits


@pytest.mark.parametrize("client,turn", REFLECTIONS)
def test_reflections_unpunctuated(nlp, client, turn):
    plain = lambda s: "".join(c for c in s.lower() if c.isalnum() or c in " '")
    kind, _ = classify_reflection(nlp(plain(turn)), _ctx(nlp, plain(client)))
    assert kind in ("simple", "complex")


@pytest.mark.parametrize("client,turn", NOT_REFLECTIONS)
def test_not_reflections(nlp, client, turn):
    kind, hits = classify_reflection(nlp(turn), _ctx(nlp, client))
    assert kind is None, hits


@pytest.mark.parametrize("client,turn", REFLECTIONS)
def test_evidence(nlp, client, turn):
    doc = nlp(turn)
    kind, hits = classify_reflection(doc, _ctx(nlp, client))
    assert hits
    for h in hits:
        assert h.code == "reflection" and h.value == kind
        assert h.rule_id
        assert turn[h.start_char : h.end_char] == h.text


def test_context_effect(nlp):
    """The same stem-less sentence is a reflection only when it echoes what the client said."""
    turn = nlp("the late shifts and the long drive home")
    echoed, hits = classify_reflection(turn, [nlp("it's the late shifts and the long drive home that wear me out")])
    assert echoed is not None
    assert any(h.rule_id.startswith("r.echo.") for h in hits)
    unrelated, _ = classify_reflection(turn, [nlp("my sister is visiting next month")])
    assert unrelated is None


def test_simple_restatement(nlp):
    kind, _ = classify_reflection(
        nlp("So you walk the dog every morning before work."),
        [nlp("I walk the dog every morning before work.")],
    )
    assert kind == "simple"


def test_complex_adds_feeling_or_sides(nlp):
    ctx = [nlp("My brother borrowed money again and never paid it back.")]
    feeling, hits = classify_reflection(nlp("You feel let down and a bit betrayed by him."), ctx)
    assert feeling == "complex"
    assert any(h.rule_id == "r.complex.new_feeling" for h in hits)
    sides, hits = classify_reflection(nlp("Part of you wants to help him, and part of you is fed up."), ctx)
    assert sides == "complex"


def test_rising_intonation_still_reflection(nlp):
    kind, _ = classify_reflection(nlp("So you feel stuck?"), [nlp("I just can't seem to move forward with anything.")])
    assert kind is not None


def test_empty_context(nlp):
    kind, _ = classify_reflection(nlp("It sounds like this week has been exhausting."), [])
    assert kind == "complex"
