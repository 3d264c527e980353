"""Questions in a clinician turn, open or closed, as MITI 4.2.1 codes them.

MITI 4.2.1 codes every clinician question; *open* questions invite a wide
range of answers or the client's own perspective (what/how/why, "tell me
more"), *closed* ones imply a short answer (yes/no, either/or, a fact or a
number).  A turn with several questions is coded here by its **last**
question, the one the client is left to answer.

Two routes find questions, so the detector works on punctuated transcripts
and on speech-to-text output without punctuation or capitals:

1. a sentence that ends in ``?`` (when the transcriber punctuated);
2. an opener from ``models/patterns/questions.jsonl`` at the start of a
   clause - the sentence start, after punctuation, or after a chain of
   discourse markers from ``models/lexicons/clause_openers.txt`` ("okay so
   how did that go for you") - or a tag at the end of a sentence/turn
   ("that's hard right", "is that right").

Requiring clause-initial position is what keeps embedded wh-clauses ("I don't
know what to do") and pseudo-clefts ("what I'm hearing is ...") out: the
opener patterns need a wh-word *followed by an auxiliary or verb*.
"""

from __future__ import annotations

from dataclasses import dataclass

from spacy.tokens import Doc, Span
from spacy.vocab import Vocab

from ..checks import Key, read_model
from ..resources import word_list
from .base import Hit
from .patterns import RUN_ON, PatternSet, load_pattern_set, read_behaviours  # noqa: F401 (RUN_ON: the allowed values)
from .text import TokenView, doc_cached, token_view, vocab_cached

PATTERN_FILE = "patterns/questions.jsonl"
OPENERS_FILE = "lexicons/clause_openers.txt"
EMBEDDING_FILE = "lexicons/embedding_words.txt"
SUBJECTS_FILE = "lexicons/subject_pronouns.txt"
MODEL_FILE = "questions.toml"

# Word lists and windows are data (models/questions.toml, with the reason for each), read and checked once.
_MODEL = read_model(MODEL_FILE, (
    Key("windows.min_tag_prefix", "whole"),
    Key("windows.merge_window", "whole"),
    Key("words.boundary_punct", "words"),
    Key("words.sent_final", "words"),
    Key("words.statement_end", "words"),
    Key("words.no_inversion_before", "words"),
    Key("words.copula", "words"),
    Key("words.copula_singular", "words"),
    Key("words.plural_subjects", "words"),
    Key("words.backchannel", "words"),
    Key("words.open_wh", "words"),
))
_BOUNDARY_PUNCT: frozenset[str] = _MODEL["boundary_punct"]  # a new clause starts after these
_MIN_TAG_PREFIX: int = _MODEL["min_tag_prefix"]  # a tag needs some statement before it
MERGE_WINDOW: int = _MODEL["merge_window"]  # openers this close after another belong to the same clause
_SENT_FINAL: frozenset[str] = _MODEL["sent_final"]
_STATEMENT_END: frozenset[str] = _MODEL["statement_end"]
_NO_INVERSION_BEFORE: frozenset[str] = _MODEL["no_inversion_before"]
_COPULA: frozenset[str] = _MODEL["copula"]
_COPULA_SG: frozenset[str] = _MODEL["copula_singular"]
_PLURAL_SUBJ: frozenset[str] = _MODEL["plural_subjects"]
_BACKCHANNEL: frozenset[str] = _MODEL["backchannel"]  # a turn of only these is a backchannel, even with "?"
_OPEN_WH: frozenset[str] = _MODEL["open_wh"]  # wh-words that make an opener-less "?"-sentence open

def load_patterns(vocab: Vocab, name: str) -> PatternSet:
    """Compile a pattern file once per vocab (the text layer's cache)."""
    return load_pattern_set(vocab, name)


# How an opener counts in run-on speech without punctuation (the row's "run_on" field, models/patterns/questions.jsonl):
#   "anywhere" (default)    at any position not right after an embedding word ("I know what ...");
#   "clause_start"          only at the turn start or after a discourse marker: relative and embedded readings
#                           ("reasons why you ...", "someone who's ...", "as we talk more") dominate elsewhere;
#   "after_non_subject"     also right after an embedding word, unless that word is a subject, auxiliary, "to" or
#                           wh-word: an imperative request ("... you know tell me about it", "thanks for coming in
#                           tell me ...") is no complement of a preposition or filler.


