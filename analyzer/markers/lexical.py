"""Lexical markers of one clinician turn: affirmation, validation, emotion labels, advice (with or without
permission), dismissive responses, summaries and checks for understanding; plus backchannels and fillers.

Every marker is a pattern file under models/patterns/ (phrases on lower-case tokens or spaCy ``Matcher``
token patterns), so the rules work on unpunctuated speech-to-text output and a supervisor can extend them
without touching code.  Each file may carry a ``<label>_not`` label: a match of it cancels a match of
``<label>`` that it overlaps and starts at or before (e.g. ``advice_not`` "you feel you should" cancels the advice cue "you should"),
and a ``<label>_scope_not`` label: a frame ("it sounds like", "being told") that cancels matches a few words on in
the same sentence, unless they are in the clinician's own voice ("I think you should").

Advice follows MITI 4.2.1 (Moyers et al. 2016): *Persuade* (``advice``) versus *Persuade with Permission*
(``advice_with_permission``), the latter when this turn asks permission or stresses the client's autonomy,
when the clinician's previous turn asked permission and the client's reply did not refuse, or when the
client's previous turn asked for advice.
"""

from __future__ import annotations

from bisect import bisect_right
from functools import lru_cache
from typing import Any

from spacy.tokens import Doc, Span, Token
from spacy.vocab import Vocab

from ..resources import load_jsonl, word_list
from .base import Hit
from .patterns import DEFAULT_BEHAVIOUR, PatternSet, RuleBehaviour, load_pattern_set
from .questions import clause_starts, question_hits
from .registry import REGISTRY
from .rule_context import allowed, question_openers
from .text import TokenView, register_view_getter, token_view, vocab_cached, word_bounds

# The codes this module finds and the pattern files it reads are declared in the marker registry
# (analyzer/markers/registry.py); these are the built-in ones, and the code reads the registry live.
LEXICAL_CODES = REGISTRY.module_codes(__name__)
FILLER_FILE = "patterns/fillers.jsonl"
FILLER_LEXICON = "lexicons/fillers.txt"


def marker_files() -> tuple[str, ...]:
    """The pattern files of the flags coded here (the registry's), without the filler rules."""
    return tuple(f for f in REGISTRY.data_files(__name__, ".jsonl") if f != FILLER_FILE)


MARKER_FILES = marker_files()  # the built-in ones
BACKCHANNEL_LEXICON = "lexicons/backchannels.txt"
EMOTION_LEXICON = "lexicons/emotion_words.txt"

EMOTION_ATTR = "sa_emotion_word"
# Advice cues with this value are questions themselves ("why don't you ..."); any other advice cue inside a
# sentence that ends with "?" is asking the client, not advising (MITI codes it as a question).
QUESTION_FORM = "question_form"  # pattern value in models/patterns/advice.jsonl
# A ``<label>_scope_not`` frame (reflection / reported speech) covers matches this many tokens after its end.
SCOPE_TOKENS = 12
# Matches starting with these words speak in the clinician's own voice and are never covered by a scope frame.
OWN_VOICE = frozenset({"i", "my", "if", "we", "our"})
# A reported-speech frame right after the clinician's own "I" ("I need to tell you ...", "I'm telling you ...") is the
# clinician speaking, not a report of someone else's words: it covers nothing.  Words allowed between "I" and the frame:
FRAME_OWN_VOICE_GAP = frozenset(
    {"'m", "m", "am", "need", "have", "got", "to", "ta", "want", "wan", "na", "just", "really", "honestly", "'ll", "ll",
     "will", "'d", "d", "would", "do", "gon", "going", "'ve", "ve", "must", "should", "also", "um", "uh", "i"}
)
# --------------------------------------------------------------------------- emotion-word token attribute


@lru_cache(maxsize=1)
def _emotion_words() -> tuple[frozenset[str], dict[str, tuple[tuple[str, ...], ...]]]:
    single: set[str] = set()
    multi: dict[str, list[tuple[str, ...]]] = {}
    for entry in word_list(EMOTION_LEXICON):
        parts = entry.split()
        if len(parts) == 1:
            single.add(entry)
        else:
            multi.setdefault(parts[0], []).append(tuple(parts[1:]))
    return frozenset(single), {k: tuple(v) for k, v in multi.items()}


