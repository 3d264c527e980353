"""Question detection (MITI 4.2.1 open/closed) on sentences written for these tests."""

from __future__ import annotations

import pytest

from analyzer.markers.questions import FastPatternSet, classify_question, pattern_set
from analyzer.resources import load_jsonl

OPEN = [
    "What brings you here today?",
    "okay so how did that go for you",
    "How are you feeling about the new job?",
    "tell me more",
    "Tell me about the last time you tried to quit.",
    "and what else would help",
    "so on a scale of one to ten how confident are you that you can do it",
    "yeah that sounds busy what kept you going through all of that",
    "Why is that important to you?",
    "can you tell me a bit about your week",
    "I'm curious what your partner thinks about it.",
]
CLOSED = [
    "Do you smoke?",
    "and do you think you could try that",
    "is that right",
    "that's hard right",
    "Have you ever tried nicotine patches?",
    "would you like to meet again next week",
    "How many cups of coffee do you drink a day?",
    "so you came by bus today and when did you leave home",
    "Is it the mornings or the evenings that are hardest?",
    "That must be hard, isn't it?",
]
NOT_QUESTION = [
    "What I'm hearing is that you want to stop.",
    "what i'm hearing is you want things to change",
    "How hard that must be.",
    "how hard that must be for you",
    "I don't know what to do about it either.",
    "that's right",
    "You've done a lot of thinking about this.",
    "it sounds like you're really tired of the arguments",
    "the thing is that you have worked hard",
    "I wonder if you feel a bit stuck.",
    "just do it when you feel ready",
]


@pytest.mark.parametrize("text", OPEN)
def test_open(nlp, text):
    kind, hits = classify_question(nlp(text))
    assert kind == "open", hits


@pytest.mark.parametrize("text", CLOSED)
def test_closed(nlp, text):
    kind, hits = classify_question(nlp(text))
    assert kind == "closed", hits


@pytest.mark.parametrize("text", NOT_QUESTION)
def test_not_question(nlp, text):
    kind, hits = classify_question(nlp(text))
    assert kind is None and hits == []


@pytest.mark.parametrize("text", OPEN + CLOSED)
def test_evidence_points_into_the_turn(nlp, text):
    doc = nlp(text)
    _, hits = classify_question(doc)
    assert hits
    for h in hits:
        assert h.code == "question" and h.value in ("open", "closed")
        assert h.rule_id
        assert h.text and text[h.start_char : h.end_char] == h.text


def test_last_question_decides(nlp):
    assert classify_question(nlp("Do you drink? What do you enjoy about it?"))[0] == "open"
    assert classify_question(nlp("What do you enjoy about it? Is it every day?"))[0] == "closed"


def test_unpunctuated_matches_punctuated(nlp):
    for text in ("So how did that go for you?", "And do you think you could try that?"):
        plain = text.lower().replace("?", "")
        assert classify_question(nlp(text))[0] == classify_question(nlp(plain))[0]


def test_declarative_question_mark(nlp):
    kind, hits = classify_question(nlp("And then?"))
    assert kind == "closed" and hits[0].rule_id == "q.mark.declarative"


def test_patterns_cached_and_fast_path(nlp):
    assert pattern_set(nlp.vocab) is pattern_set(nlp.vocab)
    rows, _ = load_jsonl("patterns/questions.jsonl")
    assert FastPatternSet.supports(rows)
