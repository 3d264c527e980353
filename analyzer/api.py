"""The notebook API: a few functions over the same pipeline the CLI runs.

::

    import analyzer as sa

    tr = sa.load("sample_transcripts/teams_checkin.vtt")          # a Transcript (a list for a multi-session CSV or a folder)
    an = sa.analyze_folder("sample_transcripts")                   # reads manifest.csv beside the files
    an.sessions                                                     # one row per session (pandas, typed)
    an.turns                                                        # one row per turn
    an.report("teams_checkin")                                      # the session report, inline in Jupyter
    an.history("out/history.sqlite")                                # add to a supervision history
    an.supervision("month")                                         # the supervision table (analyzer.export)
    sa.plot_skill_trends(an.sessions, "CL-A")                      # plots (also analyzer.report.plots helpers)

DataFrame dtypes (pandas nullable dtypes, so a missing value is ``<NA>``
and integers stay integers):

* counts (``n_*``, ``turn``, ``first_segment``, ``source_line``, word counts,
  ``speaker_switches``, longest stretches in words) → ``"Int64"``;
* other figures (shares, seconds, rates, ratios, scores, sentiment) → ``"Float64"``;
* 0/1 flags (``role_inferred``; the turn flags ``backchannel``,
  ``interruption``, ``affirmation`` … ``check_understanding``) → ``"boolean"``;
* codes (``role``, ``question``, ``reflection``, ``format``, ``*_basis``,
  ``*_band``, ``clinician``, ``session_date``, ``client``,
  ``metadata_source``) → ``"string"`` with ``<NA>`` for empty;
* free text (``text``, ``evidence``, ``speaker``, ``*_drivers`` …) →
  ``"string"``, empty stays ``""``.

``session_date`` is an ISO ``YYYY-MM-DD`` string (``pd.to_datetime`` it to
plot).  :data:`SESSION_DTYPES` and :data:`TURN_DTYPES` list every documented
column; columns outside them (extra manifest columns) keep pandas' inference.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .frames import METADATA_COLUMNS, column_dtype, turn_dtypes, typed_frame

if TYPE_CHECKING:  # pandas and the pipeline (spaCy) are imported only when used
    import pandas as pd

    from .config import RunConfig
    from .model import Transcript
    from .pipeline import SessionResult

__all__ = [  # SESSION_DTYPES, TURN_DTYPES and plot_skill_trends come from __getattr__ (built on first use)
    "Analysis", "Problem", "SessionReport", "SESSION_DTYPES", "TURN_DTYPES", "METADATA_COLUMNS",  # noqa: F822
    "load", "analyze_folder", "analyze_transcripts", "typed_frame", "column_dtype", "plot_skill_trends",  # noqa: F822
]

@dataclass(frozen=True)
class Problem:
    """A file (or session) that could not be analysed, and why."""

    path: str
    message: str

    def __str__(self) -> str:
        return self.message if self.message.startswith(self.path) else f"{self.path}: {self.message}"


class SessionReport:
    """One session's HTML report; shows inline in Jupyter (sandboxed in an iframe)."""

    def __init__(self, result: SessionResult, height: int = 700) -> None:
        self.result = result
        self.height = height
        self._html: str | None = None

    @property
    def html(self) -> str:
        """The full HTML page (analyzer.report.session_report_html, or a plain summary where absent)."""
        if self._html is None:
            try:
                from .report import session_report_html
            except ImportError:  # a trimmed install without the report package
                self._html = _fallback_html(self.result)
            else:
                self._html = session_report_html(self.result)
        return self._html

    def save(self, path: str | Path) -> Path:
        from .tables import write_text_atomic

        return write_text_atomic(path, self.html)

    def _repr_html_(self) -> str:
        return (
            f'<iframe srcdoc="{html.escape(self.html, quote=True)}" '
            f'style="width:100%;height:{self.height}px;border:1px solid #ccc" '
            f'title="Session report: {html.escape(self.result.session_id)}"></iframe>'
        )

    def __repr__(self) -> str:
        return f"<SessionReport {self.result.session_id}>"


