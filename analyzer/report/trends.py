"""Skills across sessions: one line per skill over a clinician's sessions, by date.

``frame`` is a history frame (``History.sessions_frame()`` or
``Analysis.sessions``): one row per session with ``clinician``,
``session_date`` (ISO) and the ``<skill>_score`` columns.
:func:`plot_skill_trends` draws on a given Axes (or a new pyplot figure, so it
shows inline in a notebook); :func:`trends_html_section` draws one inline SVG
chart per clinician (:mod:`analyzer.report.svg`, no matplotlib) into an HTML
section for the index page's ``extra_sections``.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from . import svg
from .plots import BAND_COLOURS, figure_png_base64, new_figure

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

    from ..skills import SkillMap

# Okabe-Ito colours and distinct markers so the lines read in greyscale too.
_STYLE = [("#0072B2", "o"), ("#D55E00", "s"), ("#009E73", "^"), ("#CC79A7", "D"), ("#E69F00", "v"), ("#56B4E9", "P")]


def _skill_map(skill_map: SkillMap | None) -> SkillMap:
    """The run's skill map, or the shipped one for a notebook call that names none."""
    if skill_map is not None:
        return skill_map
    from ..config import default_config

    return default_config().skill_map


def _skills(skill_map: SkillMap) -> list[tuple[str, str]]:
    """(key, label) of each skill of the skill map."""
    return [(s.key, s.label) for s in skill_map.skills]


def clinician_sessions(frame: pd.DataFrame, clinician: str) -> pd.DataFrame:
    """That clinician's sessions with a date, in date order, with a ``_date`` column."""
    import pandas as pd

    if "clinician" not in frame.columns or "session_date" not in frame.columns:
        return frame.iloc[0:0].assign(_date=pd.Series(dtype="datetime64[ns]"))
    sub = frame[frame["clinician"].astype("string") == clinician].copy()
    sub["_date"] = pd.to_datetime(sub["session_date"].astype("string"), format="%Y-%m-%d", errors="coerce")
    sub = sub[sub["_date"].notna()]
    sort = ["_date", "session_id"] if "session_id" in sub.columns else ["_date"]
    return sub.sort_values(sort, kind="stable")


def plot_skill_trends(frame: pd.DataFrame, clinician: str, ax: Axes | None = None,
                      skill_map: SkillMap | None = None) -> Axes:
    """Each skill's score (0-100) across ``clinician``'s dated sessions; band edges shaded.

    ``skill_map`` gives the skills, labels and bands (the run's; the shipped map when None).
    """
    import pandas as pd

    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(8, 3.4), layout="constrained")
    sub = clinician_sessions(frame, clinician)
    smap = _skill_map(skill_map)
    fair, good = smap.fair, smap.good
    ax.axhspan(0, fair, color=BAND_COLOURS["needs work"], alpha=0.06, lw=0)
    ax.axhspan(fair, good, color=BAND_COLOURS["fair"], alpha=0.06, lw=0)
    ax.axhspan(good, 100, color=BAND_COLOURS["good"], alpha=0.06, lw=0)
    ax.set_ylim(0, 100)
    ax.set_ylabel("score (0-100)")
    ax.set_title(f"{clinician}: skills across sessions")
    ax.spines[["top", "right"]].set_visible(False)
    drawn = 0
    for (key, label), (colour, marker) in zip(_skills(smap), _STYLE * 2):
        col = f"{key}_score"
        if col not in sub.columns:
            continue
        y = pd.to_numeric(sub[col], errors="coerce").astype("float64")
        ok = y.notna()
        if not ok.any():
            continue
        ax.plot(sub["_date"][ok], y[ok], marker=marker, color=colour, label=label, lw=1.6, ms=5)
        drawn += 1
    if not drawn:
        ax.text(0.5, 0.5, f"no scored, dated sessions for {clinician}", ha="center", va="center",
                transform=ax.transAxes, color="#555555")
    else:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
        import matplotlib.dates as mdates

        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
        for lbl in ax.get_xticklabels():
            lbl.set_rotation(30)
            lbl.set_horizontalalignment("right")
    ax.set_xlabel("session date")
    return ax


