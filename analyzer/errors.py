"""One error hierarchy for the analyzer.

Every error that a user can cause (a malformed transcript, a bad skill map, a
pipeline that is not installed) is an :class:`AnalyzerError` carrying a short
greppable code and, where it applies, the file and line it is about.  The CLI
turns these into one-line messages; the Python API lets them propagate.
"""

from __future__ import annotations

from pathlib import Path


class AnalyzerError(Exception):
    """Base class: a problem the user can fix, with file and line where known."""

    code = "E000"

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = self.path + (f":{self.line}" if self.line else "") + ": "
        return f"{where}{self.message} [{self.code}]"


class FormatError(AnalyzerError):
    """A transcript could not be read: empty, binary, undecodable or malformed."""

    code = "E100"


class ConfigError(AnalyzerError):
    """A data file under models/ (or a user's copy) is invalid: skill map, lexicon, roles."""

    code = "E200"


class ModelError(AnalyzerError):
    """A spaCy pipeline could not be loaded."""

    code = "E300"


class OutputError(AnalyzerError):
    """An output could not be written: a read-only folder, a full disk, a file in the way."""

    code = "E600"
