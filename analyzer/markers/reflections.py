"""Reflections in a clinician turn, simple or complex, as MITI 4.2.1 codes them.

MITI 4.2.1: a reflection is a reflective-listening *statement* that returns
to the client something the client said or implied.  A reflection delivered
with rising intonation ("so you feel stuck?") is still a reflection, so
declarative ``?``-sentences count as statements here.  *Simple* reflections
add little or no meaning; *complex* ones add meaning or emphasis the client
only implied (a feeling, a metaphor, both sides of ambivalence, a value).

Decided per sentence (clause): each sentence of the statement part is scored
on its own, and the turn is a reflection when one sentence is, unless the
turn is dominated by advice/information (MITI codes such an utterance as
Giving Information / Persuade).  A directive frame ("you need to", "you
should", "you'll be fine", "let's", an imperative verb) vetoes its sentence
unless a genuine stem comes first in it; a stem elsewhere does not rescue it.
Bare second person never suffices without echo of the client's words.
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

from ..checks import Key, read_model
from ..resources import word_list
from .base import Hit
from .patterns import PatternSet
from .questions import load_patterns, question_hits
from .text import TokenView, doc_cached, token_view

MODEL_FILE = "reflections.toml"
PATTERN_FILE = "patterns/reflections.jsonl"
FEELINGS_FILE = "lexicons/feeling_words.txt"
FILLERS_FILE = "lexicons/filler_words.txt"

# The scorer's weights, thresholds and word lists are data (models/reflections.toml, with the reason for
# each); they are read and checked once, when this module is imported.
_KEYS = (
    Key("weights.stem", "number", "W_STEM"),
    Key("weights.weak_stem", "number", "W_WEAK_STEM"),
    Key("weights.you", "number", "W_YOU"),
    Key("weights.echo", "number", "W_ECHO"),
    Key("weights.echo_strong", "number", "W_ECHO_STRONG"),
    Key("weights.info", "number", "W_INFO"),
    Key("weights.affirm", "number", "W_AFFIRM"),
    Key("weights.self", "number", "W_SELF"),
    Key("weights.only_question", "number", "W_ONLY_QUESTION"),
    Key("weights.has_question", "number", "W_HAS_QUESTION"),
    Key("weights.continue", "number", "W_CONTINUE"),
    Key("weights.short_you", "number", "W_SHORT_YOU"),
    Key("weights.fragment", "number", "W_FRAGMENT"),
    Key("thresholds.score", "number", "SCORE_THRESHOLD"),
    Key("thresholds.short_you_max_words", "whole", "SHORT_YOU_MAX_WORDS"),
    Key("thresholds.fragments", "bool", "FRAGMENTS"),
    Key("thresholds.fragment_max_words", "whole", "FRAGMENT_MAX_WORDS"),
    Key("thresholds.client_min_content", "whole", "CLIENT_MIN_CONTENT"),
    Key("thresholds.echo_min", "whole", "ECHO_MIN"),
    Key("thresholds.echo_ratio", "number", "ECHO_RATIO"),
    Key("thresholds.echo_ratio_strong", "number", "ECHO_RATIO_STRONG"),
    Key("thresholds.min_words", "whole", "MIN_WORDS"),
    Key("thresholds.new_content_complex", "number", "NEW_CONTENT_COMPLEX"),
    Key("thresholds.new_content_min", "whole", "NEW_CONTENT_MIN"),
    Key("thresholds.dominant_min", "whole", "DOMINANT_MIN"),
    Key("thresholds.dominant_ratio", "number", "DOMINANT_RATIO"),
    Key("words.not_reflective_after_you", "words", "NOT_REFLECTIVE_AFTER_YOU"),
    Key("words.second_person_subject", "words", "SECOND_PERSON_SUBJECT"),
    Key("words.ambiguous_feelings", "words", "AMBIGUOUS_FEELINGS"),
    Key("words.first_person", "words", "FIRST_PERSON"),
    Key("words.split_markers", "words", "SPLIT_MARKERS"),
    Key("words.split_subjects", "words", "SPLIT_SUBJECTS"),
    Key("words.subordinators", "words", "SUBORDINATORS"),
    Key("words.weak_subordinators", "words", "WEAK_SUBORDINATORS"),
    Key("words.imperative_lead", "words", "IMPERATIVE_LEAD"),
    Key("words.summary_so", "words", "SUMMARY_SO"),
    Key("words.continue_cause", "words", "CONTINUE_CAUSE"),
    Key("words.clause_lead", "words", "CLAUSE_LEAD"),
    Key("irregular", "word_map", "IRREGULAR"),
)
_MODEL = read_model(MODEL_FILE, _KEYS)
W_STEM: float = _MODEL["W_STEM"]
W_WEAK_STEM: float = _MODEL["W_WEAK_STEM"]
W_YOU: float = _MODEL["W_YOU"]
W_ECHO: float = _MODEL["W_ECHO"]
W_ECHO_STRONG: float = _MODEL["W_ECHO_STRONG"]
W_INFO: float = _MODEL["W_INFO"]
W_AFFIRM: float = _MODEL["W_AFFIRM"]
W_SELF: float = _MODEL["W_SELF"]
W_ONLY_QUESTION: float = _MODEL["W_ONLY_QUESTION"]
W_HAS_QUESTION: float = _MODEL["W_HAS_QUESTION"]
W_CONTINUE: float = _MODEL["W_CONTINUE"]
W_SHORT_YOU: float = _MODEL["W_SHORT_YOU"]
W_FRAGMENT: float = _MODEL["W_FRAGMENT"]
SCORE_THRESHOLD: float = _MODEL["SCORE_THRESHOLD"]
SHORT_YOU_MAX_WORDS: int = _MODEL["SHORT_YOU_MAX_WORDS"]
FRAGMENTS: bool = _MODEL["FRAGMENTS"]
FRAGMENT_MAX_WORDS: int = _MODEL["FRAGMENT_MAX_WORDS"]
CLIENT_MIN_CONTENT: int = _MODEL["CLIENT_MIN_CONTENT"]
ECHO_MIN: int = _MODEL["ECHO_MIN"]
ECHO_RATIO: float = _MODEL["ECHO_RATIO"]
ECHO_RATIO_STRONG: float = _MODEL["ECHO_RATIO_STRONG"]
MIN_WORDS: int = _MODEL["MIN_WORDS"]
NEW_CONTENT_COMPLEX: float = _MODEL["NEW_CONTENT_COMPLEX"]
NEW_CONTENT_MIN: int = _MODEL["NEW_CONTENT_MIN"]
DOMINANT_MIN: int = _MODEL["DOMINANT_MIN"]
DOMINANT_RATIO: float = _MODEL["DOMINANT_RATIO"]
NOT_REFLECTIVE_AFTER_YOU: frozenset[str] = _MODEL["NOT_REFLECTIVE_AFTER_YOU"]
SECOND_PERSON_SUBJECT: frozenset[str] = _MODEL["SECOND_PERSON_SUBJECT"]
AMBIGUOUS_FEELINGS: frozenset[str] = _MODEL["AMBIGUOUS_FEELINGS"]
FIRST_PERSON: frozenset[str] = _MODEL["FIRST_PERSON"]
SPLIT_MARKERS: frozenset[str] = _MODEL["SPLIT_MARKERS"]
SPLIT_SUBJECTS: frozenset[str] = _MODEL["SPLIT_SUBJECTS"]
SUBORDINATORS: frozenset[str] = _MODEL["SUBORDINATORS"]
WEAK_SUBORDINATORS: frozenset[str] = SUBORDINATORS | _MODEL["WEAK_SUBORDINATORS"]
IMPERATIVE_LEAD: frozenset[str] = _MODEL["IMPERATIVE_LEAD"]
SUMMARY_SO: frozenset[str] = _MODEL["SUMMARY_SO"]
CONTINUE_CAUSE: frozenset[str] = _MODEL["CONTINUE_CAUSE"]
CLAUSE_LEAD: frozenset[str] = IMPERATIVE_LEAD | _MODEL["CLAUSE_LEAD"]
IRREGULAR: dict[str, str] = _MODEL["IRREGULAR"]


def _clause_initial(view: TokenView, i: int) -> bool:
    """Token ``i`` opens its clause: only discourse words (or nothing) since the turn start, a
    sentence start or a punctuation mark."""
    lowers, puncts, sent_starts = view.lowers, view.puncts, view.sent_starts
    while True:
        if i == 0 or sent_starts[i]:
            return True
        j = i - 1
        if puncts[j]:
            return True
        if lowers[j] not in CLAUSE_LEAD:
            return False
        i = j


def pattern_set(vocab: Vocab) -> PatternSet:
    """The compiled reflection patterns for ``vocab`` (compiled once per vocab)."""
    return load_patterns(vocab, PATTERN_FILE)


_NORM: dict[str, str] = {}


def norm(word: str) -> str:
    """Light suffix normalisation so 'drinking'/'drinks'/'drank'/'drink' meet.

    Deliberately crude (no lemmatiser in the blank pipeline): strips
    possessive/plural/-ing/-ed/-ful/-ness/-ly endings, a final silent e and a
    doubled final consonant, and maps a few irregular forms, so inflected and
    derived echoes still match ("smoking"~"smoke", "stopped"~"stop",
    "stressful"~"stressed", "lonely"~"loneliness").  Memoised per word.
    """
    r = _NORM.get(word)
    if r is None:
        r = _NORM[word] = _norm(word)
    return r


def _norm(word: str) -> str:
    w = word.lower()
    if w.endswith("'s"):
        w = w[:-2]
    if w in IRREGULAR:
        return IRREGULAR[w]
    n = len(w)
    if n > 6 and w.endswith("ness"):
        w = w[:-4]
        if w.endswith("i"):
            w = w[:-1] + "y"
    elif n > 5 and w.endswith("ful"):
        w = w[:-3]
    n = len(w)
    if n > 5 and w.endswith("ly") and not w.endswith("ily"):
        w = w[:-2]
    n = len(w)
    if n > 4 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif n > 4 and w.endswith("es") and w[-3] in "sxz":
        w = w[:-2]
    elif n > 3 and w.endswith("s") and not w.endswith("ss"):
        w = w[:-1]
    n = len(w)
    if n > 5 and w.endswith("ing"):
        w = w[:-3]
    elif n > 4 and w.endswith("ied"):
        w = w[:-3] + "y"
    elif n > 4 and w.endswith("ed"):
        w = w[:-2]
    n = len(w)
    if n > 3 and w[-1] == w[-2] and w[-1] not in "aeioulsz":
        w = w[:-1]  # stopp(ed) -> stop, runn(ing) -> run
    if n > 3 and w.endswith("e") and not w.endswith("ee"):
        w = w[:-1]  # smoke / smok(ing), hope / hop(ed)
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


def _statement_tokens(doc: Doc, q_hits: list[Hit]) -> list[int]:
    """Indices of the tokens of the turn outside question clauses.

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
    view = token_view(doc)
    idxs, orths = view.idxs, view.orths
    out: list[int] = []
    for start, end in view.sents():
        start_char, end_char = idxs[start], idxs[end - 1] + len(orths[end - 1])
        first_q = next((c for c in q_starts if start_char <= c < end_char), None)
        for i in range(start, end):
            if first_q is not None and idxs[i] >= first_q:
                break
            out.append(i)
    return out


