"""The four skills, scored 0-100 from marker figures through an editable skill map.

Pure arithmetic over a session's figures: each marker figure is read off the
piecewise-linear line through its ``points`` in models/skill_map.toml, and a
skill is the weighted mean of the marker scores that the session can
support.  Every score carries the figures that moved it most, quotes of the
turns behind them, and one coaching suggestion; a skill the session cannot
support (too few turns, no timestamps for most of its figures) is empty with
the reason, never a misleading number.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .checks import Key, read_keys
from .errors import ConfigError
from .resources import load_toml
from .tables import SESSION_COLUMNS
from .tables import cell_number as _number

if TYPE_CHECKING:
    from .markers import TurnCodes
    from .pipeline import SessionResult

BANDS = ("needs work", "fair", "good")


@dataclass(frozen=True)
class MarkerSpec:
    """One marker figure feeding a skill."""

    figure: str
    weight: float
    points: tuple[tuple[float, float], ...]
    rationale: str
    per: str | None = None
    evidence: str | None = None
    low: str = ""
    label: str = ""

    @property
    def higher_is_better(self) -> bool:
        """True when the score rises with the raw figure (reflections), False when it falls (interruptions)."""
        return self.points[-1][1] >= self.points[0][1]

    @property
    def name(self) -> str:
        if self.label:
            return self.label
        if not self.per:
            return self.figure
        # "n_interruptions" per "n_client_turns" reads as "interruptions per client turn"
        return f"{self.figure.removeprefix('n_')} per {self.per.removeprefix('n_').removesuffix('s').replace('_', ' ')}"

    def raw(self, row: dict[str, Any]) -> float | None:
        """The raw figure for a session row, or None where the session cannot support it."""
        value = _number(row.get(self.figure))
        if value is None:
            return None
        if self.per:
            denom = _number(row.get(self.per))
            if not denom:
                return None
            value = value / denom
        return value

    def score(self, raw: float) -> float:
        """Read ``raw`` off the line through ``points``, clipped at both ends."""
        pts = self.points
        if raw <= pts[0][0]:
            return pts[0][1]
        for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
            if raw <= x1:
                return y0 + (y1 - y0) * (raw - x0) / (x1 - x0)
        return pts[-1][1]


@dataclass(frozen=True)
class SkillSpec:
    key: str
    label: str
    about: str
    markers: tuple[MarkerSpec, ...]


@dataclass(frozen=True)
class SkillMap:
    """A validated skill map."""

    source: str
    skills: tuple[SkillSpec, ...]
    fair: float
    good: float
    min_clinician_turns: int
    min_client_turns: int
    min_weight_share: float
    overall_weights: dict[str, float]
    overall_min_skills: int

    def band(self, score: float | None) -> str:
        if score is None:
            return ""
        return BANDS[0] if score < self.fair else BANDS[1] if score < self.good else BANDS[2]


@dataclass(frozen=True)
class Quote:
    """A turn quoted as evidence for a figure."""

    turn: int
    start_s: float | None
    speaker: str
    code: str
    text: str


@dataclass(frozen=True)
class Driver:
    """A figure that moved a skill score, and by how much (weighted distance from the neutral 50)."""

    marker: MarkerSpec
    raw: float
    score: float
    pull: float

    def describe(self) -> str:
        # Said in words, not arrows: this text lands in spreadsheet cells a clinician reads.
        way = "raised the score" if self.pull > 0 else "lowered the score"
        return f"{self.marker.name} = {_fmt(self.raw)} ({way}; this figure alone scores {self.score:.0f}/100)"


@dataclass
class SkillScore:
    """A skill's score for one session, with what it rests on."""

    key: str
    label: str
    score: float | None
    band: str
    drivers: list[Driver] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    suggestion: str = ""
    reason: str = ""  # why the score is empty, or which figures were missing
    missing: list[str] = field(default_factory=list)  # figures (sessions.csv columns) the session lacks
    low: float | None = None  # 90% interval (analyzer/uncertainty.py), set after scoring
    high: float | None = None
    uncertain: bool | None = None  # interval wider than max_width (models/uncertainty.toml)


@dataclass
class SessionSkills:
    skills: list[SkillScore]
    overall: float | None
    overall_band: str
    overall_low: float | None = None  # 90% interval of the overall score
    overall_high: float | None = None
    overall_uncertain: bool | None = None

    def by_key(self, key: str) -> SkillScore:
        return next(s for s in self.skills if s.key == key)


