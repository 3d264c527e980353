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


from spacy.tokens import Doc, Span
from spacy.vocab import Vocab

from ..errors import ConfigError
from ..resources import load_jsonl, word_list
from .base import Hit
from .patterns import PatternSet, TokenView, token_view

PATTERN_FILE = "patterns/questions.jsonl"
OPENERS_FILE = "lexicons/clause_openers.txt"
EMBEDDING_FILE = "lexicons/embedding_words.txt"
SUBJECTS_FILE = "lexicons/subject_pronouns.txt"

def load_patterns(vocab: Vocab, name: str) -> PatternSet:
    """Compile a pattern file once per vocab."""
    key = (id(vocab), name)
    ps = _CACHE.get(key)
    if ps is None or ps.vocab is not vocab:
        ps = _CACHE[key] = PatternSet.load(vocab, name)
    return ps


_CACHE: dict[tuple[int, str], PatternSet] = {}

# Punctuation after which a new clause starts (apostrophes are in-word).
_BOUNDARY_PUNCT = frozenset({",", ";", ":", ".", "!", "?", "-", "--", "...", "…", "(", ")", '"', "—", "–"})
# A tag needs some statement before it ("right?" alone is a backchannel).
_MIN_TAG_PREFIX = 3
# Openers this close after another opener belong to the same question clause.
MERGE_WINDOW = 5


# How an opener counts in run-on speech without punctuation (the row's "run_on" field, models/patterns/questions.jsonl):
#   "anywhere" (default)    at any position not right after an embedding word ("I know what ...");
#   "clause_start"          only at the turn start or after a discourse marker: relative and embedded readings
#                           ("reasons why you ...", "someone who's ...", "as we talk more") dominate elsewhere;
#   "after_non_subject"     also right after an embedding word, unless that word is a subject, auxiliary, "to" or
#                           wh-word: an imperative request ("... you know tell me about it", "thanks for coming in
#                           tell me ...") is no complement of a preposition or filler.
RUN_ON = ("anywhere", "clause_start", "after_non_subject")


def run_on_rules() -> dict[str, str]:
    """Rule id -> its ``run_on`` behaviour, for rows that set one (checked here)."""
    if not _RUN_ON:
        rows, label = load_jsonl(PATTERN_FILE)
        for row in rows:
            value = row.get("run_on", "anywhere")
            if value not in RUN_ON:
                raise ConfigError(f"pattern {row.get('id')!r}: run_on must be one of {list(RUN_ON)}", path=label,
                                  line=row.get("_line"))
            if value != "anywhere":
                _RUN_ON[row["id"]] = value
        _RUN_ON.setdefault("", "anywhere")  # loaded, even when no row sets it
    return _RUN_ON


_RUN_ON: dict[str, str] = {}


def pattern_set(vocab: Vocab) -> PatternSet:
    """The compiled question patterns for ``vocab`` (compiled once per vocab)."""
    return load_patterns(vocab, PATTERN_FILE)


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


_SENT_FINAL = frozenset({".", "?", "!", "..."})
# Yes/no openers (auxiliary + subject) that may start a question anywhere in run-on speech.
_YN_INVERSION = frozenset({
    "q.closed.do", "q.closed.did", "q.closed.does", "q.closed.be", "q.closed.have", "q.closed.modal",
})
# Words after which "aux + subject" is no inversion: subjects, wh/complementisers, "to", auxiliaries.
_NO_INVERSION_BEFORE = frozenset(
    "i you we they he she it that this there which who whom whose what how why where when to if whether "
    "as than people 'll 'd 'm 're 've 's n't not can will would could should might must may is was are "
    "were be been am do does did have has had don't".split()
)
_COPULA = frozenset({"is", "'s", "was", "are", "'re", "were"})
_COPULA_SG = frozenset({"is", "'s", "was"})
_PLURAL_SUBJ = frozenset({"you", "we", "they", "y'all"})
# Sentence-final marks of a statement (punctuated turns only; "..." and cut-offs stay open).
_STATEMENT_END = frozenset({".", "!"})
# Openers that are ambiguous without the transcriber's "?": in a sentence closed by "."/"!"
# they are mostly embedded or relative clauses ("what happens is ...", "which is ...",
# "is your ..." after a subject).  Requests ("tell me about ...") and wh + auxiliary +
# subject inversions ("how confident are you ...") stay questions without "?", and tags
# (label "tag") always need it.
_NEEDS_QMARK = frozenset({
    "q.open.wh_aux", "q.closed.wh_fact", "q.closed.mid_inversion", "q.closed.be",
    "q.closed.how_quantity", "q.open.why_not", "q.open.talk_about",
})


# A turn made only of these words is a backchannel ("Yeah?", "Mm-hmm?"), even with a rising "?":
# it invites the client to go on, it asks nothing.
_BACKCHANNEL = frozenset({"yeah", "yes", "yep", "mm", "mmm", "mm-hmm", "mhm", "uh-huh", "hmm", "hm", "sorry"})
# wh-words that make a "?"-sentence without a recognised opener open ("What else?", "Why?",
# "What needs to change?"); "-" marks a cut-off restart ("wha-").
_OPEN_WH = frozenset({"what", "how", "why", "what's", "how's", "whats", "hows", "what-", "how-", "why-", "wha"})


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


# The last doc analysed and its hits: classify_reflection needs the question
# clauses of the turn classify_question just analysed, so keep one result
# instead of matching the same turn twice (identity check, one entry).
_LAST: list = [None, None]


def question_hits(doc: Doc) -> list[Hit]:
    """Every question clause in the turn, in text order, as evidence hits."""
    if _LAST[0] is doc:
        return list(_LAST[1])
    hits = _question_hits(doc)
    _LAST[0], _LAST[1] = doc, hits
    return list(hits)