def _is_emotion_word(token: Token) -> bool:
    single, multi = _emotion_words()
    low = token.lower_
    if low in single:
        return True
    for rest in multi.get(low, ()):
        nxt = token.doc[token.i + 1 : token.i + 1 + len(rest)]
        if tuple(t.lower_ for t in nxt) == rest:
            return True
    return False


def _emotion_flags(view: TokenView) -> list[bool]:
    """``_is_emotion_word`` for every token of a Doc at once, from its lower-case forms."""
    single, multi = _emotion_words()
    lowers = view.lowers
    out = []
    for i, low in enumerate(lowers):
        hit = low in single
        if not hit:
            for rest in multi.get(low, ()):
                if tuple(lowers[i + 1 : i + 1 + len(rest)]) == rest:
                    hit = True
                    break
        out.append(hit)
    return out


if not Token.has_extension(EMOTION_ATTR):
    Token.set_extension(EMOTION_ATTR, getter=_is_emotion_word)
register_view_getter(EMOTION_ATTR, _emotion_flags)  # pattern matching reads the whole Doc's values at once


# --------------------------------------------------------------------------- compiled pattern sets

def _patterns(vocab: Vocab) -> PatternSet:
    return load_pattern_set(vocab, *marker_files())


def _filler_patterns(vocab: Vocab) -> PatternSet:
    def build() -> PatternSet:
        rows, _ = load_jsonl(FILLER_FILE)
        rows = list(rows) + [
            {"label": "filler", "id": f"filler:{w}", "pattern": w, "value": w} for w in sorted(word_list(FILLER_LEXICON))
        ]
        return PatternSet(vocab, rows, source=f"models/{FILLER_FILE}, models/{FILLER_LEXICON}")

    return vocab_cached(vocab, (FILLER_FILE, FILLER_LEXICON), build)


def _by_label(ps: PatternSet, doc: Doc) -> dict[str, list[tuple[str, str, Span]]]:
    out: dict[str, list[tuple[str, str, Span]]] = {}
    for label, value, rule_id, span in ps.spans(doc):
        out.setdefault(label, []).append((value, rule_id, span))
    return out


class _TurnContext:
    """Clause starts and question openers of one turn, computed when a rule's data row first asks for them."""

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self._starts: set[int] | None = None
        self._questions: list[int] | None = None

    @property
    def clause_starts(self) -> set[int]:
        if self._starts is None:
            self._starts = clause_starts(self.doc)
        return self._starts

    @property
    def question_starts(self) -> list[int]:
        if self._questions is None:
            idxs = token_view(self.doc).idxs
            self._questions = question_openers(question_hits(self.doc), lambda c: bisect_right(idxs, c) - 1)
        return self._questions


def _kept(found: dict[str, list[tuple[str, str, Span]]], label: str, ps: PatternSet,
          ctx: _TurnContext | None = None) -> list[tuple[str, str, Span]]:
    """Matches of ``label`` not cancelled by a ``<label>_not`` match, a ``<label>_scope_not`` frame or their own
    data row's behaviour (models/patterns rows: ``position``, ``not_in_question``, ``unless_next``).

    A cancelling context is left context: it cancels a match it overlaps and that it starts at or before
    ("you feel [you should]", "[if you need] to"), never one that merely ends where it begins
    ("why don't [you take ...]" stays advice).
    """
    blockers = [s for _, _, s in found.get(label + "_not", [])]
    frames = [(r, s) for _, r, s in found.get(label + "_scope_not", [])]
    out = []
    for v, r, s in found.get(label, []):
        if any(b.start <= s.start < b.end for b in blockers) or any(_in_scope(f, s, ps.behaviour(fr)) for fr, f in frames):
            continue
        b = ps.behaviour(r)
        if b.depends_on_context and ctx is not None and not allowed(b, s, ctx.clause_starts, ctx.question_starts):
            continue
        out.append((v, r, s))
    return out