def _fmt(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".") if abs(x) < 100 else f"{x:.0f}"


# ------------------------------------------------------------------ loading


def _require(cond: bool, label: str, key: str, msg: str) -> None:
    if not cond:
        raise ConfigError(f"{key}: {msg}", path=label)


def _num(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def figure_names() -> list[str]:
    """Figures a skill map may name: every numeric column of sessions.csv."""
    return [c for c in SESSION_COLUMNS if c not in _TEXT_COLUMNS and not c.endswith("_band")]


def evidence_codes() -> tuple[str, ...]:
    """Codes a skill map may quote as evidence: the markers of the registry (analyzer/markers/registry.py)."""
    from .markers.registry import REGISTRY

    return REGISTRY.evidence_codes()


_TEXT_COLUMNS = {
    "session_id", "source", "format", "encoding", "pipeline", "clinician_speaker", "client_speaker",
    "talk_time_basis", "pause_basis", "interruption_basis",
}
_MARKER_KEYS = {"figure", "label", "per", "weight", "points", "rationale", "evidence", "low"}


# The map's plain limits, read by the declarative checker (the skills and their markers are checked below).
_LIMIT_KEYS = (
    Key("evidence.min_clinician_turns", "whole", default=5),
    Key("evidence.min_client_turns", "whole", default=3),
    Key("evidence.min_weight_share", "share", default=0.5),
    Key("overall.min_skills", "whole", default=3),
)


def load_skill_map(path: str | Path | None = None) -> SkillMap:
    """Load and validate models/skill_map.toml (or a supervisor's copy at ``path``).

    A wrong figure name, weight or range raises ConfigError naming the file,
    the key and what is allowed.
    """
    data, label = load_toml(Path(path) if path else "skill_map.toml")
    allowed = figure_names()
    bands = data.get("bands", {})
    fair, good = bands.get("fair", 50), bands.get("good", 75)
    _require(_num(fair) and _num(good) and 0 <= fair < good <= 100, label, "bands", "need 0 ≤ fair < good ≤ 100")
    skills_data = data.get("skills")
    _require(isinstance(skills_data, dict) and bool(skills_data), label, "skills", "at least one [skills.NAME] table is required")
    assert isinstance(skills_data, dict)  # checked just above
    skills: list[SkillSpec] = []
    for key, spec in skills_data.items():
        where = f"skills.{key}"
        _require(isinstance(spec, dict), label, where, "must be a table")
        _require(key.isidentifier() and key.islower(), label, where, "skill names are lower_case identifiers")
        markers_data = spec.get("markers")
        _require(isinstance(markers_data, list) and bool(markers_data), label, f"{where}.markers",
                 "at least one [[...markers]] entry is required")
        markers = []
        for i, m in enumerate(markers_data):
            mw = f"{where}.markers[{i}]"
            _require(isinstance(m, dict), label, mw, "must be a table")
            unknown = set(m) - _MARKER_KEYS
            _require(not unknown, label, mw, f"unknown key(s) {sorted(unknown)}; allowed: {sorted(_MARKER_KEYS)}")
            fig = m.get("figure")
            _require(fig in allowed, label, f"{mw}.figure",
                     f"unknown figure {fig!r}; allowed: any numeric column of sessions.csv, e.g. {', '.join(allowed[-8:])}")
            per = m.get("per")
            _require(per is None or per in allowed, label, f"{mw}.per", f"unknown figure {per!r}; allowed: {', '.join(allowed)}")
            w = m.get("weight")
            _require(_num(w) and w > 0, label, f"{mw}.weight", f"must be a number > 0, got {w!r}")
            pts = m.get("points")
            ok = (isinstance(pts, list) and len(pts) >= 2
                  and all(isinstance(p, list) and len(p) == 2 and _num(p[0]) and _num(p[1]) for p in pts))
            _require(ok, label, f"{mw}.points", "must be a list of at least two [raw, score] pairs of numbers")
            _require(all(a[0] < b[0] for a, b in zip(pts, pts[1:])), label, f"{mw}.points",
                     "raw values must be strictly increasing")
            _require(all(0 <= p[1] <= 100 for p in pts), label, f"{mw}.points", "scores must lie in 0..100")
            rationale = m.get("rationale")
            _require(isinstance(rationale, str) and rationale.strip() != "", label, f"{mw}.rationale",
                     "every marker needs a one-line rationale")
            label_ = m.get("label", "")
            _require(isinstance(label_, str), label, f"{mw}.label", "must be a string")
            codes = evidence_codes()
            _require(m.get("evidence") is None or m.get("evidence") in codes, label, f"{mw}.evidence",
                     f"unknown evidence code {m.get('evidence')!r}; allowed: {', '.join(codes)}")
            markers.append(MarkerSpec(fig, float(w), tuple((float(a), float(b)) for a, b in pts), rationale,
                                      per, m.get("evidence"), m.get("low", ""), label_))
        skills.append(SkillSpec(key, spec.get("label", key.replace("_", " ").capitalize()), spec.get("about", ""),
                                tuple(markers)))
    overall = data.get("overall", {})
    weights = overall.get("weights", {s.key: 1 for s in skills})
    for k, v in weights.items():
        _require(k in {s.key for s in skills}, label, f"overall.weights.{k}", f"not a skill; skills: {[s.key for s in skills]}")
        _require(_num(v) and v >= 0, label, f"overall.weights.{k}", f"must be a number ≥ 0, got {v!r}")
    limits = read_keys(data, label, _LIMIT_KEYS)
    return SkillMap(
        source=label,
        skills=tuple(skills),
        fair=float(fair),
        good=float(good),
        min_clinician_turns=limits["min_clinician_turns"],
        min_client_turns=limits["min_client_turns"],
        min_weight_share=limits["min_weight_share"],
        overall_weights={k: float(v) for k, v in weights.items()},
        overall_min_skills=limits["min_skills"],
    )


def skill_columns(skill_map: SkillMap | None = None) -> list[str]:
    """The skill columns of sessions.csv, in order, for this skill map."""
    skill_map = skill_map or load_skill_map()
    cols: list[str] = []
    for s in skill_map.skills:
        cols += [f"{s.key}_score", f"{s.key}_band", f"{s.key}_drivers", f"{s.key}_suggestion", f"{s.key}_reason"]
    return cols + ["overall_score", "overall_band"]


# ------------------------------------------------------------------ scoring


def score_skill(spec: SkillSpec, row: dict[str, Any], skill_map: SkillMap) -> SkillScore:
    """Score one skill from a session row (no quotes: see :func:`score_session`)."""
    out = SkillScore(spec.key, spec.label, None, "")
    n_clin = _number(row.get("n_clinician_turns")) or 0
    n_client = _number(row.get("n_client_turns")) or 0
    if n_clin < skill_map.min_clinician_turns or n_client < skill_map.min_client_turns:
        out.reason = (f"too little to go on: {int(n_clin)} clinician and {int(n_client)} client turns "
                      f"(needs {skill_map.min_clinician_turns} and {skill_map.min_client_turns})")
        return out
    total = sum(m.weight for m in spec.markers)
    scored: list[tuple[MarkerSpec, float, float]] = []
    missing: list[MarkerSpec] = []
    for m in spec.markers:
        raw = m.raw(row)
        if raw is None:
            missing.append(m)
        else:
            scored.append((m, raw, m.score(raw)))
    out.missing = [m.figure for m in missing]
    have = sum(m.weight for m, _, _ in scored)
    if not scored or have / total < skill_map.min_weight_share:
        out.reason = "too little evidence: " + _missing_reason(missing, row)
        return out
    out.score = round(sum(m.weight * s for m, _, s in scored) / have, 1)
    out.band = skill_map.band(out.score)
    out.drivers = sorted(
        (Driver(m, raw, s, m.weight * (s - 50) / have) for m, raw, s in scored), key=lambda d: -abs(d.pull)
    )[:3]
    lows = sorted((d for d in out.drivers if d.pull < 0 and d.marker.low), key=lambda d: d.pull)
    if lows:
        out.suggestion = lows[0].marker.low
    else:
        weakest = min(scored, key=lambda t: t[2])
        out.suggestion = weakest[0].low if weakest[2] < skill_map.good else "Keep doing what works here."
    if missing:
        out.reason = "not available: " + _missing_reason(missing, row)
    return out


def _missing_reason(missing: list[MarkerSpec], row: dict[str, Any]) -> str:
    why = ", ".join(m.name for m in missing)
    if row.get("pause_basis") == "none" and any("pause" in m.figure for m in missing):
        why += " (no timestamps)"
    return why


def score_session(row: dict[str, Any], skill_map: SkillMap, turns: Sequence[TurnCodes] | None = None) -> SessionSkills:
    """Score every skill of a session; ``turns`` (TurnCodes) supply the quotes behind each driver."""
    skills = [score_skill(spec, row, skill_map) for spec in skill_map.skills]
    if turns is not None:
        for s in skills:
            s.quotes = _quotes(s, turns)
    avail = [(skill_map.overall_weights.get(s.key, 0.0), s.score) for s in skills if s.score is not None]
    avail = [(w, v) for w, v in avail if w > 0]
    overall = None
    if len(avail) >= skill_map.overall_min_skills and sum(w for w, _ in avail) > 0:
        overall = round(sum(w * v for w, v in avail) / sum(w for w, _ in avail), 1)
    return SessionSkills(skills, overall, skill_map.band(overall))


def _quotes(score: SkillScore, turns: Sequence[TurnCodes], per_driver: int = 2) -> list[Quote]:
    """Quote the turns behind the drivers that have an evidence code."""
    quotes: list[Quote] = []
    for d in score.drivers:
        code = d.marker.evidence
        # Quote turns only where they show what moved the score: reflections when reflections raised
        # it, interruptions when interruptions lowered it (never advice turns beside "no directive replies").
        if not code or (d.pull > 0) != d.marker.higher_is_better:
            continue
        n = 0
        for tc in turns:
            hits = [h for h in tc.hits if h.code == code]
            if not (hits or tc.has(code)):
                continue
            if hits and hits[0].code != "interruption" and hits[0].end_char > hits[0].start_char:
                text = quote_around(tc.turn.text, hits[0].start_char, hits[0].end_char)
            else:
                text = quote_around(tc.turn.text, 0, 0)
            quotes.append(Quote(tc.turn.index, tc.turn.start_s, tc.turn.speaker, code, text))
            n += 1
            if n >= per_driver:
                break
    return quotes


_SENTENCE_END = re.compile(r"[.!?…]+[\"')\]]*\s+")


def quote_around(text: str, start: int, end: int, limit: int = 160) -> str:
    """The sentence of ``text`` holding the span ``start:end``, cut to ``limit`` characters around it.

    A rule fires on a few words ("it sounds like"); a supervisor needs the sentence to judge it.
    Unpunctuated speech has no sentence ends, so a window around the span is shown instead.
    """
    s0 = 0
    s1 = len(text)
    for m in _SENTENCE_END.finditer(text):
        if m.end() <= start:
            s0 = m.end()
        elif m.start() >= end:
            s1 = m.start() + 1
            break
    sentence = text[s0:s1].strip()
    if len(sentence) <= limit:
        return sentence
    # window of `limit` characters around the span, on word boundaries
    mid = (start + end) // 2
    lo = max(s0, mid - limit // 2)
    hi = min(s1, lo + limit)
    lo = max(s0, hi - limit)
    window = text[lo:hi]
    if lo > s0:
        window = "…" + window.split(" ", 1)[-1]
    if hi < s1:
        window = window.rsplit(" ", 1)[0] + "…"
    return window.strip()


def skill_row(skills: SessionSkills) -> dict[str, Any]:
    """The skill columns of a session row."""
    row: dict[str, Any] = {}
    for s in skills.skills:
        row[f"{s.key}_score"] = s.score
        row[f"{s.key}_band"] = s.band
        row[f"{s.key}_drivers"] = "; ".join(d.describe() for d in s.drivers)
        row[f"{s.key}_suggestion"] = s.suggestion
        row[f"{s.key}_reason"] = s.reason
    row["overall_score"] = skills.overall
    row["overall_band"] = skills.overall_band
    return row


def apply_skills(result: SessionResult, skill_map: SkillMap | None = None) -> SessionSkills:
    """Score a SessionResult in place: sets ``result.skills`` and adds the skill columns to its row."""
    skill_map = skill_map or load_skill_map()
    skills = score_session(result.session, skill_map, result.markers.turns)
    result.skills = skills
    result.session.update(skill_row(skills))
    return skills
