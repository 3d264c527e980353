"""90% intervals for the skill scores, ``overall_score`` and the MITI ratios, by bootstrap.

Each substantive clinician turn is one *unit*, together with everything up to
the next one (the client's answer, backchannels, asides); turns before the
first clinician turn form a unit of their own.  Per unit the counts behind
the figures are one row of a small matrix; a resample is a vector of how many
times each unit is drawn, so every resampled sum is one matrix product and
no Python runs per resample.  Figures are recomputed from those sums, read
through the skill map's points (``numpy.interp`` clips at the ends exactly as
``MarkerSpec.score`` does) and averaged with the map's weights.

A resampled figure is shifted by the gap between the session's own figure
and the same formula on the original units (``point + rep - orig``), so the
interval sits around the figure in sessions.csv even where the unit formula
simplifies it (talk share counted per unit, the median pause as a lower
median).  Settings and their rationale: models/uncertainty.toml.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ConfigError
from .resources import load_toml

MITI_RATIOS = ("reflection_to_question_ratio", "complex_reflection_share", "open_question_share")


@dataclass(frozen=True)
class UncertaintySettings:
    level: float
    resamples: int
    seed: int
    max_width: float


@lru_cache(maxsize=4)
def load_uncertainty(path: str | None = None) -> UncertaintySettings:
    """Load and check models/uncertainty.toml (or a copy at ``path``)."""
    data, label = load_toml(Path(path) if path else "uncertainty.toml")
    level, n, seed, width = (data.get(k) for k in ("level", "resamples", "seed", "max_width"))
    if not (isinstance(level, float) and 0.5 <= level < 1):
        raise ConfigError(f"level: must be a number in 0.5..1, got {level!r}", path=label)
    if not (isinstance(n, int) and 20 <= n <= 100_000):
        raise ConfigError(f"resamples: must be a whole number in 20..100000, got {n!r}", path=label)
    if not isinstance(seed, int):
        raise ConfigError(f"seed: must be a whole number, got {seed!r}", path=label)
    if not (isinstance(width, (int, float)) and width > 0):
        raise ConfigError(f"max_width: must be a number > 0, got {width!r}", path=label)
    return UncertaintySettings(float(level), n, seed, float(width))


# Columns of the per-unit matrix.
_COLS = ("clin", "q", "open", "r", "cr", "clin_words", "client_words", "client_turns", "interruptions",
         "fillers", "jargon", "wps_w", "wps_n", "grade_w", "grade_n", "responded", "empathic", "directive",
         "neg", "recovered", "sent_n", "sent_1", "sent_2", "story")
_C = {c: i for i, c in enumerate(_COLS)}


def unit_arrays(turns: list[Any], flags: tuple[str, ...], negative: float, rise: float, window: int
                ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(units × columns matrix, each unit's pause before the clinician's response, flag column names)."""
    cols = list(_COLS) + [f"n_{f}" for f in flags]
    idx = {c: i for i, c in enumerate(cols)}
    client_sent = [tc.sentiment for tc in turns if tc.turn.role == "client" and not tc.backchannel]
    recovered_at = _recovered(client_sent, negative, rise, window)
    rows: list[list[float]] = [[0.0] * len(cols)]
    pauses: list[float] = [np.nan]
    k = -1  # index among substantive client turns
    prev: Any = None  # the last substantive turn
    for tc in turns:
        role, bc = tc.turn.role, tc.backchannel
        if role == "clinician" and not bc:
            row = [0.0] * len(cols)
            rows.append(row)
            pauses.append(np.nan if tc.pause_before_response_s is None else tc.pause_before_response_s)
            _clinician_unit(row, idx, tc, flags, prev, negative)
        row = rows[-1]
        if tc.interruption:
            row[idx["interruptions"]] += 1
        if role == "clinician":
            row[idx["clin_words"]] += tc.n_words
        elif role == "client":
            row[idx["client_words"]] += tc.n_words
            if not bc:
                row[idx["client_turns"]] += 1
                row[idx["story"]] += tc.n_words
                k += 1
                if tc.sentiment is not None and tc.sentiment <= negative:
                    row[idx["neg"]] += 1
                    row[idx["recovered"]] += recovered_at[k]
        if not bc and role in ("clinician", "client"):
            prev = tc
    return np.asarray(rows, dtype=float), np.asarray(pauses, dtype=float), cols


