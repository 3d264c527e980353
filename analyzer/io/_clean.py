"""Cleaning at the reader boundary: what every reader's segments pass through once.

Readers hand over whatever the file held.  Before roles and turns are built,
each segment's text and speaker are made safe for everything downstream
(spaCy, the CSV writers, the console):

* lone surrogates (``"\\ud83d"`` from a JSON escape of half an emoji, or a
  file name with a non-UTF-8 byte) become U+FFFD, so no encoder fails later;
* control characters (other than the whitespace they stand for) become
  spaces; runs of whitespace become one space;
* times must be finite and of a plausible size (a 400-digit number is not a
  time), else the file is refused naming the line;
* a turn longer than spaCy can hold in one Doc is refused with its line.

Cue order is checked here too, for every timed format alike: a segment that
starts before the previous one, or before the previous one ended, gives one
warning per kind naming the first line.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from ..errors import FormatError
from ..model import Segment, Turn

_SURROGATES = re.compile("[\ud800-\udfff]")
# Cc controls and the Unicode line/paragraph separators; tab and newline included (text is joined on spaces).
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SPACES = re.compile(r"\s+")
# Epoch seconds (ConvoKit timestamps) are ~1.8e9; anything past this is not a time of speech.
MAX_TIME_S = 1e11
# spaCy refuses a Doc longer than nlp.max_length (1,000,000 characters by default; error E088).
MAX_TURN_CHARS = 1_000_000


# Anything clean_string would change; most segments have none, and skip the three substitutions.
_UNCLEAN = re.compile("[\ud800-\udfff\x00-\x1f\x7f-\x9f\u2028\u2029]|\\s\\s|^\\s|\\s$|[^\\S ]")


def clean_string(value: str) -> str:
    """``value`` with lone surrogates replaced, controls turned to spaces and whitespace collapsed."""
    if not _UNCLEAN.search(value):
        return value
    value = _SURROGATES.sub("\ufffd", value)
    value = _CONTROLS.sub(" ", value)
    return _SPACES.sub(" ", value).strip()


def display_path(path: str | Path) -> str:
    """A path as text that can always be printed and written (non-UTF-8 bytes become U+FFFD)."""
    s = str(path)
    if not _SURROGATES.search(s):
        return s
    return s.encode("utf-8", "surrogateescape").decode("utf-8", "replace").replace("\udcff", "\ufffd")


def _check_time(value: float | None, seg: Segment, source: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FormatError(f"segment {seg.index}: time {value!r} is not a number", path=source, line=seg.line)
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number) or abs(number) > MAX_TIME_S:
        shown = str(value) if len(str(value)) <= 24 else f"a {len(str(value))}-character number"
        raise FormatError(f"segment {seg.index}: time {shown} is not a usable time", path=source, line=seg.line)
    return number


def clean_segments(segments: list[Segment], source: str) -> list[Segment]:
    """Segments with clean text, speaker and times; empty ones dropped and renumbered."""
    out: list[Segment] = []
    for seg in segments:
        text = clean_string(seg.text)
        speaker = clean_string(seg.speaker)
        if not text or not speaker:
            continue
        start = _check_time(seg.start_s, seg, source)
        end = _check_time(seg.end_s, seg, source)
        index = len(out) + 1
        if (index, text, speaker, start, end) == (seg.index, seg.text, seg.speaker, seg.start_s, seg.end_s):
            out.append(seg)  # the usual case: nothing to change, no copy
        else:
            out.append(Segment(index, speaker, text, start, end, seg.line))
    return out


def order_warnings(segments: list[Segment]) -> list[str]:
    """One warning for segments that start before the previous one, one for overlaps, each naming a line.

    Another speaker starting before the previous segment ended is overlapping speech (the talk
    figures count it as an interruption), so only the same speaker overlapping themselves counts
    as broken times here.
    """
    backwards: list[Segment] = []
    overlaps: list[Segment] = []
    prev: Segment | None = None
    for seg in segments:
        if seg.start_s is None:
            continue
        if prev is not None and prev.start_s is not None:
            if seg.start_s < prev.start_s:
                backwards.append(seg)
            elif prev.end_s is not None and seg.start_s < prev.end_s and seg.speaker == prev.speaker:
                overlaps.append(seg)
        prev = seg
    out = []
    if backwards:
        out.append(
            f"{len(backwards)} segment(s) start before the one above them (first at {_where(backwards[0])}): "
            "times may be out of order, so timing figures are unreliable"
        )
    if overlaps:
        out.append(
            f"{len(overlaps)} segment(s) start before the same speaker's previous one ended "
            f"(first at {_where(overlaps[0])}): cue times overlap"
        )
    return out


def _where(seg: Segment) -> str:
    return f"line {seg.line}" if seg.line else f"segment {seg.index}"


def check_turn_sizes(turns: tuple[Turn, ...], source: str) -> None:
    """Refuse a turn too long to analyse (spaCy's limit), naming where it starts."""
    for t in turns:
        if len(t.text) > MAX_TURN_CHARS:
            raise FormatError(
                f"turn {t.index} has {len(t.text):,} characters, "
                f"more than the {MAX_TURN_CHARS:,} one turn can hold: the speaker labels are probably missing "
                "or the file is not a transcript; split the turn",
                path=source,
                line=t.line,
            )