def _fallback_html(result: SessionResult) -> str:
    row = result.session
    cells = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(row.get(k, '')))}</td></tr>"
        for k in row if not k.endswith(("_drivers", "_suggestion"))
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(result.session_id)}</title></head>"
        f"<body><h1>{html.escape(result.session_id)}</h1><table>{cells}</table></body></html>"
    )


@dataclass
class Analysis:
    """Sessions analysed together: ``results`` (SessionResult), ``metadata`` (one dict per result), ``errors``."""

    results: list[SessionResult] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    metadata: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.results)

    def __repr__(self) -> str:
        return f"<Analysis: {len(self.results)} sessions, {len(self.errors)} errors>"

    @property
    def sessions(self) -> pd.DataFrame:
        """One row per session: sessions.csv columns, then clinician, session_date, client, metadata_source."""
        import pandas as pd

        from .frames import session_dtypes

        rows = []
        for i, r in enumerate(self.results):
            meta = self.metadata[i] if i < len(self.metadata) else {}
            rows.append({**r.session, **{k: meta.get(k, "") for k in METADATA_COLUMNS},
                         **{k: v for k, v in meta.items() if k not in METADATA_COLUMNS and k not in r.session}})
        df = pd.DataFrame.from_records(rows) if rows else pd.DataFrame(columns=list(session_dtypes()))
        return typed_frame(df, "session")

    @property
    def turns(self) -> pd.DataFrame:
        """One row per turn of every session (turns.csv columns)."""
        import pandas as pd

        rows = [t for r in self.results for t in r.turn_rows()]
        df = pd.DataFrame.from_records(rows) if rows else pd.DataFrame(columns=list(turn_dtypes()))
        return typed_frame(df, "turn")

    @property
    def evidence(self) -> pd.DataFrame:
        """One row per detection (evidence.csv columns)."""
        import pandas as pd

        from .tables import EVIDENCE_COLUMNS

        rows = [e for r in self.results for e in r.evidence_rows()]
        return pd.DataFrame.from_records(rows, columns=list(EVIDENCE_COLUMNS))

    def result(self, session: str | int) -> SessionResult:
        """The SessionResult for a session id (or a position)."""
        if isinstance(session, int):
            return self.results[session]
        hits = [r for r in self.results if r.session_id == session]
        if len(hits) == 1:
            return hits[0]
        if not hits:
            known = ", ".join(r.session_id for r in self.results[:20])
            raise KeyError(f"no session {session!r}; sessions: {known}")
        raise KeyError(f"{len(hits)} sessions are called {session!r} (from {', '.join(r.transcript.source for r in hits)}); pass a position")

    def report(self, session: str | int) -> SessionReport:
        """The session's report; displays inline in Jupyter, ``.save(path)`` writes it."""
        return SessionReport(self.result(session))

    def history(self, path: str | Path) -> int:
        """Add every session to the History at ``path`` (created if absent); returns how many."""
        from .history import History

        with History(path) as h:
            return h.add_many(zip(self.results, self.metadata))

    def supervision(self, by: str = "session") -> pd.DataFrame:
        """:func:`analyzer.export.supervision_table` over these sessions, with their run's flag rules and skill map."""
        from .export import supervision_table

        config = next((r.config for r in self.results if r.config is not None), None)
        return supervision_table(self.sessions, by=by, config=config)


def _config(options: Mapping[str, Any]) -> RunConfig:
    """The run's configuration from the API's keyword arguments (Options fields), loaded once."""
    from .config import load_config, options_from

    return load_config(options_from(dict(options)))


def _as_paths(paths: str | Path | Iterable[str | Path]) -> list[Path]:
    if isinstance(paths, (str, Path)):
        return [Path(paths)]
    return [Path(p) for p in paths]


