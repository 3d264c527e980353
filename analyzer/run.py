"""A whole run over files and folders, streamed to an output folder.

This is what ``session-analyzer analyze`` does, as a function: analyse every
file (a bad file is recorded and the batch goes on), attach session metadata,
write turns.csv, sessions.csv and evidence.csv atomically (a crash leaves the
previous tables untouched), one HTML report per session, the SQLite history
and index.html with the trends across sessions.  Each session's results are
written and released as soon as they are ready, so memory stays flat.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import Options, RunConfig, load_config
from .errors import AnalyzerError
from .guard import unexpected_error
from .orchestrator import METADATA_KEYS, SessionStream
from .pipeline import FileResult, SessionResult
from .rendering import RenderedFile, RenderedSession, RenderPlan
from .skills import SkillMap, load_skill_map, skill_columns
from .tables import (
    EVIDENCE_COLUMNS,
    SESSION_COLUMNS,
    TURN_COLUMNS,
    AtomicCSV,
    column_digits,
    commit_all,
    remove_stale_temps,
    session_csv_columns,
)

__all__ = ["RunSummary", "run_analysis", "session_columns", "METADATA_KEYS"]


@dataclass
class RunSummary:
    """What a run did: counts, failures (one line each) and where the outputs are."""

    out_dir: Path
    files: int = 0
    sessions: int = 0
    failed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # run-level warnings, printed once at the end
    inferred: list[str] = field(default_factory=list)
    not_scored: list[str] = field(default_factory=list)  # sessions that do not look like counselling sessions
    reports: dict[str, str] = field(default_factory=dict)
    history: Path | None = None
    index: Path | None = None
    elapsed_s: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed


def session_columns(skill_map: SkillMap | str | None = None) -> list[str]:
    """sessions.csv columns for a skill map, in :func:`analyzer.tables.session_csv_columns` order."""
    from .screening import check_columns

    smap = skill_map if isinstance(skill_map, SkillMap) else load_skill_map(skill_map)
    # the screening and interval columns join the skill columns: scores, bands and intervals lead
    return session_csv_columns(SESSION_COLUMNS, skill_columns(smap) + list(check_columns(smap)))


class _Outputs:
    """The run's three tables (written atomically), its reports and its history, fed one session at a time."""

    def __init__(self, out: Path, config: RunConfig, history: Path | None, reports: bool,
                 print_transcript: bool = False) -> None:
        from .history import History

        self.out = out
        self.config = config
        self.reports = reports
        self.print_transcript = print_transcript
        remove_stale_temps(out)  # what a killed run (kill -9) left behind
        # one transaction for the whole run: its history rows are committed with its tables or not at all
        self.hist = History(history).open().begin() if history is not None else None
        made: list[AtomicCSV] = []
        columns = session_columns(config.skill_map)
        digits = {c: d for c in columns if (d := column_digits(c)) is not None}  # spreadsheet rounding
        try:
            # earlier sessions, for each report's "since the previous session" line
            self.earlier = self.hist.records() if self.hist is not None and reports else []
            for name, cols, dig in (("turns.csv", list(TURN_COLUMNS), None),
                                    ("evidence.csv", list(EVIDENCE_COLUMNS), None),
                                    ("sessions.csv", columns, digits)):
                made.append(AtomicCSV(out / name, cols, dig))
        except BaseException:  # a read-only or full output folder: no temporary file left, the history untouched
            for w in made:
                w.abort()
            self.close()
            raise
        self.turns, self.evidence, self.sessions = made
        self.session_rows: list[dict[str, Any]] = []

    @property
    def writers(self) -> tuple[AtomicCSV, AtomicCSV, AtomicCSV]:
        return self.turns, self.evidence, self.sessions

    def add(self, sr: SessionResult) -> str | None:
        """Write one session everywhere; returns its report's path relative to the output folder.

        Rows and report are built before any table is written, so a session that fails there leaves
        no trace in the tables."""
        turn_rows, evidence_rows = sr.turn_rows(), sr.evidence_rows()
        report = None
        if self.reports:
            from .report import report_filename, write_session_report

            write_session_report(sr, self.out, print_transcript=self.print_transcript)
            report = report_filename(sr.session_id)
        self.turns.write_all(turn_rows)
        self.evidence.write_all(evidence_rows)
        self.sessions.write(sr.session)
        if self.hist is not None:
            self.hist.add(sr, metadata=sr.metadata)
        self.session_rows.append(sr.session)
        return report

    def add_rendered(self, rs: RenderedSession) -> str | None:
        """Write one session a worker rendered: its CSV text, its history record; returns its report path."""
        self.turns.write_text(rs.turns_csv, rs.n_turns)
        self.evidence.write_text(rs.evidence_csv, rs.n_evidence)
        self.sessions.write_text(rs.sessions_csv, 1)
        if self.hist is not None and rs.content_hash:
            self.hist.add(rs.session, rs.content_hash, metadata=rs.metadata)
        self.session_rows.append(rs.session)
        return rs.report

    def commit(self, reports: dict[str, str]) -> Path | None:
        """Move the tables into place and write index.html (with the trends where a history is kept)."""
        # all tables flushed first (a full disk fails before any changes), then the history, then the moves
        commit_all(self.writers, before_replace=self.hist.commit if self.hist is not None else None)
        if not self.reports:
            return None
        from .report import write_index
        from .report.trends import trends_html_section

        smap = self.config.skill_map
        _add_previous_sessions(self.out, reports, self.session_rows, self.earlier, smap)
        extra = [trends_html_section(self.hist.sessions_frame(), smap)] if self.hist is not None else []
        return write_index(self.session_rows, reports, self.out, extra_sections=extra, skill_map=smap)

    def abort(self) -> None:
        for w in self.writers:
            w.abort()

    def close(self) -> None:
        if self.hist is not None:
            self.hist.close()


