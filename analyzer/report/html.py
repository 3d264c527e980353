"""Self-contained HTML: one report per session and the run's index.

A supervisor reads these in a supervision meeting, often printed, sometimes
offline, so every page stands alone: CSS is inline, charts are inline SVG
(:mod:`analyzer.report.svg`), the report has no script and nothing is
fetched.  The first screen (and printed page 1) holds the scores, two
strengths and two growth areas with the moment that shows each; the
transcript is on screen only unless asked for in print.  Transcripts are user data, so
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
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote as url_quote

from ..markers.registry import REGISTRY
from ..tables import SESSION_COLUMNS, write_text_atomic
from ..tables import cell_number as _number
from . import plots, sections
from .summary import clock

if TYPE_CHECKING:
    from ..markers import TurnCodes
    from ..markers.base import Hit
    from ..markers.settings import MarkerSettings
    from ..pipeline import SessionResult
    from ..skills import Quote, SkillMap, SkillScore

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
.warn { background: var(--fair-bg); border-left: 4px solid var(--fair); padding: .4rem .8rem; margin: .4rem 0; }
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
table.sessions th[data-col] { cursor: pointer; }
tr.grouphead th { background: #e9eef3; font-size: 1rem; }
tr.sumrow td { background: var(--bg-soft); font-size: .9rem; border-bottom: 2px solid var(--line); }
td.notes { font-size: .85rem; }
table.sessions .band { font-size: .72rem; padding: 0 .3rem; }
table.sessions td { overflow-wrap: anywhere; }
table.sessions td.date { white-space: nowrap; overflow-wrap: normal; }
.legend mark { margin-right: .6rem; }
header.top h1 { margin-bottom: .2rem; }
.facts { display: flex; flex-wrap: wrap; gap: .2rem 1.2rem; margin: .2rem 0 .3rem; }
.facts b { color: var(--muted); font-weight: 600; margin-right: .25rem; }
.note { margin: .2rem 0; }
.src { margin: 0; }
.summary { margin: .6rem 0 0; }
.tiles { display: grid; grid-template-columns: repeat(5, minmax(0, 1fr)); gap: 10px; margin: .4rem 0 .3rem; }
.tile { border: 1px solid var(--line); border-top: 6px solid #999; border-radius: 6px; padding: .45rem .6rem; }
.tile-good { border-top-color: var(--good); } .tile-fair { border-top-color: var(--fair); }
.tile-needs-work { border-top-color: var(--bad); }
.tile-overall { background: var(--bg-soft); }
.tile .tlabel { font-weight: 600; font-size: .92rem; }
.tile .num { font-size: 1.9rem; font-weight: 700; line-height: 1.15; }
.tile .num small { font-size: .8rem; font-weight: 400; color: var(--muted); }
.tile .range { font-size: .8rem; color: var(--muted); margin-top: .15rem; }
.how { margin: .2rem 0 .4rem; }
.change { margin: .3rem 0; }
.chg { font-weight: 700; white-space: nowrap; } .chg.up { color: var(--good); } .chg.down { color: var(--bad); }
.pointcols { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 16px; }
.pointcols h3 { margin: .5rem 0 .2rem; }
ul.points { list-style: none; margin: 0; padding: 0; }
.point { border-left: 5px solid var(--good); background: var(--good-bg); padding: .4rem .6rem; margin: 0 0 .5rem;
         border-radius: 0 4px 4px 0; break-inside: avoid; }
.point.grow { border-left-color: var(--fair); background: var(--fair-bg); }
.point .moment { font-size: .92rem; margin: .15rem 0; }
.point .coach { font-size: .92rem; font-style: italic; }
q { quotes: "“" "”"; }
svg.chart { display: block; width: 100%; height: auto; max-width: 100%; }
.legend .sw { display: inline-block; width: .9em; height: .9em; vertical-align: -.1em; margin: 0 .25rem 0 .6rem; }
.sw.clin { background: #0072B2; } .sw.client { background: #D55E00; } .sw.sil { background: #a6a6a6; }
.sym { margin: 0 .2rem 0 .6rem; } .sym.int { color: #B3261E; } .sym.neg { color: #7b2d8e; } .sym.rep { color: #0072B2; }
ul.moments { margin: .2rem 0 1rem 1.1rem; padding: 0; }
ul.moments li { margin: .12rem 0; }
ul.moments .kind { font-weight: 600; }
.km-negative .kind { color: #7b2d8e; } .km-interruption .kind { color: var(--bad); }
.print-note { display: none; }
@media (max-width: 760px) { dl.meta, .cards, .pointcols { grid-template-columns: minmax(0, 1fr); }
  .tiles { grid-template-columns: repeat(2, minmax(0, 1fr)); } main { padding: 12px; } }
@media print {
  @page { margin: 14mm 12mm; }
  body { font-size: 10.5pt; line-height: 1.4; }
  main { max-width: none; padding: 0; }
  a { color: inherit; text-decoration: none; }
  h2 { page-break-after: avoid; break-after: avoid; }
  .cards { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  .tiles { grid-template-columns: repeat(5, minmax(0, 1fr)); }
  .pointcols { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  .card, figure, tr, .turn, .point, ul.moments li { page-break-inside: avoid; break-inside: avoid; }
  .rest { break-before: page; page-break-before: always; }
  .rest > section > h2:first-child { margin-top: 0; }
  .screen-only { display: none !important; }
  .print-note { display: block; }
  .rationale { display: none; }
  ul.quotes li:nth-child(n+3) { display: none; }
  ul.moments, .card, table.figures { font-size: 9.5pt; }
  h2 { margin: 1.1rem 0 .4rem; }
  img { max-width: 100% !important; }
  .turn, .card, mark, .band, .badge, .tile, .point, svg { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
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


fmt_clock = clock  # ``mm:ss`` (``h:mm:ss`` past an hour), or "" when untimed


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


# Reading notes: how roles were assigned.  They are worth knowing, not a problem with the file.
_NOTE_PATTERNS = (
    re.compile(r"^.+ = (client|clinician): the main speaker besides "),
    re.compile(r"^roles inferred from questions asked: "),
    re.compile(r"counted as other$"),
)
# Command-line advice in a note is for whoever runs the tool; the report says it in words.
_CLI_HINTS = (
    (re.compile(r";?\s*pass --clinician LABEL if this is wrong"), "; if this is wrong, analyse again naming the clinician"),
    (re.compile(r";\s*list them with `?session-analyzer scan`?,? or analyse with --redact"),
     "; they can be listed, or replaced by analysing again with redaction"),
    (re.compile(r"\bspeaker_name\b"), "speaker name"),
)


def _plain(text: str) -> str:
    for pattern, words in _CLI_HINTS:
        text = pattern.sub(words, text)
    return text


def split_notes(items: Sequence[str]) -> tuple[list[str], list[str]]:
    """(reading notes, warnings): role notes are notes; anything else the reader said is a warning."""
    notes, warnings = [], []
    for w in items:
        if any(p.search(w) for p in _NOTE_PATTERNS):
            notes.append(_plain(w))
        else:
            warnings.append(_plain(w))
    return notes, warnings


def _header(result: SessionResult) -> str:
    """Session, clinician, date, client, length and roles on two lines; notes as notes, warnings as warnings."""
    row = result.session
    tr = result.transcript
    sid = result.session_id
    facts = []
    for label, key in (("Clinician", "clinician"), ("Date", "session_date"), ("Client", "client")):
        if _text(row.get(key)):
            facts.append(f"<span><b>{label}</b> {_e(row[key])}</span>")
    dur = _number(row.get("duration_s"))
    facts.append(f"<span><b>Length</b> {_e(fmt_clock(dur))}</span>" if dur is not None
                 else f"<span><b>Length</b> {_dash(_untimed_reason(result))}</span>")
    facts.append(f"<span><b>Turns</b> {len(tr.turns)}</span>")
    speakers = []
    if _text(row.get("clinician_speaker")):
        speakers.append(f'clinician {_e(row["clinician_speaker"])}')
    if _text(row.get("client_speaker")):
        speakers.append(f'client {_e(row["client_speaker"])}')
    inferred = _truthy(row.get("role_inferred", tr.role_inferred))
    roles = ", ".join(speakers) or "—"
    if inferred:
        roles += ' <span class="band band-fair">roles inferred</span>'
    facts.append(f"<span><b>Speakers</b> {roles}</span>")
    notes, warnings = split_notes(_warnings(row.get("warnings"), tr.warnings))
    extra = ""
    if notes:
        extra += '<p class="note small" role="note"><b>Note:</b> ' + " · ".join(_e(n) for n in notes) + "</p>"
    if len(warnings) == 1:  # one line, so the scores stay on the first screen
        extra += f'<div class="warn" role="note"><strong>Problem while reading the file:</strong> {_e(warnings[0])}</div>'
    elif warnings:
        lis = "".join(f"<li>{_e(w)}</li>" for w in warnings)
        extra += f'<div class="warn" role="note"><strong>Problems while reading the file</strong><ul>{lis}</ul></div>'
    from .checks import checks_notes_html

    extra += checks_notes_html(row)  # the session check: not a counselling session, unpunctuated text
    facts.append(f"<span><b>File</b> {_e(Path(str(row.get('source') or tr.source)).name)}</span>")
    return (f'<header class="top">\n<h1>Session report: {_e(sid)}</h1>\n<p class="facts">{" ".join(facts)}</p>\n'
            f"{extra}</header>")


def _warnings(cell: Any, fallback: Sequence[str]) -> list[str]:
    if isinstance(cell, (list, tuple)):
        items = [str(w) for w in cell]
    elif _text(cell):
        items = str(cell).split(" | ")
    else:
        items = list(fallback)
    return [w.strip() for w in items if w and w.strip()]


def _quote_html(q: Quote, anchors: set[int]) -> str:
    when = fmt_clock(q.start_s)
    label = f"Turn {q.turn}" + (f" · {when}" if when else "")
    link = f'<a href="#turn-{int(q.turn)}">{_e(label)}</a>' if q.turn in anchors else _e(label)
    return (f'<li>{link} <small>{_e(q.speaker)} · {_e(_code_name(q.code))}</small><br>'
            f'“{_e(q.text)}”</li>')


def driver_text(d: Any) -> str:
    """A driver in words: the figure, its value, and which way it moved the score (the arrow explained)."""
    from .summary import figure_value

    way = "raised the score" if d.pull > 0 else "lowered the score"
    arrow = "↑" if d.pull > 0 else "↓"
    return f"{d.marker.name} = {figure_value(d.marker, d.raw)} ({arrow} {way}; this figure alone scores {d.score:.0f}/100)"


def _skill_card(s: SkillScore, anchors: set[int]) -> str:
    # "card-*" not "band-*": the band chip's colours must not tint the whole card.
    card = "card-" + (s.band.replace(" ", "-") if s.band else "none")
    parts = [f'<section class="card {card}" aria-label="{_e(s.label)}">']
    if s.score is None:
        parts.append(f'<h3>{_e(s.label)}</h3><p class="noscore">no score {_band_chip("")}</p>')
        parts.append(f'<p class="small">{_e(s.reason or "the session gives too little to go on")}</p>')
    else:
        from .checks import interval_html

        parts.append(f'<h3>{_e(s.label)} <span class="score">{s.score:.0f}</span>'
                     f'<small>/100</small> {_band_chip(s.band)}'
                     f'{interval_html(getattr(s, "low", None), getattr(s, "high", None), getattr(s, "uncertain", None))}</h3>')
    if s.drivers:
        lis = "".join(
            f'<li title="{_e(d.marker.rationale)}">{_e(driver_text(d))}'
            f'<span class="rationale">{_e(d.marker.rationale)}</span></li>'
            for d in s.drivers
        )
        parts.append(f'<div class="label">What moved the score</div><ul class="drivers">{lis}</ul>')
    if s.score is not None and s.reason:
        parts.append(f'<p class="small">{_e(s.reason)}</p>')
    if s.quotes:
        parts.append('<div class="label">Evidence</div><ul class="quotes">'
                     + "".join(_quote_html(q, anchors) for q in s.quotes[:3]) + "</ul>")
    if s.suggestion:
        parts.append(f'<p class="suggestion"><strong>Try:</strong> {_e(s.suggestion)}</p>')
    parts.append("</section>")
    return "".join(parts)


def _skills_section(result: SessionResult, th: Any) -> str:
    sk = result.skills
    if sk is None or not getattr(sk, "skills", None):
        return '<h2 id="skills">Skills in detail</h2><p class="muted">No skill map was applied to this session.</p>'
    anchors = {tc.turn.index for tc in result.markers.turns}
    cards = "\n".join(_skill_card(s, anchors) for s in sk.skills)
    if sk.overall is not None:
        from .checks import interval_html

        iv = interval_html(getattr(sk, "overall_low", None), getattr(sk, "overall_high", None),
                           getattr(sk, "overall_uncertain", None))
        overall = (f'<p class="overall"><strong>Overall:</strong> {sk.overall:.0f}/100 {_band_chip(sk.overall_band)}{iv} '
                   f'<small>mean of the skills scored above</small></p>')
    else:
        n = sum(s.score is not None for s in sk.skills)
        overall = (f'<p class="overall"><strong>Overall:</strong> {_dash(f"only {n} of {len(sk.skills)} skills could be scored")}</p>')
    how = ('<p class="small">Each skill is the weighted mean of the figures below, each read off its own 0–100 '
           "line. ↑ means the figure raised the skill's score, ↓ that it lowered it; hover a figure for why it "
           "counts.</p>")
    return (f'<section id="skills"><h2>Skills in detail</h2>\n{sections.skills_chart(result, th)}\n{how}\n'
            f'<div class="cards">\n{cards}\n</div>\n{overall}</section>')


def _miti_status(value: float | None, fair: float, good: float) -> str:
    if value is None:
        return ""
    band = "good" if value >= good else "fair" if value >= fair else "needs work"
    shown = {"needs work": "below fair"}.get(band, band)
    return f' <span class="band {_band_class(band)}">{shown}</span>'


def _untimed_reason(result: SessionResult) -> str:
    """Why seconds-based figures are empty: no timestamps at all, or start times without end times."""
    return "start times only, no end times" if result.transcript.has_times else "no timestamps"


def _run_settings(result: SessionResult) -> MarkerSettings:
    """The thresholds the session was analysed with (the run's configuration)."""
    return plots._settings(result)


def _miti(result: SessionResult, figure: str, fair: float, good: float) -> tuple[float, float]:
    """(fair, good) for a MITI figure from the run's settings ([miti] in models/markers.toml)."""
    return _run_settings(result).miti.get(figure, (fair, good))


def _miti_rows(result: SessionResult, g: Any) -> list[tuple[str, str, str, str]]:
    """R:Q, complex reflections and open questions against the run's MITI thresholds."""
    from .checks import ratio_interval_html as _iv

    rq_fair, rq_good = _miti(result, "reflection_to_question_ratio", 1, 2)
    cr_fair, cr_good = _miti(result, "complex_reflection_share", 0.4, 0.5)
    po_fair, po_good = _miti(result, "open_question_share", 0.5, 0.7)
    row = result.session
    rows: list[tuple[str, str, str, str]] = []
    rq = g("reflection_to_question_ratio")
    rows.append(("Reflection : question (R:Q)", (f"{_fmt(rq)}" + _miti_status(rq, rq_fair, rq_good) + _iv(row, "reflection_to_question_ratio"))
                 if rq is not None else _dash("no questions asked"),
                 f"MITI 4.2.1: fair ≥ {rq_fair:g}, good ≥ {rq_good:g}", "reflection_to_question_ratio"))
    cr = g("complex_reflection_share")
    rows.append(("Complex reflections (%CR)", (f"{_fmt(100 * cr, 1)}%" + _miti_status(cr, cr_fair, cr_good) + _iv(row, "complex_reflection_share", share=True)) if cr is not None else _dash("no reflections"),
                 f"MITI 4.2.1: fair ≥ {100 * cr_fair:g}%, good ≥ {100 * cr_good:g}%", "complex_reflection_share"))
    po = g("open_question_share")
    rows.append(("Open questions", (f"{_fmt(100 * po, 1)}%" + _miti_status(po, po_fair, po_good) + _iv(row, "open_question_share", share=True)) if po is not None else _dash("no questions asked"),
                 f"MITI 3: fair ≥ {100 * po_fair:g}%, good ≥ {100 * po_good:g}%", "open_question_share"))
    return rows


def _figures_section(result: SessionResult) -> str:
    row = result.session
    fast_s = _run_settings(result).fast_response_s
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
    rows += _miti_rows(result, g)
    s0, s1, ds = g("client_sentiment_start"), g("client_sentiment_end"), g("client_sentiment_change")
    if s0 is not None and s1 is not None:
        arc = f"{s0:+.2f} → {s1:+.2f}" + (f" <small>(change {ds:+.2f})</small>" if ds is not None else "")
    else:
        arc = _dash("fewer than 3 client turns")
    rows.append(("Client sentiment arc", arc, "−1..1: mean of the first vs the last third of client turns",
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


@lru_cache(maxsize=512)
def _code_look(code: str, n_markers: int) -> tuple[bool, str, str]:
    """(highlighted, tone, name) of an evidence code; ``n_markers`` keys the cache to the registry's size,
    so a marker registered at run time is seen (the registry lookups scan every marker)."""
    return REGISTRY.highlighted(code), REGISTRY.tone(code), _code_name(code)


def _highlight(text: str, hits: Iterable[Hit]) -> str:
    """The turn text, escaped, with evidence spans wrapped in <mark>; overlapping spans are merged."""
    hits = list(hits)
    if not hits:
        return _e(text)
    n_markers = len(REGISTRY)
    spans: list[tuple[int, int, Any]] = []
    for h in hits:
        if not _code_look(h.code, n_markers)[0]:
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
        tones = {_code_look(h.code, n_markers)[1] for h in hs}
        tone = "neg" if "neg" in tones else "pos" if "pos" in tones else "q" if "q" in tones else ""
        title = "; ".join(dict.fromkeys(f"{_code_look(h.code, n_markers)[2]} ({h.value}): {h.rule_id}" for h in hs))
        cls = f' class="hl-{tone}"' if tone else ""
        out.append(f'<mark{cls} title="{_e(title)}">{_e(text[s:e])}</mark>')
        pos = e
    out.append(_e(text[pos:]))
    return "".join(out)


def _badges(tc: TurnCodes, order: Sequence[Any] | None = None) -> str:
    """Badges for the turn's codes, each titled with the rule ids that fired (``order``: :func:`_badge_order`)."""
    if not (tc.hits or tc.question or tc.reflection or tc.interruption or tc.backchannel or any(tc.flags.values())):
        return ""  # most client turns carry no code: skip the walk over every marker
    rules: dict[str, list[str]] = {}
    for h in tc.hits:
        rules.setdefault(h.code, []).append(h.rule_id)
    out = []
    for marker in order if order is not None else _badge_order():
        value = getattr(tc, marker.name, None) if marker.kind == "category" or not marker.turn_flag else None
        if marker.kind == "category" and value:
            label = marker.badge_text(value)
        elif marker.kind == "flag" and (value if not marker.turn_flag else tc.flags.get(marker.name)):
            label = marker.badge_text()
        else:
            continue
        ids = ", ".join(dict.fromkeys(rules.get(marker.name, []))) or "no rule id recorded"
        out.append(_badge(marker.tone, marker.display, label, ids))
    return " ".join(out)


def _badge_order() -> tuple[Any, ...]:
    """The turn's codes first, then the turn-taking flags (interruption, backchannel) that describe the whole turn.

    Read from the registry once per report (a marker registered at run time shows up in the next one).
    """
    return tuple(sorted(REGISTRY, key=lambda m: m.kind == "flag" and not m.turn_flag))


@lru_cache(maxsize=4096)
def _badge(tone: str, display: str, label: str, ids: str) -> str:
    """One badge; the same few recur on every turn, so each is built once (the transcript is most of a report)."""
    cls = f"badge {tone}".strip()
    return f'<span class="{cls}" title="{_e(display)}: {_e(ids)}">{_e(label)}</span>'


def _transcript_section(result: SessionResult, printed: bool = False) -> str:
    cls = "transcript" if printed else "transcript screen-only"
    note = "" if printed else ('<p class="small print-note">The transcript is shown on screen only; it can be '
                               "included in the printout when the sessions are analysed.</p>")
    parts = [f'<section id="transcript" class="{cls}">', '<h2>Transcript</h2>',
             '<p class="legend">Highlights: <mark class="hl-pos">reflective / validating</mark>'
             '<mark class="hl-q">question</mark><mark class="hl-neg">advice / dismissive</mark>'
             '<mark>other evidence</mark> <small>Hover a highlight or badge for the rule that fired.</small></p>']
    names: dict[str, str] = {}  # speaker -> its escaped head: a session has a handful of speakers
    order = _badge_order()
    for tc in result.markers.turns:
        t = tc.turn
        role = t.role if t.role in ("clinician", "client") else "other"
        cls = f"turn {role}" + (" backchannel" if tc.backchannel else "")
        head = [f'<a href="#turn-{t.index}">#{t.index}</a>']
        if t.start_s is not None:
            head.append(f'<span class="time">{fmt_clock(t.start_s)}</span>')  # digits and colons only
        who = names.get(t.speaker)
        if who is None:
            who = names[t.speaker] = f'<span class="who">{_e(t.speaker)}</span> · <span class="role">{_e(t.role)}</span>'
        head.append(who)
        p = tc.pause_before_response_s
        if p is not None:
            # A negative pause is an overlap: say so rather than print "pause -0.4 s".
            head.append(f"<span>pause {p:.2f} s</span>" if p >= 0 else f"<span>overlap {-p:.2f} s</span>")
        badges = _badges(tc, order)
        meta = " · ".join(head) + (" " + badges if badges else "")
        parts.append(f'<div class="{cls}" id="turn-{t.index}"><div class="head">{meta}</div>'
                     f"<p>{_highlight(t.text, tc.hits)}</p></div>")
    parts.append("</section>")
    return note + "\n".join(parts)


def _page(title: str, body: str, script: str = "") -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{_e(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n{script}</body>\n</html>\n"
    )


# ------------------------------------------------------------------ public API


def session_report_html(result: SessionResult, previous: Mapping[str, Any] | None = None, print_transcript: bool = False) -> str:
    """One self-contained HTML page for an analysed session (SessionResult).

    First screen: the scores with bands (and ranges where known), two
    strengths and two growth areas with the moment that shows each, and
    ``previous`` (the clinician's previous session row, when known) as the
    change since then.  Then the talk-time timeline with key moments, the
    client's sentiment arc, skill details with evidence, the key figures,
    the pause chart and the transcript (screen only unless
    ``print_transcript``).  Charts are inline SVG; no script, nothing fetched.
    """
    th = sections.thresholds(result)
    nav = ('<nav class="small screen-only"><a href="#summary">Summary</a> · <a href="#timeline">Who spoke when</a> · '
           '<a href="#sentiment">Client\'s mood</a> · <a href="#skills">Skills in detail</a> · '
           '<a href="#figures">Key figures</a> · <a href="#transcript">Transcript</a></nav>')
    body = "\n".join([
        _header(result), sections.summary_section(result, th, previous), nav,
        '<div class="rest">', sections.timeline_section(result, th), sections.sentiment_section(result, th),
        _skills_section(result, th), _figures_section(result), sections.pauses_section(result, th, _untimed_reason(result)),
        _transcript_section(result, print_transcript), "</div>",
    ])
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


def write_session_report(result: SessionResult, out_dir: str | Path, previous: Mapping[str, Any] | None = None,
                         print_transcript: bool = False) -> Path:
    """Write the session's report to ``out_dir/report_filename(...)`` atomically; returns its path."""
    path = Path(out_dir) / report_filename(result.session_id)
    return write_text_atomic(path, session_report_html(result, previous, print_transcript))


def add_previous_session(path: str | Path, row: Mapping[str, Any], previous: Mapping[str, Any] | None,
                         skills: Sequence[tuple[str, str]]) -> bool:
    """Fill a written report's "since the previous session" line (a run learns every date only at its end)."""
    p = Path(path)
    page = p.read_text(encoding="utf-8")
    if sections.PREVIOUS_PLACEHOLDER not in page:
        return False
    block = sections.previous_html(row, previous, skills) if previous is not None else ""
    write_text_atomic(p, page.replace(sections.PREVIOUS_PLACEHOLDER, block, 1))
    return True


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


def _skill_labels(skill_map: SkillMap | None) -> dict[str, str]:
    """Skill key -> label from the run's skill map (None: the keys are shown as names)."""
    return {s.key: s.label for s in skill_map.skills} if skill_map is not None else {}


def _score_cell(row: Mapping[str, Any], key: str) -> str:
    score = _number(row.get(f"{key}_score"))
    if score is None:
        reason = _text(row.get(f"{key}_reason")) or "not scored"
        return f'<td data-v="" title="{_e(reason)}">— <small>no score</small></td>'
    band = _text(row.get(f"{key}_band"))
    lo, hi = _number(row.get(f"{key}_score_low")), _number(row.get(f"{key}_score_high"))
    rng = f' <small class="rng">{lo:.0f}–{hi:.0f}</small>' if lo is not None and hi is not None else ""
    return f'<td data-v="{score:.1f}"><strong>{score:.0f}</strong> {_band_chip(band)}{rng}</td>'


def _notes(r: Mapping[str, Any]) -> str:
    """The notes cell: what to know about the session, in words (role notes, missing times, reading problems)."""
    notes, warnings = split_notes(_warnings(r.get("warnings"), ()))
    out = []
    out += notes
    if _truthy(r.get("role_inferred")) and not any("inferred" in n for n in notes):
        out.append("roles inferred")
    if "duration_s" in r and _number(r.get("duration_s")) is None:
        out.append("no timestamps: no pauses or talk time")
    elif _text(r.get("talk_time_basis")) == "none":
        out.append("start times only: no pauses")
    out += [f"problem: {w}" for w in warnings]
    return "<br>".join(_e(x) for x in out)


def _mean_cell(rows: Sequence[Mapping[str, Any]], key: str, skill_map: Any) -> str:
    vals = [v for v in (_number(r.get(f"{key}_score")) for r in rows) if v is not None]
    if not vals:
        return "<td>—</td>"
    m = sum(vals) / len(vals)
    band = skill_map.band(m) if skill_map is not None and hasattr(skill_map, "band") else ""
    chip = f" {_band_chip(band)}" if band else ""
    return f"<td><strong>{m:.0f}</strong>{chip} <small>mean of {len(vals)}</small></td>"


# A few lines to sort the table by a column header, within each clinician's group; the page reads fine without.
_SORT_JS = """<script>
document.querySelectorAll('table.sessions th[data-col]').forEach(function (th) {
  th.addEventListener('click', function () {
    var col = +th.dataset.col, dir = th.dataset.dir === 'asc' ? -1 : 1;
    th.dataset.dir = dir === 1 ? 'asc' : 'desc';
    th.closest('table').querySelectorAll('tbody').forEach(function (tb) {
      var rows = Array.prototype.slice.call(tb.querySelectorAll('tr.srow'));
      rows.sort(function (a, b) {
        var x = a.cells[col].dataset.v || a.cells[col].textContent, y = b.cells[col].dataset.v || b.cells[col].textContent;
        var nx = parseFloat(x), ny = parseFloat(y);
        return dir * (isNaN(nx) || isNaN(ny) ? x.localeCompare(y) : nx - ny);
      });
      rows.forEach(function (r) { tb.appendChild(r); });
    });
  });
});
</script>"""


def index_html(
    session_rows: Sequence[Mapping[str, Any]],
    reports: Mapping[str, str],
    extra_sections: Sequence[str] = (),
    skill_map: SkillMap | None = None,
) -> str:
    """The run's index page: sessions grouped by clinician, a summary row each, scores and a link to each report.

    ``session_rows`` are sessions.csv rows (dicts); ``reports`` maps
    session_id to the report's path relative to the index;
    ``extra_sections`` are trusted HTML fragments (trend charts) appended as
    is; ``skill_map`` (the run's) names the skill columns and bands the
    summary rows.  Column headers sort the rows within each group (a few
    lines of inline script; without it the table reads in date order).
    """
    rows = list(session_rows)
    skill_keys = _skill_keys(rows)
    labels = _skill_labels(skill_map)
    has_clin = any(_text(r.get("clinician")) for r in rows)
    has_date = any(_text(r.get("session_date")) for r in rows)
    has_client = any(_text(r.get("client")) for r in rows)
    heads = ["Session"] + (["Date"] if has_date else []) + (["Client"] if has_client else [])
    heads += [labels.get(k, k.replace("_", " ").capitalize()) for k in skill_keys] + ["Overall", "Notes"]
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for r in rows:
        groups.setdefault(_text(r.get("clinician")) if has_clin else "", []).append(r)
    order = sorted(groups, key=lambda c: (c == "", c))
    bodies = []
    for clin in order:
        grp = sorted(groups[clin], key=lambda r: (_text(r.get("session_date")), _text(r.get("session_id"))))
        trs = []
        if has_clin:
            dates = [d for d in (_text(r.get("session_date")) for r in grp) if d]
            span = f" · {dates[0]} to {dates[-1]}" if len(dates) > 1 else (f" · {dates[0]}" if dates else "")
            name = _e(clin) if clin else "No clinician recorded"
            trs.append(f'<tr class="grouphead"><th colspan="{len(heads)}" scope="rowgroup">{name} '
                       f"<small>{len(grp)} session{'s' if len(grp) != 1 else ''}{_e(span)}</small></th></tr>")
            pre = 1 + has_date + has_client
            trs.append(f'<tr class="sumrow"><td colspan="{pre}">All sessions of {name}</td>'
                       + "".join(_mean_cell(grp, k, skill_map) for k in [*skill_keys, "overall"]) + "<td></td></tr>")
        for r in grp:
            sid = _text(r.get("session_id"))
            href = reports.get(sid)
            cell = f'<a href="{_e(url_quote(href, safe="/._-~"))}">{_e(sid)}</a>' if href else _e(sid)
            tds = [f"<td>{cell}</td>"]
            if has_date:
                tds.append(f'<td class="date">{_e(_text(r.get("session_date")))}</td>')
            if has_client:
                tds.append(f"<td>{_e(_text(r.get('client')))}</td>")
            tds += [_score_cell(r, k) for k in skill_keys]
            tds.append(_score_cell(r, "overall"))
            tds.append(f'<td class="notes"><small>{_notes(r)}</small></td>')
            trs.append('<tr class="srow">' + "".join(tds) + "</tr>")
        bodies.append("<tbody>\n" + "\n".join(trs) + "\n</tbody>")
    thead = "".join(f'<th scope="col" data-col="{i}" title="sort by this column">{_e(h)}</th>'
                    for i, h in enumerate(heads))
    # Fixed layout: widths by what a column holds, so long ids wrap instead of overflowing.
    widths = [14.0] + ([10.5] if has_date else []) + ([7.0] if has_client else [])
    n_scores = len(skill_keys) + 1
    notes_w = 22.0
    score_w = (100 - sum(widths) - notes_w) / n_scores
    cols = "".join(f'<col style="width:{w:.2f}%">' for w in [*widths, *[score_w] * n_scores, notes_w])
    table = (f'<table class="sessions"><colgroup>{cols}</colgroup><thead><tr>{thead}</tr></thead>\n'
             + "\n".join(bodies) + "\n</table>") if rows else '<p class="muted">No sessions were analysed.</p>'
    n = len(rows)
    body = (f"<h1>Session analyzer: run index</h1>\n<p class=\"muted\">{n} session{'s' if n != 1 else ''}"
            + (f" by {len([c for c in groups if c])} clinician(s)" if has_clin else "") + ". "
            "Scores are 0-100 with bands needs work / fair / good; hover “no score” for the reason. "
            "Click a column heading to sort; open a session for the evidence behind every number.</p>\n"
            f'<h2 id="sessions">Sessions</h2>\n{table}\n' + "\n".join(extra_sections))
    return _page("Session analyzer: run index", body, _SORT_JS if rows else "")


def write_index(
    session_rows: Sequence[Mapping[str, Any]],
    reports: Mapping[str, str],
    out_dir: str | Path,
    extra_sections: Sequence[str] = (),
    skill_map: SkillMap | None = None,
) -> Path:
    """Write :func:`index_html` to ``out_dir/index.html`` atomically; returns its path."""
    return write_text_atomic(Path(out_dir) / "index.html", index_html(session_rows, reports, extra_sections, skill_map))