def run_on_rules() -> dict[str, str]:
    """Rule id -> its ``run_on`` behaviour, for rows that set one (checked with every row field)."""
    return {rid: b.run_on for rid, b in read_behaviours(PATTERN_FILE).items() if b.run_on != "anywhere"}


def pattern_set(vocab: Vocab) -> PatternSet:
    """The compiled question patterns for ``vocab`` (compiled once per vocab); the rule ids named here must exist."""
    return vocab_cached(vocab, (PATTERN_FILE, "checked"),
                        lambda: load_patterns(vocab, PATTERN_FILE).require((COPULA_OPENER, MID_INVERSION), __name__))


def clause_starts(doc: Doc) -> set[int]:
    """Token indices that begin a clause: sentence starts, after punctuation, after discourse markers.

    Discourse markers chain ("okay so and"), so every token after a run of
    them is a clause start too.  Linear in the number of tokens.
    """
    openers = word_list(OPENERS_FILE)
    view = token_view(doc)
    starts: set[int] = set()
    at_start = True
    for i, text in enumerate(view.lowers):
        if view.sent_starts[i] or at_start:
            starts.add(i)
        # after punctuation (apostrophes are in-word) or a discourse marker, a new clause may start
        # a word cut off by a hyphen ("what- what's", "was- what was") is a false start: the speaker restarts
        at_start = (
            text in _BOUNDARY_PUNCT
            or ((view.puncts[i] or view.spaces[i]) and text != "'")
            or text in openers
            or (len(text) > 1 and text.endswith("-"))
        )
    return starts


# Openers ambiguous without the transcriber's "?" carry "needs_qmark": true on their row: in a sentence
# closed by "."/"!" they are mostly embedded or relative clauses ("what happens is ...", "which is ...",
# "is your ..." after a subject).  Requests ("tell me about ...") and wh + auxiliary + subject
# inversions ("how confident are you ...") stay questions without "?", and tags (label "tag") always
# need it.  Yes/no openers (auxiliary + subject) that may start a question anywhere in run-on speech
# carry "yes_no_inversion": true.
# Rule ids this code treats specially (checked against the pattern file when it is loaded):
COPULA_OPENER = "q.closed.be"  # mid-turn "the thing is that you ...": a complement clause, not a question
MID_INVERSION = "q.closed.mid_inversion"  # its first token only guards the position; it is not evidence


def _wh_led(view: TokenView, start: int, end: int) -> bool:
    """Whether the sentence ``start:end`` begins, after discourse markers and false starts, with an open wh-word."""
    openers = word_list(OPENERS_FILE)
    for i in range(start, end):
        w = view.lowers[i]
        if w in _OPEN_WH:
            return True
        if not (view.puncts[i] or view.spaces[i] or w in openers or w.endswith("-")):
            return False
    return False


def loose_starts(doc: Doc) -> set[int] | None:
    """For run-on speech without sentence punctuation: every token not after an embedding word.

    Speech-to-text output ("that's halfway there what kept you from ...")
    gives no clause boundaries, so any position may start a question unless
    the previous word embeds it ("I know what ...", "to do ...").  Returns
    None for punctuated turns, whose punctuation already marks the clauses.
    """
    view = token_view(doc)
    if any(w in _SENT_FINAL for w in view.lowers):
        return None
    embedding = word_list(EMBEDDING_FILE)
    lowers = view.lowers
    # a word said twice ("what what happened", "would would this") is a restart: the repeat opens the clause
    return {i for i in range(len(lowers)) if i == 0 or lowers[i - 1] not in embedding or lowers[i] == lowers[i - 1]}


def _inverts_after(lowers: list[str], i: int) -> bool:
    """Whether aux + subject at ``i`` (not a clause start) is a subject-auxiliary inversion.

    Not after a subject, "to" or an auxiliary ("I can you know", "to do you know"); a
    singular copula before you/we/they is the pseudo-cleft "what I'm hearing is you ...",
    and "<verb> is that/it ..." after a verb of saying is a complement ("what I mean is that ...").
    """
    if lowers[i - 1] in _NO_INVERSION_BEFORE:
        return False
    aux, subj = lowers[i], lowers[i + 1] if i + 1 < len(lowers) else ""
    if aux in _COPULA_SG and (subj in _PLURAL_SUBJ or (subj in ("that", "it", "this") and lowers[i - 1] in word_list(EMBEDDING_FILE))):
        return False
    return True


def _last_word(span: Span) -> int:
    """Index of the last non-punctuation token of ``span`` (or -1)."""
    for tok in reversed(span):
        if not tok.is_punct and not tok.is_space:
            return tok.i
    return -1


