"""Self-contained HTML: one report per session and the run's index.

A supervisor reads these in a supervision meeting, often printed, sometimes
offline, so every page stands alone: CSS is inline, plots are PNG data URIs,
there is no script and nothing is fetched.  Transcripts are user data, so
every string taken from them (and from file names and CSV rows) goes through
:func:`html.escape`; only markup built here is emitted raw.

A figure the session cannot support is shown as "—" with the reason (for
instance "no timestamps"), never as 0, matching the empty cells of the CSVs.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote as url_quote

from ..markers.registry import REGISTRY
from ..tables import SESSION_COLUMNS, write_text_atomic
from ..tables import cell_number as _number
from . import plots

__all__ = [
    "session_report_html",
    "index_html",
    "report_filename",
    "write_session_report",
    "write_index",
    "CSS",
]

# ------------------------------------------------------------------ style

CSS = """
:root {
  --ink: #1b1b1b; --muted: #555; --line: #d0d0d0; --bg-soft: #f6f6f4;
  --clin: #0b5c94; --clin-bg: #eef5fb; --client: #9a3c00; --client-bg: #fdf3ec; --other: #555;
  --bad: #a4231b; --bad-bg: #fbeaea; --fair: #7a5200; --fair-bg: #fdf3dc; --good: #1b6b33; --good-bg: #e8f4ec;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; color: var(--ink); background: #fff;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif;
  font-size: 16px; line-height: 1.5; overflow-wrap: anywhere; word-break: normal;
}
main { max-width: 1120px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 1.6rem; margin: 0 0 .3rem; line-height: 1.25; }
h2 { font-size: 1.25rem; margin: 2rem 0 .6rem; padding-bottom: .2rem; border-bottom: 2px solid var(--line); }
h3 { font-size: 1.08rem; margin: 0 0 .4rem; }
a { color: #0a4f8a; }
small, .small { font-size: .86rem; color: var(--muted); }
.muted { color: var(--muted); }
table { width: 100%; border-collapse: collapse; table-layout: fixed; margin: .4rem 0 1rem; }
th, td { text-align: left; vertical-align: top; padding: .38rem .5rem; border-bottom: 1px solid var(--line); }
th { background: var(--bg-soft); font-weight: 600; overflow-wrap: break-word; }
thead th { font-size: .85rem; }
dl.meta { display: grid; grid-template-columns: 12rem minmax(0, 1fr); gap: .15rem 1rem; margin: .8rem 0; }
dl.meta dt { font-weight: 600; color: var(--muted); }
dl.meta dd { margin: 0; }
.warn { background: var(--fair-bg); border-left: 4px solid var(--fair); padding: .5rem .8rem; margin: .8rem 0; }
.warn ul { margin: .2rem 0 0 1.1rem; padding: 0; }
.cards { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 14px; }
.card { border: 1px solid var(--line); border-top: 6px solid #999; border-radius: 6px; padding: .8rem 1rem;
        background: #fff; page-break-inside: avoid; break-inside: avoid; }
.card.card-good { border-top-color: var(--good); }
.card.card-fair { border-top-color: var(--fair); }
.card.card-needs-work { border-top-color: var(--bad); }
.card .score { font-size: 1.7rem; font-weight: 700; margin-right: .4rem; }
.card ul { margin: .3rem 0 .5rem 1.1rem; padding: 0; }
.card li { margin: .15rem 0; }
.card .label { font-weight: 600; font-size: .9rem; margin-top: .5rem; }
.rationale { display: block; font-size: .8rem; color: var(--muted); }
.noscore { font-weight: 600; }
.suggestion { background: var(--bg-soft); padding: .45rem .6rem; border-radius: 4px; margin: .5rem 0 0; }
.band { display: inline-block; padding: .05rem .5rem; border-radius: 999px; font-size: .85rem; font-weight: 600;
        white-space: nowrap; border: 1px solid currentColor; }
.band-good { color: var(--good); background: var(--good-bg); }
.band-fair { color: var(--fair); background: var(--fair-bg); }
.band-needs-work { color: var(--bad); background: var(--bad-bg); }
.band-none { color: var(--muted); background: #f2f2f2; }
.overall { font-size: 1.05rem; margin: 1rem 0 0; }
figure { margin: 0 0 1.2rem; page-break-inside: avoid; break-inside: avoid; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { font-size: .86rem; color: var(--muted); margin-top: .2rem; }
.turn { border-left: 5px solid var(--other); padding: .35rem .7rem; margin: .35rem 0; background: #fafafa;
        page-break-inside: avoid; break-inside: avoid; }
.turn.clinician { border-left-color: var(--clin); background: var(--clin-bg); }
.turn.client { border-left-color: var(--client); background: var(--client-bg); }
.turn.backchannel { opacity: .85; }
.turn:target { outline: 3px solid #e0a800; }
.turn .head { font-size: .86rem; color: var(--muted); }
.turn .head a { font-weight: 700; text-decoration: none; }
.turn .who { font-weight: 700; color: var(--ink); }
.turn.clinician .role { color: var(--clin); font-weight: 600; }
.turn.client .role { color: var(--client); font-weight: 600; }
.turn p { margin: .15rem 0 0; white-space: pre-wrap; }
.badge { display: inline-block; font-size: .76rem; line-height: 1.3; padding: 0 .4rem; margin: 0 .15rem .1rem 0;
         border-radius: 3px; border: 1px solid #888; background: #fff; color: #333; white-space: nowrap; }
.badge.pos { border-color: var(--good); color: var(--good); }
.badge.neg { border-color: var(--bad); color: var(--bad); }
.badge.q { border-color: var(--clin); color: var(--clin); }
mark { background: #fff1a8; color: inherit; padding: 0 1px; border-bottom: 2px solid #c9a600; }
mark.hl-pos { background: #d6f0dd; border-bottom-color: var(--good); }
mark.hl-neg { background: #fbdcd9; border-bottom-color: var(--bad); }
mark.hl-q { background: #dbe9f7; border-bottom-color: var(--clin); }
.legend { font-size: .86rem; }
.legend mark { margin-right: .6rem; }
@media (max-width: 760px) { dl.meta, .cards { grid-template-columns: minmax(0, 1fr); } main { padding: 12px; } }
@media print {
  @page { margin: 14mm 12mm; }
  body { font-size: 10.5pt; line-height: 1.4; }
  main { max-width: none; padding: 0; }
  a { color: inherit; text-decoration: none; }
  h2 { page-break-after: avoid; break-after: avoid; }
  .cards { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  .card, figure, tr, .turn { page-break-inside: avoid; break-inside: avoid; }
  img { max-width: 100% !important; }
  .turn, .card, mark, .band, .badge { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""

# ------------------------------------------------------------------ codes

# Names, badges and tones (pos = client-centred, neg = to watch, q = questions, "" = neutral) of the
# evidence codes come from the marker registry (analyzer/markers/registry.py).


def _code_name(code: str) -> str:
    return REGISTRY.code_name(code)


# ------------------------------------------------------------------ formatting helpers


def _e(value: Any) -> str:
    """Escape any value for HTML text or a quoted attribute."""
    return escape("" if value is None else str(value), quote=True)


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes"}
    return bool(value) and not (isinstance(value, float) and math.isnan(value))


def _text(value: Any) -> str:
    """A row cell as text; None and NaN (pandas' empty cells) become ""."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def fmt_clock(seconds: float | None) -> str:
    """``mm:ss`` (``h:mm:ss`` past an hour), or "" when untimed."""
    if seconds is None:
        return ""
    s = int(round(max(0.0, seconds)))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m:02d}:{sec:02d}"


def _fmt(x: float, digits: int = 2) -> str:
    return f"{x:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{x:.0f}"


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.0f}%"


def _band_class(band: str) -> str:
    return "band-" + (band.replace(" ", "-") if band else "none")


def _band_chip(band: str) -> str:
    return f'<span class="band {_band_class(band)}">{_e(band or "no score")}</span>'


def _dash(reason: str) -> str:
    """The empty-figure cell: a dash and why, never a 0."""
    return f'— <small>({_e(reason)})</small>'


# ------------------------------------------------------------------ session report: sections


def _header(result: Any) -> str:
    row = result.session
    tr = result.transcript
    sid = result.session_id
    items: list[tuple[str, str]] = [("Session", _e(sid)), ("Source file", _e(row.get("source") or tr.source))]
    if _text(row.get("clinician")):
        items.append(("Clinician", _e(row["clinician"])))
    if _text(row.get("session_date")):
        items.append(("Date", _e(row["session_date"])))
    dur = _number(row.get("duration_s"))
    items.append(("Duration", _e(fmt_clock(dur)) if dur is not None else _dash(_untimed_reason(result))))
    n_clin, n_client = _number(row.get("n_words_clinician")), _number(row.get("n_words_client"))
    words = []
    if n_clin is not None:
        words.append(f"clinician {n_clin:,.0f}")
    if n_client is not None:
        words.append(f"client {n_client:,.0f}")
    items.append(("Words", _e(" · ".join(words) or "—") + f' <small>({len(tr.turns)} turns)</small>'))
    speakers = []
    if _text(row.get("clinician_speaker")):
        speakers.append(f'clinician = <strong>{_e(row["clinician_speaker"])}</strong>')
    if _text(row.get("client_speaker")):
        speakers.append(f'client = <strong>{_e(row["client_speaker"])}</strong>')
    inferred = _truthy(row.get("role_inferred", tr.role_inferred))
    roles = "; ".join(speakers) or "—"
    roles += (' <span class="band band-fair">roles inferred</span> <small>no known speaker labels: check who is '
              "the clinician before relying on the figures</small>") if inferred else " <small>(from speaker labels)</small>"
    items.append(("Roles", roles))
    items.append(("Format", _e(" · ".join(x for x in (_text(row.get("format")) or tr.format, _text(row.get("encoding")) or tr.encoding) if x) or "—")))
    items.append(("Pipeline", _e(row.get("pipeline") or "—")))
    dl = "\n".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in items)
    warnings = _warnings(row.get("warnings"), tr.warnings)
    warn_html = ""
    if warnings:
        lis = "".join(f"<li>{_e(w)}</li>" for w in warnings)
        warn_html = f'<div class="warn" role="note"><strong>Warnings while reading</strong><ul>{lis}</ul></div>'
    from .checks import checks_notes_html

    warn_html += checks_notes_html(row)
    return f'<header>\n<h1>Session report: {_e(sid)}</h1>\n<dl class="meta">\n{dl}\n</dl>\n{warn_html}</header>'


def _warnings(cell: Any, fallback: Sequence[str]) -> list[str]:
    if isinstance(cell, (list, tuple)):
        items = [str(w) for w in cell]
    elif _text(cell):
        items = str(cell).split(" | ")
    else:
        items = list(fallback)
    return [w.strip() for w in items if w and w.strip()]


def _quote_html(q: Any, anchors: set[int]) -> str:
    when = fmt_clock(q.start_s)
    label = f"Turn {q.turn}" + (f" · {when}" if when else "")
    link = f'<a href="#turn-{int(q.turn)}">{_e(label)}</a>' if q.turn in anchors else _e(label)
    return (f'<li>{link} <small>{_e(q.speaker)} · {_e(_code_name(q.code))}</small><br>'
            f'“{_e(q.text)}”</li>')


def _skill_card(s: Any, anchors: set[int]) -> str:
    # "card-*" not "band-*": the band chip's colours must not tint the whole card.
    card = "card-" + (s.band.replace(" ", "-") if s.band else "none")
    parts = [f'<section class="card {card}" aria-label="{_e(s.label)}">']
    if s.score is None:
        parts.append(f'<h3>{_e(s.label)}</h3><p class="noscore">no score {_band_chip("")}</p>')
        parts.append(f'<p class="small">{_e(s.reason or "the session gives too little to go on")}</p>')
    else:
        from .checks import interval_html

        parts.append(f'<h3>{_e(s.label)}</h3><p><span class="score">{s.score:.0f}</span>'
                     f'<small>/100</small> {_band_chip(s.band)}'
                     f'{interval_html(getattr(s, "low", None), getattr(s, "high", None), getattr(s, "uncertain", None))}</p>')
    if s.drivers:
        lis = "".join(
            f'<li title="{_e(d.marker.rationale)}">{_e(d.describe())}'
            f'<span class="rationale">{_e(d.marker.rationale)}</span></li>'
            for d in s.drivers
        )
        parts.append(f'<div class="label">What moved the score</div><ul class="drivers">{lis}</ul>')
    if s.score is not None and s.reason:
        parts.append(f'<p class="small">{_e(s.reason)}</p>')
    if s.quotes:
        parts.append('<div class="label">Evidence</div><ul class="quotes">'
                     + "".join(_quote_html(q, anchors) for q in s.quotes) + "</ul>")
    if s.suggestion:
        parts.append(f'<p class="suggestion"><strong>Try:</strong> {_e(s.suggestion)}</p>')
    parts.append("</section>")
    return "".join(parts)


def _skills_section(result: Any) -> str:
    sk = result.skills
    if sk is None or not getattr(sk, "skills", None):
        return '<h2 id="skills">Skills</h2><p class="muted">No skill map was applied to this session.</p>'
    anchors = {tc.turn.index for tc in result.markers.turns}
    cards = "\n".join(_skill_card(s, anchors) for s in sk.skills)
    if sk.overall is not None:
        from .checks import interval_html

        iv = interval_html(getattr(sk, "overall_low", None), getattr(sk, "overall_high", None),
                           getattr(sk, "overall_uncertain", None))
        overall = (f'<p class="overall"><strong>Overall:</strong> {sk.overall:.0f}/100 {_band_chip(sk.overall_band)}{iv} '
                   f'<small>weighted mean of the skills scored above</small></p>')
    else:
        n = sum(s.score is not None for s in sk.skills)
        overall = (f'<p class="overall"><strong>Overall:</strong> {_dash(f"only {n} of {len(sk.skills)} skills could be scored")}</p>')
    return f'<h2 id="skills">Skills</h2>\n<div class="cards">\n{cards}\n</div>\n{overall}'


def _miti_status(value: float | None, fair: float, good: float) -> str:
    if value is None:
        return ""
    band = "good" if value >= good else "fair" if value >= fair else "needs work"
    shown = {"needs work": "below fair"}.get(band, band)
    return f' <span class="band {_band_class(band)}">{shown}</span>'


def _untimed_reason(result: Any) -> str:
    """Why seconds-based figures are empty: no timestamps at all, or start times without end times."""
    return "start times only, no end times" if result.transcript.has_times else "no timestamps"


def _run_settings(result: Any) -> Any:
    """The thresholds the session was analysed with (the run's configuration)."""
    return plots._settings(result)


def _miti(result: Any, figure: str, fair: float, good: float) -> tuple[float, float]:
    """(fair, good) for a MITI figure from the run's settings ([miti] in models/markers.toml)."""
    return _run_settings(result).miti.get(figure, (fair, good))


def _figures_section(result: Any) -> str:
    row = result.session
    fast_s = _run_settings(result).fast_response_s
    rq_fair, rq_good = _miti(result, "reflection_to_question_ratio", 1, 2)
    cr_fair, cr_good = _miti(result, "percent_complex_reflections", 40, 50)
    po_fair, po_good = _miti(result, "percent_open_questions", 50, 70)
    g = lambda key: _number(row.get(key))  # noqa: E731
    timed = row.get("talk_time_basis") == "timestamps"
    no_ts = _untimed_reason(result)
    rows: list[tuple[str, str, str, str]] = []  # label, value html, note html, column for the tooltip

    cw, kw = g("clinician_talk_share_words"), g("client_talk_share_words")
    rows.append(("Talk share (words)",
                 f"clinician {_pct(cw)} · client {_pct(kw)}" if cw is not None else _dash("no words"),
                 "clients in client-centred sessions usually say more than half the words",
                 "clinician_talk_share_words"))
    ct = g("clinician_talk_share_time")
    rows.append(("Talk share (time)",
                 f"clinician {_pct(ct)} · client {_pct(1 - ct)}" if ct is not None else _dash(no_ts if not timed else "no speaking time recorded"),
                 "share of speaking seconds", "clinician_talk_share_time"))
    for label, key in (("Longest clinician monologue", "longest_clinician_monologue"),
                       ("Longest client story", "longest_client_story")):
        w, s = g(f"{key}_words"), g(f"{key}_s")
        val = "—" if w is None else f"{w:,.0f} words"
        if w is not None:
            val += f" · {fmt_clock(s)}" if s is not None else f" <small>(seconds: {no_ts if not timed else 'not available'})</small>"
        rows.append((label, val, "bridged over the other side's backchannels", f"{key}_words"))
    mp = g("median_pause_before_response_s")
    if mp is not None:
        fast = g("share_fast_responses")
        note = "basis: timestamps" + (f"; {_pct(fast)} of responses under {fast_s:g} s" if fast is not None else "")
        rows.append(("Median pause before responding", f"{_fmt(mp)} s", note, "median_pause_before_response_s"))
    else:
        rows.append(("Median pause before responding",
                     _dash(no_ts if not timed else "no timed clinician responses to the client"),
                     f"under {fast_s:g} s reads as rushing in", "median_pause_before_response_s"))
    ni = g("n_interruptions")
    basis = _text(row.get("interruption_basis"))
    per10 = g("interruptions_per_10_min")
    val = "—" if ni is None else f"{ni:.0f}" + (f" <small>({_fmt(per10)} per 10 min)</small>" if per10 is not None else "")
    basis_note = {"timestamps": "basis: timestamps (overlaps) and text markers",
                  "text markers": "basis: text markers only (cut-off turns); no timestamps, so overlaps cannot be seen"}
    rows.append(("Interruptions of the client", val, basis_note.get(basis, f"basis: {basis or 'unknown'}"),
                 "n_interruptions"))
    nq, nr = g("n_questions"), g("n_reflections")
    if nq is not None and nr is not None:
        rows.append(("Questions · reflections",
                     f"{nq:.0f} questions ({_fmt(g('n_open_questions') or 0, 0)} open) · "
                     f"{nr:.0f} reflections ({_fmt(g('n_complex_reflections') or 0, 0)} complex)",
                     "clinician turns coded", "n_questions"))
    from .checks import ratio_interval_html as _iv

    rq = g("reflection_to_question_ratio")
    rows.append(("Reflection : question (R:Q)", (f"{_fmt(rq)}" + _miti_status(rq, rq_fair, rq_good) + _iv(row, "reflection_to_question_ratio"))
                 if rq is not None else _dash("no questions asked"),
                 f"MITI 4.2.1: fair ≥ {rq_fair:g}, good ≥ {rq_good:g}", "reflection_to_question_ratio"))
    cr = g("percent_complex_reflections")
    rows.append(("Complex reflections (%CR)", (f"{_fmt(cr, 1)}%" + _miti_status(cr, cr_fair, cr_good) + _iv(row, "percent_complex_reflections", True)) if cr is not None else _dash("no reflections"),
                 f"MITI 4.2.1: fair ≥ {cr_fair:g}%, good ≥ {cr_good:g}%", "percent_complex_reflections"))
    po = g("percent_open_questions")
    rows.append(("Open questions", (f"{_fmt(po, 1)}%" + _miti_status(po, po_fair, po_good) + _iv(row, "percent_open_questions", True)) if po is not None else _dash("no questions asked"),
                 f"MITI 3: fair ≥ {po_fair:g}%, good ≥ {po_good:g}%", "percent_open_questions"))
    s0, s1, ds = g("client_sentiment_start"), g("client_sentiment_end"), g("client_sentiment_change")
    if s0 is not None and s1 is not None:
        arc = f"{s0:+.2f} → {s1:+.2f}" + (f" <small>(change {ds:+.2f})</small>" if ds is not None else "")
    else:
        arc = _dash("fewer than 3 client turns")
    rows.append(("Client sentiment arc", arc, "VADER, −1..1: mean of the first vs the last third of client turns",
                 "client_sentiment_change"))
    nneg, emp = g("n_responses_to_negative"), g("empathic_response_to_negative_share")
    if nneg:
        rows.append(("Responses to clearly negative client turns",
                     f"{nneg:.0f} · {_pct(emp)} empathic · {_pct(g('directive_response_to_negative_share'))} directive",
                     "empathic = reflection, validation or emotion label", "empathic_response_to_negative_share"))
    else:
        rows.append(("Responses to clearly negative client turns", _dash("no clearly negative client turns"), "",
                     "n_responses_to_negative"))
    body = "\n".join(
        f'<tr title="{_e(SESSION_COLUMNS.get(col, ""))}"><th scope="row">{_e(label)}</th><td>{val}</td>'
        f"<td><small>{_e(note)}</small></td></tr>"
        for label, val, note, col in rows
    )
    return ('<h2 id="figures">Key figures</h2>\n<table class="figures"><colgroup><col style="width:30%">'
            '<col style="width:35%"><col style="width:35%"></colgroup>\n'
            '<thead><tr><th scope="col">Figure</th><th scope="col">This session</th><th scope="col">Reading it</th></tr></thead>\n'
            f"<tbody>\n{body}\n</tbody></table>")


def _plots_section(result: Any) -> str:
    """The plots as PNG data URIs, each with alt text saying what it shows."""
    row = result.session
    out = ['<h2 id="plots">Plots</h2>']

    def add(fn: Any, alt: str, caption: str, size: tuple[float, float] = (8.0, 3.0)) -> bool:
        fig = plots.new_figure(*size)
        ax = fn(result, fig.add_subplot())
        if ax is None:
            return False
        uri = plots.figure_png_base64(fig)
        out.append(f'<figure><img src="{uri}" alt="{_e(alt)}"><figcaption>{_e(caption)}</figcaption></figure>')
        return True

    sk = getattr(result.skills, "skills", None) or []
    skills_alt = "Bar chart of skill scores: " + "; ".join(
        f"{s.label} {s.score:.0f} ({s.band})" if s.score is not None else f"{s.label} no score" for s in sk
    ) if sk else "No skill scores"
    add(plots.plot_skills, skills_alt, "The skills at a glance (0-100, coloured by band).", (8.0, 2.4))
    mean = _number(row.get("client_sentiment_mean"))
    nneg = _number(row.get("n_client_negative_turns"))
    add(plots.plot_sentiment,
        "Line chart of client and clinician sentiment turn by turn"
        + (f"; client mean {mean:+.2f}" if mean is not None else "")
        + (f"; {nneg:.0f} clearly negative client turns circled" if nneg else ""),
        "Sentiment (VADER) of each turn; circled points are clearly negative client turns, numbered by turn.")
    cw = _number(row.get("clinician_talk_share_words"))
    add(plots.plot_talk_share,
        "Line chart of the clinician's share of the talk in a rolling window of turns"
        + (f"; overall {100 * cw:.0f}% of words" if cw is not None else ""),
        "Clinician share of words (and of seconds where timed) over a rolling window of turns; the dotted line is an even split.")
    mp = _number(row.get("median_pause_before_response_s"))
    if not add(plots.plot_pauses,
               "Histogram of pauses before clinician responses" + (f"; median {mp:.2f} s" if mp is not None else ""),
               "Pauses before clinician responses; the dashed line is the fast-response threshold, negative values are overlaps."):
        out.append(f'<p class="muted">No pause plot: {_e(_untimed_reason(result))}.</p>')
    return "\n".join(out)


def _highlight(text: str, hits: Iterable[Any]) -> str:
    """The turn text, escaped, with evidence spans wrapped in <mark>; overlapping spans are merged."""
    spans: list[tuple[int, int, Any]] = []
    for h in hits:
        if not REGISTRY.highlighted(h.code):
            continue
        s, e = h.start_char, h.end_char
        if not (isinstance(s, int) and isinstance(e, int) and 0 <= s < e <= len(text)) or (h.text and text[s:e] != h.text):
            # Offsets that do not match the text would highlight the wrong words: relocate or skip.
            i = text.find(h.text) if h.text else -1
            if i < 0:
                continue
            s, e = i, i + len(h.text)
        spans.append((s, e, h))
    spans.sort(key=lambda t: (t[0], -t[1]))
    groups: list[list[Any]] = []  # [start, end, hits]
    for s, e, h in spans:
        if groups and s < groups[-1][1]:
            groups[-1][1] = max(groups[-1][1], e)
            groups[-1][2].append(h)
        else:
            groups.append([s, e, [h]])
    out, pos = [], 0
    for s, e, hs in groups:
        out.append(_e(text[pos:s]))
        tones = {REGISTRY.tone(h.code) for h in hs}
        tone = "neg" if "neg" in tones else "pos" if "pos" in tones else "q" if "q" in tones else ""
        title = "; ".join(dict.fromkeys(f"{_code_name(h.code)} ({h.value}): {h.rule_id}" for h in hs))
        cls = f' class="hl-{tone}"' if tone else ""
        out.append(f'<mark{cls} title="{_e(title)}">{_e(text[s:e])}</mark>')
        pos = e
    out.append(_e(text[pos:]))
    return "".join(out)


def _badges(tc: Any) -> str:
    """Badges for the turn's codes, each titled with the rule ids that fired."""
    rules: dict[str, list[str]] = {}
    for h in tc.hits:
        rules.setdefault(h.code, []).append(h.rule_id)
    out = []
    # the turn's codes first, then the turn-taking flags (interruption, backchannel) that describe the whole turn
    for marker in sorted(REGISTRY, key=lambda m: m.kind == "flag" and not m.turn_flag):
        value = getattr(tc, marker.name, None) if marker.kind == "category" or not marker.turn_flag else None
        if marker.kind == "category" and value:
            label = marker.badge_text(value)
        elif marker.kind == "flag" and (value if not marker.turn_flag else tc.flags.get(marker.name)):
            label = marker.badge_text()
        else:
            continue
        ids = ", ".join(dict.fromkeys(rules.get(marker.name, []))) or "no rule id recorded"
        cls = f"badge {marker.tone}".strip()
        out.append(f'<span class="{cls}" title="{_e(marker.display)}: {_e(ids)}">{_e(label)}</span>')
    return " ".join(out)


def _transcript_section(result: Any) -> str:
    parts = ['<h2 id="transcript">Transcript</h2>',
             '<p class="legend">Highlights: <mark class="hl-pos">reflective / validating</mark>'
             '<mark class="hl-q">question</mark><mark class="hl-neg">advice / dismissive</mark>'
             '<mark>other evidence</mark> <small>Hover a highlight or badge for the rule that fired.</small></p>']
    for tc in result.markers.turns:
        t = tc.turn
        role = t.role if t.role in ("clinician", "client") else "other"
        cls = f"turn {role}" + (" backchannel" if tc.backchannel else "")
        head = [f'<a href="#turn-{t.index}">#{t.index}</a>']
        if t.start_s is not None:
            head.append(f'<span class="time">{_e(fmt_clock(t.start_s))}</span>')
        head.append(f'<span class="who">{_e(t.speaker)}</span>')
        head.append(f'<span class="role">{_e(t.role)}</span>')
        p = tc.pause_before_response_s
        if p is not None:
            # A negative pause is an overlap: say so rather than print "pause -0.4 s".
            head.append(f"<span>pause {p:.2f} s</span>" if p >= 0 else f"<span>overlap {-p:.2f} s</span>")
        badges = _badges(tc)
        meta = " · ".join(head) + (" " + badges if badges else "")
        parts.append(f'<div class="{cls}" id="turn-{t.index}"><div class="head">{meta}</div>'
                     f"<p>{_highlight(t.text, tc.hits)}</p></div>")
    return "\n".join(parts)


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{_e(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


# ------------------------------------------------------------------ public API


def session_report_html(result: Any) -> str:
    """One self-contained HTML page for an analysed session (SessionResult).

    Header, skill cards with drivers, evidence quotes and suggestions, the key
    figures, plots as PNG data URIs, and the transcript turn by turn with the
    evidence highlighted.  No external resources and no script.
    """
    nav = ('<nav class="small"><a href="#skills">Skills</a> · <a href="#figures">Key figures</a> · '
           '<a href="#plots">Plots</a> · <a href="#transcript">Transcript</a></nav>')
    body = "\n".join([_header(result), nav, _skills_section(result), _figures_section(result),
                      _plots_section(result), _transcript_section(result)])
    return _page(f"Session report: {result.session_id}", body)


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def report_filename(session_id: str) -> str:
    """The report's path relative to the output folder: ``reports/<slug>.html``.

    The slug keeps letters, digits, ``.``, ``_`` and ``-`` (everything else,
    ``/`` included, becomes ``_``) and ends with a short hash of the exact id,
    so ids that slug alike (``a/b`` and ``a_b``) still get different files.
    """
    slug = _UNSAFE.sub("_", session_id).strip("._-")[:80] or "session"
    digest = hashlib.sha1(session_id.encode("utf-8")).hexdigest()[:8]
    return f"reports/{slug}-{digest}.html"


def write_session_report(result: Any, out_dir: str | Path) -> Path:
    """Write the session's report to ``out_dir/report_filename(...)`` atomically; returns its path."""
    path = Path(out_dir) / report_filename(result.session_id)
    return write_text_atomic(path, session_report_html(result))


def _skill_keys(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Skill keys present in the rows (``X`` where both ``X_score`` and ``X_band`` exist), in column order."""
    keys: dict[str, None] = {}
    for row in rows:
        for col in row:
            if col.endswith("_score") and col != "overall_score":
                k = col[: -len("_score")]
                if f"{k}_band" in row:
                    keys.setdefault(k, None)
    return list(keys)


def _skill_labels(skill_map: Any) -> dict[str, str]:
    """Skill key -> label from the run's skill map (None: the keys are shown as names)."""
    return {s.key: s.label for s in skill_map.skills} if skill_map is not None else {}


def _score_cell(row: Mapping[str, Any], key: str) -> str:
    score = _number(row.get(f"{key}_score"))
    if score is None:
        reason = _text(row.get(f"{key}_reason")) or "not scored"
        return f'<td title="{_e(reason)}">— <small>no score</small></td>'
    band = _text(row.get(f"{key}_band"))
    return f"<td><strong>{score:.0f}</strong> {_band_chip(band)}</td>"


def index_html(
    session_rows: Sequence[Mapping[str, Any]],
    reports: Mapping[str, str],
    extra_sections: Sequence[str] = (),
    skill_map: Any = None,
) -> str:
    """The run's index page: one row per session with its scores and a link to its report.

    ``session_rows`` are sessions.csv rows (dicts; "clinician" and
    "session_date" columns are shown when any row has them); ``reports`` maps
    session_id to the report's path relative to the index;
    ``extra_sections`` are trusted HTML fragments (trend plots) appended as is;
    ``skill_map`` (the run's) names the skill columns.
    """
    rows = list(session_rows)
    skill_keys = _skill_keys(rows)
    labels = _skill_labels(skill_map)
    has_clin = any(_text(r.get("clinician")) for r in rows)
    has_date = any(_text(r.get("session_date")) for r in rows)
    heads = ["Session"] + (["Clinician"] if has_clin else []) + (["Date"] if has_date else [])
    heads += [labels.get(k, k.replace("_", " ").capitalize()) for k in skill_keys] + ["Overall", "Notes"]
    body_rows = []
    for r in rows:
        sid = _text(r.get("session_id"))
        href = reports.get(sid)
        cell = f'<a href="{_e(url_quote(href, safe="/._-~"))}">{_e(sid)}</a>' if href else _e(sid)
        tds = [f"<td>{cell}</td>"]
        if has_clin:
            tds.append(f"<td>{_e(_text(r.get('clinician')))}</td>")
        if has_date:
            tds.append(f"<td>{_e(_text(r.get('session_date')))}</td>")
        tds += [_score_cell(r, k) for k in skill_keys]
        tds.append(_score_cell(r, "overall"))
        notes = []
        if _truthy(r.get("role_inferred")):
            notes.append("roles inferred")
        if "duration_s" in r and _number(r.get("duration_s")) is None:
            notes.append("no timestamps")
        elif _text(r.get("talk_time_basis")) == "none":
            notes.append("start times only")
        if _text(r.get("warnings")):
            notes.append("warnings")
        tds.append(f"<td><small>{_e(', '.join(notes))}</small></td>")
        body_rows.append("<tr>" + "".join(tds) + "</tr>")
    thead = "".join(f'<th scope="col">{_e(h)}</th>' for h in heads)
    # Fixed layout: give the id column room and share the rest, so long ids wrap instead of overflowing.
    n_rest = len(heads) - 1
    cols = '<col style="width:18%">' + f'<col style="width:{82 / n_rest:.2f}%">' * n_rest
    table = (f'<table class="sessions"><colgroup>{cols}</colgroup><thead><tr>{thead}</tr></thead>\n<tbody>\n'
             + "\n".join(body_rows)
             + "\n</tbody></table>") if rows else '<p class="muted">No sessions were analysed.</p>'
    n = len(rows)
    body = (f"<h1>Session analyzer: run index</h1>\n<p class=\"muted\">{n} session{'s' if n != 1 else ''}. "
            "Scores are 0-100 with bands needs work / fair / good; hover “no score” for the reason. "
            "Open a session for the evidence behind every number.</p>\n"
            f'<h2 id="sessions">Sessions</h2>\n{table}\n' + "\n".join(extra_sections))
    return _page("Session analyzer: run index", body)


def write_index(
    session_rows: Sequence[Mapping[str, Any]],
    reports: Mapping[str, str],
    out_dir: str | Path,
    extra_sections: Sequence[str] = (),
    skill_map: Any = None,
) -> Path:
    """Write :func:`index_html` to ``out_dir/index.html`` atomically; returns its path."""
    return write_text_atomic(Path(out_dir) / "index.html", index_html(session_rows, reports, extra_sections, skill_map))
