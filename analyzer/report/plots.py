"""Matplotlib plots of one analysed session, for the HTML report and for notebooks.

Every ``plot_*`` function draws on the Axes it is given (or on a new figure
when ``ax`` is None) and returns that Axes, so a notebook can lay several
out in one figure.  Nothing here selects a backend at import time: a
notebook keeps its inline backend, and the report builds its figures as
bare :class:`matplotlib.figure.Figure` objects rendered through the Agg
canvas (see :func:`new_figure` and :func:`figure_png_base64`), which needs
no display and never touches pyplot's global state.
"""

from __future__ import annotations

import base64
import io
import math
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..markers.settings import MarkerSettings
    from ..pipeline import SessionResult

__all__ = [
    "plot_sentiment",
    "plot_talk_share",
    "plot_skills",
    "plot_pauses",
    "figure_png_base64",
    "new_figure",
    "BAND_COLOURS",
    "ROLE_COLOURS",
]

# Colour-blind-safe pairs (Okabe-Ito), dark enough to read on white.
ROLE_COLOURS = {"clinician": "#0072B2", "client": "#D55E00", "other": "#777777"}
BAND_COLOURS = {"needs work": "#B3261E", "fair": "#B07800", "good": "#1E7B3A", "": "#999999"}

def _settings(result: SessionResult) -> MarkerSettings:
    """The thresholds the session was analysed with (the run's configuration)."""
    if result.config is not None:
        return result.config.settings
    from ..config import default_config

    return default_config().settings


def new_figure(width: float = 8.0, height: float = 3.0) -> Figure:
    """A bare Figure on the Agg canvas: headless, and invisible to pyplot (so nothing leaks)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _axes(ax: Axes | None, width: float = 8.0, height: float = 3.0) -> Axes:
    """``ax`` itself, or the Axes of a new pyplot figure (so it shows inline in a notebook)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new_ax = plt.subplots(figsize=(width, height), layout="constrained")
    return new_ax


