"""The generic pattern code: same matches as spaCy's Matcher, clear errors for bad rows."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from spacy.matcher import Matcher
from spacy.tokens import Span
from spacy.util import filter_spans

from analyzer.errors import ConfigError
from analyzer.markers import lexical  # noqa: F401  (registers the token extensions patterns use)
from analyzer.markers.patterns import PatternSet, _tokenizer_for
from analyzer.resources import load_jsonl

PATTERN_FILES = sorted(p.name for p in (Path(__file__).resolve().parent.parent / "models" / "patterns").glob("*.jsonl"))

SENTENCES = [
    "It sounds like you're feeling overwhelmed by all of it.",
    "you really need to just stop drinking so much",
    "Would it be okay if I shared something that has helped other people?",
    "That makes a lot of sense, anyone would feel that way.",
    "calm down it's not that bad at least you have a job",
    "So let me make sure I've got this: you want to cut down but not stop.",
    "Does that make sense? Am I getting that right?",
    "um you know I mean it's kind of like, basically, a cognitive distortion",
    "You've worked really hard on this and that took courage.",
    "what do you think you could do differently next time",
    "You should try the breathing exercise, and make sure you sleep.",
    "I like my new job, honestly.",
]


def _reference(nlp, rows, doc):
    """spaCy's Matcher over the same rows, overlaps per label resolved as PatternSet.spans does."""
    tok = _tokenizer_for(nlp.vocab)
    ref, label_of = Matcher(nlp.vocab), {}
    for r in rows:
        p = r["pattern"]
        if isinstance(p, str):
            p = [{"LOWER": t.lower_} for t in tok(p)]
        ref.add(r["id"], [p])
        label_of[r["id"]] = r["label"]
    found: dict[str, list[Span]] = {}
    for m, s, e in ref(doc):
        rid = nlp.vocab.strings[m]
        found.setdefault(label_of[rid], []).append(Span(doc, s, e, label=rid))
    return {(label, s.start, s.end) for label, spans in found.items() for s in filter_spans(spans)}


@pytest.mark.parametrize("name", PATTERN_FILES)
def test_shipped_files_match_like_spacys_matcher(nlp, name):
    rows, _ = load_jsonl(f"patterns/{name}")
    ps = PatternSet.load(nlp.vocab, f"patterns/{name}")
    assert ps.n_fallback_rows == 0  # every shipped row runs on the fast path
    for doc in nlp.pipe(SENTENCES + [s.lower().replace(",", "").replace(".", "") for s in SENTENCES]):
        got = {(label, span.start, span.end) for label, _, _, span in ps.spans(doc)}
        assert got == _reference(nlp, rows, doc), doc.text


ROWS = [
    {"label": "a", "id": "a1", "pattern": [{"LOWER": "you"}, {"LOWER": {"IN": ["really", "just"]}, "OP": "*"},
                                          {"LOWER": {"IN": ["should", "must"]}}]},
    {"label": "a", "id": "a2", "pattern": [{"LOWER": "not", "OP": "?"}, {"LOWER": "bad"}]},
    {"label": "b", "id": "b1", "pattern": [{"IS_SENT_START": True}, {"OP": "*", "IS_PUNCT": False}, {"LOWER": "down"}]},
    {"label": "b", "id": "b2", "pattern": [{"LOWER": "so"}, {"LOWER": {"NOT_IN": ["you"]}}, {"LOWER": "it", "OP": "+"}]},
    {"label": "c", "id": "c1", "pattern": "make sure"},
    {"label": "c", "id": "c2", "pattern": [{"LOWER": {"REGEX": "^over"}}, {"LOWER": "it", "OP": "!"}]},
]
WORDS = ["you", "really", "just", "should", "must", "not", "bad", "so", "it", "down", "make", "sure",
         "overthinking", "calm", ".", ",", "okay"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=14))
def test_operators_match_like_spacys_matcher(nlp, words):
    doc = nlp(" ".join(words))
    ps = PatternSet(nlp.vocab, ROWS)
    got = {(label, span.start, span.end) for label, _, _, span in ps.spans(doc)}
    assert got == _reference(nlp, ROWS, doc)


def test_rows_the_fast_path_cannot_do_still_match(nlp):
    rows = [{"label": "x", "id": "x1", "pattern": [{"LENGTH": 4}, {"LOWER": "down"}]}]
    ps = PatternSet(nlp.vocab, rows)
    assert ps.n_fallback_rows == 1
    assert [h.text for h in ps.hits(nlp("just calm down now"))] == ["calm down"]


@pytest.mark.parametrize(
    "row,message",
    [
        ({"id": "x", "pattern": "hi"}, "label"),
        ({"label": "a", "pattern": "hi"}, "id"),
        ({"label": "a", "id": "x", "pattern": 3}, "phrase string or a list"),
        ({"label": "a", "id": "x", "pattern": [{"LOWER": {"IN": "notalist"}}]}, "invalid token pattern"),
    ],
)
def test_bad_rows_are_config_errors_with_file_and_line(nlp, tmp_path, row, message):
    import json

    path = tmp_path / "p.jsonl"
    path.write_text("// rationale\n" + json.dumps(row) + "\n")
    with pytest.raises(ConfigError) as err:
        PatternSet.load(nlp.vocab, path)
    assert message in str(err.value) and f"{path}:2" in str(err.value)


def test_duplicate_ids_are_rejected(nlp):
    rows = [{"label": "a", "id": "same", "pattern": "x"}, {"label": "b", "id": "same", "pattern": "y"}]
    with pytest.raises(ConfigError, match="duplicate"):
        PatternSet(nlp.vocab, rows)
