"""Report snippets for the session checks: the interval beside a score, the screening and punctuation notes.

Kept apart from html.py so the page layout and these notes can change independently; every function
returns an HTML fragment (escaped) or "" where there is nothing to say.
"""

from __future__ import annotations

import html
from typing import Any

from ..screening import OK, punctuation_note


def interval_html(low: float | None, high: float | None, uncertain: bool | None) -> str:
    """``90% 62–81`` beside a score, and an ``uncertain`` chip where the interval is wide."""
    if low is None or high is None:
        return ""
    tip = "90% interval: the score stays in this range in 90% of resamples of the clinician's turns"
    chip = (' <span class="band band-fair" title="the interval is wide: the session gives little evidence for '
            'this score, so read the band with care">uncertain</span>') if uncertain else ""
    return f' <small class="interval" title="{html.escape(tip)}">90% {low:.0f}–{high:.0f}</small>{chip}'


def checks_notes_html(row: dict[str, Any]) -> str:
    """Notes for the report header: not a counselling session; codes resting on unpunctuated text."""
    notes = []
    verdict = row.get("session_check") or OK
    if verdict != OK:
        scored = row.get("overall_score") is not None or any(
            row.get(k) is not None for k in row if k.endswith("_score") and k != "overall_score")
        what = "It was scored anyway (--force): read the scores with that in mind." if scored else \
            "No skill scores are given; the codes and figures below are shown as found."
        notes.append(f"<strong>This does not look like a counselling session</strong>: {html.escape(verdict)}. {what}")
    note = punctuation_note(str(row.get("punctuation") or ""))
    if note:
        notes.append(html.escape(note))
    return "".join(f'<div class="warn" role="note">{n}</div>' for n in notes)


def ratio_interval_html(row: dict[str, Any], figure: str, percent: bool = False, share: bool = False) -> str:
    """``90% 0.8–1.6`` beside a MITI ratio (R:Q), ``90% 55%–80%`` beside a share (``share``: 0..1 shown as %)."""
    lo, hi = row.get(f"{figure}_low"), row.get(f"{figure}_high")
    if lo is None or hi is None:
        return ""
    fmt = ((lambda x: f"{100 * x:.0f}%") if share else (lambda x: f"{x:.0f}%") if percent
           else (lambda x: f"{x:.1f}"))
    return f' <small class="interval" title="90% interval over resamples of the clinician\'s turns">90% {fmt(lo)}–{fmt(hi)}</small>'