def _segments(doc: Doc, stmt: list[int]) -> list[list[int]]:
    """The statement tokens (indices) cut into sentences, and sentences into clauses at marker + subject."""
    view = token_view(doc)
    lowers, sent_starts = view.lowers, view.sent_starts
    segs: list[list[int]] = []
    prev_i = -2
    n = len(lowers)
    for i in stmt:
        new = i != prev_i + 1 or sent_starts[i]
        if not new and lowers[i] in SPLIT_MARKERS and i + 1 < n and lowers[i + 1] in SPLIT_SUBJECTS:
            new = True
        if new or not segs:
            segs.append([i])
        else:
            segs[-1].append(i)
        prev_i = i
    return segs


def _content_mask(doc: Doc) -> list[bool]:
    """``_is_content`` of every token of ``doc`` (with the shipped fillers), computed once per Doc."""
    return doc_cached(doc, "sa_content", _compute_content_mask)


def _compute_content_mask(doc: Doc) -> list[bool]:
    fillers = word_list(FILLERS_FILE)
    view = token_view(doc)
    return [alpha and len(t) > 2 and t not in STOP_WORDS and t not in fillers for t, alpha in zip(view.lowers, view.alphas)]


@dataclass
class _Seg:
    score: float = 0.0
    directive: bool = False
    info: bool = False
    stem: bool = False
    reflective: bool = False


