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

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import FormatError
from ..model import Role, Transcript, merge_segments
from ..roles import assign_roles, classify_label, load_role_labels
from ._clean import (
    check_turn_sizes,
    clean_segments,
    clean_string,
    display_path,
    order_warnings,
)
from ._common import RawSession
from ._decode import check_text, decode
from ._discover import Inputs
from ._discover import find_inputs as _find_inputs
from .chat import parse_chat
from .convokit import parse_convokit, read_speakers
from .docx import docx_paragraphs, parse_teams_paragraphs
from .jsonfmt import parse_json
from .subtitles import SBV_TIMING, parse_sbv, parse_srt, parse_vtt
from .table import parse_table
from .text import parse_text

__all__ = [
    "FORMATS", "SUFFIXES", "Inputs", "decode_file", "discover", "display_path", "find_inputs", "read", "read_text",
]

SUFFIXES: dict[str, str] = {
    ".txt": "text",
    ".md": "text",
    ".vtt": "vtt",
    ".srt": "srt",
    ".sbv": "sbv",
    ".json": "json",
    ".csv": "csv",
    ".tsv": "csv",
    ".cha": "chat",
    ".jsonl": "convokit",
    ".docx": "docx",
}
FORMATS: tuple[str, ...] = ("text", "vtt", "srt", "sbv", "json", "csv", "chat", "convokit", "docx")

# Names a user may type for --format besides FORMATS.
_ALIASES = {
    "txt": "text", "md": "text", "otter": "text", "webvtt": "vtt", "tsv": "csv", "whisper": "json",
    "assemblyai": "json", "deepgram": "json", "aws": "json", "transcribe": "json", "rev": "json", "cha": "chat",
    "talkbank": "chat", "jsonl": "convokit", "teams": "docx",
}

_Parser = Callable[[str, str, dict[str, Any]], list[RawSession]]
_PARSERS: dict[str, _Parser] = {
    "text": parse_text,
    "vtt": parse_vtt,
    "srt": parse_srt,
    "sbv": parse_sbv,
    "json": parse_json,
    "csv": parse_table,
    "chat": parse_chat,
    "convokit": parse_convokit,
    "docx": parse_teams_paragraphs,
}


def find_inputs(paths: Iterable[str | Path], exclude: Iterable[str | Path] = ()) -> Inputs:
    """Files to read under ``paths``, missing paths, and every skipped file with the reason."""
    return _find_inputs(paths, SUFFIXES, exclude)

def discover(paths: Iterable[str | Path], exclude: Iterable[str | Path] = ()) -> tuple[list[Path], list[str]]:
    """Find the transcript files to read: ``(files, messages)``, one message per path that does not exist.

    Files given directly are kept whatever their suffix (so ``--format`` can
    apply); folders are searched recursively for supported suffixes, sorted,
    skipping hidden files and folders, manifest.csv, README files, the tool's
    own output folders and ``exclude``.  :func:`find_inputs` also says what
    was skipped and why.
    """
    found = find_inputs(paths, exclude)
    return found.files, found.missing