def _in_scope(frame: Span, span: Span, behaviour: RuleBehaviour = DEFAULT_BEHAVIOUR) -> bool:
    """A ``<label>_scope_not`` frame ("it sounds like", "being told") covers a match that starts inside it or after it
    in the same sentence, at most ``SCOPE_TOKENS`` tokens on (unpunctuated speech is one long sentence), unless the
    match is in the clinician's own voice ("... I think you should", "my advice"): those cues open a new clause.
    A frame whose row sets ``covers_own_voice`` (a denial, "I'm not saying ...") covers the clinician's voice too."""
    if not frame.start <= span.start <= frame.end + SCOPE_TOKENS or span.sent.start != frame.sent.start:
        return False
    if behaviour.covers_own_voice:
        return True
    if _own_voice_frame(frame):
        return False
    return span[0].lower_ not in OWN_VOICE


def _own_voice_frame(frame: Span) -> bool:
    """True when ``frame`` follows the clinician's "I" with only auxiliaries between ("I need to tell you", "I'm
    telling you"): works mid-turn in unpunctuated text as well."""
    doc = frame.doc
    i = frame.start - 1
    while i >= max(0, frame.start - 5):
        low = doc[i].lower_
        if low == "i":
            return True
        if low not in FRAME_OWN_VOICE_GAP:
            return False
        i -= 1
    return False


def _in_question(span: Span) -> bool:
    """True when the sentence holding ``span`` ends with a question mark (only possible in punctuated text)."""
    sent = span.sent
    for t in reversed(sent):
        if not t.is_space:
            return "?" in t.text
    return False


def _hits(code: str, matches: list[tuple[str, str, Span]]) -> list[Hit]:
    return [Hit.from_span(code, v, r, s) for v, r, s in matches]


# --------------------------------------------------------------------------- the markers


def code_lexical(doc: Doc, prev_clinician: Doc | None = None, prev_client: Doc | None = None) -> dict[str, list[Hit]]:
    """For one clinician turn: code -> evidence hits (empty list = not present).

    ``advice_with_permission`` when advice comes with permission asked (or autonomy stressed) in this turn,
    or permission asked in the clinician's previous turn and not refused by the client's reply, or advice
    asked for by the client's previous turn; ``advice`` is advice/persuasion WITHOUT permission (MITI 4.2.1
    Persuade vs Persuade with Permission).  A cue that is also dismissive ("stop worrying") counts as
    dismissive only.
    """
    ps = _patterns(doc.vocab)
    found = _by_label(ps, doc)
    out: dict[str, list[Hit]] = {c: [] for c in REGISTRY.module_codes(__name__)}
    ctx = _TurnContext(doc)
    for code in REGISTRY.phrase_codes():
        out[code] = _hits(code, _kept(found, code, ps, ctx))

    dismissive = [(h.start_char, h.end_char) for h in out["dismissive"]]
    advice = [
        m
        for m in _kept(found, "advice", ps, ctx)
        if not any(m[2].start_char < e and s < m[2].end_char for s, e in dismissive)
        and (m[0] == QUESTION_FORM or not _in_question(m[2]))
    ]
    if found.get("advice_options"):
        # Soft proposals (rows with "soft_proposal": true: "you could try", "maybe you could"): when the same turn
        # lays out a menu (an ``advice_options`` match, "either ... or", "another option"), MITI 4.2.1 codes the
        # offer as options left to the client (Emphasize Autonomy), not Persuade; directive cues stay advice.
        advice = [m for m in advice if not ps.behaviour(m[1]).soft_proposal]
    if not advice:
        return out

    permission = _kept(found, "permission", ps)
    reason: str | None = None
    if permission:
        reason = "this_turn"
    else:
        reason = _permission_from_context(ps, prev_clinician, prev_client)
    if reason is None:
        out["advice"] = _hits("advice", advice)
    else:
        hits = [Hit.from_span("advice_with_permission", f"{reason}", r, s) for _, r, s in advice]
        hits += [Hit.from_span("advice_with_permission", "permission", r, s) for _, r, s in permission]
        out["advice_with_permission"] = sorted(hits, key=lambda h: h.start_char)
    return out


def _permission_from_context(ps: PatternSet, prev_clinician: Doc | None, prev_client: Doc | None) -> str | None:
    """Why earlier turns grant permission (``"client_asked:<rule>"`` / ``"prev_turn:<rule>"``), or None."""
    client = _by_label(ps, prev_client) if prev_client is not None and len(prev_client) else {}
    if client.get("advice_request"):
        return "client_asked:" + client["advice_request"][0][1]
    if prev_clinician is None or not len(prev_clinician):
        return None
    asked = [m for m in _kept(_by_label(ps, prev_clinician), "permission", ps) if m[0] == "asked"]
    if not asked:
        return None
    refused = bool(client.get("refusal")) and not client.get("agreement")
    return None if refused else "prev_turn:" + asked[-1][1]


