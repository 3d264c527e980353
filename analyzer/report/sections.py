"""The report's first screen and its charts: summary, talk-time timeline, client sentiment arc, pauses.

Each function takes the SessionResult (and the run's thresholds) and returns
trusted HTML; every string from the transcript goes through :func:`_e`.
Charts are inline SVG from :mod:`analyzer.report.svg`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from ..tables import cell_number as _number
from . import svg
from .summary import KeyMoment, Point, clock, key_moments, score_changes, silences, strengths_and_growth

PREVIOUS_PLACEHOLDER = "<!--previous-session-->"


def _e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def _band_chip(band: str) -> str:
    cls = "band-" + (band.replace(" ", "-") if band else "none")
    return f'<span class="band {cls}">{_e(band or "no score")}</span>'


@dataclass(frozen=True)
class Thresholds:
    """The run's settings the report needs (from the run's marker settings and skill map)."""

    negative_turn: float = -0.3
    silence_s: float = 3.0
    fast_response_s: float = 0.5
    fair: float = 50.0
    good: float = 75.0
    skill_map: Any = None


def thresholds(result: Any) -> Thresholds:
    """The thresholds the session was analysed with: the run configuration the result carries."""
    config = getattr(result, "config", None)
    if config is None:  # a result built by hand (notebooks, tests): the shipped configuration
        try:
            from ..config import default_config

            config = default_config()
        except Exception:  # the report must render even when a data file is broken
            return Thresholds()
    settings, skill_map = config.settings, config.skill_map
    return Thresholds(settings.negative_turn, settings.silence_s, settings.fast_response_s,
                      skill_map.fair, skill_map.good, skill_map)


def _when(turn: int, start_s: float | None) -> str:
    t = clock(start_s)
    return f"turn {turn}" + (f" · {t}" if t else "")


def _turn_link(turn: int, start_s: float | None) -> str:
    return f'<a href="#turn-{turn}">{_e(_when(turn, start_s).capitalize())}</a>'


# ------------------------------------------------------------------ summary (page 1)


def _interval(row: Mapping[str, Any], key: str, obj: Any = None) -> tuple[float | None, float | None]:
    """The score's interval: from the score object where it carries one, else the session row's columns."""
    low = getattr(obj, "overall_low" if key == "overall" else "low", None) if obj is not None else None
    high = getattr(obj, "overall_high" if key == "overall" else "high", None) if obj is not None else None
    if low is None or high is None:
        low, high = _number(row.get(f"{key}_score_low")), _number(row.get(f"{key}_score_high"))
    return low, high


def _uncertain(row: Mapping[str, Any], key: str, obj: Any = None) -> bool:
    flag = getattr(obj, "overall_uncertain" if key == "overall" else "uncertain", None) if obj is not None else None
    if flag is None:
        flag = row.get(f"{key}_uncertain")
    return bool(flag) and str(flag).lower() not in ("0", "false", "nan", "")


def _tile(label: str, score: float | None, band: str, row: Mapping[str, Any], key: str, reason: str = "",
          overall: bool = False, obj: Any = None) -> str:
    cls = "tile" + (" tile-overall" if overall else "") + " tile-" + (band.replace(" ", "-") if band else "none")
    if score is None:
        body = f'<div class="num">—</div><div class="small">{_e(reason or "no score")}</div>'
    else:
        lo, hi = _interval(row, key, obj)
        rng = (f'<div class="range" title="90% interval: where the score stays when the evidence is resampled">'
               f"90% range {lo:.0f}–{hi:.0f}</div>") if lo is not None and hi is not None else ""
        unsure = (' <span class="band band-fair" title="the range is wide: read the band with care">uncertain</span>'
                  if _uncertain(row, key, obj) else "")
        body = f'<div class="num">{score:.0f}<small>/100</small></div>{_band_chip(band)}{unsure}{rng}'
    return f'<div class="{cls}" data-skill="{_e(key)}"><div class="tlabel">{_e(label)}</div>{body}</div>'


def _point(p: Point, good: bool) -> str:
    moment = ""
    if p.moment is not None:
        m = p.moment
        moment = (f'<div class="moment">{_turn_link(m.turn, m.start_s)} <small>{_e(m.speaker)}</small> '
                  f'<q>{_e(m.quote)}</q></div>')
    else:
        moment = '<div class="moment small">A session-wide figure: no single moment shows it.</div>'
    cls = "point good" if good else "point grow"
    return (f'<li class="{cls}"><div class="phead"><strong>{_e(p.skill)}</strong> · {_e(p.headline)}</div>'
            f'{moment}<div class="coach">{_e(p.coaching)}</div></li>')


def previous_html(row: Mapping[str, Any], prev: Mapping[str, Any] | None, skills: Sequence[tuple[str, str]]) -> str:
    """One line: each skill's change since the clinician's previous session, with arrows explained."""
    if prev is None:
        return ""
    parts = []
    for (_key, change), label in zip(score_changes(row, prev, [k for k, _ in skills]),
                                    [lbl for _, lbl in skills] + ["Overall"]):
        if change is None:
            parts.append(f"{_e(label)} <small>(no score to compare)</small>")
        else:
            arrow, cls = ("▲", "up") if change > 0 else ("▼", "down") if change < 0 else ("=", "same")
            parts.append(f'{_e(label)} <span class="chg {cls}">{arrow} {change:+.0f}</span>')
    when = _e(prev.get("session_date"))
    sid = _e(prev.get("session_id"))
    return (f'<p class="change"><strong>Since this clinician\'s previous session</strong> ({when}, {sid}): '
            + " · ".join(parts) + ' <small>(▲ up, ▼ down, in points out of 100)</small></p>')


def summary_section(result: Any, th: Thresholds, previous: Mapping[str, Any] | None = None) -> str:
    """Page 1: the scores with bands and ranges, two strengths and two growth areas, change since last time."""
    sk = result.skills
    row = result.session
    if sk is None or not getattr(sk, "skills", None):
        return '<section id="summary" class="summary"><p class="muted">No skill map was applied to this session.</p></section>'
    tiles = [_tile(s.label, s.score, s.band, row, s.key, "too little to go on" if s.reason.startswith("too little")
                   else s.reason, obj=s) for s in sk.skills]
    n = sum(s.score is not None for s in sk.skills)
    tiles.append(_tile("Overall", sk.overall, sk.overall_band, row, "overall",
                       f"only {n} of {len(sk.skills)} skills scored", overall=True, obj=sk))
    legend = (f'<p class="small how">Scores run 0–100: <span class="band band-needs-work">needs work</span> below '
              f'{th.fair:g}, <span class="band band-fair">fair</span> {th.fair:g}–{th.good:g}, '
              f'<span class="band band-good">good</span> from {th.good:g}. Overall is the mean of the skills scored.'
              + (" The 90% range shows how far the score could move with the evidence this session gives."
                 if any(_interval(row, s.key, s)[0] is not None for s in sk.skills) else "") + "</p>")
    strengths, growth = strengths_and_growth(sk, result.markers.turns, th.negative_turn, 2, th.skill_map, row)
    cols = []
    for title, pts, good in (("Strengths", strengths, True), ("To work on", growth, False)):
        items = "".join(_point(p, good) for p in pts) or '<li class="small">Nothing stands out this session.</li>'
        cols.append(f'<div><h3>{title}</h3><ul class="points">{items}</ul></div>')
    skills = [(s.key, s.label) for s in sk.skills]
    change = previous_html(row, previous, skills) if previous is not None else PREVIOUS_PLACEHOLDER
    return (f'<section id="summary" class="summary" aria-label="Summary">\n<div class="tiles">{"".join(tiles)}</div>\n'
            f'{legend}\n{change}\n<div class="pointcols">{"".join(cols)}</div>\n</section>')


# ------------------------------------------------------------------ timeline


def _axis(result: Any) -> tuple[bool, str]:
    timed = result.transcript.has_times  # computed once: calling it per turn made the old plots quadratic
    return timed, "minutes from the start" if timed else "turn number (the source has no timestamps)"


def _spans(result: Any, timed: bool) -> tuple[list[svg.Span], float, float]:
    turns = result.markers.turns
    spans = []
    if timed:
        ts = [tc.turn for tc in turns]
        for i, t in enumerate(ts):
            end = t.end_s
            if end is None:  # start times only: a turn lasts until the next one starts
                end = ts[i + 1].start_s if i + 1 < len(ts) else t.start_s + 5
            spans.append(svg.Span(t.start_s / 60, max(t.start_s, end) / 60, t.role, t.index))
        lo = 0.0
        hi = max((s.end for s in spans), default=1.0)
    else:
        spans = [svg.Span(tc.turn.index - 0.45, tc.turn.index + 0.45, tc.turn.role, tc.turn.index) for tc in turns]
        lo, hi = 0.5, len(turns) + 0.5
    return spans, lo, max(hi, lo + 1e-6)


_KIND_WORDS = {"negative": "client's low point", "reply": "clinician's reply", "interruption": "interruption",
               "silence": "long silence"}


def _x_of(k: KeyMoment | Any, timed: bool) -> float:
    return (k.start_s or 0.0) / 60 if timed else float(k.turn)


def timeline_section(result: Any, th: Thresholds) -> str:
    """Who spoke when, with interruptions, long silences and the client's low points marked; key moments below."""
    turns = result.markers.turns
    if not turns:
        return ""
    timed, xlabel = _axis(result)
    spans, lo, hi = _spans(result, timed)
    moments = key_moments(turns, th.negative_turn, th.silence_s)
    marks: list[svg.Mark] = []
    for tc in turns:  # every interruption, not only the listed ones
        if tc.interruption:
            x = tc.turn.start_s / 60 if timed else float(tc.turn.index)
            marks.append(svg.Mark(x, "interruption", f"Turn {tc.turn.index}: interruption", f"#turn-{tc.turn.index}"))
    if timed:
        for a, b, idx in silences(turns, th.silence_s):
            marks.append(svg.Mark(a / 60, "silence", f"{b - a:.0f} s of silence before turn {idx}",
                                  f"#turn-{idx}", x_end=b / 60))
    for k in moments:
        if k.kind in ("negative", "reply"):
            marks.append(svg.Mark(_x_of(k, timed), k.kind, f"Turn {k.turn}: {k.text}", f"#turn-{k.turn}"))
    n_int = sum(m.kind == "interruption" for m in marks)
    n_sil = sum(m.kind == "silence" for m in marks)
    label = (f"Timeline of who spoke when over {len(turns)} turns"
             + (f", {hi:.0f} minutes" if timed else "") + f"; {n_int} interruption(s), {n_sil} long silence(s), "
             f"{sum(k.kind == 'negative' for k in moments)} client low point(s) marked")
    chart = svg.timeline(spans, marks, lo, hi, xlabel, label)
    legend = ('<p class="legend small"><span class="sw clin"></span>clinician speaking '
              '<span class="sw client"></span>client speaking '
              '<span class="sym int">▼</span>interruption '
              + (f'<span class="sw sil"></span>silence of {th.silence_s:g} s or more ' if timed else "")
              + '<span class="sym neg">●</span>client\'s low point <span class="sym rep">○</span>clinician\'s reply. '
              "Click a mark to open the turn.</p>")
    items = []
    for k in moments:
        q = f" <q>{_e(k.quote)}</q>" if k.quote else ""
        items.append(f'<li class="km km-{k.kind}">{_turn_link(k.turn, k.start_s)} '
                     f'<span class="kind">{_e(_KIND_WORDS.get(k.kind, k.kind))}:</span> {_e(k.text)}{q}</li>')
    listing = ('<h3>Key moments</h3><ul class="moments">' + "".join(items) + "</ul>") if items else \
        '<p class="small">No interruptions, long silences or clearly negative client turns.</p>'
    return (f'<section id="timeline"><h2>Who spoke when</h2>\n<figure>{chart}</figure>\n{legend}\n{listing}\n'
            "</section>")


