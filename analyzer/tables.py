"""The output tables: column names, their meaning, and atomic CSV writing.

Column order is part of the interface: a later marker's columns come after
those of the markers declared before it; no column is renamed and existing
columns keep their relative order.  ``TURN_COLUMNS`` and ``SESSION_COLUMNS``
map each column to a one-line description and are generated from the marker
registry (analyzer/markers/registry.py); the README's column tables are
checked against them by a test.
"""

from __future__ import annotations

import csv
import io
import math
import numbers
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from .errors import OutputError
from .guard import printable_text


class _RegistryColumns(Mapping[str, str]):
    """A column table generated from the marker registry (analyzer/markers/registry.py), read live.

    The registry is imported on first use, never at import time, so ``import analyzer`` stays light; a
    marker registered at run time shows up here at once.
    """

    def __init__(self, table: str) -> None:
        self._table = table

    def _columns(self) -> dict[str, str]:
        from .markers.registry import REGISTRY

        return REGISTRY.turn_columns() if self._table == "turns" else REGISTRY.session_columns()

    def __getitem__(self, column: str) -> str:
        return self._columns()[column]

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns())

    def __len__(self) -> int:
        return len(self._columns())

    def __repr__(self) -> str:
        return f"<{self._table}.csv columns: {', '.join(self)}>"


# column -> one-line description, generated from the marker declarations
TURN_COLUMNS: Mapping[str, str] = _RegistryColumns("turns")
SESSION_COLUMNS: Mapping[str, str] = _RegistryColumns("sessions")  # skill columns are added per skill map

EVIDENCE_COLUMNS: dict[str, str] = {
    "session_id": "Session.",
    "turn": "Turn number.",
    "code": "Marker (question, reflection, validation, interruption …).",
    "value": "Sub-type (open/closed, simple/complex) or 1.",
    "rule_id": "Id of the pattern or rule in models/ (or the structural rule) that fired.",
    "start_char": "Start of the span in the turn text.",
    "end_char": "End of the span in the turn text.",
    "text": "The span.",
}

CSV_ENCODING = "utf-8-sig"  # a BOM so spreadsheet programs read UTF-8 correctly

# sessions.csv opens with who and when, then the scores a supervisor looks for first.
SESSION_LEAD = ("session_id", "clinician", "session_date", "client")
_SCORE_SUFFIXES = ("_score", "_band", "_score_low", "_score_high", "_uncertain")


def session_csv_columns(figures: Iterable[str], skill_cols: Sequence[str]) -> list[str]:
    """sessions.csv column order: id, clinician, date, client; each skill's score, band and interval, then the
    overall score (and the session check's verdict where there is one); then every other column in the
    registry's order; then each skill's drivers, suggestion and reason; ``warnings`` last.

    ``figures`` are the registry's sessions columns (:data:`SESSION_COLUMNS`), ``skill_cols`` the skill
    map's columns (:func:`analyzer.skills.skill_columns`).
    """
    figures = list(figures)
    present = set(figures) | set(skill_cols)
    keys = [c.removesuffix("_score") for c in skill_cols if c.endswith("_score")]
    # each skill's score, band and interval together, then the overall score's
    scores = [f"{k}{suffix}" for k in keys for suffix in _SCORE_SUFFIXES if f"{k}{suffix}" in present]
    head = [c for c in SESSION_LEAD if c in present] + scores + [c for c in ("session_check",) if c in present]
    rest = [c for c in [*figures, *skill_cols] if c not in head and c != "warnings"]
    return head + rest + ["warnings"]


def column_digits(column: str) -> int | None:
    """Decimals a sessions.csv figure can support (None: written as computed, e.g. counts and text).

    Scores rest on a handful of figures read off lines: one decimal.  Shares (0..1) to the nearest
    0.1 % (three decimals), percents to one decimal; sentiment (a lexicon score) and rates to two;
    seconds to two for pauses (timestamps are to the hundredth) and one for durations; words per
    sentence, reading grade and words per turn to one.
    """
    c = column
    if c.startswith("n_") or c.endswith("_band"):  # counts and text
        return None
    if "words_per_sentence" in c:
        return 1
    if c.endswith(("_score", "_score_low", "_score_high", "_score_change")):
        return 1
    if c.startswith("percent_"):
        return 1
    if "share" in c or c.endswith("_rate"):
        return 3
    if "sentiment" in c or "_per_" in c or c.endswith("_ratio"):
        return 2
    if c.endswith("_s"):
        return 2 if "pause" in c else 1
    if "grade" in c or "words_after" in c:
        return 1
    return None


