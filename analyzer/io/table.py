"""Tables of utterances (.csv, .tsv): one row per utterance.

Columns are found by common names, case-insensitively (see ``COLUMNS``).  A
session column splits the file into sessions in order of first appearance;
rows of a session keep file order and need not be contiguous.  Research
tables coded by several annotators repeat an utterance once per annotator,
so rows repeating a (session, utterance id) are read once.  Session columns
that hold one value for every row of a session (e.g. a quality rating) are
kept in the transcript's metadata.
"""

from __future__ import annotations

import csv
import io
import re
import sys
from typing import Any

from ..errors import FormatError
from ._common import RawSession, parse_time_value

# Long free-text cells (whole transcripts in one cell) exceed the csv default of 128 KiB.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

COLUMNS: dict[str, tuple[str, ...]] = {
    "speaker": ("speaker", "interlocutor", "role", "speaker_label", "participant"),
    "text": ("text", "utterance", "utterance_text", "transcript", "content", "message"),
    "start": ("start", "start_s", "start_time", "timestamp", "begin"),
    "end": ("end", "end_s", "end_time", "stop"),
    "session": ("session", "session_id", "transcript_id", "conv_id", "conversation_id", "dialog_id"),
    "utterance_id": ("utterance_id", "utt_id", "turn_id"),
}
_DELIMITERS = (",", ";", "\t")


def _normalise_header(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().strip('"').lstrip("\ufeff").casefold())


def _sniff_delimiter(text: str, prefer_tab: bool) -> str:
    """The delimiter among , ; tab that occurs most in the header line (outside quotes)."""
    header = next((ln for ln in text.split("\n") if ln.strip()), "")
    unquoted = re.sub(r'"[^"]*"', "", header)
    counts = {d: unquoted.count(d) for d in _DELIMITERS}
    if prefer_tab and counts["\t"]:
        return "\t"
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _find_columns(header: list[str]) -> dict[str, int]:
    norm = [_normalise_header(h) for h in header]
    found: dict[str, int] = {}
    for role, names in COLUMNS.items():
        for name in names:
            if name in norm:
                found[role] = norm.index(name)
                break
    return found


def _missing_columns(header: list[str], found: dict[str, int], source: str, line: int) -> FormatError:
    missing = [r for r in ("speaker", "text") if r not in found]
    shown = ", ".join(repr(h.strip()) for h in header[:20]) or "none"
    accepted = "; ".join(f"{r}: {', '.join(COLUMNS[r])}" for r in missing)
    return FormatError(
        f"no {' or '.join(missing)} column: found columns {shown}; accepted names for {accepted}",
        path=source,
        line=line,
    )


def _first(lines: list[int]) -> str:
    return f"first at line {lines[0]}"


def parse_table(text: str, source: str, labels: dict[str, Any], tsv: bool = False) -> list[RawSession]:
    """Read a CSV/TSV table into one raw session per session value (or one for the file)."""
    delimiter = _sniff_delimiter(text, prefer_tab=tsv)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header: list[str] | None = None
    header_line = 0
    cols: dict[str, int] = {}
    sessions: dict[str | None, RawSession] = {}
    seen_ids: set[tuple[str | None, str]] = set()
    skips: dict[str | None, dict[str, list[int]]] = {}
    bad_times: dict[str | None, list[tuple[int, str]]] = {}
    constants: dict[str | None, dict[str, str | None]] = {}
    line = 1
    try:
        for row in reader:
            row_line, line = line, reader.line_num + 1  # the row starts on the line after the previous one ended
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header, header_line = row, row_line
                cols = _find_columns(header)
                if "speaker" not in cols or "text" not in cols:
                    raise _missing_columns(header, cols, source, header_line)
                continue

            def cell(role: str) -> str:
                i = cols.get(role)  # noqa: B023 (called at once, in this iteration)
                return row[i].strip() if i is not None and i < len(row) else ""  # noqa: B023

            key = cell("session") if "session" in cols else None
            reasons = skips.setdefault(key, {})
            if key == "":
                reasons.setdefault("no session value", []).append(row_line)
                continue
            utt = cell("utterance_id")
            if utt:
                if (key, utt) in seen_ids:
                    reasons.setdefault("duplicate", []).append(row_line)
                    continue
                seen_ids.add((key, utt))
            speech = " ".join(cell("text").split())
            speaker = " ".join(cell("speaker").split())
            if not speech:
                reasons.setdefault("empty text", []).append(row_line)
                continue
            if not speaker:
                reasons.setdefault("no speaker", []).append(row_line)
                continue
            times: list[float | None] = []
            for role in ("start", "end"):
                try:
                    times.append(parse_time_value(cell(role)))
                except ValueError:
                    bad_times.setdefault(key, []).append((row_line, cell(role)))
                    times.append(None)
            session = sessions.get(key)
            if session is None:
                session = sessions[key] = RawSession(key=key)
                used = set(cols.values())
                constants[key] = {h: row[i].strip() for i, h in enumerate(header) if i not in used and i < len(row)}
            else:
                const = constants[key]
                for i, h in enumerate(header):
                    if h in const and const[h] is not None and (i >= len(row) or row[i].strip() != const[h]):
                        const[h] = None
            session.add(speaker, speech, times[0], times[1], row_line)
    except csv.Error as exc:
        kind = "TSV" if delimiter == "\t" else "CSV"
        raise FormatError(f"malformed {kind}: {exc}", path=source, line=reader.line_num) from None

    if header is None:
        raise FormatError("no header row found", path=source)
    if not sessions:
        raise FormatError("no rows with a speaker and text found", path=source, line=header_line + 1)
    _note_skips(sessions, skips, bad_times, constants)
    return list(sessions.values())


def _note_skips(sessions: dict[str | None, RawSession], skips: dict[str | None, dict[str, list[int]]],
                bad_times: dict[str | None, list[tuple[int, str]]],
                constants: dict[str | None, dict[str, str | None]]) -> None:
    """Give each session its constant columns as metadata and a warning per kind of row skipped."""
    for key, session in sessions.items():
        session.metadata.update({h.strip(): v for h, v in constants[key].items() if v and h.strip()})
        reasons = skips.get(key, {})
        if "duplicate" in reasons:
            dups = reasons["duplicate"]
            session.warnings.append(
                f"skipped {len(dups)} duplicate rows (same session and utterance id; {_first(dups)})"
            )
        for why in ("empty text", "no speaker"):
            if why in reasons:
                session.warnings.append(f"skipped {len(reasons[why])} row(s) with {why} ({_first(reasons[why])})")
        if key in bad_times:
            line_no, value = bad_times[key][0]
            session.warnings.append(
                f"{len(bad_times[key])} time value(s) not understood, left empty (e.g. {value!r} at line {line_no})"
            )
    first = next(iter(sessions.values()))
    if "no session value" in skips.get("", {}):
        rows = skips[""]["no session value"]
        first.warnings.append(f"skipped {len(rows)} row(s) with an empty session value ({_first(rows)})")