def _clinician_unit(row: list[float], idx: dict[str, int], tc: Any, flags: tuple[str, ...], prev: Any,
                    negative: float) -> None:
    row[idx["clin"]] = 1
    row[idx["q"]] = tc.question is not None
    row[idx["open"]] = tc.question == "open"
    row[idx["r"]] = tc.reflection is not None
    row[idx["cr"]] = tc.reflection == "complex"
    for f in flags:
        row[idx[f"n_{f}"]] = bool(tc.flags.get(f))
    row[idx["fillers"]] = tc.n_fillers
    row[idx["jargon"]] = tc.n_jargon
    if tc.words_per_sentence is not None:
        row[idx["wps_w"]], row[idx["wps_n"]] = tc.words_per_sentence * tc.n_words, tc.n_words
    if tc.readability_grade is not None and tc.n_words >= 10:
        row[idx["grade_w"]], row[idx["grade_n"]] = tc.readability_grade * tc.n_words, tc.n_words
    empathic = tc.reflection is not None or tc.flags.get("validation") or tc.flags.get("emotion_label")
    directive = tc.flags.get("advice") or tc.flags.get("dismissive")
    if prev is not None and prev.turn.role == "client" and prev.sentiment is not None and prev.sentiment <= negative:
        row[idx["responded"]] = 1
        row[idx["empathic"]] = bool(empathic)
        row[idx["directive"]] = bool(directive and not empathic)
    if tc.sentiment is not None:
        row[idx["sent_n"]], row[idx["sent_1"]], row[idx["sent_2"]] = 1, tc.sentiment, tc.sentiment ** 2


def _recovered(scores: list[float | None], negative: float, rise: float, window: int) -> list[int]:
    """1 for each negative client turn followed within ``window`` turns by a rise of ``rise``."""
    vals = [s for s in scores]
    out = []
    for i, v in enumerate(vals):
        if v is None or v > negative:
            out.append(0)
            continue
        later = [x for x in vals[i + 1: i + 1 + window] if x is not None]
        out.append(int(any(x - v >= rise for x in later)))
    return out


