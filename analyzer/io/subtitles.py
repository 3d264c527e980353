"""Caption files: WebVTT (.vtt), SubRip (.srt) and YouTube/Google SubViewer (.sbv).

Both are blocks separated by blank lines, each a cue: an optional identifier
(a number in SRT), a timing line ``start --> end`` and text.  Speakers come
from the text: Zoom writes ``Name: text``, Teams writes ``<v Name>text</v>``
(several voices may share one cue: each becomes a segment), WhisperX SRT
writes ``[SPEAKER_00]: text``.  A cue without a speaker continues the
previous speaker (diarizers and captioners split long speech), with one
warning.  Every segment's ``line`` is its cue's timing line.

SBV cues have no identifier and a timing line ``h:mm:ss.mmm,h:mm:ss.mmm``;
Google Meet and YouTube captions name speakers as ``Name: text`` and may
mark a change of speaker with ``>>``, which is dropped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from ..errors import FormatError
from ._common import (
    RawSession,
    clean_label,
    is_code,
    is_known_label,
    is_not_speaker,
    parse_clock,
    split_prefix,
)

_VOICE = re.compile(r"<v(?:\.[^\s>]*)*(?:\s+(?P<name>[^>]*?))?\s*>", re.IGNORECASE)
# Any other markup: <c.yellow>, </c>, <i>, <b>, <font ...>, </v>, karaoke times <00:00:01.000>.
_TAG = re.compile(r"</?[A-Za-z0-9][^<>]*>")
_TIMING = re.compile(r"^\s*(\S+?)\s*-->\s*(\S+)(?:\s+.*)?$")
# A line that was meant as a timing line but is broken ("00:00:01.000 -> 00:00:04.000").
_LOOKS_LIKE_TIMING = re.compile(r"^\s*\d{1,2}:\d{2}(?::\d{2})?[.,]\d{1,3}(?!\d)")
_META_BLOCK = re.compile(r"^(NOTE|STYLE|REGION)(\s|$)")

_EXPECTED = {
    "vtt": "hh:mm:ss.mmm --> hh:mm:ss.mmm",
    "srt": "hh:mm:ss,mmm --> hh:mm:ss,mmm",
    "sbv": "h:mm:ss.mmm,h:mm:ss.mmm",
}
SBV_TIMING = re.compile(r"^\s*(\d{1,2}:\d{2}:\d{2}\.\d{1,3})\s*,\s*(\d{1,2}:\d{2}:\d{2}\.\d{1,3})\s*$")
_SBV_LOOSE = re.compile(r"^\s*\d{1,2}:\d{2}(?::\d{2})?[.,]\d{1,3}\s*[,;]")
_CHEVRONS = re.compile(r"^\s*>>+\s*")

Block = list[tuple[int, str]]


def _blocks(text: str) -> Iterator[Block]:
    block: Block = []
    for lineno, line in enumerate(text.split("\n"), 1):
        if line.strip():
            block.append((lineno, line.rstrip()))
        elif block:
            yield block
            block = []
    if block:
        yield block


def _clean(text: str) -> str:
    """Cue text without markup, entities unescaped, lines joined with a space."""
    text = html.unescape(_TAG.sub("", _CHEVRONS.sub("", text)))
    return re.sub(r"\s+", " ", text).strip()


def _timing(line: str, lineno: int, source: str, fmt: str) -> tuple[float, float]:
    m = _TIMING.match(line)
    start = parse_clock(m.group(1)) if m else None
    end = parse_clock(m.group(2)) if m else None
    if start is None or end is None:
        raise FormatError(f"malformed cue timing {line.strip()!r}: expected {_EXPECTED[fmt]}", path=source, line=lineno)
    return start, end


@dataclass
class _State:
    """What carries over from cue to cue."""

    session: RawSession
    labels: dict[str, Any]
    seen: dict[str, str]  # casefolded label -> first spelling
    last: str | None = None
    unlabelled: int = 0
    first_unlabelled: int | None = None
    orphans: int = 0
    first_orphan: int | None = None
    loose_blocks: int = 0
    first_loose: int | None = None
    backwards: int | None = None


def _prefixed(lines: list[str], state: _State) -> list[tuple[str | None, str]]:
    """Split cue lines on ``Name: text`` prefixes.

    The first line of a cue is where captioners put the speaker, so any
    label-shaped prefix counts there; on later lines only labels already seen,
    known role labels or codes do (a colon inside speech must not split it).
    """
    units: list[tuple[str | None, str]] = []
    for i, raw in enumerate(lines):
        line = _clean(raw)
        if not line:
            continue
        prefix = split_prefix(line)
        if prefix is not None and not is_not_speaker(prefix[0], state.labels):
            name = prefix[0]
            if i == 0 or name.casefold() in state.seen or is_known_label(name, state.labels) or is_code(name):
                units.append((name, prefix[1]))
                continue
        if units:
            speaker, text = units[-1]
            units[-1] = (speaker, f"{text} {line}".strip())
        else:
            units.append((None, line))
    return units


def _cue_units(lines: list[str], state: _State) -> list[tuple[str | None, str]]:
    """(speaker or None, text) units of one cue: ``<v>`` voices, else ``Name:`` prefixes."""
    body = "\n".join(lines)
    voices = list(_VOICE.finditer(body))
    if not voices:
        return _prefixed(lines, state)
    units = _prefixed(body[: voices[0].start()].split("\n"), state)
    for i, m in enumerate(voices):
        end = voices[i + 1].start() if i + 1 < len(voices) else len(body)
        units.append((clean_label(m.group("name") or "") or None, _clean(body[m.end() : end])))
    return units


def _add_cue(lines: list[str], start: float, end: float, lineno: int, state: _State) -> None:
    if end < start and state.backwards is None:
        state.backwards = lineno
    for speaker, text in _cue_units(lines, state):
        if not text:
            continue
        if speaker is None:
            if state.last is None:
                state.orphans += 1
                state.first_orphan = state.first_orphan or lineno
                continue
            speaker = state.last
            state.unlabelled += 1
            state.first_unlabelled = state.first_unlabelled or lineno
        else:
            speaker = state.seen.setdefault(speaker.casefold(), speaker)
        state.last = speaker
        state.session.add(speaker, text, start, end, lineno)


def _add_loose_block(block: Block, state: _State) -> None:
    """Text with no timing line (a blank line inside a cue): append it to the previous segment."""
    text = _clean(" ".join(t for _, t in block))
    segs = state.session.segments
    if not text:
        return
    state.loose_blocks += 1
    state.first_loose = state.first_loose or block[0][0]
    if segs:
        segs[-1] = replace(segs[-1], text=f"{segs[-1].text} {text}")


def _finish(state: _State, source: str, fmt: str) -> list[RawSession]:
    w = state.session.warnings
    if not state.session.segments:
        if state.orphans:
            raise FormatError(
                "no speaker labels found in the cues: expected `Name: text`, `[SPEAKER_00]: text` or `<v Name>text`",
                path=source,
            )
        raise FormatError(f"no cues found (expected blocks with a timing line {_EXPECTED[fmt]})", path=source)
    if state.unlabelled:
        w.append(
            f"{state.unlabelled} cue(s) without a speaker label were given to the previous speaker "
            f"(first at line {state.first_unlabelled})"
        )
    if state.orphans:
        w.append(f"skipped {state.orphans} cue(s) before the first speaker label (first at line {state.first_orphan})")
    if state.loose_blocks:
        w.append(
            f"{state.loose_blocks} text block(s) without a timing line were added to the previous cue "
            f"(first at line {state.first_loose})"
        )
    if state.backwards is not None:
        w.append(f"cue at line {state.backwards} ends before it starts")
    return [state.session]


def _check_broken_timing(block: Block, source: str, fmt: str) -> None:
    for lineno, line in block[:2]:
        if _LOOKS_LIKE_TIMING.match(line):
            raise FormatError(
                f"malformed cue timing {line.strip()!r}: expected {_EXPECTED[fmt]}", path=source, line=lineno
            )


def parse_vtt(text: str, source: str, labels: dict[str, Any]) -> list[RawSession]:
    """Read a WebVTT file into one raw session."""
    state = _State(RawSession(key=None), labels, {})
    blocks = list(_blocks(text))
    if blocks and blocks[0][0][1].strip().startswith("WEBVTT"):
        header = blocks.pop(0)
        # Tolerate a missing blank line after the header: the first cue then sits in it.
        cue_at = next((i for i, (_, t) in enumerate(header) if "-->" in t), None)
        if cue_at is not None:
            blocks.insert(0, header[cue_at:])
    else:
        state.session.warnings.append("no WEBVTT header on line 1: read as WebVTT anyway")
    for block in blocks:
        first = block[0][1].strip()
        if _META_BLOCK.match(first):
            continue
        if "-->" in first:
            timing, body = block[0], block[1:]
        elif len(block) > 1 and "-->" in block[1][1]:
            timing, body = block[1], block[2:]  # block[0] is a cue identifier
        else:
            _check_broken_timing(block, source, "vtt")
            _add_loose_block(block, state)
            continue
        start, end = _timing(timing[1], timing[0], source, "vtt")
        _add_cue([t for _, t in body], start, end, timing[0], state)
    return _finish(state, source, "vtt")


def parse_srt(text: str, source: str, labels: dict[str, Any]) -> list[RawSession]:
    """Read a SubRip file into one raw session."""
    state = _State(RawSession(key=None), labels, {})
    for block in _blocks(text):
        first = block[0][1].strip()
        if first.isdigit():
            if len(block) < 2 or "-->" not in block[1][1]:
                lineno = block[1][0] if len(block) > 1 else block[0][0]
                raise FormatError(
                    f"expected a timing line {_EXPECTED['srt']} after cue number {first}", path=source, line=lineno
                )
            timing, body = block[1], block[2:]
        elif "-->" in first:
            timing, body = block[0], block[1:]  # cue number missing: tolerated
        else:
            _check_broken_timing(block, source, "srt")
            _add_loose_block(block, state)
            continue
        start, end = _timing(timing[1], timing[0], source, "srt")
        _add_cue([t for _, t in body], start, end, timing[0], state)
    return _finish(state, source, "srt")


def parse_sbv(text: str, source: str, labels: dict[str, Any]) -> list[RawSession]:
    """Read a SubViewer (.sbv) caption file into one raw session."""
    state = _State(RawSession(key=None), labels, {})
    for block in _blocks(text):
        lineno, first = block[0]
        m = SBV_TIMING.match(first)
        if m is None:
            if _SBV_LOOSE.match(first):
                raise FormatError(
                    f"malformed cue timing {first.strip()!r}: expected {_EXPECTED['sbv']}", path=source, line=lineno
                )
            _add_loose_block(block, state)
            continue
        start, end = parse_clock(m.group(1)), parse_clock(m.group(2))
        if start is None or end is None:
            raise FormatError(
                f"malformed cue timing {first.strip()!r}: expected {_EXPECTED['sbv']}", path=source, line=lineno
            )
        _add_cue([t for _, t in block[1:]], start, end, lineno, state)
    return _finish(state, source, "sbv")
