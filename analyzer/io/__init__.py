"""Read transcript files into :class:`~analyzer.model.Transcript` objects.

One entry point per use: :func:`discover` finds files, :func:`read` reads one
file (a CSV with a session column gives several sessions), :func:`read_text`
runs the same readers over a string.  Every reader produces segments; roles
come from :mod:`analyzer.roles` and turns from
:func:`~analyzer.model.merge_segments`, so all formats behave alike.  Anything
unreadable is a :class:`~analyzer.errors.FormatError` naming the file and,
where it applies, the line.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from ..errors import FormatError
from ..model import Transcript, merge_segments
from ..roles import assign_roles, load_role_labels
from ._common import RawSession
from ._decode import check_text, decode
from .jsonfmt import parse_json
from .subtitles import parse_srt, parse_vtt
from .table import parse_table
from .text import parse_text

__all__ = ["FORMATS", "SUFFIXES", "discover", "read", "read_text"]

SUFFIXES: dict[str, str] = {
    ".txt": "text",
    ".md": "text",
    ".vtt": "vtt",
    ".srt": "srt",
    ".json": "json",
    ".csv": "csv",
    ".tsv": "csv",
}
FORMATS: tuple[str, ...] = ("text", "vtt", "srt", "json", "csv")

# Names a user may type for --format besides FORMATS.
_ALIASES = {"txt": "text", "md": "text", "webvtt": "vtt", "tsv": "csv", "whisper": "json", "assemblyai": "json"}

_Parser = Callable[[str, str, dict[str, Any]], list[RawSession]]
_PARSERS: dict[str, _Parser] = {
    "text": parse_text,
    "vtt": parse_vtt,
    "srt": parse_srt,
    "json": parse_json,
    "csv": parse_table,
}

_SKIP_NAMES = frozenset({"manifest.csv"})  # a folder's index of sessions, not a transcript
# A README.md/README.txt describes a folder of transcripts; it is not one.
_SKIP_STEMS = frozenset({"readme"})


def discover(paths: Iterable[str | Path]) -> tuple[list[Path], list[str]]:
    """Find the transcript files to read.

    Files given directly are kept whatever their suffix (so ``--format`` can
    apply); folders are searched recursively for supported suffixes, sorted,
    skipping hidden files and folders, files named manifest.csv and README
    files (README.md, readme.txt).  Returns
    ``(files, messages)`` with one message per path that does not exist.
    Each file is listed once.
    """
    files: list[Path] = []
    messages: list[str] = []
    seen: set[Path] = set()

    def add(p: Path) -> None:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            files.append(p)

    for item in paths:
        p = Path(item)
        if p.is_file():
            add(p)
        elif p.is_dir():
            found: list[Path] = []
            for dirpath, dirnames, filenames in os.walk(p):
                dirnames[:] = [d for d in dirnames if not d.startswith(".")]
                for name in filenames:
                    if (
                        name.startswith(".")
                        or name.casefold() in _SKIP_NAMES
                        or Path(name).stem.casefold() in _SKIP_STEMS
                    ):
                        continue
                    if Path(name).suffix.lower() in SUFFIXES:
                        found.append(Path(dirpath) / name)
            for f in sorted(found):
                add(f)
        else:
            messages.append(f"{p}: no such file or folder")
    return files, messages


def _resolve_format(format: str | None, suffix: str, text: str | None, source: str) -> str:
    if format:
        name = format.strip().lower().lstrip(".")
        name = _ALIASES.get(name, name)
        if name not in FORMATS:
            raise FormatError(f"unknown format {format!r}: choose one of {', '.join(FORMATS)}", path=source)
        return name
    if suffix.lower() in SUFFIXES:
        return SUFFIXES[suffix.lower()]
    return sniff_format(text or "")


def sniff_format(text: str) -> str:
    """Guess the format of a transcript from its content (used for unknown suffixes)."""
    head = text.lstrip()
    if head.startswith("WEBVTT"):
        return "vtt"
    if head.startswith("{") or (head.startswith("[") and head[1:].lstrip()[:1] in ("{", "]")):
        return "json"
    lines = [ln.strip() for ln in head.split("\n")[:3]]
    if len(lines) >= 2 and lines[0].isdigit() and "-->" in lines[1]:
        return "srt"
    if "-->" in "\n".join(head.split("\n")[:5]):
        return "vtt"
    first = lines[0] if lines else ""
    if ":" not in first and any(first.count(d) >= 1 for d in (",", ";", "\t")):
        return "csv"
    return "text"


def _build(
    raw: list[RawSession],
    *,
    source: str,
    session_id: str,
    fmt: str,
    encoding: str,
    file_warnings: list[str],
    clinician: Sequence[str],
    roles_file: str | Path | None,
) -> list[Transcript]:
    """Roles and turns for each raw session.

    A file of one session with unusable roles raises.  In a file of several
    sessions a bad session is skipped and said so in the first transcript's
    warnings, so one broken session does not hide the rest.
    """
    out: list[Transcript] = []
    skipped: list[str] = []
    first_error: FormatError | None = None
    for rs in raw:
        sid = session_id if rs.key is None else f"{session_id}/{rs.key}"
        try:
            if not rs.segments:
                raise FormatError("no speech found")
            roles, inferred, notes = assign_roles(rs.segments, clinician, roles_file)
        except FormatError as exc:
            message = exc.message if rs.key is None else f"session {sid}: {exc.message}"
            err = FormatError(message, path=source, line=exc.line)
            if len(raw) == 1:
                raise err from None
            first_error = first_error or err
            skipped.append(message)
            continue
        out.append(
            Transcript(
                session_id=sid,
                source=source,
                turns=merge_segments(rs.segments, roles),
                format=fmt,
                encoding=encoding,
                role_inferred=inferred,
                warnings=tuple(file_warnings + rs.warnings + notes),
                metadata=dict(rs.metadata),
            )
        )
    if not out:
        assert first_error is not None
        raise first_error
    if skipped:
        first = out[0]
        extra = tuple(f"skipped {m}" for m in skipped)
        out[0] = Transcript(
            session_id=first.session_id,
            source=first.source,
            turns=first.turns,
            format=first.format,
            encoding=first.encoding,
            role_inferred=first.role_inferred,
            warnings=first.warnings + extra,
            metadata=first.metadata,
        )
    return out


def _parse(
    text: str,
    fmt: str,
    *,
    source: str,
    suffix: str,
    session_id: str,
    encoding: str,
    warnings: list[str],
    clinician: Sequence[str],
    roles_file: str | Path | None,
) -> list[Transcript]:
    labels = load_role_labels(roles_file)
    if fmt == "csv":
        raw = parse_table(text, source, labels, tsv=suffix.lower() == ".tsv")
    else:
        raw = _PARSERS[fmt](text, source, labels)
    return _build(
        raw,
        source=source,
        session_id=session_id,
        fmt=fmt,
        encoding=encoding,
        file_warnings=warnings,
        clinician=clinician,
        roles_file=roles_file,
    )


def read(
    path: str | Path,
    format: str | None = None,
    clinician: Sequence[str] = (),
    roles_file: str | Path | None = None,
) -> list[Transcript]:
    """Read one transcript file.

    ``format`` overrides the suffix (one of :data:`FORMATS`); an unknown
    suffix without ``format`` is sniffed from the content.  ``clinician``
    names speaker labels that are the clinician (case-insensitive);
    ``roles_file`` replaces models/roles.toml.  Returns one transcript, or one
    per session for a CSV with a session column (ids ``stem/value``).  Raises
    :class:`FormatError` (with path and, where it applies, line) for
    unreadable input.
    """
    p = Path(path)
    source = str(p)
    fmt = _resolve_format(format, p.suffix, "", source) if format or p.suffix.lower() in SUFFIXES else None
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise FormatError(f"cannot read: {exc.strerror or exc}", path=source) from None
    text, encoding, warnings = decode(data, source)
    if fmt is None:
        fmt = sniff_format(text)
    return _parse(
        text,
        fmt,
        source=source,
        suffix=p.suffix,
        session_id=p.stem,
        encoding=encoding,
        warnings=warnings,
        clinician=clinician,
        roles_file=roles_file,
    )


def read_text(
    text: str,
    format: str | None,
    source: str = "<string>",
    session_id: str | None = None,
    clinician: Sequence[str] = (),
    roles_file: str | Path | None = None,
) -> list[Transcript]:
    """Run the reader for ``format`` over a string (for notebooks and tests).

    Behaves like :func:`read` on a UTF-8 file holding ``text``; ``session_id``
    defaults to the stem of ``source``.  ``format`` None sniffs the content.
    """
    text = check_text(text, source)
    suffix = Path(source).suffix
    fmt = _resolve_format(format, suffix, text, source)
    sid = session_id if session_id is not None else Path(source).stem or source
    return _parse(
        text,
        fmt,
        source=source,
        suffix=suffix,
        session_id=sid,
        encoding="utf-8",
        warnings=[],
        clinician=clinician,
        roles_file=roles_file,
    )