def decode_file(path: str | Path) -> str:
    """A text file's content decoded like a transcript (UTF-8/BOM, UTF-16, cp1252); FormatError otherwise."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise FormatError(f"cannot read: {exc.strerror or exc}", path=display_path(p)) from None
    return decode(data, display_path(p))[0]


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
    if head.startswith(("@UTF8", "@Begin")):
        return "chat"
    first_line = head.split("\n", 1)[0].strip()
    if head.startswith("{") and first_line.endswith("}") and '"conversation_id"' in first_line:
        return "convokit"
    if head.startswith("{") or (head.startswith("[") and head[1:].lstrip()[:1] in ("{", "]")):
        return "json"
    lines = [ln.strip() for ln in head.split("\n")[:3]]
    if len(lines) >= 2 and lines[0].isdigit() and "-->" in lines[1]:
        return "srt"
    if "-->" in "\n".join(head.split("\n")[:5]):
        return "vtt"
    if SBV_TIMING.match(lines[0] if lines else ""):
        return "sbv"
    first = lines[0] if lines else ""
    if ":" not in first and any(first.count(d) >= 1 for d in (",", ";", "\t")):
        return "csv"
    return "text"


def _unsupported(suffix: str, source: str) -> FormatError:
    kind = f"files ending {suffix}" if suffix else "files without a suffix"
    return FormatError(
        f"{kind} are not a supported transcript kind (supported: {', '.join(sorted(SUFFIXES))}); "
        "pass --format to read it as one of them",
        path=source,
    )


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
    """Roles and turns for each raw session, after cleaning its segments once (see ``_clean``).

    A file of one session with unusable roles raises.  In a file of several
    sessions a bad session is skipped and said so in the first transcript's
    warnings, so one broken session does not hide the rest.
    """
    out: list[Transcript] = []
    skipped: list[str] = []
    first_error: FormatError | None = None
    labels = load_role_labels(roles_file)
    for rs in raw:
        sid = session_id if rs.key is None else f"{session_id}/{clean_string(rs.key)}"
        try:
            segments = clean_segments(rs.segments, source)
            if not segments:
                raise FormatError("no speech found")
            known = _known_roles(rs, labels)
            roles, inferred, notes = assign_roles(segments, clinician, roles_file, known=known)
            turns = merge_segments(segments, roles)
            check_turn_sizes(turns, source)
        except FormatError as exc:
            message = exc.message if rs.key is None else f"session {sid}: {exc.message}"
            err = FormatError(message, path=exc.path or source, line=exc.line)
            if len(raw) == 1:
                raise err from None
            first_error = first_error or err
            skipped.append(message)
            continue
        order = order_warnings(segments)
        out.append(
            Transcript(
                session_id=sid,
                source=source,
                turns=turns,
                format=fmt,
                encoding=encoding,
                role_inferred=inferred,
                warnings=tuple(clean_string(w) for w in file_warnings + rs.warnings + order + notes),
                metadata={clean_string(k): clean_string(v) for k, v in rs.metadata.items()},
            )
        )
    if not out:
        assert first_error is not None
        raise first_error
    if skipped:
        out[0] = replace(out[0], warnings=out[0].warnings + tuple(f"skipped {m}" for m in skipped))
    return out


def _known_roles(rs: RawSession, labels: dict[str, Any]) -> dict[str, Role]:
    """Roles the source states (CHAT @ID, ConvoKit speaker meta), read through the role labels."""
    known: dict[str, Role] = {}
    for speaker, word in rs.role_words.items():
        side = classify_label(word, labels)
        if side is not None:
            known[clean_string(speaker)] = side
    return known


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
    beside: Path | None = None,
) -> list[Transcript]:
    labels = load_role_labels(roles_file)
    if fmt == "csv":
        raw = parse_table(text, source, labels, tsv=suffix.lower() == ".tsv")
    elif fmt == "convokit":
        raw = parse_convokit(text, source, labels, speakers=read_speakers(beside, source) if beside else None)
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
    """Read one transcript file (or a ConvoKit corpus folder).

    ``format`` overrides the suffix (one of :data:`FORMATS`).  A file with an
    unknown suffix is read only when its content is unmistakable (a WEBVTT
    header, JSON, SRT or CHAT), with a warning; otherwise it is refused with
    a message suggesting ``--format``.  ``clinician`` names speaker labels
    that are the clinician (case-insensitive); ``roles_file`` replaces
    models/roles.toml.  Returns one transcript, or one per session for a CSV
    with a session column (ids ``stem/value``) or a ConvoKit corpus (one per
    conversation).  Raises :class:`FormatError` (with path and, where it
    applies, line) for unreadable input.
    """
    p = Path(path)
    if p.is_dir() and (p / "utterances.jsonl").is_file():
        p = p / "utterances.jsonl"
    source = display_path(p)
    stem = p.parent.name if p.name.casefold() == "utterances.jsonl" and p.parent.name else p.stem
    known_suffix = p.suffix.lower() in SUFFIXES
    fmt = _resolve_format(format, p.suffix, "", source) if format or known_suffix else None
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise FormatError(f"cannot read: {exc.strerror or exc}", path=source) from None
    warnings: list[str] = []
    if fmt == "docx":
        text, encoding = docx_paragraphs(data, source), "docx"
    else:
        text, encoding, warnings = decode(data, source)
    if fmt is None:
        fmt = sniff_format(text)
        if fmt in ("text", "csv", "sbv"):
            raise _unsupported(p.suffix, source)
        warnings.append(f"unknown suffix {p.suffix or '(none)'}: read as {fmt} from its content")
    return _parse(
        text,
        fmt,
        source=source,
        suffix=p.suffix,
        session_id=clean_string(stem) or "session",
        encoding=encoding,
        warnings=warnings,
        clinician=clinician,
        roles_file=roles_file,
        beside=p.parent if fmt == "convokit" else None,
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
    For ``docx`` the string stands for the document's paragraphs, one a line.
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
