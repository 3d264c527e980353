"""A run's outputs for one file, produced where the file is analysed.

With ``--jobs N`` (or a Dask cluster) each worker analyses a file and then, still in the worker,
attaches the session metadata, writes the session's HTML report, formats its turns.csv,
evidence.csv and sessions.csv rows as CSV text and computes its history record.  Only this
small :class:`RenderedFile` travels back: the parent writes the CSV text in input order, adds the
history records and writes the index, so it never becomes the bottleneck and never holds a
session's transcript, Docs or markers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .pipeline import FileResult, SessionResult
from .tables import EVIDENCE_COLUMNS, TURN_COLUMNS, csv_text


@dataclass
class RenderedSession:
    """One session's outputs, ready to be written: CSV text, report name, history record."""

    session_id: str
    session: dict[str, Any]  # the sessions.csv row, metadata included (the index and the history read it)
    turns_csv: str
    evidence_csv: str
    sessions_csv: str
    n_turns: int
    n_evidence: int
    report: str | None  # report path relative to the output folder, when reports are written
    content_hash: str | None  # the history key, when a history is kept
    metadata: dict[str, Any] = field(default_factory=dict)
    metadata_problem: str = ""
    role_inferred: bool = False
    check_warning: str = ""  # SessionResult.check_warning: why the scores were held back, if they were


@dataclass
class RenderedFile:
    """What became of one input file, as :class:`~analyzer.pipeline.FileResult`, with rendered sessions."""

    path: Path
    sessions: list[RenderedSession] = field(default_factory=list)
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    traceback: str | None = None  # for an unexpected exception (shown with --debug)


@dataclass(frozen=True)
class RenderPlan:
    """What the workers write and format: the output folder, the sessions.csv columns, reports, history."""

    out: Path
    session_columns: tuple[str, ...]
    reports: bool = True
    history: bool = True
    print_transcript: bool = False  # keep the transcript in printed reports
    session_digits: tuple[tuple[str, int], ...] = ()  # sessions.csv rounding (column, decimals)


def render_session(sr: SessionResult, plan: RenderPlan) -> RenderedSession:
    """Format one analysed session (metadata already attached) and write its report."""
    report = None
    if plan.reports:
        from .report import report_filename, write_session_report

        write_session_report(sr, plan.out, print_transcript=plan.print_transcript)
        report = report_filename(sr.session_id)
    chash = None
    if plan.history:
        from .history import content_hash

        chash = content_hash(sr.transcript)
    turns, n_turns = csv_text(TURN_COLUMNS, sr.iter_turn_rows())
    evidence, n_evidence = csv_text(EVIDENCE_COLUMNS, sr.iter_evidence_rows())
    sessions, _ = csv_text(plan.session_columns, [sr.session], dict(plan.session_digits))
    return RenderedSession(
        session_id=sr.session_id, session=dict(sr.session), turns_csv=turns, evidence_csv=evidence,
        sessions_csv=sessions, n_turns=n_turns, n_evidence=n_evidence, report=report, content_hash=chash,
        metadata=dict(sr.metadata), metadata_problem=sr.metadata_problem, role_inferred=sr.transcript.role_inferred,
        check_warning=sr.check_warning,
    )


def render_file(fr: FileResult, plan: RenderPlan) -> RenderedFile:
    """Every session of one analysed file, rendered; the file's error and warnings carried over."""
    return RenderedFile(fr.path, [render_session(sr, plan) for sr in fr.sessions], fr.error, list(fr.warnings),
                        fr.traceback)
