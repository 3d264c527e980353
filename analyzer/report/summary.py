"""What the first screen of a report says: strengths, growth areas, key moments, change since last time.

Everything here is read off what the pipeline already computed (skill
drivers, turn codes, the session row); nothing is scored anew.  Each
function makes one or two passes over the turns, so a report's cost grows
linearly with the session.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..tables import cell_number as _number

__all__ = [
    "Moment",
    "Point",
    "KeyMoment",
    "clock",
    "strengths_and_growth",
    "key_moments",
    "previous_session",
    "score_changes",
]


def clock(seconds: float | None) -> str:
    """``mm:ss`` (``h:mm:ss`` past an hour), or "" when untimed."""
    if seconds is None:
        return ""
    s = int(round(max(0.0, seconds)))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m:02d}:{sec:02d}"


@dataclass(frozen=True)
class Moment:
    """A turn that shows a point: its number, start time (seconds or None), speaker and a quote."""

    turn: int
    start_s: float | None
    speaker: str
    quote: str


@dataclass(frozen=True)
class Point:
    """A strength or a growth area: the skill, what the figure says, the moment that shows it, one coaching line."""

    skill: str
    headline: str
    moment: Moment | None
    coaching: str


@dataclass(frozen=True)
class KeyMoment:
    """A moment marked on the timeline and listed under it."""

    kind: str  # negative | reply | interruption | silence
    turn: int
    start_s: float | None
    text: str  # what happened, in plain words
    quote: str = ""
    end_s: float | None = None  # silences: where the gap ends


def _quote(text: str, limit: int = 140) -> str:
    from ..skills import quote_around

    return quote_around(text, 0, min(len(text), limit), limit)


def _moment(tc: Any, span: tuple[int, int] | None = None) -> Moment:
    from ..skills import quote_around

    t = tc.turn
    text = quote_around(t.text, *span) if span else _quote(t.text)
    return Moment(t.index, t.start_s, t.speaker, text)


def _substantive(turns: Sequence[Any], role: str) -> list[Any]:
    return [tc for tc in turns if tc.turn.role == role and not tc.backchannel]


def _is_empathic(tc: Any) -> bool:
    return tc.reflection is not None or tc.flags.get("validation", False) or tc.flags.get("emotion_label", False)


def _with_code(turns: Sequence[Any], code: str) -> Moment | None:
    """The first turn carrying ``code``, quoting the words the rule fired on."""
    for tc in turns:
        hits = [h for h in tc.hits if h.code == code]
        if hits or tc.has(code):
            h = hits[0] if hits else None
            if h is not None and h.code != "interruption" and h.end_char > h.start_char:
                return _moment(tc, (h.start_char, h.end_char))
            return _moment(tc)
    return None


def _longest(turns: Sequence[Any], role: str) -> Moment | None:
    cands = _substantive(turns, role)
    return _moment(max(cands, key=lambda tc: tc.n_words)) if cands else None


def _by_pause(turns: Sequence[Any], longest: bool) -> Moment | None:
    cands = [tc for tc in turns if tc.pause_before_response_s is not None]
    if not cands:
        return None
    pick = max if longest else min
    return _moment(pick(cands, key=lambda tc: tc.pause_before_response_s))


def _replies(turns: Sequence[Any]) -> dict[int, Any]:
    """For each substantive client turn (by id), the clinician's next substantive turn, in one backward pass."""
    out: dict[int, Any] = {}
    nxt = None
    for tc in reversed(turns):
        if tc.backchannel:
            continue
        if tc.turn.role == "clinician":
            nxt = tc
        elif tc.turn.role == "client" and nxt is not None:
            out[id(tc)] = nxt
    return out