def _div(a: np.ndarray, b: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """scale·a/b, NaN where b is 0 (a figure the resample cannot support, like R:Q without questions)."""
    out = np.full(np.broadcast(a, b).shape, np.nan)
    np.divide(a, b, out=out, where=b > 0)
    return out * scale if scale != 1.0 else out


def figures_from_sums(S: np.ndarray, cols: list[str]) -> dict[str, np.ndarray]:
    """The session figures, one value per row of resampled sums ``S`` (rows × columns)."""
    g = {c: S[:, i] for i, c in enumerate(cols)}
    f: dict[str, np.ndarray] = {
        "n_clinician_turns": g["clin"], "n_client_turns": g["client_turns"],
        "n_questions": g["q"], "n_open_questions": g["open"], "n_closed_questions": g["q"] - g["open"],
        "n_reflections": g["r"], "n_complex_reflections": g["cr"], "n_interruptions": g["interruptions"],
        "questions_per_clinician_turn": _div(g["q"], g["clin"]),
        "reflections_per_clinician_turn": _div(g["r"], g["clin"]),
        "open_question_share": _div(g["open"], g["q"]),
        "reflection_to_question_ratio": _div(g["r"], g["q"]),
        "complex_reflection_share": _div(g["cr"], g["r"]),
        "client_talk_share_words": _div(g["client_words"], g["client_words"] + g["clin_words"]),
        "clinician_talk_share_words": _div(g["clin_words"], g["client_words"] + g["clin_words"]),
        "n_responses_to_negative": g["responded"],
        "empathic_response_to_negative_share": _div(g["empathic"], g["responded"]),
        "directive_response_to_negative_share": _div(g["directive"], g["responded"]),
        "n_client_negative_turns": g["neg"],
        "client_recovery_share": _div(g["recovered"], g["neg"]),
        "clinician_words_per_sentence": _div(g["wps_w"], g["wps_n"]),
        "clinician_readability_grade": _div(g["grade_w"], g["grade_n"]),
        "jargon_per_1000_words": _div(g["jargon"], g["clin_words"], 1000),
        "fillers_per_100_words": _div(g["fillers"], g["clin_words"], 100),
    }
    mean = _div(g["sent_1"], g["sent_n"])
    var = _div(g["sent_2"], g["sent_n"]) - mean ** 2
    sd = np.sqrt(np.maximum(var, 0, where=np.isfinite(var), out=np.full(var.shape, np.nan)))
    f["clinician_sentiment_sd"] = np.where(g["sent_n"] >= 3, sd, np.nan)
    for c in cols:
        if c.startswith("n_"):
            f[c] = g[c]
    return f


def _resample_counts(n: int, B: int, rng: np.random.Generator) -> np.ndarray:
    """B × n: how often each unit is drawn in each resample (n draws with replacement)."""
    draws = rng.integers(0, n, size=(B, n))
    flat = (np.arange(B)[:, None] * n + draws).ravel()
    return np.bincount(flat, minlength=B * n).reshape(B, n).astype(float)


def _order_figures(C: np.ndarray, U: np.ndarray, pauses: np.ndarray, cols: list[str]) -> dict[str, np.ndarray]:
    """Median pause and longest client story per resample (order statistics, not sums)."""
    out: dict[str, np.ndarray] = {}
    story = U[:, cols.index("story")]
    out["longest_client_story_words"] = np.where(C > 0, story[None, :], 0).max(axis=1)
    have = ~np.isnan(pauses)
    if have.any():
        order = np.flatnonzero(have)[np.argsort(pauses[have])]
        cs = np.cumsum(C[:, order], axis=1)
        total = cs[:, -1]
        pos = np.minimum((cs < (total / 2)[:, None]).sum(axis=1), len(order) - 1)
        med = pauses[order][pos]
        out["median_pause_before_response_s"] = np.where(total > 0, med, np.nan)
    return out


def bootstrap_figures(turns: list[Any], row: dict[str, Any], settings: Any, flags: tuple[str, ...],
                      u: UncertaintySettings, session_id: str) -> dict[str, np.ndarray]:
    """Resampled figures (already shifted onto the session's own figures), one array per figure."""
    U, pauses, cols = unit_arrays(turns, flags, settings.negative_turn, settings.recovery_rise,
                                  settings.recovery_window_turns)
    n = len(U)
    rng = np.random.default_rng([u.seed, zlib.crc32(session_id.encode("utf-8"))])
    # the last row draws every unit once: the original session through the same formulas
    C = np.vstack([_resample_counts(n, u.resamples, rng), np.ones((1, n))])
    figs = figures_from_sums(np.einsum("bn,nk->bk", C, U), cols)  # not BLAS: its threads cost more than the product
    figs.update(_order_figures(C, U, pauses, cols))
    out: dict[str, np.ndarray] = {}
    for name, values in figs.items():
        point = _number(row.get(name))
        if point is None:
            out[name] = np.full(u.resamples, np.nan)
            continue
        rep, o = values[:-1], values[-1]
        out[name] = rep + (point - o) if np.isfinite(o) else rep
    return out


def _number(v: Any) -> float | None:
    from .tables import cell_number

    return cell_number(v)


@dataclass(frozen=True)
class Interval:
    low: float | None
    high: float | None
    uncertain: bool | None = None


def _quantiles(x: np.ndarray, tail: float) -> tuple[float, float]:
    """The ``tail`` and ``1 - tail`` quantiles of sorted ``x`` (linear, as numpy's default; np.quantile's
    overhead is most of the cost at 200 values)."""
    out = []
    for q in (tail, 1 - tail):
        pos = q * (len(x) - 1)
        i = int(pos)
        j = min(i + 1, len(x) - 1)
        out.append(float(x[i] + (x[j] - x[i]) * (pos - i)))
    return out[0], out[1]


def _interval(reps: np.ndarray, point: float | None, level: float, digits: int = 1,
              lo_clip: float | None = None, hi_clip: float | None = None) -> tuple[float | None, float | None]:
    """The middle ``level`` of ``reps``, widened to hold ``point`` and clipped to the figure's range."""
    finite = reps[np.isfinite(reps)]
    if point is None or finite.size == 0:
        return None, None
    lo, hi = _quantiles(np.sort(finite), (1 - level) / 2)
    lo, hi = min(float(lo), point), max(float(hi), point)
    if lo_clip is not None:
        lo = max(lo, lo_clip)
    if hi_clip is not None:
        hi = min(hi, hi_clip)
    return round(lo, digits), round(hi, digits)


def _marker_reps(marker: Any, reps: dict[str, np.ndarray], row: dict[str, Any], B: int) -> np.ndarray:
    """A marker's resampled raw figure (constant where the figure cannot be resampled)."""
    def fig(name: str) -> np.ndarray:
        if name in reps:
            return reps[name]
        v = _number(row.get(name))
        return np.full(B, np.nan if v is None else v)

    raw = fig(marker.figure)
    if marker.per:
        raw = _div(raw, fig(marker.per))
    return raw


@lru_cache(maxsize=256)
def _points(points: tuple[tuple[float, float], ...]) -> tuple[np.ndarray, np.ndarray]:
    """A marker's points as two arrays, converted once per map rather than once per session."""
    xs, ys = zip(*points)
    return np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)