def _question_hits(doc: Doc) -> list[Hit]:
    ps = pattern_set(doc.vocab)
    spans = ps.spans(doc)
    view = token_view(doc)
    if not spans and "?" not in view.text:
        return []
    if all(view.puncts[i] or view.spaces[i] or w in _BACKCHANNEL for i, w in enumerate(view.lowers)):
        return []
    starts = clause_starts(doc)
    loose = loose_starts(doc)
    subjects = word_list(SUBJECTS_FILE)
    not_tag = [s for label, _, _, s in spans if label == "not_tag"]
    found: list[tuple[int, Hit]] = []
    sent_ends = {}
    # punctuated turns: sentences the transcriber closed with "." or "!" were heard as statements
    stmt_sents: list[tuple[int, int]] = []
    for start, end in view.sents():
        sent_ends[start] = _last_word_between(view, start, end)
        if loose is None and view.orths[end - 1] in _STATEMENT_END:
            stmt_sents.append((start, end))
    # a tag closes a sentence (punctuated) or the whole turn (run-on speech)
    tag_ends = {e for e in sent_ends.values() if e >= 0}
    for label, value, rule_id, span in spans:
        if stmt_sents and (label == "tag" or rule_id in _NEEDS_QMARK) and any(a <= span.start < b for a, b in stmt_sents):
            # "What's happening is ...", "..., which is ...", "... sign right there.": in a sentence
            # punctuated as a statement these openers are embedded clauses, pseudo-clefts,
            # relative clauses or adverbs, not direct questions
            continue
        if label in ("open", "closed", "imperative"):
            ok = span.start in starts
            run_on = run_on_rules().get(rule_id, "anywhere")
            if not ok and loose is not None and run_on != "clause_start" and (
                span.start in loose
                or (run_on == "after_non_subject" and view.lowers[span.start - 1] not in _NO_INVERSION_BEFORE)
                # yes/no inversion can't be embedded ("... with them is there ...", "you know
                # have you ..."): an embedded yes/no clause needs if/whether.  It only fails
                # to be an inversion right after a subject, "to" or an auxiliary ("I can you
                # know", "what to do you know")
                or (rule_id in _YN_INVERSION and _inverts_after(view.lowers, span.start))
            ):
                # mid-turn copula "the thing is that you ..." is a complement clause, not a question
                # and "is you ..." (no agreement) is a pseudo-cleft: "the thing is you ..."
                ok = not (
                    rule_id == "q.closed.be"
                    and (
                        (span.end < len(view.lowers) and view.lowers[span.end] in subjects)
                        or (view.lowers[span.start] in _COPULA_SG and view.lowers[span.start + 1] in _PLURAL_SUBJ)
                    )
                )
            if ok:
                found.append((span.start, Hit.from_span("question", value, rule_id, span)))
        elif label in ("embedded_open", "open_inv", "closed_inv"):
            if rule_id == "q.closed.mid_inversion":
                # the first token only guards the position; it is not evidence
                aux, subj = span[1].lower_, span[2].lower_
                if aux in _COPULA and (span[0].lower_ in word_list(EMBEDDING_FILE) or (aux in _COPULA_SG and subj in _PLURAL_SUBJ)):
                    continue  # "what I'm hearing is you ...", "the thing is you ...": pseudo-cleft, not an inversion
                # ("I'm wondering have you ...", "you know do you ...": a direct question)
                span = span[1:]
            found.append((span.start, Hit.from_span("question", value, rule_id, span)))
        elif label == "tag":
            if (
                span.end - 1 in tag_ends
                and span.start - span.sent.start >= _MIN_TAG_PREFIX
                # an agreement ("that's right", "all right") cancels a tag it starts at or before; "is that right" keeps
                # its tag although "that right" sits inside it
                and not any(s.start <= span.start < s.end for s in not_tag)
            ):
                found.append((span.start, Hit.from_span("question", value, rule_id, span)))
    # route 1: punctuated question with no recognised opener (e.g. "and then?").  Only when
    # it closes the turn: a statement with a rising "?" that the clinician talks on past
    # ("You've been stuck? It happens to a lot of people.") leaves the client nothing to
    # answer, and is coded by what it says (mostly a reflection), not as a question.
    if "?" in view.text:
        last_word = _last_word_between(view, 0, len(view.lowers))
        for start, end in view.sents():
            if (
                view.orths[end - 1].endswith("?")
                and last_word < end
                and not any(start <= i < end for i, _ in found)
            ):
                if _wh_led(view, start, end):
                    # "What else?", "Why?", "So what needs to happen next?": a wh-question whose verb
                    # no opener lists is open, like the wh-openers
                    found.append((start, Hit.from_span("question", "open", "q.mark.wh", doc[start:end])))
                else:
                    found.append((start, Hit.from_span("question", "closed", "q.mark.declarative", doc[start:end])))
    # One question clause, one hit: an opener that starts inside (or within
    # MERGE_WINDOW tokens after) the previous one in the same stretch without
    # punctuation is the same question ("what else do you think", "how
    # confident are you"); at equal start the longer, more specific span wins
    # ("can you tell me more" over "can you").
    found.sort(key=lambda t: (t[0], -(t[1].end_char - t[1].start_char)))
    kept: list[tuple[int, Hit]] = []
    for start, hit in found:
        if kept:
            prev_start, prev = kept[-1]
            same_clause = start - prev_start <= MERGE_WINDOW and not any(
                view.puncts[k] for k in range(prev_start, start)
            )
            if hit.start_char < prev.end_char or (same_clause and not hit.rule_id.startswith("q.tag.")):
                continue
        kept.append((start, hit))
    return [h for _, h in kept]


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
