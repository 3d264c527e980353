"""Reflections in a clinician turn, simple or complex, as MITI 4.2.1 codes them.

MITI 4.2.1: a reflection is a reflective-listening *statement* that returns
to the client something the client said or implied.  A reflection delivered
with rising intonation ("so you feel stuck?") is still a reflection, so
declarative ``?``-sentences count as statements here.  *Simple* reflections
add little or no meaning; *complex* ones add meaning or emphasis the client
only implied (a feeling, a metaphor, both sides of ambivalence, a value).

Evidence combines three kinds of cue, scored additively (weights below):

* reflective stems and second-person statement structure from
  ``models/patterns/reflections.jsonl`` ("it sounds like", "so you", "you
  feel", "you're not sure");
* echo of the client: content words of the clinician's statement part that
  also occur in the client turn(s) just before (``context``), after dropping
  stop words and fillers and a light suffix normalisation (the default blank
  pipeline has no lemmatiser);
* counter-evidence: advice/information giving, affirmations, self-talk and a
  turn that is only a question (MITI codes these separately).

Complex vs simple: a complex cue pattern, a feeling word the client did not
say (``models/lexicons/feeling_words.txt``), or a statement that is mostly
new content words relative to the client's turn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from spacy.lang.en.stop_words import STOP_WORDS
from spacy.tokens import Doc, Span, Token
from spacy.vocab import Vocab

from ..resources import word_list
from .base import Hit
from .patterns import PatternSet
from .questions import FastPatternSet, load_patterns, question_hits

PATTERN_FILE = "patterns/reflections.jsonl"
FEELINGS_FILE = "lexicons/feeling_words.txt"
FILLERS_FILE = "lexicons/filler_words.txt"

# Score weights: a reflection needs SCORE_THRESHOLD points.  A stem alone is
# nearly enough; second person + echo of the client also qualifies, so
# stem-less reflections ("you've cut down a lot since June") are found.
W_STEM = 2.0
W_YOU = 1.0
W_ECHO = 1.0  # echo of >= ECHO_MIN shared content words or ratio >= ECHO_RATIO
W_ECHO_STRONG = 1.0  # extra when ratio >= ECHO_RATIO_STRONG
W_ADVICE = -2.0
W_AFFIRM = -1.5
W_SELF = -1.0
W_ONLY_QUESTION = -2.5  # the turn is just a question
W_HAS_QUESTION = -1.0  # a statement leading into a real question is usually its preamble
W_CONTINUE = 1.0  # MITI "continuing the paragraph": a statement that picks up the client's sentence
SCORE_THRESHOLD = 1.0  # measured on AnnoMI: 1.0 (any clean second-person statement) beats 2.0 on F1
ECHO_MIN = 2
ECHO_RATIO = 0.3
ECHO_RATIO_STRONG = 0.5
MIN_WORDS = 3  # "mm-hmm", "okay" are backchannels, not reflections
NEW_CONTENT_COMPLEX = 0.6  # share of new content words above which the reflection adds meaning
NEW_CONTENT_MIN = 4


def pattern_set(vocab: Vocab) -> PatternSet | FastPatternSet:
    """The compiled reflection patterns for ``vocab`` (compiled once per vocab)."""
    return load_patterns(vocab, PATTERN_FILE)


def norm(word: str) -> str:
    """Light suffix normalisation so 'drinking'/'drinks'/'drank' ... at least 'drinking'~'drink'.

    Deliberately crude (no lemmatiser in the blank pipeline): strips
    possessive/plural/-ing/-ed endings so inflected echoes still match.
    """
    w = word.lower()
    if w.endswith("'s"):
        w = w[:-2]
    n = len(w)
    if n > 5 and w.endswith("ing"):
        return w[:-3]
    if n > 4 and w.endswith("ied"):
        return w[:-3] + "y"
    if n > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if n > 4 and w.endswith("ed"):
        return w[:-2]
    if n > 3 and w.endswith("s") and not w.endswith("ss"):
        return w[:-1]
    return w


def _is_content(tok: Token, fillers: frozenset[str]) -> bool:
    t = tok.lower_
    return tok.is_alpha and len(t) > 2 and t not in STOP_WORDS and t not in fillers


def content_words(tokens: Span | Doc | Sequence[Token]) -> set[str]:
    """Normalised content words (no stop words, fillers, numbers or punctuation)."""
    fillers = word_list(FILLERS_FILE)
    return {norm(t.lower_) for t in tokens if _is_content(t, fillers)}


@dataclass
class ReflectionFeatures:
    """The evidence behind one turn's reflection decision (kept for benchmarks and tests)."""

    score: float
    n_words: int
    n_statement_words: int
    shared: list[str]
    echo_ratio: float
    new_ratio: float
    new_feelings: list[str]


def _statement_tokens(doc: Doc, q_hits: list[Hit]) -> list[Token]:
    """Tokens of the turn outside question clauses.

    Per sentence: the part before the first real question opener.  Tags
    ("..., right") and declarative ``?``-sentences stay statements, as MITI
    codes reflections with rising intonation as reflections.
    """
    cut_at: dict[int, int] = {}  # sentence start -> first question-opener char
    for h in q_hits:
        if h.rule_id.startswith(("q.tag.", "q.mark.")):
            continue
        cut_at.setdefault(h.start_char, h.start_char)
    q_starts = sorted(cut_at)
    out: list[Token] = []
    for sent in doc.sents:
        first_q = next((c for c in q_starts if sent.start_char <= c < sent.end_char), None)
        for tok in sent:
            if first_q is not None and tok.idx >= first_q:
                break
            out.append(tok)
    return out


