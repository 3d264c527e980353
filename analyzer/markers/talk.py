"""Talk time, turn-taking and timing: who talks, how much, and how the clinician takes the floor.

All figures here are structural (no lexicon).  Backchannels ("mm-hmm") are
listener tokens, not turns: they never end a monologue, never count as a
speaker switch and are never an interruption.  Every timing figure says what
it rests on: ``timestamps`` (start and end times), ``text markers`` (cut-off
dashes, ``[crosstalk]`` notes) or ``none``; a figure the source cannot
support is ``None`` (an empty cell), never zero.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from ..model import Turn
from .base import Hit
from .settings import MarkerSettings


@dataclass(frozen=True)
class TurnTiming:
    """Per-turn timing: the pause before a clinician response and whether it interrupts."""

    pause_before_response_s: float | None
    interruption: bool
    evidence: Hit | None


def timing_basis(turns: Sequence[Turn]) -> str:
    """``timestamps`` when turns have start and end times, else ``none``."""
    if turns and all(t.start_s is not None and t.end_s is not None for t in turns):
        return "timestamps"
    return "none"


def cut_off(text: str, settings: MarkerSettings) -> str | None:
    """The text marker showing a turn was cut off, or None."""
    s = text.rstrip()
    low = s.lower()
    for note in settings.interruption_notes:
        if note in low:
            return note
    for ending in settings.cutoff_endings:
        if s.endswith(ending):
            # A lone hyphen only counts when it hangs off a word ("I was go-"), not in "well -" lists.
            return ending
    return None


def turn_timing(
    turns: Sequence[Turn], backchannel: Sequence[bool], settings: MarkerSettings
) -> list[TurnTiming]:
    """Pause before each clinician response and interruptions, turn by turn.

    A clinician turn *responds* when the previous substantive turn is the
    client's.  It *interrupts* when it starts at least ``min_overlap_s``
    before that client turn ends, or when that client turn ends cut off
    (``--``, ``…``, ``[crosstalk]``) and the clinician takes over.  A
    clinician backchannel never interrupts.
    """
    basis = timing_basis(turns)
    out: list[TurnTiming] = []
    prev: Turn | None = None  # previous substantive (non-backchannel) turn
    for turn, bc in zip(turns, backchannel):
        pause = None
        interrupted = False
        evidence = None
        if turn.role == "clinician" and not bc and prev is not None and prev.role == "client":
            if basis == "timestamps" and turn.start_s is not None and prev.end_s is not None:
                pause = round(turn.start_s - prev.end_s, 3)
                if -pause >= settings.min_overlap_s:
                    interrupted = True
                    evidence = Hit("interruption", "overlap", "timing.overlap", 0, len(turn.text), turn.text[:80])
            marker = cut_off(prev.text, settings)
            if marker and not interrupted:
                interrupted = True
                evidence = Hit("interruption", "cut_off", f"text.cut_off({marker.strip('[]')})", 0, 0, prev.text[-60:])
        out.append(TurnTiming(pause, interrupted, evidence))
        if not bc:
            prev = turn
    return out


def _runs(turns: Sequence[Turn], words: Sequence[int], backchannel: Sequence[bool], role: str) -> list[tuple[int, float | None]]:
    """Stretches of one role's speech, bridged over the other side's backchannels: (words, seconds)."""
    runs: list[tuple[int, float | None]] = []
    cur_words = 0
    cur_start: float | None = None
    cur_end: float | None = None
    active = False
    for turn, n, bc in zip(turns, words, backchannel):
        if turn.role == role and not bc:
            if not active:
                active, cur_words, cur_start = True, 0, turn.start_s
            cur_words += n
            cur_end = turn.end_s
        elif bc or turn.role == "other":
            continue  # a backchannel or an aside does not end the stretch
        elif active:
            runs.append((cur_words, _span(cur_start, cur_end)))
            active = False
    if active:
        runs.append((cur_words, _span(cur_start, cur_end)))
    return runs


def _span(start: float | None, end: float | None) -> float | None:
    if start is None or end is None:
        return None
    return round(max(0.0, end - start), 2)


def session_duration_s(turns: Sequence[Turn]) -> float | None:
    """From the first start to the last end (or last start where there are no ends)."""
    starts = [t.start_s for t in turns if t.start_s is not None]
    ends = [t.end_s for t in turns if t.end_s is not None]
    if not starts:
        return None
    last = max(ends) if ends else max(starts)
    return round(max(0.0, last - min(starts)), 2)


def talk_figures(
    turns: Sequence[Turn],
    words: Sequence[int],
    backchannel: Sequence[bool],
    timing: Sequence[TurnTiming],
    settings: MarkerSettings,
) -> dict[str, float | int | str | None]:
    """Session figures for talk time, turn-taking and timing."""
    basis = timing_basis(turns)
    w_clin = sum(n for t, n in zip(turns, words) if t.role == "clinician")
    w_client = sum(n for t, n in zip(turns, words) if t.role == "client")
    s_clin = s_client = None
    if basis == "timestamps":
        s_clin = sum(t.duration_s or 0.0 for t in turns if t.role == "clinician")
        s_client = sum(t.duration_s or 0.0 for t in turns if t.role == "client")
    duration = session_duration_s(turns)
    clin_runs = _runs(turns, words, backchannel, "clinician")
    client_runs = _runs(turns, words, backchannel, "client")

    # Speaker switches between substantive turns only: a backchannel is not taking the floor.
    roles = [t.role for t, bc in zip(turns, backchannel) if not bc and t.role in ("clinician", "client")]
    switches = sum(1 for a, b in zip(roles, roles[1:]) if a != b)

    pauses = [tm.pause_before_response_s for tm in timing if tm.pause_before_response_s is not None]
    gaps = []
    overlaps = 0
    if basis == "timestamps":
        for a, b in zip(turns, turns[1:]):
            gap = b.start_s - a.end_s  # type: ignore[operator]
            gaps.append(gap)
            if -gap >= settings.min_overlap_s:
                overlaps += 1
    n_interruptions = sum(tm.interruption for tm in timing)
    interruption_basis = "timestamps" if basis == "timestamps" else "text markers"
    minutes = duration / 60 if duration else None

    def share(a: float | None, b: float | None) -> float | None:
        if a is None or b is None or a + b <= 0:
            return None
        return round(a / (a + b), 3)

    return {
        "duration_s": duration,
        "clinician_talk_share_words": share(w_clin, w_client),
        "client_talk_share_words": share(w_client, w_clin),
        "clinician_talk_share_time": share(s_clin, s_client),
        "talk_time_basis": basis,
        "longest_clinician_monologue_words": max((r[0] for r in clin_runs), default=0),
        "longest_clinician_monologue_s": max((r[1] for r in clin_runs if r[1] is not None), default=None),
        "longest_client_story_words": max((r[0] for r in client_runs), default=0),
        "longest_client_story_s": max((r[1] for r in client_runs if r[1] is not None), default=None),
        "speaker_switches": switches,
        "speaker_switches_per_min": round(switches / minutes, 2) if minutes else None,
        "median_pause_before_response_s": round(statistics.median(pauses), 2) if pauses else None,
        "share_fast_responses": (
            round(sum(p < settings.fast_response_s for p in pauses) / len(pauses), 3) if pauses else None
        ),
        "n_long_silences": sum(g > settings.silence_s for g in gaps) if basis == "timestamps" else None,
        "n_overlaps": overlaps if basis == "timestamps" else None,
        "pause_basis": "timestamps" if pauses else "none",
        "n_interruptions": n_interruptions,
        "interruptions_per_10_min": round(10 * n_interruptions / minutes, 2) if minutes else None,
        "interruption_basis": interruption_basis,
    }