def _last_word_between(view: TokenView, start: int, end: int) -> int:
    """:func:`_last_word` of tokens ``start:end``, from the Doc's token lists."""
    for i in range(end - 1, start - 1, -1):
        if not view.puncts[i] and not view.spaces[i]:
            return i
    return -1


def question_hits(doc: Doc) -> list[Hit]:
    """Every question clause in the turn, in text order, as evidence hits.

    Kept per Doc: classify_reflection needs the question clauses of the turn classify_question just
    analysed, so the turn is matched once.
    """
    return list(doc_cached(doc, "sa_question_hits", _question_hits))


@dataclass
class _Clauses:
    """Where question clauses may start and end in one turn."""

    view: TokenView
    starts: set[int]  # clause starts (punctuation, discourse markers)
    loose: set[int] | None  # run-on speech: every position not after an embedding word; None when punctuated
    stmt_sents: list[tuple[int, int]]  # sentences the transcriber closed with "." or "!"
    tag_ends: set[int]  # last word of each sentence (punctuated) or of the turn (run-on)
    not_tag: list[Span]  # "not_tag" matches: no tag question there


def _clauses(doc: Doc, spans: list[tuple[str, str, str, Span]]) -> _Clauses:
    view = token_view(doc)
    loose = loose_starts(doc)
    sent_ends = {}
    # punctuated turns: sentences the transcriber closed with "." or "!" were heard as statements
    stmt_sents: list[tuple[int, int]] = []
    for start, end in view.sents():
        sent_ends[start] = _last_word_between(view, start, end)
        if loose is None and view.orths[end - 1] in _STATEMENT_END:
            stmt_sents.append((start, end))
    # a tag closes a sentence (punctuated) or the whole turn (run-on speech)
    tag_ends = {e for e in sent_ends.values() if e >= 0}
    not_tag = [s for label, _, _, s in spans if label == "not_tag"]
    return _Clauses(view, clause_starts(doc), loose, stmt_sents, tag_ends, not_tag)


def _opener_counts(c: _Clauses, ps: PatternSet, rule_id: str, span: Span) -> bool:
    """Whether an ``open``/``closed``/``imperative`` opener starts a question where it stands."""
    if span.start in c.starts:
        return True
    lowers = c.view.lowers
    run_on = ps.behaviour(rule_id).run_on
    if c.loose is None or run_on == "clause_start" or not (
        span.start in c.loose
        or (run_on == "after_non_subject" and lowers[span.start - 1] not in _NO_INVERSION_BEFORE)
        # yes/no inversion can't be embedded ("... with them is there ...", "you know have you ..."): an
        # embedded yes/no clause needs if/whether.  It only fails to be an inversion right after a subject,
        # "to" or an auxiliary ("I can you know", "what to do you know")
        or (ps.behaviour(rule_id).yes_no_inversion and _inverts_after(lowers, span.start))
    ):
        return False
    # mid-turn copula "the thing is that you ..." is a complement clause, not a question
    # and "is you ..." (no agreement) is a pseudo-cleft: "the thing is you ..."
    subjects = word_list(SUBJECTS_FILE)
    return not (
        rule_id == COPULA_OPENER
        and (
            (span.end < len(lowers) and lowers[span.end] in subjects)
            or (lowers[span.start] in _COPULA_SG and lowers[span.start + 1] in _PLURAL_SUBJ)
        )
    )


def _inversion_hit(value: str, rule_id: str, span: Span) -> tuple[int, Hit] | None:
    """An ``embedded_open``/``open_inv``/``closed_inv`` match as (start token, hit); None for a pseudo-cleft."""
    if rule_id == MID_INVERSION:
        # the first token only guards the position; it is not evidence
        aux, subj = span[1].lower_, span[2].lower_
        if aux in _COPULA and (span[0].lower_ in word_list(EMBEDDING_FILE) or (aux in _COPULA_SG and subj in _PLURAL_SUBJ)):
            return None  # "what I'm hearing is you ...", "the thing is you ...": pseudo-cleft, not an inversion
        # ("I'm wondering have you ...", "you know do you ...": a direct question)
        span = span[1:]
    return span.start, Hit.from_span("question", value, rule_id, span)


def _tag_counts(c: _Clauses, span: Span) -> bool:
    """A tag ("..., right?") closes its sentence or turn after some statement, outside a ``not_tag`` match."""
    return (
        span.end - 1 in c.tag_ends
        and span.start - span.sent.start >= _MIN_TAG_PREFIX
        # an agreement ("that's right", "all right") cancels a tag it starts at or before; "is that right" keeps
        # its tag although "that right" sits inside it
        and not any(s.start <= span.start < s.end for s in c.not_tag)
    )


