"""Markers: the behaviours a supervisor listens for, per turn and per session.

:func:`code_session` is the one entry point: it takes a Transcript and the
spaCy Docs of its turns (same order) and returns every turn's codes with
their evidence plus the session figures.  Each family lives in its own
module (talk/timing, questions, reflections, lexical, sentiment, clarity);
this module only sequences them and computes the session-level rates.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..model import Transcript, Turn
from .base import Hit
from .registry import REGISTRY
from .settings import MarkerSettings
from .talk import talk_figures, turn_timing

if TYPE_CHECKING:  # the marker families load spaCy: imported when a session is coded, so the registry,
    from spacy.tokens import Doc  # settings and types here stay light (export, --version never load spaCy)

__all__ = ["TurnCodes", "SessionMarkers", "code_session", "Hit", "TURN_FLAGS"]

# 0/1 codes of a clinician turn, in turns.csv order: the built-in ones (REGISTRY.turn_flags() is read
# for every session, so a marker registered at run time is coded too).
TURN_FLAGS = REGISTRY.turn_flags()


@dataclass(eq=False)  # identity, not field equality: turns are compared by position
class TurnCodes:
    """Everything detected in one turn, with evidence."""

    turn: Turn
    n_words: int
    backchannel: bool = False
    question: str | None = None
    reflection: str | None = None
    flags: dict[str, bool] = field(default_factory=dict)
    interruption: bool = False
    pause_before_response_s: float | None = None
    sentiment: float | None = None
    sentence_sentiment: list[float] = field(default_factory=list)
    words_per_sentence: float | None = None
    readability_grade: float | None = None
    n_fillers: int = 0
    n_jargon: int = 0
    hits: list[Hit] = field(default_factory=list)

    def has(self, code: str) -> bool:
        """True when the turn carries ``code`` (a flag, a question or a reflection)."""
        if code == "question":
            return self.question is not None
        if code == "reflection":
            return self.reflection is not None
        return self.flags.get(code, False)

    @property
    def evidence(self) -> str:
        """Short evidence text for the CSV: the rule ids and quoted spans, most important first."""
        return " | ".join(h.quote(60) for h in self.hits)


@dataclass
class SessionMarkers:
    """All turn codes of a session and its figures."""

    transcript: Transcript
    turns: list[TurnCodes]
    figures: dict[str, Any]


def code_session(transcript: Transcript, docs: Iterable[Doc], settings: MarkerSettings) -> SessionMarkers:
    """Detect every marker in every turn of ``transcript`` (``docs`` are its turns' Docs, in order).

    ``settings`` are the run's thresholds (``RunConfig.settings``); nothing here reads models/markers.toml.
    One pass: ``docs`` may be a stream (``nlp.pipe``); each Doc is let go (its caches cleared) as soon
    as no later turn can need it as context, so a session's Docs are never all held at once.
    """
    from .clarity import count_words
    from .lexical import is_backchannel
    from .sentiment import get_scorer

    turns = transcript.turns
    scorer = get_scorer()
    scorer.new_session()
    codes: list[TurnCodes] = []
    flags = REGISTRY.turn_flags()
    timing_at: list[int] = []  # where each turn's timing evidence goes among its hits (after a backchannel's)
    clinician = _ClinicianCoder(settings)
    docs = iter(docs)
    for turn, doc in zip(turns, docs):
        n = count_words(doc)
        bc, bc_hit = is_backchannel(doc, settings.backchannel_max_words)
        tc = TurnCodes(turn=turn, n_words=n, backchannel=bc, flags=dict.fromkeys(flags, False))
        if bc_hit:
            tc.hits.append(bc_hit)
        timing_at.append(len(tc.hits))
        tc.sentiment, tc.sentence_sentiment = scorer.turn_and_sentence_scores(doc)
        codes.append(tc)
        clinician.code(tc, doc)
    clinician.release()
    if len(codes) != len(turns) or next(docs, None) is not None:
        raise ValueError("one Doc per turn is required")

    timing = turn_timing(turns, [c.backchannel for c in codes], settings)
    for tc, tm, k in zip(codes, timing, timing_at):
        tc.pause_before_response_s = tm.pause_before_response_s
        tc.interruption = tm.interruption
        if tm.evidence:
            tc.hits.insert(k, tm.evidence)

    figures = talk_figures(turns, [c.n_words for c in codes], [c.backchannel for c in codes], timing, settings)
    figures.update(_code_figures(codes, settings))
    return SessionMarkers(transcript, codes, figures)


class _ClinicianCoder:
    """Questions, reflections, lexical markers and clarity for each clinician turn, in context.

    Holds only the Docs a later turn may read: the client's last two substantive turns since the
    clinician spoke, the clinician's previous turn and the client's previous turn.
    """

    def __init__(self, settings: MarkerSettings) -> None:
        self.settings = settings
        self.client_context: list[Doc] = []  # client turns since the clinician last spoke (backchannels left out)
        self.prev_clinician: Doc | None = None
        self.prev_client: Doc | None = None
        self.client_turns_so_far = 0
        from .clarity import clarity
        from .lexical import code_lexical
        from .questions import classify_question
        from .reflections import classify_reflection

        self.families = classify_question, classify_reflection, code_lexical, clarity
        self.lexical_codes = REGISTRY.module_codes(code_lexical.__module__)
        self._held: list[Doc] = []

    def code(self, tc: TurnCodes, doc: Doc) -> None:
        self._code(tc, doc)
        self._let_go(doc)

    def _code(self, tc: TurnCodes, doc: Doc) -> None:
        role = tc.turn.role
        if role == "client":
            if not tc.backchannel:
                self.client_context = self.client_context[-1:] + [doc]  # only the last two are ever read
                self.prev_client = doc
                self.client_turns_so_far += 1
            return
        if role != "clinician" or tc.backchannel:
            return
        classify_question, classify_reflection, code_lexical, clarity = self.families
        q, q_hits = classify_question(doc)
        r, r_hits = classify_reflection(doc, self.client_context[-2:])
        lex = code_lexical(doc, self.prev_clinician, self.prev_client)
        tc.question, tc.reflection = q, r
        tc.hits.extend(r_hits + q_hits)
        for code in self.lexical_codes:
            found = lex.get(code, [])
            if found:
                tc.flags[code] = True
                tc.hits.extend(found)
        if tc.flags["advice"] and self.client_turns_so_far < self.settings.premature_before_client_turns:
            tc.flags["premature_advice"] = True
        c = clarity(doc)
        tc.words_per_sentence = c["words_per_sentence"]
        tc.readability_grade = c["readability_grade"]
        tc.n_fillers = len(c["fillers"])
        tc.n_jargon = len(c["jargon"])
        tc.hits.extend(c["jargon"])
        self.prev_clinician = doc
        self.client_context = []

    def _let_go(self, doc: Doc) -> None:
        """Clear the caches of Docs no later turn can read.  They point back to their Doc (token lists,
        matched Spans): clearing breaks those cycles, so reference counting frees each Doc at once
        instead of leaving it to the cycle collector."""
        keep = [d for d in (self.prev_clinician, self.prev_client, *self.client_context) if d is not None]
        for d in self._held + [doc]:
            if not any(d is k for k in keep):
                d.user_data.clear()
        self._held = keep

    def release(self) -> None:
        for d in self._held:
            d.user_data.clear()
        self._held = []
        self.client_context, self.prev_clinician, self.prev_client = [], None, None


def _mean(values: Sequence[float]) -> float | None:
    return round(statistics.fmean(values), 3) if values else None


def _miti_band(value: float | None, fair: float, good: float) -> str:
    """``below fair``, ``fair`` or ``good`` against published thresholds; empty without a value."""
    if value is None:
        return ""
    return "good" if value >= good else "fair" if value >= fair else "below fair"


def _ratio(a: float, b: float, digits: int = 3) -> float | None:
    return round(a / b, digits) if b else None


def _next_client_turns(codes: list[TurnCodes]) -> list[TurnCodes | None]:
    """For each turn, the client's next substantive turn before the clinician speaks again (one backward pass)."""
    out: list[TurnCodes | None] = [None] * len(codes)
    nxt: TurnCodes | None = None
    for i in range(len(codes) - 1, -1, -1):
        out[i] = nxt
        tc = codes[i]
        if tc.backchannel:
            continue
        if tc.turn.role == "client":
            nxt = tc
        elif tc.turn.role == "clinician":
            nxt = None
    return out


def _code_figures(codes: list[TurnCodes], settings: MarkerSettings) -> dict[str, Any]:
    """Counts, rates, MITI summary scores, sentiment and clarity figures for the session."""
    clin = [c for c in codes if c.turn.role == "clinician" and not c.backchannel]
    client = [c for c in codes if c.turn.role == "client" and not c.backchannel]
    n_q = sum(c.question is not None for c in clin)
    n_open = sum(c.question == "open" for c in clin)
    n_r = sum(c.reflection is not None for c in clin)
    n_cr = sum(c.reflection == "complex" for c in clin)
    clin_words = sum(c.n_words for c in clin)
    f: dict[str, Any] = {
        "n_clinician_turns": len(clin),
        "n_client_turns": len(client),
        "n_backchannels": sum(c.backchannel for c in codes),
        "n_questions": n_q,
        "n_open_questions": n_open,
        "n_closed_questions": n_q - n_open,
        "n_reflections": n_r,
        "n_complex_reflections": n_cr,
    }
    for flag in REGISTRY.turn_flags():
        f[f"n_{flag}"] = sum(c.flags.get(flag, False) for c in clin)
    f["questions_per_clinician_turn"] = _ratio(n_q, len(clin))
    f["reflections_per_clinician_turn"] = _ratio(n_r, len(clin))
    f["open_question_share"] = _ratio(n_open, n_q)
    # MITI 4.2.1 summary scores: R:Q fair 1, good 2; %CR fair 40, good 50 (Moyers et al. 2016).
    f["reflection_to_question_ratio"] = _ratio(n_r, n_q, 2)
    f["complex_reflection_share"] = _ratio(n_cr, n_r)
    for figure, (fair, good) in settings.miti.items():
        f[f"{figure}_band"] = _miti_band(f[figure], fair, good)

    # Response-contingent: how much the client says next, after a reflection vs after a question.
    next_client = _next_client_turns(codes)
    after_r, after_q = [], []
    for c, nxt in zip(codes, next_client):
        if c.turn.role != "clinician" or c.backchannel or nxt is None:
            continue
        if c.reflection is not None and c.question is None:
            after_r.append(nxt.n_words)
        elif c.question is not None and c.reflection is None:
            after_q.append(nxt.n_words)
    f["client_words_after_reflection"] = _mean(after_r)
    f["client_words_after_question"] = _mean(after_q)

    f.update(_sentiment_figures(codes, clin, client, next_client, settings))

    # Clarity of the clinician's speech.
    wps = [(c.words_per_sentence, c.n_words) for c in clin if c.words_per_sentence is not None]
    f["clinician_words_per_sentence"] = (
        round(sum(w * n for w, n in wps) / sum(n for _, n in wps), 1) if wps and sum(n for _, n in wps) else None
    )
    grades = [(c.readability_grade, c.n_words) for c in clin if c.readability_grade is not None and c.n_words >= 10]
    f["clinician_readability_grade"] = (
        round(sum(g * n for g, n in grades) / sum(n for _, n in grades), 1) if grades else None
    )
    f["jargon_per_1000_words"] = _ratio(1000 * sum(c.n_jargon for c in clin), clin_words, 2)
    f["fillers_per_100_words"] = _ratio(100 * sum(c.n_fillers for c in clin), clin_words, 2)
    return f


def _sentiment_figures(
    codes: list[TurnCodes],
    clin: list[TurnCodes],
    client: list[TurnCodes],
    next_client: list[TurnCodes | None],
    s: MarkerSettings,
) -> dict[str, Any]:
    """Client arc, shifts, recovery after negative peaks, and what the clinician does after a negative turn."""
    scores = [c.sentiment for c in client if c.sentiment is not None]
    f: dict[str, Any] = {}
    k = max(1, round(len(scores) * s.arc_fraction)) if scores else 0
    f["client_sentiment_mean"] = _mean(scores)
    f["client_sentiment_start"] = _mean(scores[:k]) if len(scores) >= 3 else None
    f["client_sentiment_end"] = _mean(scores[-k:]) if len(scores) >= 3 else None
    f["client_sentiment_change"] = (
        round(f["client_sentiment_end"] - f["client_sentiment_start"], 3) if f["client_sentiment_start"] is not None else None
    )
    f["n_client_sentiment_shifts"] = sum(abs(b - a) >= s.shift for a, b in zip(scores, scores[1:]))
    negatives = [i for i, v in enumerate(scores) if v <= s.negative_turn]
    recovered = sum(
        any(later - scores[i] >= s.recovery_rise for later in scores[i + 1 : i + 1 + s.recovery_window_turns])
        for i in negatives
    )
    f["n_client_negative_turns"] = len(negatives)
    f["client_recovery_share"] = _ratio(recovered, len(negatives))

    # What the clinician does right after a clearly negative client turn.
    empathic = directive = responded = 0
    after_empathic: list[float] = []
    after_directive: list[float] = []
    prev_client: TurnCodes | None = None
    for i, c in enumerate(codes):
        if c.backchannel:
            continue
        if c.turn.role == "client":
            prev_client = c
            continue
        if c.turn.role != "clinician":
            continue
        is_empathic = c.reflection is not None or c.flags["validation"] or c.flags["emotion_label"]
        is_directive = c.flags["advice"] or c.flags["dismissive"]
        if prev_client is not None and prev_client.sentiment is not None and prev_client.sentiment <= s.negative_turn:
            responded += 1
            empathic += is_empathic
            directive += is_directive and not is_empathic
        nxt = next_client[i]
        if nxt is not None and nxt.sentiment is not None:
            if is_empathic:
                after_empathic.append(nxt.sentiment)
            elif is_directive:
                after_directive.append(nxt.sentiment)
        prev_client = None
    f["n_responses_to_negative"] = responded
    f["empathic_response_to_negative_share"] = _ratio(empathic, responded)
    f["directive_response_to_negative_share"] = _ratio(directive, responded)
    f["client_sentiment_after_empathic"] = _mean(after_empathic)
    f["client_sentiment_after_directive"] = _mean(after_directive)
    clin_scores = [c.sentiment for c in clin if c.sentiment is not None]
    f["clinician_sentiment_sd"] = round(statistics.pstdev(clin_scores), 3) if len(clin_scores) >= 3 else None
    return f