# ------------------------------------------------------------------ sentiment arc


def _window(n: int) -> int:
    """Smoothing window: about a tenth of the client's turns, between 3 and 15, odd."""
    w = max(3, min(15, round(n / 10)))
    return w if w % 2 else w + 1


def sentiment_section(result: Any, th: Thresholds) -> str:
    """The client's sentiment smoothed over nearby turns, with the most negative turns marked by number."""
    timed, xlabel = _axis(result)
    client = [tc for tc in result.markers.turns
              if tc.turn.role == "client" and not tc.backchannel and tc.sentiment is not None]
    head = '<section id="sentiment"><h2>The client\'s mood across the session</h2>'
    if len(client) < 3:
        return head + '<p class="muted">Fewer than three client turns: no arc to draw.</p></section>'
    xs = [(tc.turn.start_s / 60) if timed else float(tc.turn.index) for tc in client]
    raw = [tc.sentiment for tc in client]
    w = _window(len(raw))
    sm = svg.smooth(raw, w)
    lows = sorted((i for i, v in enumerate(raw) if v <= th.negative_turn), key=lambda i: raw[i])[:6]
    marks = [svg.Mark(xs[i], "peak", f"Turn {client[i].turn.index}: {raw[i]:+.2f}",
                      f"#turn-{client[i].turn.index}", label=f"#{client[i].turn.index}", y=raw[i]) for i in lows]
    lo = 0.0 if timed else 0.5
    hi = max(xs[-1], lo + 1e-6) if timed else float(len(result.markers.turns)) + 0.5
    start, end = sum(sm[: max(1, len(sm) // 3)]) / max(1, len(sm) // 3), sum(sm[-max(1, len(sm) // 3):]) / max(1, len(sm) // 3)
    trend = "rose" if end - start >= 0.1 else "fell" if start - end >= 0.1 else "stayed about level"
    label = (f"Line chart of the client's sentiment, smoothed over {w} turns: it {trend} from {start:+.2f} to "
             f"{end:+.2f}; {len(lows)} clearly negative turn(s) marked")
    chart = svg.line_chart(xs, sm, marks, lo, hi, xlabel, "client sentiment", label, dots=raw,
                           guides=[(th.negative_turn, "clearly negative")])
    return (head + f"<figure>{chart}<figcaption>The line is the client's sentiment averaged over {w} neighbouring "
            f"turns (−1 very negative, +1 very positive); faint dots are single turns; numbered points are the "
            f"client's most negative turns. Over the session it {trend}.</figcaption></figure></section>")


# ------------------------------------------------------------------ skill bars and pauses


def skills_chart(result: Any, th: Thresholds) -> str:
    sk = result.skills
    if sk is None or not getattr(sk, "skills", None):
        return ""
    bars = []
    for s in sk.skills:
        lo, hi = _interval(result.session, s.key, s)
        bars.append(svg.Bar(s.label, s.score, s.band, lo, hi, "no score"))
    label = "Bar chart of skill scores: " + "; ".join(
        f"{s.label} {s.score:.0f} ({s.band})" if s.score is not None else f"{s.label} no score" for s in sk.skills)
    return f"<figure>{svg.skill_bars(bars, th.fair, th.good, label)}</figure>"


def pauses_section(result: Any, th: Thresholds, untimed_reason: str) -> str:
    pauses = [tc.pause_before_response_s for tc in result.markers.turns if tc.pause_before_response_s is not None]
    head = '<section id="pauses"><h2>Pause before the clinician responds</h2>'
    if not pauses:
        return head + f'<p class="muted">No pause chart: {_e(untimed_reason)}.</p></section>'
    lo = math.floor(min(min(pauses), 0.0) * 2) / 2
    hi = max(math.ceil(max(pauses) * 2) / 2, th.fast_response_s * 4)
    hi = min(hi, lo + 15)  # a very long pause should not squash the rest; it lands in the last bin
    step = max(0.25, svg._nice_step(hi - lo, 16))
    edges = [lo + i * step for i in range(int(math.ceil((hi - lo) / step)) + 1)]
    med = sorted(pauses)[len(pauses) // 2]
    label = f"Histogram of {len(pauses)} pauses before clinician responses; median {med:.2f} s"
    chart = svg.histogram(pauses, edges, "seconds from the end of the client's turn (below 0 = overlap)", label,
                          (th.fast_response_s, f"{th.fast_response_s:g} s"))
    return (head + f"<figure>{chart}<figcaption>Each bar counts responses; the dashed line is "
            f"{th.fast_response_s:g} s, under which a reply reads as rushing in.</figcaption></figure></section>")