def skill_intervals(skills: Any, skill_map: Any, reps: dict[str, np.ndarray], row: dict[str, Any],
                    u: UncertaintySettings) -> tuple[dict[str, Interval], Interval]:
    """An interval per scored skill (key → Interval) and for the overall score."""
    B = u.resamples
    out: dict[str, Interval] = {}
    skill_reps: list[tuple[float, np.ndarray]] = []
    for spec in skill_map.skills:
        score = skills.by_key(spec.key)
        if score.score is None:
            out[spec.key] = Interval(None, None, None)
            continue
        num = np.zeros(B)
        den = np.zeros(B)
        for m in spec.markers:
            if m.figure in score.missing:
                continue
            raw = _marker_reps(m, reps, row, B)
            xs, ys = _points(m.points)
            ok = np.isfinite(raw)
            s = np.interp(np.where(ok, raw, xs[0]), xs, ys)
            num += np.where(ok, m.weight * s, 0)
            den += np.where(ok, m.weight, 0)
        rep = _div(num, den)
        lo, hi = _interval(rep, score.score, u.level, lo_clip=0, hi_clip=100)
        out[spec.key] = Interval(lo, hi, None if lo is None or hi is None else (hi - lo) > u.max_width)
        w = skill_map.overall_weights.get(spec.key, 0.0)
        if w > 0:
            skill_reps.append((w, rep))
    overall = Interval(None, None, None)
    if skills.overall is not None and skill_reps:
        num = sum(w * np.nan_to_num(r) for w, r in skill_reps)
        den = sum(w * np.isfinite(r) for w, r in skill_reps)
        lo, hi = _interval(_div(num, den), skills.overall, u.level, lo_clip=0, hi_clip=100)
        overall = Interval(lo, hi, None if lo is None or hi is None else (hi - lo) > u.max_width)
    return out, overall


_RATIO_RANGE = {"reflection_to_question_ratio": (0, None), "complex_reflection_share": (0, 1),
                "open_question_share": (0, 1)}


def interval_row(result: Any, skill_map: Any, settings: Any, u: UncertaintySettings | None = None) -> dict[str, Any]:
    """The interval columns of a session row: ``<skill>_score_low/high``, ``<skill>_uncertain``, overall, MITI ratios.

    ``settings`` are the run's MarkerSettings (the sentiment thresholds behind the recovery figures).
    """
    from .markers import TURN_FLAGS

    u = u or load_uncertainty()
    row = result.session
    cols: dict[str, Any] = {}
    reps = bootstrap_figures(result.markers.turns, row, settings, TURN_FLAGS, u, result.session_id)
    for fig in MITI_RATIOS:
        lo_clip, hi_clip = _RATIO_RANGE[fig]
        cols[f"{fig}_low"], cols[f"{fig}_high"] = _interval(reps[fig], _number(row.get(fig)), u.level, 2 if
                                                            fig == "reflection_to_question_ratio" else 3, lo_clip, hi_clip)
    if result.skills is None:
        return cols
    if skill_map is None:
        from .skills import load_skill_map

        skill_map = load_skill_map()
    per_skill, overall = skill_intervals(result.skills, skill_map, reps, row, u)
    for key, iv in per_skill.items():
        cols[f"{key}_score_low"], cols[f"{key}_score_high"], cols[f"{key}_uncertain"] = iv.low, iv.high, iv.uncertain
        score = result.skills.by_key(key)
        score.low, score.high, score.uncertain = iv.low, iv.high, iv.uncertain
    cols["overall_score_low"], cols["overall_score_high"], cols["overall_uncertain"] = (
        overall.low, overall.high, overall.uncertain)
    result.skills.overall_low, result.skills.overall_high = overall.low, overall.high
    result.skills.overall_uncertain = overall.uncertain
    return cols