class _Index:
    """What the moment finders need from the turns, gathered in a few passes and kept (each lookup is then
    cheap: walking every turn once per figure was most of a long session's summary)."""

    def __init__(self, turns: Sequence[Any]) -> None:
        self.turns = turns
        self.by_code: dict[str, list[Any]] = {}
        for tc in turns:
            codes = {h.code for h in tc.hits}
            codes.update(c for c, on in tc.flags.items() if on)
            if tc.question is not None:
                codes.add("question")
            if tc.reflection is not None:
                codes.add("reflection")
            for c in codes:
                self.by_code.setdefault(c, []).append(tc)
        self.client = _substantive(turns, "client")
        self.replies = _replies(turns)
        self._sorted: dict[str, list[Any]] = {}

    def sorted_client(self, key: str) -> list[Any]:
        """Client turns, most negative first (``sentiment``) or longest first (``words``), sorted once."""
        if key not in self._sorted:
            if key == "sentiment":
                self._sorted[key] = sorted((tc for tc in self.client if tc.sentiment is not None),
                                           key=lambda tc: tc.sentiment)
            else:
                self._sorted[key] = sorted(self.client, key=lambda tc: -tc.n_words)
        return self._sorted[key]

    def with_code(self, code: str, used: set[int]) -> Moment | None:
        return _with_code([tc for tc in self.by_code.get(code, []) if tc.turn.index not in used], code)

    def missed_feeling(self, negative_turn: float, used: set[int]) -> Moment | None:
        """The clinician's reply to the client's most negative turn, where that reply did not meet the feeling;
        failing that, the reply after the client's longest story."""
        for tc in self.sorted_client("sentiment"):
            if tc.sentiment > negative_turn:
                break
            reply = self.replies.get(id(tc))
            if reply is not None and not _is_empathic(reply) and reply.turn.index not in used:
                return _moment(reply)
        for tc in self.sorted_client("words"):
            reply = self.replies.get(id(tc))
            if reply is not None and not _is_empathic(reply) and reply.turn.index not in used:
                return _moment(reply)
        return None


def _moment_for(marker: Any, index: _Index, positive: bool, negative_turn: float,
                used: set[int]) -> Moment | None:
    """The turn that best shows what ``marker``'s figure says, in the direction it pulled the score."""
    fig = marker.figure
    found: Moment | None = None
    # "there is a lot of X" (good X, or bad X that lowered the score): quote an X.
    if marker.evidence and positive == marker.higher_is_better:
        found = index.with_code(marker.evidence, used)
    if found is None and "pause" in fig:
        found = _by_pause(index.turns, longest=positive)
    if found is None and ("talk_share" in fig or "story" in fig or "monologue" in fig):
        found = _longest(index.turns, "client" if positive else "clinician")
    if found is None and not positive:
        found = index.missed_feeling(negative_turn, used)
    return found


@dataclass(frozen=True)
class _Figure:
    skill: str
    marker: Any
    raw: float
    score: float
    pull: float
    suggestion: str


def _figures(skills: Any, skill_map: Any, row: Mapping[str, Any]) -> list[_Figure]:
    """Every figure behind a scored skill with its own 0-100 score (the skill map's lines), or the drivers."""
    out: list[_Figure] = []
    specs = {s.key: s for s in getattr(skill_map, "skills", ())}
    row = row if isinstance(row, dict) else dict(row)
    for s in skills.skills:
        if s.score is None:
            continue
        spec = specs.get(s.key)
        if spec is None:  # no map at hand: the top drivers are all there is
            out += [_Figure(s.label, d.marker, d.raw, d.score, d.pull, s.suggestion) for d in s.drivers]
            continue
        for m in spec.markers:
            raw = m.raw(row)
            if raw is not None:
                sc = m.score(raw)
                out.append(_Figure(s.label, m, raw, sc, m.weight * (sc - 50), s.suggestion))
    return out


def figure_value(marker: Any, raw: float) -> str:
    """A figure's value as a reader says it: shares (0-1) and percents as "62%", other numbers as they are."""
    from ..skills import _fmt

    fig = marker.figure
    if not getattr(marker, "per", None) and ("share" in fig or fig.endswith("_rate")):
        return f"{100 * raw:.0f}%"
    if fig.startswith("percent_"):
        return f"{raw:.0f}%"
    return _fmt(raw)


def _headline(f: _Figure) -> str:
    return f"{f.marker.name}: {figure_value(f.marker, f.raw)}"


def strengths_and_growth(skills: Any, turns: Sequence[Any], negative_turn: float = -0.3, n: int = 2,
                         skill_map: Any = None, row: Mapping[str, Any] | None = None) -> tuple[list[Point], list[Point]]:
    """``n`` strengths (the figures that scored best) and ``n`` growth areas (scored worst), each with a moment.

    Every session gets its growth areas, a strong one too: they are the
    figures furthest below the top of their line.  A figure feeding two
    skills is named once, and each point shows a different turn where it can.
    """
    if skills is None or not getattr(skills, "skills", None):
        return [], []
    figs = _figures(skills, skill_map, row or {})
    index = _Index(turns)
    used: set[int] = set()
    seen: set[str] = set()

    def pick(cands: list[_Figure], positive: bool) -> list[Point]:
        with_moment: list[Point] = []
        without: list[Point] = []
        for f in cands:
            if f.marker.figure in seen or len(with_moment) >= n:
                continue
            moment = _moment_for(f.marker, index, positive, negative_turn, used)
            coaching = (f"Keep doing this: it lifted {f.skill.lower()}." if positive
                        else (f.marker.low or f.suggestion or "Look at this together in supervision."))
            p = Point(f.skill, _headline(f), moment, coaching)
            if moment is not None:
                used.add(moment.turn)
                with_moment.append(p)
            else:
                without.append(p)
            seen.add(f.marker.figure)
        return (with_moment + without)[:n]

    strengths = pick(sorted((f for f in figs if f.pull > 0), key=lambda f: (-f.score, -f.pull)), True)
    growth = pick(sorted((f for f in figs if f.score < 100), key=lambda f: (f.score, f.pull)), False)
    return strengths, growth