def rounded(row: Mapping[str, Any], digits: Mapping[str, int]) -> dict[str, Any]:
    """``row`` with each float of a column in ``digits`` rounded to that many decimals."""
    out = dict(row)
    for c, d in digits.items():
        v = out.get(c)
        if isinstance(v, float) and math.isfinite(v):
            out[c] = round(v, d)
    return out


def cell_number(value: Any) -> float | None:
    """A finite number from a table cell (which may be "", None, NaN or a CSV string), else None."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) or math.isinf(f) else f


# A cell starting with one of these is run as a formula by Excel, LibreOffice and Google Sheets
# (OWASP "CSV injection"); a leading apostrophe makes them show it as text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Cells made only of numbers (a negative code "-17", "-0.500 0.200") cannot run anything and stay as they are.
_NUMBERS = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?: [-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)*")
# Owner-only by default: transcripts are clinical material even when de-identified.
FILE_MODE = 0o600
DIR_MODE = 0o700


def safe_text(text: str) -> str:
    """``text`` as a spreadsheet-safe cell: a leading formula character gets an apostrophe in front."""
    if text and text.startswith(FORMULA_START) and not _NUMBERS.fullmatch(text):
        return "'" + text
    return text


def format_cell(value: Any) -> Any:
    """CSV cell: None → empty, bools → 0/1, numbers unchanged, text made safe against formula execution."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, numbers.Number):
        return value
    return safe_text(printable_text(value if isinstance(value, str) else str(value)))


def make_private_dir(path: str | Path) -> Path:
    """Create ``path`` and any missing parents owner-only (0700); existing folders keep their mode."""
    path = Path(path)
    missing: list[Path] = []
    p = path
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    try:
        for d in reversed(missing):
            d.mkdir(mode=DIR_MODE, exist_ok=True)
    except OSError as exc:
        raise _output_error(exc, path, "cannot create the folder") from None
    return path


def _output_error(exc: OSError, path: str | Path, doing: str = "cannot write") -> OutputError:
    why = exc.strerror or str(exc)
    return OutputError(f"{doing}: {why} (earlier outputs are untouched)", path)


def _temp_file(path: Path) -> tuple[int, Path]:
    """A private temporary file beside ``path``, named ``.<name>.<pid>.<random>.tmp`` so a later run can
    tell a killed run's leftovers (pid gone) from a live run's files (see :func:`remove_stale_temps`)."""
    make_private_dir(path.parent)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise _output_error(exc, path) from None
    return fd, Path(tmp)


def table_row(columns: Sequence[str], row: Mapping[str, Any]) -> dict[str, Any]:
    """The cells one CSV row holds, in ``columns`` order (what every table writer writes)."""
    return {k: format_cell(row.get(k)) for k in columns}


def csv_text(columns: Iterable[str], rows: Iterable[Mapping[str, Any]],
             digits: Mapping[str, int] | None = None) -> tuple[str, int]:
    """Rows formatted exactly as :meth:`AtomicCSV.write` writes them (no header), and their number.

    Workers format their sessions' rows with this, so the process writing the table only appends text.
    """
    columns = list(columns)
    buf = io.StringIO(newline="")
    writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore")
    n = 0
    for row in rows:
        writer.writerow(table_row(columns, rounded(row, digits) if digits else row))
        n += 1
    return buf.getvalue(), n


