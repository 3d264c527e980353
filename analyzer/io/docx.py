"""Microsoft Teams transcripts saved as Word documents (.docx).

The document's paragraphs are read with python-docx, one line each (a line
break inside a paragraph starts a new line).  Teams writes each turn as a
paragraph with the speaker and the start time (``Dana Whitfield   0:03`` or
``… 1:02:03``) and the speech in the paragraph after it; older exports put a
``0:0:3.45 --> 0:0:8.1`` timing line above the speaker's name instead.  The
title, date and length paragraphs at the top and the "started/stopped
transcription" notes are not speech.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

from ..errors import FormatError
from ._common import (
    RawSession,
    clean_label,
    is_not_speaker,
    label_shape_ok,
    parse_clock,
)

_HEADER = re.compile(r"^(?P<name>\S.{0,59}?)\s+(?P<time>\d{1,2}:\d{2}(?::\d{2})?)$")
_OLD_TIMING = re.compile(r"^(?P<start>\d+:\d{1,2}:\d{1,2}(?:\.\d+)?)\s*-->\s*(?P<end>\d+:\d{1,2}:\d{1,2}(?:\.\d+)?)$")
_NOTE = re.compile(r"\b(?:started|stopped) transcription$", re.IGNORECASE)


def docx_paragraphs(data: bytes, source: str) -> str:
    """The document's paragraph texts, one a line; FormatError when it is not a Word document."""
    from docx import (
        Document,  # python-docx; imported here so other formats never pay for it
    )

    if not data.startswith(b"PK\x03\x04"):
        raise FormatError("not a Word .docx document (a .docx file is a zip archive)", path=source)
    try:
        doc = Document(io.BytesIO(data))
        lines = [p.text for p in doc.paragraphs]
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, SyntaxError) as exc:
        raise FormatError(f"cannot read the Word document: {str(exc)[:160]}", path=source) from None
    except Exception as exc:  # noqa: BLE001 -- lxml's XMLSyntaxError and python-docx's errors share no base
        raise FormatError(f"cannot read the Word document ({type(exc).__name__})", path=source) from None
    text = "\n".join(lines)
    if not text.strip():
        raise FormatError("the Word document has no text", path=source)
    return text


def _old_clock(value: str) -> float | None:
    """``0:0:3.45`` (Teams' unpadded clock) in seconds."""
    h, m, s = value.split(":")
    try:
        return int(h) * 3600 + int(m) * 60 + float(s)
    except ValueError:
        return None


def parse_teams_paragraphs(text: str, source: str, labels: dict[str, Any]) -> list[RawSession]:
    """Read a Teams transcript's paragraphs (one a line) into one raw session."""
    lines = [ln.strip() for ln in text.replace("\r", "\n").split("\n")]
    session = RawSession(key=None)
    current: list[Any] | None = None  # [speaker, parts, start, end, line]
    before: list[str] = []
    i = 0

    def flush() -> None:
        if current is not None and current[1]:
            session.add(current[0], " ".join(current[1]), current[2], current[3], current[4])

    while i < len(lines):
        line = lines[i]
        old = _OLD_TIMING.match(line)
        head = _HEADER.match(line)
        if old and i + 1 < len(lines) and label_shape_ok(lines[i + 1]):
            flush()
            current = [clean_label(lines[i + 1]), [], _old_clock(old["start"]), _old_clock(old["end"]), i + 1]
            i += 2
            continue
        if head and label_shape_ok(head["name"]) and not is_not_speaker(head["name"], labels):
            flush()
            current = [clean_label(head["name"]), [], parse_clock(head["time"]), None, i + 1]
        elif line and not _NOTE.search(line):
            if current is None:
                before.append(line)
            else:
                current[1].append(line)
        i += 1
    flush()
    if not session.segments:
        raise FormatError(
            "no Teams transcript entries found (expected a `Name  0:03` paragraph above each turn's speech)",
            path=source,
        )
    if before:
        session.metadata.setdefault("title", before[0])
    return [session]