Match = tuple[str, str, Span]  # (value, rule id, span) of a pattern match


@dataclass
class _Turn:
    """One clinician turn being scored: its tokens, statement part, clauses, matches and the client's words."""

    doc: Doc
    view: TokenView
    content: list[bool]  # per token: a content word (see _is_content)
    stmt: list[int]  # tokens outside question clauses
    segs: list[list[int]]  # the statement cut into clauses
    by_seg: list[dict[str, Match]]  # per clause, per label: its first match
    by_label: dict[str, list[Match]]  # per label: every match, in text order
    client_words: set[str]  # normalised content words of the client turn(s) before
    client_lower: set[str]  # their lower-case forms
    has_context: bool

    @property
    def lowers(self) -> list[str]:
        return self.view.lowers

    def shared(self, tokens: Sequence[int]) -> set[str]:
        """Normalised content words of ``tokens`` that the client said too."""
        return {norm(self.lowers[i]) for i in tokens if self.content[i]} & self.client_words


def _subordinate(t: _Turn, k: int, label: str, rule_id: str, span: Span, initial_only: bool) -> bool:
    """A stem or second-person match inside a subordinate clause ("than you think", "if you want")."""
    lowers, seg = t.lowers, t.segs[k]
    if label not in ("stem", "weak_stem", "you_stmt") or span.start == 0:
        return False
    if lowers[span.start - 1] not in (SUBORDINATORS if label == "stem" else WEAK_SUBORDINATORS):
        return False
    prev = span.start - 1
    if initial_only and prev == seg[0]:
        return False
    summary_or_continuation = lowers[prev] in SUMMARY_SO or (lowers[prev] in CONTINUE_CAUSE and seg[0] == t.stmt[0])
    return not (summary_or_continuation and _clause_initial(t.view, prev))