def key_moments(turns: Sequence[Any], negative_turn: float, silence_s: float,
                n_negative: int = 3, n_each: int = 3) -> list[KeyMoment]:
    """The client's most negative turns with the clinician's reply, interruptions and long silences, by time.

    At most ``n_negative`` negative turns (each with its reply) and ``n_each``
    interruptions and silences (the longest), so the list stays readable.
    """
    replies = _replies(turns)
    client = [tc for tc in _substantive(turns, "client") if tc.sentiment is not None and tc.sentiment <= negative_turn]
    client.sort(key=lambda tc: tc.sentiment)
    out: list[KeyMoment] = []
    for tc in client[:n_negative]:
        t = tc.turn
        out.append(KeyMoment("negative", t.index, t.start_s, f"sentiment {tc.sentiment:+.2f}",
                             _quote(t.text)))
        reply = replies.get(id(tc))
        if reply is not None:
            directive = reply.flags.get("advice") or reply.flags.get("dismissive")
            how = ("met the feeling, then advised or reassured" if _is_empathic(reply) and directive
                   else "met the feeling (reflection or validation)" if _is_empathic(reply)
                   else "advised or reassured instead" if directive
                   else "did not name the feeling")
            out.append(KeyMoment("reply", reply.turn.index, reply.turn.start_s, how,
                                 _quote(reply.turn.text)))
    inter = [tc for tc in turns if tc.interruption]
    for tc in inter[:n_each]:
        out.append(KeyMoment("interruption", tc.turn.index, tc.turn.start_s, "came in before the client had finished",
                             _quote(tc.turn.text)))
    if len(inter) > n_each:
        out.append(KeyMoment("interruption", inter[n_each].turn.index, inter[n_each].turn.start_s,
                             f"and {len(inter) - n_each} more, marked on the timeline"))
    roles = {tc.turn.index: tc.turn.role for tc in turns}
    gaps = silences(turns, silence_s)
    for a, b, idx in sorted(gaps, key=lambda g: g[0] - g[1])[:n_each]:
        out.append(KeyMoment("silence", idx, a, f"{b - a:.0f} s before the {roles[idx]} spoke", end_s=b))
    out.sort(key=lambda k: (k.turn, k.kind != "negative"))
    return out


def silences(turns: Sequence[Any], silence_s: float) -> list[tuple[float, float, int]]:
    """Every gap of at least ``silence_s`` between turns: (start_s, end_s, turn after the gap)."""
    out = []
    prev = None
    for tc in turns:
        t = tc.turn
        if prev is not None and prev.end_s is not None and t.start_s is not None and t.start_s - prev.end_s >= silence_s:
            out.append((prev.end_s, t.start_s, t.index))
        prev = t
    return out


# ------------------------------------------------------------------ change since the previous session


def previous_session(row: Mapping[str, Any], others: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The same clinician's latest session dated before ``row``'s (None without clinician, date or such a session)."""
    clin, date = str(row.get("clinician") or ""), str(row.get("session_date") or "")
    if not clin or not date or date == "nan":
        return None
    best = None
    for o in others:
        d = str(o.get("session_date") or "")
        if str(o.get("clinician") or "") != clin or not d or d >= date or o.get("session_id") == row.get("session_id"):
            continue
        if best is None or d > str(best.get("session_date")):
            best = o
    return best


def score_changes(row: Mapping[str, Any], prev: Mapping[str, Any], keys: Sequence[str]) -> list[tuple[str, float | None]]:
    """(key, change in points) for each ``<key>_score``; None where either session has no score."""
    out = []
    for k in [*keys, "overall"]:
        a, b = _number(prev.get(f"{k}_score")), _number(row.get(f"{k}_score"))
        out.append((k, None if a is None or b is None or math.isnan(a) or math.isnan(b) else round(b - a, 1)))
    return out
