"""Inline SVG charts for the HTML report and index, written as plain strings.

A report chart is a few hundred shapes, so writing SVG by hand is faster
than any plotting library (a 50-minute session's charts take a few
milliseconds) and keeps the page self-contained: no script, no fonts, no
network.  Every function is a pure function of the numbers it is given and
costs time linear in them.  Every chart has ``role="img"``, an
``aria-label`` and a ``<title>`` so it reads without sight; shapes that
stand for a turn link to it (``#turn-N``) and carry a tooltip.

Coordinates live in a fixed ``viewBox`` (``WIDTH`` wide); CSS scales the
chart to the column, so it fits a laptop screen and an A4 page alike.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

__all__ = [
    "WIDTH",
    "Bar",
    "Span",
    "Mark",
    "skill_bars",
    "timeline",
    "line_chart",
    "histogram",
    "trend_chart",
    "smooth",
]

WIDTH = 760
FONT = 'font-family="system-ui, sans-serif"'
# Okabe-Ito colours (colour-blind safe), dark enough on white.
ROLE_FILL = {"clinician": "#0072B2", "client": "#D55E00", "other": "#8a8a8a"}
BAND_FILL = {"needs work": "#B3261E", "fair": "#B07800", "good": "#1E7B3A", "": "#9a9a9a"}
SERIES = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _n(x: float) -> str:
    """A coordinate with one decimal, without trailing zeros (keeps the markup small)."""
    s = f"{x:.1f}"
    return s[:-2] if s.endswith(".0") else s


def _open(height: float, label: str, cls: str) -> str:
    return (f'<svg class="chart {cls}" viewBox="0 0 {WIDTH} {_n(height)}" width="{WIDTH}" height="{_n(height)}" '
            f'role="img" aria-label="{_e(label)}" {FONT}>'
            f"<title>{_e(label)}</title>")


def _text(x: float, y: float, s: str, size: int = 12, anchor: str = "start", fill: str = "#333",
          weight: str = "") -> str:
    w = f' font-weight="{weight}"' if weight else ""
    return (f'<text x="{_n(x)}" y="{_n(y)}" font-size="{size}" text-anchor="{anchor}" fill="{fill}"{w}>'
            f"{_e(s)}</text>")


def _link(href: str | None, tip: str, inner: str) -> str:
    """``inner`` wrapped in a link to ``href`` (a turn anchor) with a tooltip; just a tooltip without one."""
    body = f"<title>{_e(tip)}</title>{inner}" if tip else inner
    return f'<a href="{_e(href)}">{body}</a>' if href else f"<g>{body}</g>"


def _nice_step(span: float, target: int = 6) -> float:
    """A round tick step (1, 2, 5 × 10^k) giving about ``target`` ticks over ``span``."""
    if span <= 0:
        return 1.0
    raw = span / target
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def _ticks(lo: float, hi: float, target: int = 6) -> list[float]:
    step = _nice_step(hi - lo, target)
    first = math.ceil(lo / step) * step
    n = int(math.floor((hi - first) / step + 1e-9)) + 1
    return [first + i * step for i in range(max(0, n))]


def _tick_label(v: float) -> str:
    return f"{v:.0f}" if abs(v - round(v)) < 1e-9 else f"{v:g}"


def _x_axis(x0: float, x1: float, lo: float, hi: float, y: float, label: str) -> str:
    """Ticks and a label under a plot area spanning ``x0..x1`` for values ``lo..hi``."""
    scale = (x1 - x0) / (hi - lo) if hi > lo else 0.0
    out = [f'<line x1="{_n(x0)}" y1="{_n(y)}" x2="{_n(x1)}" y2="{_n(y)}" stroke="#888"/>']
    for t in _ticks(lo, hi):
        x = x0 + (t - lo) * scale
        out.append(f'<line x1="{_n(x)}" y1="{_n(y)}" x2="{_n(x)}" y2="{_n(y + 4)}" stroke="#888"/>')
        out.append(_text(x, y + 16, _tick_label(t), 11, "middle", "#555"))
    out.append(_text((x0 + x1) / 2, y + 32, label, 12, "middle", "#444"))
    return "".join(out)


# ------------------------------------------------------------------ skill bars


@dataclass(frozen=True)
class Bar:
    """One skill: its score (None = no score), band, and the interval where known."""

    label: str
    score: float | None
    band: str = ""
    low: float | None = None
    high: float | None = None
    note: str = ""  # shown instead of a bar when there is no score


def skill_bars(bars: Sequence[Bar], fair: float, good: float, label: str = "Skill scores") -> str:
    """Horizontal 0-100 bars coloured by band over faint band zones, with the interval as a whisker."""
    left, right, row = 190, WIDTH - 20, 30
    top = 22
    height = top + row * len(bars) + 36
    scale = (right - left) / 100
    out = [_open(height, label, "skills")]
    for lo, hi, band in ((0, fair, "needs work"), (fair, good, "fair"), (good, 100, "good")):
        out.append(f'<rect x="{_n(left + lo * scale)}" y="{top - 6}" width="{_n((hi - lo) * scale)}" '
                   f'height="{_n(row * len(bars) + 6)}" fill="{BAND_FILL[band]}" fill-opacity="0.07"/>')
        out.append(_text(left + (lo + hi) / 2 * scale, top - 9, band, 10, "middle", BAND_FILL[band]))
    for i, b in enumerate(bars):
        y = top + i * row
        out.append(_text(left - 8, y + 15, b.label, 13, "end", "#222"))
        if b.score is None:
            out.append(f'<rect x="{left}" y="{y + 2}" width="{_n(100 * scale)}" height="{row - 10}" fill="none" '
                       f'stroke="#bbb" stroke-dasharray="4 3"/>')
            out.append(_text(left + 8, y + 15, b.note or "no score", 11, "start", "#555"))
            continue
        w = max(0.0, min(100.0, b.score)) * scale
        out.append(f'<rect x="{left}" y="{y + 2}" width="{_n(w)}" height="{row - 10}" rx="2" '
                   f'fill="{BAND_FILL.get(b.band, BAND_FILL[""])}"><title>{_e(b.label)}: {b.score:.0f} '
                   f"({_e(b.band)})</title></rect>")
        if b.low is not None and b.high is not None:
            lx, hx, my = left + b.low * scale, left + b.high * scale, y + 2 + (row - 10) / 2
            out.append(f'<path d="M{_n(lx)} {_n(my)}H{_n(hx)}M{_n(lx)} {_n(my - 5)}v10M{_n(hx)} {_n(my - 5)}v10" '
                       f'stroke="#111" stroke-width="1.4" fill="none"/>')
        end = max(w, (b.high or 0) * scale)  # the label goes past the bar and its whisker
        if left + end + 30 <= right + 14:
            out.append(_text(left + end + 6, y + 15, f"{b.score:.0f}", 12, "start", "#222", "600"))
        else:  # no room on the right: inside the bar, left of the interval
            inside = min(w, (b.low if b.low is not None else b.score) * scale) - 6
            out.append(_text(left + inside, y + 15, f"{b.score:.0f}", 12, "end", "#fff", "600"))
    out.append(_x_axis(left, right, 0, 100, top + row * len(bars) - 4, "score (0-100)"))
    out.append("</svg>")
    return "".join(out)


# ------------------------------------------------------------------ timeline


@dataclass(frozen=True)
class Span:
    """One turn on the timeline: where it starts and ends (minutes or turn numbers) and who spoke."""

    start: float
    end: float
    role: str
    turn: int


@dataclass(frozen=True)
class Mark:
    """A moment marked on a chart: ``kind`` picks the symbol, ``href`` links to the turn."""

    x: float
    kind: str  # interruption | silence | negative | reply | peak
    tip: str
    href: str | None = None
    x_end: float | None = None  # silences span a stretch
    label: str = ""
    y: float | None = None  # value for line charts


MARK_STYLE = {
    "interruption": ("#B3261E", "interruption"),
    "silence": ("#6b6b6b", "long silence"),
    "negative": ("#7b2d8e", "client's most negative moments"),
    "reply": ("#0072B2", "clinician's reply"),
}


def _symbol(kind: str, x: float, y: float) -> str:
    colour = MARK_STYLE.get(kind, ("#333", ""))[0]
    if kind == "interruption":  # a downward triangle, pointing at the cut
        return f'<path d="M{_n(x - 5)} {_n(y - 7)}h10l-5 8z" fill="{colour}"/>'
    if kind == "negative":
        return f'<circle cx="{_n(x)}" cy="{_n(y)}" r="5" fill="{colour}"/>'
    if kind == "reply":
        return f'<circle cx="{_n(x)}" cy="{_n(y)}" r="5" fill="#fff" stroke="{colour}" stroke-width="2"/>'
    return f'<rect x="{_n(x - 3)}" y="{_n(y - 3)}" width="6" height="6" fill="{colour}"/>'


def _bar(bar: list[float], y: float, h: float) -> str:
    w = bar[1] - bar[0]
    return f"M{_n(bar[0])} {_n(y)}h{_n(w)}v{_n(h)}h{_n(-w)}z"


def timeline(spans: Sequence[Span], marks: Sequence[Mark], lo: float, hi: float, x_label: str,
             label: str, lanes: Sequence[tuple[str, str]] = (("clinician", "Clinician"), ("client", "Client"))) -> str:
    """Who spoke when: one lane per role, a bar per turn, marked moments above and below the lanes.

    ``lo..hi`` is the x range (minutes, or turn numbers).  Bars narrower than
    a pixel still show (min width 0.8) so a short answer is never lost.
    """
    left, right = 92, WIDTH - 14
    lane_h, gap, top = 22, 8, 26
    lane_y = {role: top + i * (lane_h + gap) for i, (role, _) in enumerate(lanes)}
    bottom = top + len(lanes) * (lane_h + gap) - gap
    height = bottom + 76
    scale = (right - left) / (hi - lo) if hi > lo else 1.0
    px = lambda v: left + (v - lo) * scale  # noqa: E731
    out = [_open(height, label, "timeline")]
    for role, name in lanes:
        y = lane_y[role]
        out.append(f'<rect x="{left}" y="{y}" width="{_n(right - left)}" height="{lane_h}" fill="#f3f3f1"/>')
        out.append(_text(left - 8, y + 15, name, 12, "end", "#222"))
    for kind in ("silence",):  # silences behind the bars
        for m in marks:
            if m.kind == kind and m.x_end is not None:
                x0, x1 = px(m.x), px(m.x_end)
                out.append(_link(m.href, m.tip, f'<rect x="{_n(x0)}" y="{top - 4}" width="{_n(max(2.5, x1 - x0))}" '
                                 f'height="{_n(bottom - top + 8)}" fill="#6b6b6b" fill-opacity="0.45"/>'))
    # Bars closer than half a pixel merge into one: a long session has more turns than the chart has
    # pixels, and drawing each would only cost time and bytes (the picture is the same).
    open_bar: dict[str, list[float]] = {}  # role -> [x0, x1] of the bar being extended
    per_role: dict[str, list[str]] = {}
    for s in spans:
        if s.role not in lane_y:
            continue
        x0 = px(s.start)
        x1 = max(x0 + 0.8, px(s.end))
        bar = open_bar.get(s.role)
        if bar is not None and x0 - bar[1] < 0.5:
            bar[1] = max(bar[1], x1)
            continue
        if bar is not None:
            per_role.setdefault(s.role, []).append(_bar(bar, lane_y[s.role], lane_h))
        open_bar[s.role] = [x0, x1]
    for role, bar in open_bar.items():
        per_role.setdefault(role, []).append(_bar(bar, lane_y[role], lane_h))
    for role, parts in per_role.items():  # one path per lane: thousands of turns stay one element
        out.append(f'<path d="{"".join(parts)}" fill="{ROLE_FILL.get(role, "#888")}"/>')
    rows = {"interruption": top - 4, "negative": bottom + 12, "reply": bottom + 26}
    for m in marks:
        if m.kind == "silence":
            continue
        inner = _symbol(m.kind, px(m.x), rows.get(m.kind, bottom + 6))
        out.append(_link(m.href, m.tip, inner))
    out.append(_x_axis(left, right, lo, hi, bottom + 38, x_label))
    out.append("</svg>")
    return "".join(out)


# ------------------------------------------------------------------ line chart (sentiment arc)


def smooth(values: Sequence[float], window: int) -> list[float]:
    """Centred moving mean over ``window`` values (shorter at the ends), in one pass of prefix sums."""
    n = len(values)
    if n == 0:
        return []
    half = max(0, window // 2)
    pre = [0.0]
    for v in values:
        pre.append(pre[-1] + v)
    out = []
    for i in range(n):
        a, b = max(0, i - half), min(n, i + half + 1)
        out.append((pre[b] - pre[a]) / (b - a))
    return out


def line_chart(xs: Sequence[float], ys: Sequence[float], marks: Sequence[Mark], lo: float, hi: float,
               x_label: str, y_label: str, label: str, y_range: tuple[float, float] = (-1.0, 1.0),
               dots: Sequence[float] | None = None, guides: Sequence[tuple[float, str]] = ()) -> str:
    """A smoothed line with faint raw dots behind it and marked points (negative peaks) labelled by turn."""
    left, right, top, plot_h = 56, WIDTH - 14, 14, 170
    height = top + plot_h + 46
    y0, y1 = y_range
    sx = (right - left) / (hi - lo) if hi > lo else 1.0
    sy = plot_h / (y1 - y0)
    px = lambda v: left + (v - lo) * sx  # noqa: E731
    py = lambda v: top + (y1 - max(y0, min(y1, v))) * sy  # noqa: E731
    out = [_open(height, label, "line")]
    for t in _ticks(y0, y1, 4):
        y = py(t)
        out.append(f'<line x1="{left}" y1="{_n(y)}" x2="{right}" y2="{_n(y)}" stroke="#e4e4e4"/>')
        out.append(_text(left - 6, y + 4, f"{t:+.1f}" if t else "0", 10, "end", "#555"))
    for v, name in guides:
        y = py(v)
        out.append(f'<line x1="{left}" y1="{_n(y)}" x2="{right}" y2="{_n(y)}" stroke="#7b2d8e" '
                   f'stroke-dasharray="4 4"/>')
        out.append(_text(right - 4, y - 4, name, 10, "end", "#7b2d8e"))
    out.append(f'<text x="14" y="{_n(top + plot_h / 2)}" font-size="11" fill="#444" text-anchor="middle" '
               f'transform="rotate(-90 14 {_n(top + plot_h / 2)})">{_e(y_label)}</text>')
    if dots is not None:  # one dot per pixel position: a long session's overlapping dots are drawn once
        seen = dict.fromkeys(f"M{_n(px(x))} {_n(py(v))}h0.1" for x, v in zip(xs, dots))
        out.append('<path d="' + "".join(seen)
                   + '" stroke="#D55E00" stroke-opacity="0.35" stroke-width="4" stroke-linecap="round"/>')
    if xs:
        pts_list: list[str] = []
        for x, v in zip(xs, ys):  # consecutive points on the same pixel are one point
            pt = f"{_n(px(x))},{_n(py(v))}"
            if not pts_list or pts_list[-1] != pt:
                pts_list.append(pt)
        pts = " ".join(pts_list)
        out.append(f'<polyline points="{pts}" fill="none" stroke="#D55E00" stroke-width="2.4"/>')
    for m in marks:
        x, y = px(m.x), py(m.y if m.y is not None else 0.0)
        inner = f'<circle cx="{_n(x)}" cy="{_n(y)}" r="5" fill="#7b2d8e" stroke="#fff" stroke-width="1.5"/>'
        if m.label:
            inner += _text(x, min(y + 17, top + plot_h + 2), m.label, 10, "middle", "#333")
        out.append(_link(m.href, m.tip, inner))
    out.append(_x_axis(left, right, lo, hi, top + plot_h, x_label))
    out.append("</svg>")
    return "".join(out)


# ------------------------------------------------------------------ histogram


def histogram(values: Sequence[float], edges: Sequence[float], x_label: str, label: str,
              marker: tuple[float, str] | None = None, y_label: str = "responses") -> str:
    """Counts of ``values`` in the bins ``edges[i]..edges[i+1]`` (whole numbers on the y axis)."""
    left, right, top, plot_h = 56, WIDTH - 14, 12, 130
    height = top + plot_h + 46
    counts = [0] * (len(edges) - 1)
    for v in values:
        for i in range(len(counts)):  # bins are few (≤ 30): a scan is simplest
            if v < edges[i + 1] or i == len(counts) - 1:
                counts[i] += v >= edges[i] or i == 0
                break
    top_count = max(counts) if counts else 1
    ymax = max(1, top_count)
    lo, hi = edges[0], edges[-1]
    sx = (right - left) / (hi - lo) if hi > lo else 1.0
    sy = plot_h / ymax
    out = [_open(height, label, "hist")]
    step = max(1, int(_nice_step(ymax, 4)))  # whole responses only: no "half a response" ticks
    for t in range(0, ymax + 1, step):
        y = top + plot_h - t * sy
        out.append(f'<line x1="{left}" y1="{_n(y)}" x2="{right}" y2="{_n(y)}" stroke="#e4e4e4"/>')
        out.append(_text(left - 6, y + 4, str(t), 10, "end", "#555"))
    for i, c in enumerate(counts):
        if not c:
            continue
        x0 = left + (edges[i] - lo) * sx
        w = (edges[i + 1] - edges[i]) * sx
        out.append(f'<rect x="{_n(x0 + 1)}" y="{_n(top + plot_h - c * sy)}" width="{_n(max(1, w - 2))}" '
                   f'height="{_n(c * sy)}" fill="#0072B2"><title>{c} {y_label}: {edges[i]:g} to '
                   f"{edges[i + 1]:g}</title></rect>")
    if marker is not None:
        x = left + (marker[0] - lo) * sx
        out.append(f'<line x1="{_n(x)}" y1="{top}" x2="{_n(x)}" y2="{top + plot_h}" stroke="#B3261E" '
                   f'stroke-width="1.6" stroke-dasharray="5 3"/>')
        out.append(_text(x + 4, top + 12, marker[1], 10, "start", "#B3261E"))
    out.append(f'<text x="14" y="{_n(top + plot_h / 2)}" font-size="11" fill="#444" text-anchor="middle" '
               f'transform="rotate(-90 14 {_n(top + plot_h / 2)})">{_e(y_label)}</text>')
    out.append(_x_axis(left, right, lo, hi, top + plot_h, x_label))
    out.append("</svg>")
    return "".join(out)


# ------------------------------------------------------------------ trends (index)


def trend_chart(dates: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], fair: float, good: float,
                label: str) -> str:
    """Scores (0-100) across sessions: x is the session in date order (labelled with its date)."""
    left, right, top, plot_h = 46, WIDTH - 200, 12, 150
    height = top + plot_h + 58
    n = len(dates)
    sx = (right - left) / max(1, n - 1)
    px = lambda i: left + (i * sx if n > 1 else (right - left) / 2)  # noqa: E731
    py = lambda v: top + (100 - v) * plot_h / 100  # noqa: E731
    out = [_open(height, label, "trend")]
    for lo, hi, band in ((0, fair, "needs work"), (fair, good, "fair"), (good, 100, "good")):
        out.append(f'<rect x="{left}" y="{_n(py(hi))}" width="{right - left}" height="{_n(py(lo) - py(hi))}" '
                   f'fill="{BAND_FILL[band]}" fill-opacity="0.07"/>')
    for t in (0, 25, 50, 75, 100):
        out.append(_text(left - 6, py(t) + 4, str(t), 10, "end", "#555"))
    every = max(1, math.ceil(n / 8))  # at most eight date labels
    for i, d in enumerate(dates):
        if i % every == 0 or i == n - 1:
            out.append(_text(px(i), top + plot_h + 16, d, 10, "middle", "#555"))
    out.append(_text((left + right) / 2, top + plot_h + 34, "session date", 11, "middle", "#444"))
    for k, (name, ys) in enumerate(series):
        colour = SERIES[k % len(SERIES)]
        pts = [(px(i), py(v)) for i, v in enumerate(ys) if v is not None]
        if len(pts) > 1:
            out.append(f'<polyline points="{" ".join(f"{_n(x)},{_n(y)}" for x, y in pts)}" fill="none" '
                       f'stroke="{colour}" stroke-width="2"/>')
        dash = "" if k < len(SERIES) else ' stroke-dasharray="3 2"'
        for x, y in pts:
            out.append(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="3.5" fill="{colour}"{dash}/>')
        ly = top + 14 + k * 18
        out.append(f'<rect x="{right + 14}" y="{ly - 9}" width="12" height="10" fill="{colour}"/>')
        out.append(_text(right + 32, ly, name, 12, "start", "#222"))
    out.append("</svg>")
    return "".join(out)
