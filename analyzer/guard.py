"""The guard around each file's analysis: an unexpected exception becomes one line.

Known problems with a file arrive as :class:`~analyzer.errors.AnalyzerError`
and already name the file and line.  Anything else (a bug, a library error
on an input no reader foresaw) is caught per file by
:func:`analyzer.pipeline.analyze_file` and turned into one line naming the
file, the exception class and its message, so the rest of the batch is
analysed and the run exits 1.  The traceback is kept for ``--debug``.
"""

from __future__ import annotations

import os
import re
import traceback
from pathlib import Path

UNEXPECTED_CODE = "E900"
_MAX_MESSAGE = 300


_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape_surrogate(m: re.Match[str]) -> str:
    c = ord(m[0])
    # U+DC80..U+DCFF stand for the bytes 0x80..0xFF of a file name that is not UTF-8 (surrogateescape)
    return f"\\x{c - 0xDC00:02x}" if 0xDC80 <= c <= 0xDCFF else f"\\u{c:04x}"


def printable_text(text: str) -> str:
    """``text`` with lone surrogates (which no file, terminal or database can hold) written as escapes:
    a non-UTF-8 byte of a file name as ``\\xNN``, any other lone surrogate as ``\\uXXXX``."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return _SURROGATE.sub(_escape_surrogate, text)


def display_path(path: str | Path) -> str:
    """A path fit for a console line: bytes that are not UTF-8 in a file name are shown as ``\\xNN``."""
    return printable_text(os.fspath(path)) if isinstance(path, (str, os.PathLike)) else str(path)


def one_line(text: str, limit: int = _MAX_MESSAGE) -> str:
    """``text`` on one line (whitespace runs collapsed), cut to ``limit`` characters, printable anywhere."""
    flat = printable_text(re.sub(r"\s+", " ", text).strip())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def unexpected_error(path: str | Path, exc: BaseException) -> tuple[str, str]:
    """The one-line message for an unexpected exception while analysing ``path``, and its traceback."""
    detail = one_line(str(exc)) or "(no message)"
    message = (f"{display_path(path)}: could not be analysed: {type(exc).__name__}: {detail} "
               f"(the other files were analysed; --debug shows the traceback) [{UNEXPECTED_CODE}]")
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return message, tb


def run_failure(exc: Exception) -> Exception | None:
    """The one ``click.ClickException`` line for a problem that stops a whole run and that the user can fix
    (an output folder that is read-only or full, a damaged history), else None."""
    import click

    from .errors import AnalyzerError

    if isinstance(exc, AnalyzerError):
        return click.ClickException(one_line(str(exc), 1000))
    if isinstance(exc, OSError):
        where = f"{display_path(exc.filename)}: " if exc.filename else ""
        return click.ClickException(f"{where}cannot write the outputs: {exc.strerror or exc} "
                                    "(earlier outputs are untouched)")
    return None


def unexpected_failure(exc: Exception) -> Exception:
    """One line for an unexpected error that stopped a whole run (``--debug`` re-raises it instead)."""
    import click

    return click.ClickException(f"stopped by an unexpected error: {type(exc).__name__}: {one_line(str(exc))} "
                                f"(earlier outputs are untouched; --debug shows the traceback) [{UNEXPECTED_CODE}]")
