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

from . import io as readers
from .errors import AnalyzerError
from .pipeline import FileResult, Options, analyze_files
from .skills import load_skill_map, skill_columns
from .tables import EVIDENCE_COLUMNS, SESSION_COLUMNS, TURN_COLUMNS, AtomicCSV

METADATA_KEYS = ("clinician", "session_date", "client", "metadata_source")


@dataclass
class RunSummary:
    """What a run did: counts, failures (one line each) and where the outputs are."""

    out_dir: Path
    files: int = 0
    sessions: int = 0
    failed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    inferred: list[str] = field(default_factory=list)
    reports: dict[str, str] = field(default_factory=dict)
    history: Path | None = None
    index: Path | None = None
    elapsed_s: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed


def session_columns(skill_map_file: str | None = None) -> list[str]:
    """sessions.csv columns for a skill map: the fixed columns, the skill columns, then warnings."""
    return list(SESSION_COLUMNS) + skill_columns(load_skill_map(skill_map_file)) + ["warnings"]


def run_analysis(
    paths: Sequence[str | Path],
    out_dir: str | Path,
    options: Options = Options(),
    *,
    jobs: int = 1,
    history: str | Path | None | bool = True,
    manifest: bool = True,
    reports: bool = True,
    on_file: Callable[[FileResult], None] | None = None,
    print_transcript: bool = False,
) -> RunSummary:
    """Analyse ``paths`` into ``out_dir``; returns a :class:`RunSummary`.

    ``history``: True writes ``out_dir/history.sqlite``, a path writes there,
    False/None writes none.  ``on_file`` is called after each file (progress,
    messages).  ``print_transcript`` keeps the transcript in the printed
    reports (by default it shows on screen only).  Raises AnalyzerError only for problems that stop the whole run
    (a bad skill map, an unreadable history); problems with one file are
    recorded in ``failed`` and the run goes on.
    """
    from .history import History, default_path
    from .metadata import load_manifests, metadata_for_result

    started = time.perf_counter()
    out = Path(out_dir)
    summary = RunSummary(out)
    columns = session_columns(options.skill_map_file)  # a bad skill map stops here, before any work
    files, missing = readers.discover(paths)
    summary.failed.extend(missing)
    summary.files = len(files)
    meta_index: dict[str, Any] = {}
    if manifest:
        try:
            meta_index = load_manifests(paths)
        except AnalyzerError as exc:
            summary.failed.append(str(exc))
    hist = None
    if history:
        summary.history = default_path(out) if history is True else Path(history)
        hist = History(summary.history).open()
    earlier = hist.records() if hist is not None and reports else []  # for "since the previous session"
    session_rows: list[dict[str, Any]] = []
    writers = [AtomicCSV(out / "turns.csv", list(TURN_COLUMNS)), AtomicCSV(out / "evidence.csv", list(EVIDENCE_COLUMNS)),
               AtomicCSV(out / "sessions.csv", columns)]
    turns_csv, evidence_csv, sessions_csv = writers
    try:
        for fr in analyze_files(files, options, jobs=jobs):
            if fr.error:
                summary.failed.append(fr.error)
            summary.warnings.extend(f"{fr.path}: {w}" for w in fr.warnings)
            for sr in fr.sessions:
                try:
                    meta = metadata_for_result(sr, meta_index)
                except AnalyzerError as exc:
                    summary.warnings.append(f"{sr.session_id}: metadata ignored: {exc}")
                    meta = {"metadata_source": "none"}
                sr.session.update({k: meta.get(k, "") for k in METADATA_KEYS})
                summary.sessions += 1
                if sr.transcript.role_inferred:
                    summary.inferred.append(sr.session_id)
                turns_csv.write_all(sr.turn_rows())
                evidence_csv.write_all(sr.evidence_rows())
                sessions_csv.write(sr.session)
                if reports:
                    from .report import report_filename, write_session_report

                    write_session_report(sr, out, print_transcript=print_transcript)
                    summary.reports[sr.session_id] = report_filename(sr.session_id)
                if hist is not None:
                    hist.add(sr, metadata=meta)
                session_rows.append(sr.session)
            if on_file:
                on_file(fr)
        if summary.sessions == 0:
            # nothing analysed: keep whatever an earlier run left in the folder rather than empty it
            for w in writers:
                w.abort()
            summary.elapsed_s = time.perf_counter() - started
            return summary
        for w in writers:
            w.commit()
        if reports:
            _add_previous_sessions(out, summary.reports, session_rows, earlier, options.skill_map_file)
            from .report import write_index
            from .report.trends import trends_html_section

            skill_map = load_skill_map(options.skill_map_file)
            extra = [trends_html_section(hist.sessions_frame(), skill_map)] if hist is not None else []
            summary.index = write_index(session_rows, summary.reports, out, extra_sections=extra, skill_map=skill_map)
    except BaseException:
        for w in writers:
            w.abort()
        raise
    finally:
        if hist is not None:
            hist.close()
    summary.elapsed_s = time.perf_counter() - started
    return summary


def _add_previous_sessions(out: Path, reports: dict[str, str], rows: list[dict[str, Any]],
                           earlier: list[dict[str, Any]], skill_map_file: str | None) -> None:
    """Fill each report's change since the clinician's previous session, once every session's date is known."""
    from .report import add_previous_session
    from .report.summary import previous_session

    skills = [(s.key, s.label) for s in load_skill_map(skill_map_file).skills]
    known = earlier + rows
    for row in rows:
        prev = previous_session(row, known)
        rel = reports.get(str(row.get("session_id")))
        if prev is not None and rel:
            add_previous_session(out / rel, row, prev, skills)