def _pattern_hits(c: _Clauses, ps: PatternSet, spans: list[tuple[str, str, str, Span]]) -> list[tuple[int, Hit]]:
    """Question clauses found by the pattern file, as (start token, hit)."""
    found: list[tuple[int, Hit]] = []
    for label, value, rule_id, span in spans:
        if (c.stmt_sents and (label == "tag" or ps.behaviour(rule_id).needs_qmark)
                and any(a <= span.start < b for a, b in c.stmt_sents)):
            # "What's happening is ...", "..., which is ...", "... sign right there.": in a sentence
            # punctuated as a statement these openers are embedded clauses, pseudo-clefts,
            # relative clauses or adverbs, not direct questions
            continue
        hit: tuple[int, Hit] | None = None
        if label in ("open", "closed", "imperative"):
            if _opener_counts(c, ps, rule_id, span):
                hit = span.start, Hit.from_span("question", value, rule_id, span)
        elif label in ("embedded_open", "open_inv", "closed_inv"):
            hit = _inversion_hit(value, rule_id, span)
        elif label == "tag" and _tag_counts(c, span):
            hit = span.start, Hit.from_span("question", value, rule_id, span)
        if hit is not None:
            found.append(hit)
    return found


def _question_mark_hits(doc: Doc, view: TokenView, found: list[tuple[int, Hit]]) -> list[tuple[int, Hit]]:
    """Route 1: a punctuated question with no recognised opener (e.g. "and then?").

    Only when it closes the turn: a statement with a rising "?" that the clinician talks on past
    ("You've been stuck? It happens to a lot of people.") leaves the client nothing to answer, and is
    coded by what it says (mostly a reflection), not as a question.
    """
    out: list[tuple[int, Hit]] = []
    last_word = _last_word_between(view, 0, len(view.lowers))
    for start, end in view.sents():
        if view.orths[end - 1].endswith("?") and last_word < end and not any(start <= i < end for i, _ in found):
            if _wh_led(view, start, end):
                # "What else?", "Why?", "So what needs to happen next?": a wh-question whose verb
                # no opener lists is open, like the wh-openers
                out.append((start, Hit.from_span("question", "open", "q.mark.wh", doc[start:end])))
            else:
                out.append((start, Hit.from_span("question", "closed", "q.mark.declarative", doc[start:end])))
    return out


def _one_hit_per_clause(view: TokenView, found: list[tuple[int, Hit]]) -> list[Hit]:
    """One question clause, one hit.

    An opener that starts inside (or within MERGE_WINDOW tokens after) the previous one in the same
    stretch without punctuation is the same question ("what else do you think", "how confident are
    you"); at equal start the longer, more specific span wins ("can you tell me more" over "can you").
    """
    found = sorted(found, key=lambda t: (t[0], -(t[1].end_char - t[1].start_char)))
    kept: list[tuple[int, Hit]] = []
    for start, hit in found:
        if kept:
            prev_start, prev = kept[-1]
            same_clause = start - prev_start <= MERGE_WINDOW and not any(view.puncts[k] for k in range(prev_start, start))
            if hit.start_char < prev.end_char or (same_clause and not hit.rule_id.startswith("q.tag.")):
                continue
        kept.append((start, hit))
    return [h for _, h in kept]


def _question_hits(doc: Doc) -> list[Hit]:
    ps = pattern_set(doc.vocab)
    spans = ps.spans(doc)
    view = token_view(doc)
    if not spans and "?" not in view.text:
        return []
    if all(view.puncts[i] or view.spaces[i] or w in _BACKCHANNEL for i, w in enumerate(view.lowers)):
        return []
    found = _pattern_hits(_clauses(doc, spans), ps, spans)
    if "?" in view.text:
        found += _question_mark_hits(doc, view, found)
    return _one_hit_per_clause(view, found)


def classify_question(doc: Doc) -> tuple[str | None, list[Hit]]:
    """'open' | 'closed' | None for one clinician turn, with evidence Hits.

    Hits have ``code='question'``, ``value`` open/closed, the ``rule_id`` of
    the pattern (or ``q.mark.declarative`` for a ``?``-sentence without an
    opener) and the span it rests on.  The turn's type is that of its last
    question.
    """
    hits = question_hits(doc)
    if not hits:
        return None, []
    return hits[-1].value, hits