def _not_clause_initial(t: _Turn, k: int, span: Span) -> bool:
    """Whether something other than lead words ("just", "so") comes before ``span`` in its clause."""
    j = span.start - 1
    while j >= t.segs[k][0] and t.lowers[j] in IMPERATIVE_LEAD:
        j -= 1
    return j >= t.segs[k][0] and not t.view.puncts[j]


def _clause_matches(t: _Turn, ps: PatternSet, seg_of: dict[int, int]) -> None:
    """Fill ``t.by_seg`` and ``t.by_label`` with the matches that count where they stand."""
    lowers = t.lowers
    for label, value, rule_id, span in ps.spans(t.doc):
        k = seg_of.get(span.start)
        if k is None:
            continue
        # stems whose row says "position": "clause_initial" ("so you ...", "for you, ...") count only at the
        # start of their clause, not mid-sentence ("I'm telling you so you know", "a reason for you not to")
        initial_only = ps.behaviour(rule_id).position == "clause_initial"
        if _subordinate(t, k, label, rule_id, span, initial_only):
            continue  # subordinate second-person clause: "than you think", "if you want"
        if (label == "imperative" or initial_only) and _not_clause_initial(t, k, span):
            continue  # an instruction verb (or "so you", "for you") only at the start of its clause
        if label == "imperative":
            if span.end < len(lowers) and lowers[span.end] in ("you", "i", "we", "'s", "s", "is", "was", "of"):
                continue  # "stop you", "think i", "stop is": not an instruction
            label = "directive"
        t.by_seg[k].setdefault(label, (value, rule_id, span))
        t.by_label.setdefault(label, []).append((value, rule_id, span))