def _alt_text(sub: pd.DataFrame, clinician: str, skill_map: SkillMap) -> str:
    """A text equivalent of the chart: sessions, span, and each skill's first → last score."""
    import pandas as pd

    n = len(sub)
    first, last = sub["_date"].min().date().isoformat(), sub["_date"].max().date().isoformat()
    parts = []
    for key, label in _skills(skill_map):
        col = f"{key}_score"
        if col not in sub.columns:
            continue
        y = pd.to_numeric(sub[col], errors="coerce").dropna()
        if len(y) == 0:
            parts.append(f"{label}: no score")
        elif len(y) == 1:
            parts.append(f"{label} {y.iloc[0]:.0f}")
        else:
            parts.append(f"{label} {y.iloc[0]:.0f} → {y.iloc[-1]:.0f}")
    span = f"on {first}" if n == 1 else f"from {first} to {last}"
    return (f"Line chart of skill scores (0-100) for clinician {clinician} over {n} session"
            f"{'s' if n != 1 else ''} {span}: " + "; ".join(parts) + ".")


def render_trend_png(frame: pd.DataFrame, clinician: str, skill_map: SkillMap | None = None) -> str:
    """One clinician's trend chart as a ``data:image/png;base64,…`` URI (Agg canvas, no pyplot)."""
    fig = new_figure(8.0, 3.4)
    ax = fig.add_subplot()
    plot_skill_trends(frame, clinician, ax=ax, skill_map=skill_map)
    return figure_png_base64(fig)


def render_trend_svg(sub: pd.DataFrame, clinician: str, skill_map: SkillMap) -> str:
    """One clinician's skills across their dated sessions (``clinician_sessions``) as an inline SVG chart."""
    import pandas as pd

    dates = [d.date().isoformat() for d in sub["_date"]]
    series = []
    for key, label in _skills(skill_map):
        col = f"{key}_score"
        if col in sub.columns:
            ys = pd.to_numeric(sub[col], errors="coerce").astype("float64")
            series.append((label, [None if pd.isna(v) else float(v) for v in ys]))
    return svg.trend_chart(dates, series, skill_map.fair, skill_map.good, _alt_text(sub, clinician, skill_map))


def trends_html_section(frame: pd.DataFrame, skill_map: SkillMap | None = None) -> str:
    """An HTML ``<section>`` with one inline SVG chart per clinician (dated sessions only), each with a text equivalent.

    Without clinician and date metadata the section says how to add it
    (a manifest or file names) rather than disappearing.
    """
    clinicians: list[str] = []
    if "clinician" in frame.columns:
        clinicians = sorted({str(c) for c in frame["clinician"].dropna() if str(c).strip()})
    smap = _skill_map(skill_map)
    parts = ['<section class="trends" id="trends">', "<h2>Skills across sessions</h2>"]
    shown = 0
    for c in clinicians:
        sub = clinician_sessions(frame, c)
        if sub.empty:
            continue
        parts.append(
            f'<figure class="trend"><figcaption><strong>{html.escape(c)}</strong>: {len(sub)} '
            f"session{'s' if len(sub) != 1 else ''}, "
            f"{html.escape(sub['_date'].min().date().isoformat())} to {html.escape(sub['_date'].max().date().isoformat())}"
            f"</figcaption>{render_trend_svg(sub, c, smap)}</figure>"
        )
        shown += 1
    if not shown:
        parts.append(
            "<p>No trends to show: sessions need a clinician and a date. Add a <code>manifest.csv</code> "
            "(columns <code>file,clinician,date,client</code>) beside the transcripts, or name files "
            "<code>CLINICIAN_YYYY-MM-DD_CLIENT.ext</code>.</p>"
        )
    parts.append("</section>")
    return "\n".join(parts)