class AtomicCSV:
    """Write a CSV to a temporary file beside ``path`` and move it into place on success.

    A crash mid-run leaves the previous file (if any) untouched: nothing the
    user already had is lost and no half-written table is left behind.  Every
    cell goes through :func:`format_cell`, so no text cell starts a formula.
    The file is owner-only (0600).  OS errors (read-only folder, full disk)
    arrive as :class:`~analyzer.errors.OutputError`.
    """

    def __init__(self, path: str | Path, columns: Sequence[str], digits: Mapping[str, int] | None = None) -> None:
        self.path = Path(path)
        self.columns = list(columns)
        self.digits = dict(digits or {})  # column -> decimals to round floats to (spreadsheet tables)
        fd, self._tmp = _temp_file(self.path)
        try:
            # errors="replace": a stray surrogate becomes "?" rather than stopping the whole table
            self._fh = os.fdopen(fd, "w", encoding=CSV_ENCODING, newline="", errors="replace")
        except BaseException:
            try:
                os.close(fd)
            except OSError:
                pass  # already closed by the half-made file object
            self._tmp.unlink(missing_ok=True)
            raise
        self._buf = io.StringIO()
        self._writer = csv.DictWriter(self._buf, fieldnames=self.columns, extrasaction="ignore")
        self.rows = 0
        try:
            self._writer.writeheader()
            self._flush()
        except BaseException:  # the caller never gets this object, so clean up here
            self.abort()
            raise

    def _flush(self) -> None:
        # rows are formatted into a buffer and written in one call, so a failing row never leaves half a line
        try:
            self._fh.write(self._buf.getvalue())
        except OSError as exc:
            raise _output_error(exc, self.path) from None
        finally:
            self._buf.seek(0)
            self._buf.truncate()

    def write(self, row: Mapping[str, Any]) -> None:
        self.write_all((row,))

    def write_text(self, text: str, rows: int) -> None:
        """Append ``rows`` rows already formatted by :func:`csv_text` with this table's columns."""
        try:
            self._fh.write(text)
        except OSError as exc:
            raise _output_error(exc, self.path) from None
        self.rows += rows

    def write_all(self, rows: Iterable[Mapping[str, Any]]) -> None:
        n = 0
        try:
            for row in rows:
                if self.digits:
                    row = rounded(row, self.digits)
                self._writer.writerow(table_row(self.columns, row))
                n += 1
        except BaseException:
            self._buf.seek(0)
            self._buf.truncate()  # none of these rows is written
            raise
        self._flush()
        self.rows += n

    def finish(self) -> None:
        """Flush and close the temporary file (where a full disk shows); the table is not yet in place."""
        if self._fh.closed:
            return
        try:
            self._fh.close()
        except OSError as exc:
            raise _output_error(exc, self.path) from None

    def replace(self) -> Path:
        """Move the finished temporary file into place."""
        self.finish()
        try:
            os.replace(self._tmp, self.path)
        except OSError as exc:
            raise _output_error(exc, self.path) from None
        return self.path

    def commit(self) -> Path:
        return self.replace()

    def abort(self) -> None:
        if not self._fh.closed:
            try:
                self._fh.close()
            except OSError:
                pass  # a full disk: the file is being thrown away anyway
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> AtomicCSV:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if exc_type is None:
            try:
                self.commit()
            except BaseException:
                self.abort()
                raise
        else:
            self.abort()


def commit_all(writers: Sequence[AtomicCSV], before_replace: Callable[[], None] | None = None) -> None:
    """Put several tables in place together: all are flushed first (a full disk fails here, before any
    table changes), then ``before_replace`` runs (the history's commit), then each is moved into place."""
    try:
        for w in writers:
            w.finish()
        if before_replace is not None:
            before_replace()
    except BaseException:
        for w in writers:
            w.abort()
        raise
    for w in writers:
        w.replace()


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write a text file (HTML, JSON) atomically, owner-only (0600)."""
    path = Path(path)
    fd, tmp = _temp_file(path)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="replace") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise _output_error(exc, path) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


# mkstemp's random part: 8 characters of [a-z0-9_]
_TEMP_NAME = re.compile(r"\..+?\.(?:(?P<pid>\d+)\.)?[a-z0-9_]{8}\.tmp")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def remove_stale_temps(folder: str | Path, subfolders: Sequence[str] = ("reports",),
                       include_own: bool = False) -> list[Path]:
    """Remove temporary files a killed run (kill -9, power cut) left in ``folder``; returns them.

    Only our own ``.<name>.<pid>.<random>.tmp`` files whose process is gone
    (and pid-less ones from older versions) are removed, so a run still going
    on in the same folder keeps its files.  ``include_own`` also removes this
    process's own (a run being stopped by a signal).
    """
    removed: list[Path] = []
    root = Path(folder)
    for d in (root, *(root / s for s in subfolders)):
        try:
            names = os.listdir(d)
        except OSError:
            continue
        for name in names:
            m = _TEMP_NAME.fullmatch(name)
            if not m or (m["pid"] and _alive(int(m["pid"])) and not (include_own and int(m["pid"]) == os.getpid())):
                continue
            try:
                (d / name).unlink()
                removed.append(d / name)
            except OSError:
                pass  # not ours to remove (read-only folder): the run will report the folder itself
    return removed