def _prepare(doc: Doc, context: Sequence[Doc], stmt: list[int]) -> _Turn:
    """The turn's clauses, the matches in each, and the client's words it may echo."""
    segs = _segments(doc, stmt)
    client_words: set[str] = set()
    client_lower: set[str] = set()
    for c in context:
        c_lowers = token_view(c).lowers
        client_words.update(norm(w) for w, is_content in zip(c_lowers, _content_mask(c)) if is_content)
        client_lower.update(c_lowers)
    turn = _Turn(doc, token_view(doc), _content_mask(doc), stmt, segs, [{} for _ in segs], {}, client_words,
                 client_lower, bool(context))
    _clause_matches(turn, pattern_set(doc.vocab), {i: k for k, seg in enumerate(segs) for i in seg})
    return turn


def _score_clause(t: _Turn, k: int) -> _Seg:
    """One clause's score from its stems, second person, echo and counter-evidence."""
    labs, seg = t.by_seg[k], t.segs[k]
    sg = _Seg()
    strong = labs.get("stem")
    directive = labs.get("directive")
    if directive is not None and not (strong is not None and strong[2].start <= directive[2].start):
        sg.directive = True  # MITI Persuade / Giving Information: vetoes the sentence
    if strong is not None:
        sg.score += W_STEM
    elif "weak_stem" in labs:
        sg.score += W_WEAK_STEM
    if "you_stmt" in labs:
        sg.score += W_YOU
    if t.has_context:
        seg_mine = {norm(t.lowers[i]) for i in seg if t.content[i]}
        seg_shared = seg_mine & t.client_words
        ratio = len(seg_shared) / len(seg_mine) if seg_mine else 0.0
        if len(seg_shared) >= ECHO_MIN or (seg_shared and ratio >= ECHO_RATIO):
            sg.score += W_ECHO
            if ratio >= ECHO_RATIO_STRONG:
                sg.score += W_ECHO_STRONG
    if "info" in labs:
        sg.score += W_INFO
        sg.info = True
    if "affirm" in labs:
        sg.score += W_AFFIRM
    if "self" in labs:
        sg.score += W_SELF
    cont = labs.get("continue")
    if k == 0 and cont is not None and cont[2].start == seg[0] and "self" not in labs:
        sg.score += W_CONTINUE
    sg.stem = strong is not None or "weak_stem" in labs
    n_seg_words = sum(1 for i in seg if not t.view.puncts[i])
    sg.reflective = not sg.directive and sg.score >= SCORE_THRESHOLD and (n_seg_words >= MIN_WORDS or strong is not None)
    return sg