# --------------------------------------------------------------------------- backchannels and fillers


@lru_cache(maxsize=1)
def _backchannel_entries() -> tuple[frozenset[tuple[str, ...]], int]:
    entries: set[tuple[str, ...]] = set()
    for e in word_list(BACKCHANNEL_LEXICON):
        parts = tuple(e.replace("-", " ").split())
        entries.add(parts)
        entries.add(("".join(parts),))  # "mm hmm" also as the joined "mmhmm" ("mm-hmm" tokenised and re-joined)
    return frozenset(entries), max(len(p) for p in entries)


def _word_texts(doc: Doc) -> list[str]:
    v = token_view(doc)
    lowers, puncts = v.lowers, v.puncts
    return ["".join(lowers[i] for i in range(s, e) if not puncts[i]) for s, e in word_bounds(doc)]


def is_backchannel(doc: Doc, max_words: int) -> tuple[bool, Hit | None]:
    """A short turn made only of backchannel tokens ("mm-hmm", "yeah", "right", "okay", "i see" ...),
    punctuated or not, optionally with fillers ("um, okay"); at most ``max_words`` words (the run's
    ``[backchannel] max_words``).  The hit spans the whole turn, rule ``lexicon:backchannels``."""
    words = _word_texts(doc)
    if not words or len(words) > max_words:
        return False, None
    entries, longest = _backchannel_entries()
    fillers = word_list(FILLER_LEXICON)
    i, seen_bc = 0, False
    while i < len(words):
        for n in range(min(longest, len(words) - i), 0, -1):
            if tuple(words[i : i + n]) in entries:
                i += n
                seen_bc = True
                break
        else:
            if words[i] in fillers:
                i += 1
                continue
            return False, None
    if not seen_bc:
        return False, None
    return True, Hit.from_span("backchannel", "1", "lexicon:backchannels", doc)


def filler_hits(doc: Doc) -> list[Hit]:
    """Filled pauses and discourse fillers (models/lexicons/fillers.txt plus the context rules of
    models/patterns/fillers.jsonl); the hit's span is the filler itself, ``value`` its normal form."""
    ps = _filler_patterns(doc.vocab)
    # raw matches, not PatternSet.spans(): context rules include neighbouring words ("and like I"), which
    # must not swallow an adjacent filler ("um, like, you know") when overlaps are resolved
    lowers = token_view(doc).lowers
    fillers: dict[tuple[int, int], str] = {}  # (start, end) of the filler -> rule id
    blockers: list[tuple[int, int]] = []
    for rule_id, start, end in ps.matches(doc):
        label, value = ps.meta[rule_id]
        if label == "filler_not":
            blockers.append((start, end))
        elif label == "filler":
            fillers.setdefault(_narrow(lowers, start, end, value), rule_id)
    out = []
    for (start, end), rule_id in sorted(fillers.items()):
        if any(start < b_end and b_start < end for b_start, b_end in blockers):
            continue
        if any(s <= start and end <= e and (s, e) != (start, end) for s, e in fillers):
            continue  # inside a longer filler
        out.append(Hit.from_span("filler", ps.meta[rule_id][1], rule_id, doc[start:end]))
    return out


def _narrow(lowers: list[str], start: int, end: int, value: str) -> tuple[int, int]:
    """The part of a context match ``start:end`` that is the filler itself ("and like I" -> "like")."""
    parts = value.split()
    n = len(parts)
    for i in range(start, end - n + 1):
        if lowers[i : i + n] == parts:
            return i, i + n
    return start, end


def pattern_files() -> tuple[str, ...]:
    """The models/ files this module reads (for documentation and checks)."""
    return marker_files() + (FILLER_FILE, FILLER_LEXICON, BACKCHANNEL_LEXICON, EMOTION_LEXICON)


__all__: list[Any] = ["LEXICAL_CODES", "code_lexical", "is_backchannel", "filler_hits"]
