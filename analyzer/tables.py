"""The output tables: column names, their meaning, and atomic CSV writing.

Column order is part of the interface: later features append columns, they
never rename or reorder.  ``TURN_COLUMNS`` and ``SESSION_COLUMNS`` map each
column to a one-line description; the README's column tables are checked
against them by a test.
"""

from __future__ import annotations

import csv
import io
import math
import numbers
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from .errors import OutputError
from .guard import printable_text

TURN_COLUMNS: dict[str, str] = {
    "session_id": "File stem (with its folder or suffix where files of the run share a stem), or `stem/value` for a CSV with a session column.",
    "turn": "1-based turn number (a turn is a run of consecutive segments by one speaker).",
    "first_segment": "1-based index of the turn's first source unit (line, cue, row, segment).",
    "source_line": "Line of the source file where the turn starts (empty where unknown).",
    "speaker": "Speaker label as written in the source.",
    "role": "`clinician`, `client` or `other`.",
    "start_s": "Start time in seconds (empty where the source has none).",
    "end_s": "End time in seconds (empty where the source has none).",
    "n_words": "Words in the turn (spaCy tokens that are not punctuation or space).",
    "backchannel": "1 when the turn is only a listener token (\"mm-hmm\", \"yeah\"); kept out of turn-taking counts.",
    "pause_before_response_s": "Clinician turns: seconds between the client's turn ending and this turn starting (negative = overlap); empty without timestamps.",
    "interruption": "1 when this clinician turn starts over the client (timestamps) or takes over a cut-off client turn (text markers).",
    "question": "Clinician turns: `open`, `closed` or empty.",
    "reflection": "Clinician turns: `simple`, `complex` or empty.",
    "affirmation": "1 when the clinician credits the client's strengths or efforts.",
    "validation": "1 when the clinician says the client's feelings or experience make sense.",
    "emotion_label": "1 when the clinician names a feeling.",
    "advice": "1 for advice or persuasion without permission (MITI Persuade).",
    "advice_with_permission": "1 for advice after asking permission (MITI Persuade with Permission).",
    "premature_advice": "1 for advice before the client has had several substantive turns (models/markers.toml).",
    "dismissive": "1 for dismissive or invalidating language (\"calm down\", \"at least…\").",
    "summary": "1 for a summary (\"let me make sure I've got this\").",
    "check_understanding": "1 for a check for understanding (\"does that make sense?\").",
    "n_fillers": "Clinician turns: filler words (\"um\", \"you know\").",
    "n_jargon": "Clinician turns: clinical jargon terms (models/lexicons).",
    "words_per_sentence": "Clinician turns: mean words per sentence (empty for long unpunctuated turns).",
    "readability_grade": "Clinician turns: Flesch-Kincaid grade from spaCy tokens.",
    "sentiment": "VADER compound, -1..1, word-weighted over sentences, reflection stems neutralised.",
    "sentence_sentiment": "VADER compound of each sentence of the turn, in order, space-separated.",
    "evidence": "What fired: `rule_id: \"quoted span\"`, separated by ` | `.",
    "text": "The turn's text.",
}