def _short_clean_turn_bonuses(t: _Turn, scored: list[_Seg], clean: bool, n_stmt: int) -> None:
    """Second person and stem-less fragments in a short clean statement right after the client speaks."""
    if not clean:
        return
    lowers = t.lowers
    for k, sg in enumerate(scored):
        you = t.by_seg[k].get("you_stmt")
        if (you is not None and not sg.reflective and you[2].end < len(lowers)
                and lowers[you[2].end] not in NOT_REFLECTIVE_AFTER_YOU):
            sg.score += W_SHORT_YOU
            sg.reflective = sg.score >= SCORE_THRESHOLD
    # MITI 4.2.1 counts reflections without "you": a short clean statement or fragment right after a
    # substantive client turn that takes up the client's words or names a feeling ("So the mornings
    # are the worst part.", "Not the best week.", "That's a lot to carry.") and holds no clinician
    # information, advice, self-talk or question.
    if not (FRAGMENTS and n_stmt <= FRAGMENT_MAX_WORDS and len(t.client_words) >= CLIENT_MIN_CONTENT):
        return
    if any(lowers[i] in FIRST_PERSON or lowers[i] in SECOND_PERSON_SUBJECT for i in t.stmt):
        return
    feelings = word_list(FEELINGS_FILE)
    for k, seg in enumerate(t.segs):
        sg = scored[k]
        if sg.reflective or sg.directive:
            continue
        if t.shared(seg) or any(lowers[i] in feelings and lowers[i] not in AMBIGUOUS_FEELINGS for i in seg):
            sg.score = max(sg.score + W_FRAGMENT, SCORE_THRESHOLD)
            sg.reflective = True


def _turn_score(t: _Turn, scored: list[_Seg], real_q: list[Hit], n_stmt: int) -> tuple[float, int]:
    """The turn's score (its best reflective clause, less question and dominance penalties) and that clause."""
    best_k = -1
    for k, sg in enumerate(scored):
        if sg.reflective and (best_k < 0 or sg.score > scored[best_k].score):
            best_k = k
    score = scored[best_k].score if best_k >= 0 else max((sg.score for sg in scored if not sg.directive), default=0.0)
    if real_q:
        score += W_ONLY_QUESTION if n_stmt < MIN_WORDS + 2 else W_HAS_QUESTION
    n_refl = sum(sg.reflective for sg in scored)
    n_against = sum(
        sg.directive or (not sg.reflective and (sg.info or "self" in t.by_seg[k])) for k, sg in enumerate(scored)
    )
    dominated = n_against >= DOMINANT_MIN and n_against >= DOMINANT_RATIO * n_refl
    if best_k < 0 or dominated:
        score = min(score, SCORE_THRESHOLD - 0.5)
    return score, best_k


def _evidence(t: _Turn, best_k: int) -> tuple[list[Hit], bool]:
    """The hits behind the reflection (stem, echo, outweighed counter-evidence) and whether it continues the client."""
    lowers, idxs, orths = t.lowers, t.view.idxs, t.view.orths
    hits: list[Hit] = []
    labs, seg = t.by_seg[best_k], t.segs[best_k]
    for label, kind in (("stem", "stem"), ("weak_stem", "stem"), ("you_stmt", "second_person")):
        if label in labs:
            _, rid, sp = labs[label]
            hits.append(Hit.from_span("reflection", kind, rid, sp))
            break
    seg_shared_toks = [i for i in seg if t.content[i] and norm(lowers[i]) in t.client_words]
    if t.has_context and seg_shared_toks:
        i = seg_shared_toks[0]
        n_sh = len({norm(lowers[j]) for j in seg_shared_toks})
        hits.append(Hit("reflection", "echo", f"r.echo.shared_{n_sh}", idxs[i], idxs[i] + len(orths[i]), orths[i]))
    # counter-evidence that was outweighed, kept for the reader
    for label in ("directive", "info", "affirm", "self"):
        if label in t.by_label:
            _, rid, sp = t.by_label[label][0]
            hits.append(Hit.from_span("reflection", f"against_{label}", rid, sp))
    cont = t.by_seg[0].get("continue")
    continued = cont is not None and cont[2].start == t.segs[0][0] and best_k == 0 and "self" not in t.by_seg[0]
    if continued and cont is not None:
        hits.append(Hit.from_span("reflection", "continue", cont[1], cont[2]))
    return hits, continued


