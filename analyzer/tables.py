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
import math
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

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


def format_cell(value: Any) -> Any:
    """CSV cell: None → empty, bools → 0/1, floats unchanged."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    return value


class AtomicCSV:
    """Write a CSV to a temporary file beside ``path`` and move it into place on success.

    A crash mid-run leaves the previous file (if any) untouched: nothing the
    user already had is lost and no half-written table is left behind.
    """

    def __init__(self, path: str | Path, columns: Sequence[str], digits: Mapping[str, int] | None = None) -> None:
        self.path = Path(path)
        self.columns = list(columns)
        self.digits = dict(digits or {})  # column -> decimals to round floats to (spreadsheet tables)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        self._tmp = Path(tmp)
        self._fh = os.fdopen(fd, "w", encoding=CSV_ENCODING, newline="")
        self._writer = csv.DictWriter(self._fh, fieldnames=self.columns, extrasaction="ignore")
        self._writer.writeheader()
        self.rows = 0

    def write(self, row: Mapping[str, Any]) -> None:
        if self.digits:
            row = rounded(row, self.digits)
        self._writer.writerow({k: format_cell(row.get(k)) for k in self.columns})
        self.rows += 1

    def write_all(self, rows: Iterable[Mapping[str, Any]]) -> None:
        for row in rows:
            self.write(row)

    def commit(self) -> Path:
        self._fh.close()
        os.replace(self._tmp, self.path)
        return self.path

    def abort(self) -> None:
        if not self._fh.closed:
            self._fh.close()
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> AtomicCSV:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write a text file (HTML, JSON) atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