def figure_png_base64(fig: Figure) -> str:
    """Render ``fig`` to a ``data:image/png;base64,...`` URI and close it."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if not isinstance(fig.canvas, FigureCanvasAgg):
        # A pyplot figure under an interactive backend: render through Agg without switching backends.
        FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, facecolor="white")
    if "matplotlib.pyplot" in sys.modules:  # only pyplot-managed figures need closing
        import matplotlib.pyplot as plt

        plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _timed(result: SessionResult) -> bool:
    return result.transcript.has_times


def _x(timed: bool, tc: Any) -> float:
    """Minutes where timed (the source's own clock, as the transcript shows it), else the turn number.

    ``timed`` is computed once per plot: ``has_times`` scans every turn, so asking it per turn was quadratic.
    """
    if timed:
        return tc.turn.start_s / 60.0
    return float(tc.turn.index)


def _no_data(ax: Axes, message: str) -> Axes:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="#555555")
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def plot_sentiment(result: SessionResult, ax: Axes | None = None) -> Axes:
    """Client and clinician VADER sentiment across the session, with the client's negative peaks marked.

    x is minutes where the transcript is timed, else the turn number.
    Backchannels ("mm-hmm") are left out: they carry no sentiment worth plotting.
    """
    ax = _axes(ax)
    neg = _settings(result).negative_turn
    turns = [tc for tc in result.markers.turns if tc.sentiment is not None and not tc.backchannel]
    if not turns:
        return _no_data(ax, "no sentiment scores")
    timed = _timed(result)
    for role in ("client", "clinician"):
        pts = [(_x(timed, tc), tc.sentiment) for tc in turns if tc.turn.role == role]
        if pts:
            xs, ys = zip(*pts)
            ax.plot(xs, ys, marker="o", markersize=3, linewidth=1.4, color=ROLE_COLOURS[role], label=role)
    peaks = [(_x(timed, tc), tc.sentiment, tc.turn.index) for tc in turns
             if tc.turn.role == "client" and tc.sentiment is not None and tc.sentiment <= neg]
    if peaks:
        xs, ys, idx = zip(*peaks)
        ax.scatter(xs, ys, s=60, facecolors="none", edgecolors="#000000", linewidths=1.2, zorder=3,
                   label=f"client ≤ {neg:g} (negative)")
        for x, y, i in peaks[:12]:  # label a dozen at most so the plot stays legible
            ax.annotate(f"#{i}", (x, y), textcoords="offset points", xytext=(0, -12), ha="center", fontsize=7)
    ax.axhline(0, color="#999999", linewidth=0.8)
    ax.axhline(neg, color="#999999", linewidth=0.8, linestyle=":")
    ax.set_ylim(-1.08, 1.08)
    ax.set_xlabel("minutes (source timestamps)" if timed else "turn number (no timestamps)")
    ax.set_ylabel("sentiment (VADER, −1..1)")
    ax.set_title("Sentiment across the session")
    ax.legend(loc="upper left", fontsize=8, frameon=False, ncols=3)
    return ax


def _window(n_turns: int) -> int:
    """A rolling window of about a tenth of the session, between 4 and 20 turns."""
    return max(4, min(20, round(n_turns / 10)))


def plot_talk_share(result: SessionResult, ax: Axes | None = None) -> Axes:
    """Clinician share of words across the session in a rolling window of turns (and of seconds where timed).

    Only clinician and client turns count; the dashed line marks an even split.
    """
    ax = _axes(ax)
    turns = [tc for tc in result.markers.turns if tc.turn.role in ("clinician", "client")]
    if len(turns) < 2:
        return _no_data(ax, "too few turns for a talk-share plot")
    w = min(_window(len(turns)), len(turns))
    xs, word_share, time_share = [], [], []
    timed = all(tc.turn.duration_s is not None for tc in turns)
    # Full windows only: a half-filled first window (often one clinician greeting) reads as a spike.
    for i in range(w - 1, len(turns)):
        win = turns[i - w + 1 : i + 1]
        clin = sum(tc.n_words for tc in win if tc.turn.role == "clinician")
        total = sum(tc.n_words for tc in win)
        xs.append(turns[i].turn.index)
        word_share.append(clin / total if total else math.nan)
        if timed:
            cs = sum(tc.turn.duration_s or 0.0 for tc in win if tc.turn.role == "clinician")
            ts = sum(tc.turn.duration_s or 0.0 for tc in win)
            time_share.append(cs / ts if ts else math.nan)
    ax.plot(xs, word_share, color=ROLE_COLOURS["clinician"], linewidth=1.6, label="share of words")
    if timed:
        ax.plot(xs, time_share, color="#009E73", linewidth=1.4, linestyle="--", label="share of seconds")
    ax.axhline(0.5, color="#999999", linewidth=0.8, linestyle=":")
    ax.set_ylim(0, 1)
    ax.set_xlabel("turn number")
    ax.set_ylabel("clinician share")
    ax.set_title(f"Clinician share of the talk (rolling {w} turns)")
    ax.legend(loc="upper right", fontsize=8, frameon=False)
    return ax


def plot_skills(result: SessionResult, ax: Axes | None = None) -> Axes:
    """The skills at a glance: horizontal 0-100 bars coloured by band; a skill without a score says so."""
    ax = _axes(ax, 8.0, 2.6)
    skills = list(getattr(result.skills, "skills", None) or [])
    if not skills:
        return _no_data(ax, "no skill scores (no skill map applied)")
    skills = skills[::-1]  # first skill at the top
    ys = range(len(skills))
    for y, s in zip(ys, skills):
        if s.score is None:
            ax.barh(y, 100, color="#F1F1F1", edgecolor="#BBBBBB", hatch="//", linewidth=0.6)
            ax.text(2, y, "no score", va="center", ha="left", fontsize=9, color="#333333")
        else:
            ax.barh(y, s.score, color=BAND_COLOURS.get(s.band, "#999999"))
            inside = s.score >= 30
            ax.text(s.score - 2 if inside else s.score + 2, y, f"{s.score:.0f} · {s.band}", va="center",
                    ha="right" if inside else "left", fontsize=9, color="white" if inside else "#222222")
    ax.set_yticks(list(ys), [s.label for s in skills])
    ax.set_xlim(0, 100)
    ax.set_xlabel("score (0-100)")
    ax.set_title("Skills at a glance")
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def plot_pauses(result: SessionResult, ax: Axes | None = None) -> Axes | None:
    """Histogram of the pause before each clinician response, with the fast-response line; None when untimed.

    Negative pauses are overlaps (the clinician started before the client finished).
    """
    pauses = [tc.pause_before_response_s for tc in result.markers.turns if tc.pause_before_response_s is not None]
    if not pauses:
        return None  # no timestamps: a histogram of nothing would read as "no pauses"
    ax = _axes(ax)
    fast = _settings(result).fast_response_s
    lo, hi = min(min(pauses), 0.0), max(max(pauses), fast * 2)
    bins = max(5, min(30, len(pauses)))
    ax.hist(pauses, bins=bins, range=(lo, hi), color=ROLE_COLOURS["clinician"], edgecolor="white")
    ax.axvline(fast, color="#B3261E", linewidth=1.4, linestyle="--", label=f"{fast:g} s (fast response)")
    ax.axvline(0, color="#999999", linewidth=0.8)
    ax.set_xlabel("seconds from the end of the client's turn to the clinician's response (negative = overlap)")
    ax.set_ylabel("responses")
    ax.set_title(f"Pause before clinician responses (n = {len(pauses)})")
    ax.legend(loc="upper right", fontsize=8, frameon=False)
    return ax