def _note_file(summary: RunSummary, fr: FileResult | RenderedFile) -> None:
    """Record one file's error and warnings, and each session's metadata problem and inferred roles."""
    if fr.error:
        summary.failed.append(fr.error)
    summary.warnings.extend(f"{fr.path}: {w}" for w in fr.warnings)
    for sr in fr.sessions:
        if sr.metadata_problem:
            summary.warnings.append(f"{sr.session_id}: metadata ignored: {sr.metadata_problem}")
        if sr.role_inferred if isinstance(sr, RenderedSession) else sr.transcript.role_inferred:
            summary.inferred.append(sr.session_id)
        if sr.check_warning.startswith("not scored"):
            summary.not_scored.append(sr.session_id)


def run_analysis(
    paths: Sequence[str | Path],
    out_dir: str | Path,
    options: Options | RunConfig | None = None,
    *,
    jobs: int = 1,
    history: str | Path | None | bool = True,
    manifest: bool = True,
    reports: bool = True,
    on_file: Callable[[FileResult], None] | None = None,
    print_transcript: bool = False,
    engine: str = "local",
    scheduler: str | None = None,
) -> RunSummary:
    """Analyse ``paths`` into ``out_dir``; returns a :class:`RunSummary`.

    ``options`` are the run's options (or an already loaded RunConfig).  ``history``: True writes
    ``out_dir/history.sqlite``, a path writes there, False/None writes none.  ``on_file`` is called
    after each file (progress, messages).  ``print_transcript`` keeps the transcript in the printed
    reports (by default it shows on screen only).  ``engine`` ``"dask"`` runs the files on a Dask cluster
    (``scheduler`` its address, ``tcp://host:port``; None starts a local cluster of ``jobs`` workers).
    Raises AnalyzerError only for problems that stop the whole
    run (a bad settings file or skill map, an unreadable history); problems with one file are recorded
    in ``failed`` and the run goes on.
    """
    from .history import default_path

    started = time.perf_counter()
    out = Path(out_dir)
    summary = RunSummary(out)
    # a bad settings file or skill map stops here, before any work
    config = options if isinstance(options, RunConfig) else load_config(options or Options())
    # workers write the reports and format every row; this process only appends them in input order
    columns = session_columns(config.skill_map)
    digits = tuple((c, d) for c in columns if (d := column_digits(c)) is not None)
    plan = RenderPlan(out.absolute(), tuple(columns), reports=reports, history=bool(history),
                      print_transcript=print_transcript, session_digits=digits)
    stream = SessionStream(paths, config, jobs=jobs, manifest=manifest, exclude=(out,),  # never read our own output
                           render=plan, engine=engine, scheduler=scheduler)
    summary.failed.extend(stream.missing)
    if stream.manifest_error is not None:
        summary.failed.append(str(stream.manifest_error))
    summary.files = len(stream.files)
    if history:
        summary.history = default_path(out) if history is True else Path(history)
    try:
        outputs = _Outputs(out, config, summary.history, reports, print_transcript)
    except BaseException:  # stopped or failed while creating the temporaries: remove ours
        remove_stale_temps(out, include_own=True)
        raise
    try:
        for fr in stream:
            _note_file(summary, fr)
            _write_file_sessions(fr, outputs, summary)
            if on_file:
                on_file(fr)
        if summary.sessions == 0:
            # nothing analysed: keep whatever an earlier run left in the folder rather than empty it
            outputs.abort()
        else:
            summary.index = outputs.commit(summary.reports)
            if outputs.hist is not None:
                summary.notes.extend(f"history: {w}" for w in outputs.hist.warnings)
    except BaseException as exc:
        outputs.abort()
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            remove_stale_temps(out, include_own=True)  # a signal between a temporary's creation and its writer
        raise
    finally:
        outputs.close()
    summary.elapsed_s = time.perf_counter() - started
    return summary


def _write_file_sessions(fr: FileResult, outputs: _Outputs, summary: RunSummary) -> None:
    """Add one file's sessions to the outputs; an unexpected failure there fails this file only."""
    for sr in fr.sessions:
        try:
            report = outputs.add_rendered(sr) if isinstance(sr, RenderedSession) else outputs.add(sr)
        except (AnalyzerError, OSError):
            raise  # output-side (full disk, damaged history): stops the run with one message
        except Exception as exc:  # the per-file guard, for this file's outputs
            if not fr.error:
                fr.error, fr.traceback = unexpected_error(fr.path, exc)
                summary.failed.append(fr.error)
            continue
        summary.sessions += 1
        if report:
            summary.reports[sr.session_id] = report


def _add_previous_sessions(out: Path, reports: dict[str, str], rows: list[dict[str, Any]],
                           earlier: list[dict[str, Any]], skill_map: SkillMap) -> None:
    """Fill each report's change since the clinician's previous session, once every session's date is known."""
    from .report import add_previous_session
    from .report.summary import previous_session

    skills = [(s.key, s.label) for s in skill_map.skills]
    known = earlier + rows
    for row in rows:
        prev = previous_session(row, known)
        rel = reports.get(str(row.get("session_id")))
        if prev is not None and rel:
            add_previous_session(out / rel, row, prev, skills)
