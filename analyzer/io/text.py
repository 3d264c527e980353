"""Typed transcripts (.txt, .md): ``Name: text`` lines.

Each line starting with a speaker label begins a segment; a line without one
continues the current segment (typed transcripts wrap long speech).  Blank
lines and ``#`` lines (comments, Markdown headings) are ignored.  A start time
may precede the label: ``[00:01:02]``, ``[01:02]``, ``(00:01:02)`` or a bare
``00:01:02``; ``Name (00:01:02): text`` works too.  Ends are never invented.

Which ``Word: text`` lines start a new speaker?  Speech itself contains
colons ("Note: this is hard", "And she said: ..."), so the part before the
colon must look like a label -- 1-4 words, at most 40 characters, no sentence
punctuation, not a word from ``[text] not_speakers`` in models/roles.toml --
and at least one of:

* it is a label roles.toml knows (Therapist, Client, T, P, Dr. Smith, ...);
* it has already started a line (a name seen before);
* it is a code (SPEAKER_00, Speaker 1, T1, A, B);
* it starts lines at least twice in the file;
* it is Capitalised and fewer than two speakers have been seen so far
  (the opening speakers of a transcript are usually plain names).

So a new one-off Capitalised word after the two main speakers are known
("Honestly: I don't know") stays part of the speech, with a warning.  Lines
before the first speaker of the form ``Date: ...`` (a not_speakers word) are
kept as metadata; other lines there are skipped with a warning.

Otter.ai exports are recognised by their shape: a header line holding only a
speaker and a start time (``Emma Lee  0:03`` or ``Emma Lee  1:02:03``) after
a blank line, the speech on the lines below it.  Each header starts a
segment at that time; Otter's closing "Transcribed by otter.ai" line is
dropped.  An export without timestamps (the name alone on its line) is
read the same way, without times, when no ``Name: text`` line is found and
at least two names each head two or more blocks.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from ..errors import FormatError
from ._common import (
    RawSession,
    clean_label,
    is_capitalised,
    is_code,
    is_known_label,
    is_not_speaker,
    label_shape_ok,
    parse_clock,
    split_prefix,
)

_OTTER_HEADER = re.compile(r"^(?P<name>\S.{0,59}?)\s+(?P<time>\d{1,2}:\d{2}(?::\d{2})?)$")
_OTTER_FOOTER = re.compile(r"^transcribed by\s+\S*otter\.ai\S*$", re.IGNORECASE)

_TIME = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
_RANGE_END = rf"(?:\s*(?:-|–|-->)\s*{_TIME})?"
_TIMESTAMP = re.compile(
    rf"^(?:\[\s*(?P<a>{_TIME}){_RANGE_END}\s*\]|\(\s*(?P<b>{_TIME}){_RANGE_END}\s*\)|(?P<c>{_TIME}){_RANGE_END}(?=\s))"
    r"\s*(?:[-–|]\s+)?"
)


def _strip_time(line: str) -> tuple[float | None, bool, str]:
    """``(start_s, bracketed, rest)`` for a leading timestamp; ``(None, False, line)`` without one."""
    m = _TIMESTAMP.match(line)
    if not m:
        return None, False, line
    value = m.group("a") or m.group("b") or m.group("c")
    return parse_clock(value), m.group("c") is None, line[m.end():].strip()


def _is_speaker(name: str, seen: dict[str, str], counts: Counter[str], labels: dict[str, Any]) -> bool:
    key = name.casefold()
    if is_not_speaker(name, labels):
        return False
    if key in seen or is_known_label(name, labels) or is_code(name):
        return True
    if counts[key] >= 2 and (is_capitalised(name) or len(name.split()) <= 2):
        return True
    return is_capitalised(name) and len(seen) < 2


def _otter_headers(lines: list[str], labels: dict[str, Any]) -> dict[int, tuple[str, float | None]]:
    """0-based line -> (speaker, start) for every Otter header; empty unless the file has Otter's shape."""
    found: dict[int, tuple[str, float | None]] = {}
    for i, raw in enumerate(lines):
        s = raw.strip()
        m = _OTTER_HEADER.match(s)
        if not m or (i > 0 and lines[i - 1].strip()) or i + 1 >= len(lines) or not lines[i + 1].strip():
            continue
        name = m.group("name")
        if label_shape_ok(name) and not is_not_speaker(name, labels) and parse_clock(m.group("time")) is not None:
            found[i] = (clean_label(name), parse_clock(m.group("time")))
    first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    return found if len(found) >= 2 or (found and first in found) else {}