def reflection_features(doc: Doc, context: Sequence[Doc]) -> tuple[ReflectionFeatures, list[Hit], str | None]:
    """Score one clinician turn; return the features, evidence hits and the sub-type guess."""
    ps = pattern_set(doc.vocab)
    fillers = word_list(FILLERS_FILE)
    feelings = word_list(FEELINGS_FILE)
    n_words = sum(1 for t in doc if not t.is_punct and not t.is_space)
    q_hits = question_hits(doc)
    stmt = _statement_tokens(doc, q_hits)
    n_stmt = sum(1 for t in stmt if not t.is_punct and not t.is_space)
    empty = ReflectionFeatures(0.0, n_words, n_stmt, [], 0.0, 0.0, [])
    if n_stmt < MIN_WORDS:
        return empty, [], None
    stmt_end = stmt[-1].idx + len(stmt[-1]) if stmt else 0
    stmt_ids = {t.i for t in stmt}

    spans = [s for s in ps.spans(doc) if s[3].start in stmt_ids]
    by_label: dict[str, list[tuple[str, str, Span]]] = {}
    for label, value, rule_id, span in spans:
        by_label.setdefault(label, []).append((value, rule_id, span))

    client_words: set[str] = set()
    client_lower: set[str] = set()
    for c in context:
        for t in c:
            if _is_content(t, fillers):
                client_words.add(norm(t.lower_))
            client_lower.add(t.lower_)
    mine_toks = [t for t in stmt if _is_content(t, fillers)]
    mine = {norm(t.lower_) for t in mine_toks}
    shared = sorted(mine & client_words)
    echo_ratio = len(shared) / len(mine) if mine else 0.0
    new_ratio = 1.0 - echo_ratio if mine else 0.0

    score = 0.0
    hits: list[Hit] = []
    if "stem" in by_label:
        score += W_STEM
        _, rid, sp = by_label["stem"][0]
        hits.append(Hit.from_span("reflection", "stem", rid, sp))
    if "you_stmt" in by_label:
        score += W_YOU
        if "stem" not in by_label:
            _, rid, sp = by_label["you_stmt"][0]
            hits.append(Hit.from_span("reflection", "second_person", rid, sp))
    if context and (len(shared) >= ECHO_MIN or (shared and echo_ratio >= ECHO_RATIO)):
        score += W_ECHO
        if echo_ratio >= ECHO_RATIO_STRONG:
            score += W_ECHO_STRONG
        tok = next(t for t in mine_toks if norm(t.lower_) in client_words)
        hits.append(Hit("reflection", "echo", f"r.echo.shared_{len(shared)}", tok.idx, tok.idx + len(tok), tok.text))
    for label, weight in (("advice", W_ADVICE), ("affirm", W_AFFIRM), ("self", W_SELF)):
        if label in by_label:
            score += weight
            _, rid, sp = by_label[label][0]
            hits.append(Hit.from_span("reflection", f"against_{label}", rid, sp))
    if "continue" in by_label and by_label["continue"][0][2].start == stmt[0].i and "self" not in by_label:
        score += W_CONTINUE
        _, rid, sp = by_label["continue"][0]
        hits.append(Hit.from_span("reflection", "continue", rid, sp))
    real_q = [h for h in q_hits if not h.rule_id.startswith(("q.tag.", "q.mark."))]
    if real_q:
        score += W_ONLY_QUESTION if n_stmt < MIN_WORDS + 2 else W_HAS_QUESTION

    new_feelings = sorted(
        {t.lower_ for t in stmt if t.lower_ in feelings and t.lower_ not in client_lower and norm(t.lower_) not in client_words}
    )
    feats = ReflectionFeatures(score, n_words, n_stmt, shared, echo_ratio, new_ratio, new_feelings)
    if score < SCORE_THRESHOLD:
        return feats, [], None

    # sub-type: evidence of added meaning makes it complex
    kind = "simple"
    if "complex" in by_label:
        kind = "complex"
        _, rid, sp = by_label["complex"][0]
        hits.append(Hit.from_span("reflection", "complex", rid, sp))
    elif any(h.rule_id.startswith("r.continue.") for h in hits):
        kind = "complex"  # continuing the paragraph is a complex reflection in MITI 4.2.1
    elif new_feelings:
        kind = "complex"
        tok = next(t for t in stmt if t.lower_ == new_feelings[0])
        hits.append(Hit("reflection", "complex", "r.complex.new_feeling", tok.idx, tok.idx + len(tok), tok.text))
    elif context and len(mine) >= NEW_CONTENT_MIN and new_ratio >= NEW_CONTENT_COMPLEX:
        kind = "complex"
        sp = doc.char_span(stmt[0].idx, stmt_end, alignment_mode="expand")
        if sp is not None:
            hits.append(Hit.from_span("reflection", "complex", "r.complex.new_content", sp))
    hits = [Hit(h.code, kind, h.rule_id, h.start_char, h.end_char, h.text) for h in hits]
    return feats, hits, kind


def classify_reflection(doc: Doc, context: Sequence[Doc]) -> tuple[str | None, list[Hit]]:
    """'simple' | 'complex' | None for one clinician turn, with evidence Hits.

    ``context`` holds the client's turn(s) since the clinician last spoke,
    oldest first (backchannels removed), possibly empty.  Hits have
    ``code='reflection'``, ``value`` simple/complex, and rule ids of the stem,
    second-person, echo (``r.echo.shared_N``) and complexity evidence; the
    counter-evidence that was outweighed is kept too (``against_*`` rules).
    """
    _, hits, kind = reflection_features(doc, context)
    return kind, hits