SESSION_COLUMNS: dict[str, str] = {
    "session_id": "File stem (with its folder or suffix where files of the run share a stem), or `stem/value` for a CSV with a session column.",
    "source": "Path of the file the session was read from.",
    "clinician": "De-identified clinician code (manifest.csv, CSV column or file name; empty if none).",
    "session_date": "Session date, ISO YYYY-MM-DD (empty if none).",
    "client": "De-identified client code (empty if none).",
    "metadata_source": "Where the metadata came from: `manifest`, `csv`, `file name` or `none`.",
    "format": "Reader used: text, vtt, srt, json, csv.",
    "encoding": "Text encoding the file was decoded with.",
    "pipeline": "spaCy pipeline that ran.",
    "role_inferred": "1 when roles were inferred (no known labels), 0 when read from labels.",
    "clinician_speaker": "Speaker label(s) taken as the clinician.",
    "client_speaker": "Speaker label(s) taken as the client.",
    "n_turns": "Turns in the session.",
    "n_words_clinician": "Clinician words.",
    "n_words_client": "Client words.",
    "duration_s": "First start to last end (or last start) in seconds; empty without timestamps.",
    "clinician_talk_share_words": "Clinician share of words, 0..1.",
    "client_talk_share_words": "Client share of words, 0..1.",
    "clinician_talk_share_time": "Clinician share of speaking seconds, 0..1; empty without start and end times.",
    "talk_time_basis": "`timestamps` or `none`: what the seconds-based figures rest on.",
    "longest_clinician_monologue_words": "Longest clinician stretch in words, bridged over client backchannels.",
    "longest_clinician_monologue_s": "The same in seconds (timestamps only).",
    "longest_client_story_words": "Longest client stretch in words, bridged over clinician backchannels.",
    "longest_client_story_s": "The same in seconds (timestamps only).",
    "speaker_switches": "Changes of speaker between substantive (non-backchannel) turns.",
    "speaker_switches_per_min": "Speaker switches per minute (needs times).",
    "median_pause_before_response_s": "Median pause before a clinician response after a client turn (timestamps only).",
    "share_fast_responses": "Share of those pauses under `fast_response_s` (default 0.5 s).",
    "n_long_silences": "Gaps between turns over `silence_s` (default 3 s); timestamps only.",
    "n_overlaps": "Turns starting at least `min_overlap_s` before the previous turn ends; timestamps only.",
    "pause_basis": "`timestamps` or `none`: what the pause figures rest on.",
    "n_interruptions": "Clinician interruptions of the client.",
    "interruptions_per_10_min": "Interruptions per 10 minutes (needs times).",
    "interruption_basis": "`timestamps` (overlaps and text markers) or `text markers` (cut-off turns only).",
    "n_clinician_turns": "Substantive clinician turns (backchannels left out).",
    "n_client_turns": "Substantive client turns.",
    "n_backchannels": "Backchannel turns (either side).",
    "n_questions": "Clinician turns with a question.",
    "n_open_questions": "Of which open.",
    "n_closed_questions": "Of which closed.",
    "n_reflections": "Clinician turns with a reflection.",
    "n_complex_reflections": "Of which complex.",
    "n_affirmation": "Clinician turns with an affirmation.",
    "n_validation": "Clinician turns with validation.",
    "n_emotion_label": "Clinician turns naming a feeling.",
    "n_advice": "Advice without permission.",
    "n_advice_with_permission": "Advice with permission.",
    "n_premature_advice": "Advice before the client had several turns.",
    "n_dismissive": "Dismissive or invalidating turns.",
    "n_summary": "Summaries.",
    "n_check_understanding": "Checks for understanding.",
    "questions_per_clinician_turn": "Questions per substantive clinician turn.",
    "reflections_per_clinician_turn": "Reflections per substantive clinician turn.",
    "percent_open_questions": "Open questions as % of questions (MITI 3: fair 50, good 70).",
    "reflection_to_question_ratio": "R:Q (MITI 4.2.1: fair 1, good 2); empty without questions.",
    "percent_complex_reflections": "Complex as % of reflections (MITI 4.2.1: fair 40, good 50).",
    "reflection_to_question_ratio_band": "`below fair`, `fair` or `good` against MITI 4.2.1 (models/markers.toml [miti]).",
    "percent_complex_reflections_band": "`below fair`, `fair` or `good` against MITI 4.2.1.",
    "percent_open_questions_band": "`below fair`, `fair` or `good` against MITI 3.",
    "client_words_after_reflection": "Mean client words in the turn after a reflection.",
    "client_words_after_question": "Mean client words in the turn after a question.",
    "client_sentiment_mean": "Mean VADER compound of client turns.",
    "client_sentiment_start": "Mean over the first third of client turns.",
    "client_sentiment_end": "Mean over the last third of client turns.",
    "client_sentiment_change": "End minus start: the client's arc.",
    "n_client_sentiment_shifts": "Consecutive client turns whose sentiment differs by at least `shift`.",
    "n_client_negative_turns": "Client turns at or below `negative_turn`.",
    "client_recovery_rate": "Share of negative client turns followed soon by a clear rise.",
    "n_responses_to_negative": "Clinician turns right after a clearly negative client turn.",
    "empathic_response_to_negative_share": "Of those, share with a reflection, validation or emotion label.",
    "directive_response_to_negative_share": "Of those, share with advice or dismissal and nothing empathic.",
    "client_sentiment_after_empathic": "Mean client sentiment right after an empathic clinician turn.",
    "client_sentiment_after_directive": "Mean client sentiment right after a directive clinician turn.",
    "clinician_sentiment_sd": "Standard deviation of clinician turn sentiment (steadiness).",
    "clinician_words_per_sentence": "Word-weighted mean words per sentence of the clinician.",
    "clinician_readability_grade": "Word-weighted Flesch-Kincaid grade of clinician turns of 10+ words.",
    "jargon_per_1000_words": "Clinical jargon terms per 1,000 clinician words.",
    "fillers_per_100_words": "Filler words per 100 clinician words.",
}

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


class AtomicCSV:
    """Write a CSV to a temporary file beside ``path`` and move it into place on success.

    A crash mid-run leaves the previous file (if any) untouched: nothing the
    user already had is lost and no half-written table is left behind.  Every
    cell goes through :func:`format_cell`, so no text cell starts a formula.
    The file is owner-only (0600).  OS errors (read-only folder, full disk)
    arrive as :class:`~analyzer.errors.OutputError`.
    """

    def __init__(self, path: str | Path, columns: Sequence[str]) -> None:
        self.path = Path(path)
        self.columns = list(columns)
        fd, self._tmp = _temp_file(self.path)
        # errors="replace": a stray surrogate becomes "?" rather than stopping the whole table
        self._fh = os.fdopen(fd, "w", encoding=CSV_ENCODING, newline="", errors="replace")
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

    def write_all(self, rows: Iterable[Mapping[str, Any]]) -> None:
        n = 0
        try:
            for row in rows:
                self._writer.writerow({k: format_cell(row.get(k)) for k in self.columns})
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


def remove_stale_temps(folder: str | Path, subfolders: Sequence[str] = ("reports",)) -> list[Path]:
    """Remove temporary files a killed run (kill -9, power cut) left in ``folder``; returns them.

    Only our own ``.<name>.<pid>.<random>.tmp`` files whose process is gone
    (and pid-less ones from older versions) are removed, so a run still going
    on in the same folder keeps its files.
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
            if not m or (m["pid"] and _alive(int(m["pid"]))):
                continue
            try:
                (d / name).unlink()
                removed.append(d / name)
            except OSError:
                pass  # not ours to remove (read-only folder): the run will report the folder itself
    return removed