def _complexity(t: _Turn, continued: bool, new_feelings: list[str], mine: set[str], new_ratio: float) -> tuple[str, Hit | None]:
    """Simple or complex, and the hit that shows the added meaning (MITI 4.2.1)."""
    lowers, idxs, orths, stmt = t.lowers, t.view.idxs, t.view.orths, t.stmt
    if "complex" in t.by_label:
        _, rid, sp = t.by_label["complex"][0]
        return "complex", Hit.from_span("reflection", "complex", rid, sp)
    if continued:
        return "complex", None  # continuing the paragraph is a complex reflection in MITI 4.2.1
    if new_feelings:
        i = next(i for i in stmt if lowers[i] == new_feelings[0])
        return "complex", Hit("reflection", "complex", "r.complex.new_feeling", idxs[i], idxs[i] + len(orths[i]), orths[i])
    if t.has_context and len(mine) >= NEW_CONTENT_MIN and new_ratio >= NEW_CONTENT_COMPLEX:
        stmt_end = idxs[stmt[-1]] + len(orths[stmt[-1]])
        whole = t.doc.char_span(idxs[stmt[0]], stmt_end, alignment_mode="expand")
        return "complex", Hit.from_span("reflection", "complex", "r.complex.new_content", whole) if whole is not None else None
    return "simple", None


def reflection_features(doc: Doc, context: Sequence[Doc]) -> tuple[ReflectionFeatures, list[Hit], str | None]:
    """Score one clinician turn; return the features, evidence hits and the sub-type guess.

    Each sentence (clause) of the statement part is scored on its own: a
    directive sentence stays a directive whatever another sentence holds.
    """
    view = token_view(doc)
    puncts, spaces = view.puncts, view.spaces
    n_words = sum(1 for p, sp in zip(puncts, spaces) if not p and not sp)
    q_hits = question_hits(doc)
    stmt = _statement_tokens(doc, q_hits)
    n_stmt = sum(1 for i in stmt if not puncts[i] and not spaces[i])
    if n_stmt < MIN_WORDS:
        return ReflectionFeatures(0.0, n_words, n_stmt, [], 0.0, 0.0, []), [], None
    t = _prepare(doc, context, stmt)
    mine = {norm(t.lowers[i]) for i in stmt if t.content[i]}
    shared = sorted(mine & t.client_words)
    echo_ratio = len(shared) / len(mine) if mine else 0.0
    new_ratio = 1.0 - echo_ratio if mine else 0.0

    scored = [_score_clause(t, k) for k in range(len(t.segs))]
    # In a turn that gives advice or information, a stem-less sentence with an
    # echoed word is most likely part of the advice ("you stay on the train"):
    # there a reflection needs a reflective stem.
    if any(sg.directive or sg.info for sg in scored):
        for sg in scored:
            sg.reflective = sg.reflective and sg.stem
    real_q = [h for h in q_hits if not h.rule_id.startswith(("q.tag.", "q.mark."))]
    # Reflections paraphrase, so shared words are not required here: without a lemmatiser or synonyms,
    # "you didn't go to college for that" after the client talked about jobs shares none.
    clean = (
        t.has_context
        and not real_q
        and n_stmt <= SHORT_YOU_MAX_WORDS
        and not any(sg.directive or sg.info or {"affirm", "self"} & set(t.by_seg[k]) for k, sg in enumerate(scored))
    )
    _short_clean_turn_bonuses(t, scored, clean, n_stmt)
    score, best_k = _turn_score(t, scored, real_q, n_stmt)

    feelings = word_list(FEELINGS_FILE)
    new_feelings = sorted({t.lowers[i] for i in stmt if t.lowers[i] in feelings and t.lowers[i] not in t.client_lower
                           and norm(t.lowers[i]) not in t.client_words})
    feats = ReflectionFeatures(score, n_words, n_stmt, shared, echo_ratio, new_ratio, new_feelings)
    if score < SCORE_THRESHOLD:
        return feats, [], None
    hits, continued = _evidence(t, best_k)
    kind, complex_hit = _complexity(t, continued, new_feelings, mine, new_ratio)
    if complex_hit is not None:
        hits.append(complex_hit)
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