def _name_blocks(lines: list[str], labels: dict[str, Any]) -> dict[int, tuple[str, float | None]]:
    """Otter without timestamps (and script-style typing): a name alone on a line, the speech below.

    Tried only when no ``Name: text`` line was found, and only taken when at least two names each
    head two or more blocks, so a title line above prose is never mistaken for a speaker.
    """
    found: dict[int, tuple[str, float | None]] = {}
    for i, raw in enumerate(lines):
        s = raw.strip()
        if not s or (i > 0 and lines[i - 1].strip()) or i + 1 >= len(lines) or not lines[i + 1].strip():
            continue
        if label_shape_ok(s) and not is_not_speaker(s, labels) and (
            is_capitalised(s) or is_code(s) or is_known_label(s, labels)
        ):
            found[i] = (clean_label(s), None)
    counts = Counter(name.casefold() for name, _ in found.values())
    return found if sum(n >= 2 for n in counts.values()) >= 2 else {}


def _parse_otter(lines: list[str], headers: dict[int, tuple[str, float | None]]) -> RawSession:
    session = RawSession(key=None)
    seen: dict[str, str] = {}
    current: list[Any] | None = None  # [speaker, parts, start_s, line]
    skipped: list[int] = []

    def flush() -> None:
        if current is not None and current[1]:
            session.add(current[0], " ".join(current[1]), current[2], None, current[3])

    for i, raw in enumerate(lines):
        s = raw.strip()
        if i in headers:
            flush()
            name, start = headers[i]
            current = [seen.setdefault(name.casefold(), name), [], start, i + 1]
        elif not s or _OTTER_FOOTER.match(s):
            continue
        elif current is None:
            skipped.append(i + 1)
        else:
            current[1].append(s)
    flush()
    if skipped:
        session.warnings.append(f"skipped {len(skipped)} line(s) before the first speaker (first at line {skipped[0]})")
    return session


def parse_text(text: str, source: str, labels: dict[str, Any]) -> list[RawSession]:
    """Read a typed transcript into one raw session (see the module docstring for the rules)."""
    all_lines = text.split("\n")
    otter = _otter_headers(all_lines, labels)
    if otter:
        return [_parse_otter(all_lines, otter)]
    rows = []
    counts: Counter[str] = Counter()
    for lineno, raw in enumerate(all_lines, 1):
        s = raw.strip()
        if not s or s.startswith("#"):
            continue
        start, bracketed, rest = _strip_time(s)
        prefix = split_prefix(rest)
        if prefix is not None:
            counts[prefix[0].casefold()] += 1
        rows.append((lineno, s, start, bracketed, rest, prefix))

    session = RawSession(key=None)
    seen: dict[str, str] = {}  # casefolded label -> first spelling, so "THERAPIST" and "Therapist" are one speaker
    current: list[Any] | None = None  # [speaker, parts, start_s, line]
    skipped: list[int] = []
    demoted: list[tuple[int, str]] = []

    def flush() -> None:
        if current is not None and current[1]:
            session.add(current[0], " ".join(current[1]), current[2], None, current[3])

    for lineno, s, start, bracketed, rest, prefix in rows:
        if prefix is not None and _is_speaker(prefix[0], seen, counts, labels):
            flush()
            name = seen.setdefault(prefix[0].casefold(), prefix[0])
            current = [name, [prefix[1]] if prefix[1] else [], start if start is not None else prefix[2], lineno]
            continue
        # A bare time not followed by a speaker may be speech ("10:30 was too early").
        content = rest if bracketed else s
        if current is not None:
            if content:
                current[1].append(content)
            if prefix is not None and is_capitalised(prefix[0]) and not is_not_speaker(prefix[0], labels):
                demoted.append((lineno, prefix[0]))
        elif prefix is not None and is_not_speaker(prefix[0], labels):
            session.metadata.setdefault(prefix[0].casefold(), prefix[1])
        else:
            skipped.append(lineno)
    flush()

    if not seen:
        blocks = _name_blocks(all_lines, labels)
        if blocks:
            return [_parse_otter(all_lines, blocks)]
        raise FormatError(
            "no `Name: text` lines found (a typed transcript needs a speaker label on each turn)", path=source
        )
    if skipped:
        where = f"line {skipped[0]}" if len(skipped) == 1 else f"lines {skipped[0]}-{skipped[-1]}"
        session.warnings.append(f"skipped {len(skipped)} line(s) before the first speaker ({where})")
    if demoted:
        lineno, word = demoted[0]
        more = f" and {len(demoted) - 1} more" if len(demoted) > 1 else ""
        session.warnings.append(
            f"line {lineno}: '{word}:' read as part of the speech, not as a new speaker{more}"
        )
    return [session]