def load(path: str | Path, **kw: Any) -> Transcript | list[Transcript]:
    """Read a transcript file (or every transcript in a folder) without analysing it.

    Keyword arguments go to :func:`analyzer.io.read` (``format``,
    ``clinician``, ``roles_file``).  Returns one Transcript for a
    single-session file, else a list (multi-session CSV, folder).
    """
    from . import io as readers
    from .errors import AnalyzerError

    p = Path(path)
    if p.is_dir():
        files, missing = readers.discover([p])
        if missing:
            raise AnalyzerError("; ".join(missing))
        return [tr for f in files for tr in readers.read(f, **kw)]
    if not p.exists():
        raise AnalyzerError("no such file or folder", p)
    out = readers.read(p, **kw)
    return out[0] if len(out) == 1 else out


def _add(analysis: Analysis, result: SessionResult) -> None:
    """Keep one analysed session (its metadata already attached by the orchestrator)."""
    if result.metadata_problem:
        analysis.errors.append(Problem(result.transcript.source, f"{result.session_id}: {result.metadata_problem}"))
    analysis.results.append(result)
    analysis.metadata.append(result.metadata)


def analyze_folder(
    paths: str | Path | Iterable[str | Path],
    *,
    manifest: bool | str | Path | Mapping[str, Any] = True,
    jobs: int = 1,
    **options: Any,
) -> Analysis:
    """Analyse files and folders; files that fail are listed in ``.errors`` and the rest go on.

    ``manifest``: True reads ``manifest.csv`` in each folder given (and beside
    each file); a path names a manifest; a dict is one from
    :func:`analyzer.metadata.load_manifest`; False ignores manifests (CSV
    columns and file names still give metadata).  ``options`` are the fields
    of :class:`analyzer.pipeline.Options` (``format``, ``clinician``,
    ``roles_file``, ``spacy_model``, ``settings_file``, ``skill_map_file``).
    """
    from .orchestrator import SessionStream

    stream = SessionStream(_as_paths(paths), _config(options), jobs=jobs, manifest=manifest)
    if stream.manifest_error is not None:
        raise stream.manifest_error
    analysis = Analysis()
    analysis.errors.extend(Problem(m.split(":", 1)[0], m) for m in stream.missing)
    for fr in stream:
        analysis.warnings.extend(fr.warnings)
        if fr.error:
            analysis.errors.append(Problem(str(fr.path), fr.error))
        for sr in fr.sessions:
            _add(analysis, sr)
    return analysis


def analyze_transcripts(
    transcripts: Transcript | Iterable[Transcript],
    *,
    manifest: bool | str | Path | Mapping[str, Any] | None = None,
    **options: Any,
) -> Analysis:
    """Analyse Transcript objects (from :func:`load` or built in code).

    Metadata comes from ``manifest`` (a path or a loaded manifest; True reads
    the manifest beside each transcript's source), else the transcript's CSV
    columns, else its file name.
    """
    from .model import Transcript as _Transcript
    from .orchestrator import attach_metadata, load_manifest_index
    from .pipeline import analyze

    items = [transcripts] if isinstance(transcripts, _Transcript) else list(transcripts)
    config = _config(options)
    folders = sorted({Path(t.source).parent for t in items}) if manifest is True else []
    meta = load_manifest_index(manifest or False, folders)
    analysis = Analysis()
    for sr in analyze(items, config):
        attach_metadata(sr, meta)
        _add(analysis, sr)
    return analysis


def __getattr__(name: str) -> Any:
    """SESSION_DTYPES and TURN_DTYPES (they need the skill map and the marker registry, so they are
    built on first use, never at import) and the plot helpers,
    loaded on first use: plot_skill_trends and everything in analyzer.report.plots."""
    if name == "SESSION_DTYPES":
        from .frames import session_dtypes

        return session_dtypes()
    if name == "TURN_DTYPES":
        return turn_dtypes()
    if name == "plot_skill_trends":
        from .report.trends import plot_skill_trends

        return plot_skill_trends
    if not name.startswith("_"):
        from .report import plots

        if hasattr(plots, name):
            return getattr(plots, name)
    raise AttributeError(f"module 'analyzer.api' has no attribute {name!r}")
