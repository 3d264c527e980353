"""The one loop over a run's sessions, shared by the CLI (:func:`analyzer.run.run_analysis`) and the notebook
API (:func:`analyzer.api.analyze_folder`).

:class:`SessionStream` finds the files, reads the manifests, analyses file after file (in ``jobs``
processes) with one :class:`~analyzer.config.RunConfig`, and attaches each session's metadata
(clinician, date, client) to its row before handing the file's result on.  What a caller does with
the results (write tables and reports, or keep them for a DataFrame) is the caller's business; how
sessions are found, analysed and labelled is decided here only.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import io as readers
from .config import RunConfig
from .errors import AnalyzerError
from .pipeline import FileResult, SessionResult, analyze_files

if TYPE_CHECKING:
    from .rendering import RenderedFile, RenderPlan
    from .session_ids import SessionNamer

METADATA_KEYS = ("clinician", "session_date", "client", "metadata_source")
NO_METADATA: dict[str, str] = {"clinician": "", "session_date": "", "client": "", "metadata_source": "none"}

Manifest = bool | str | Path | Mapping[str, Any]


def load_manifest_index(manifest: Manifest, paths: list[Path]) -> dict[str, dict[str, Any]]:
    """The manifest rows for a run: True reads ``manifest.csv`` beside the inputs, a path names one
    manifest, a mapping is one already loaded, False reads none."""
    from .metadata import load_manifest, load_manifests

    if manifest is True:
        return load_manifests(paths)
    if not manifest:
        return {}
    if isinstance(manifest, (str, Path)):
        return load_manifest(manifest)
    return {str(k): dict(v) for k, v in manifest.items()}


def attach_metadata(result: SessionResult, manifest: Mapping[str, Mapping[str, Any]]) -> None:
    """Set ``result.metadata`` and the metadata columns of its row.

    Metadata that cannot be read (a malformed date in a CSV column) leaves the session with none and
    the problem in ``result.metadata_problem``, so the session is still analysed and written.
    """
    from .metadata import metadata_for_result

    try:
        meta = metadata_for_result(result, manifest)
    except AnalyzerError as exc:
        result.metadata_problem = str(exc)
        meta = dict(NO_METADATA)
    result.metadata = meta
    result.session.update({k: meta.get(k, "") for k in METADATA_KEYS})


class SessionStream:
    """Every file of a run, analysed in order with one configuration, metadata attached.

    Constructing it finds the files (``missing`` lists paths that do not exist) and reads the
    manifests (``manifest_error`` holds the error of an unreadable one, so a caller chooses to stop
    or go on).  Iterating yields one :class:`FileResult` per file; each of its sessions carries
    ``metadata`` and, where metadata could not be read, ``metadata_problem``.
    """

    def __init__(self, paths: Iterable[str | Path], config: RunConfig, *, jobs: int = 1,
                 manifest: Manifest = True, exclude: Iterable[str | Path] = (), render: RenderPlan | None = None,
                 engine: str = "local", scheduler: str | None = None) -> None:
        self.paths = [Path(p) for p in paths]
        self.config = config
        self.jobs = jobs
        self.render = render  # set: each file's outputs are rendered by the worker (RenderedFile)
        self.engine = engine  # "local" (this machine's processes) or "dask" (a cluster's workers)
        self.scheduler = scheduler
        self.files, self.missing = readers.discover(self.paths, exclude=exclude)
        self.manifest_error: AnalyzerError | None = None
        self.manifest: dict[str, dict[str, Any]] = {}
        try:
            self.manifest = load_manifest_index(manifest, self.paths)
        except AnalyzerError as exc:
            self.manifest_error = exc

    def __iter__(self) -> Iterator[Any]:  # FileResult, or RenderedFile when the stream renders
        from .session_ids import SessionNamer

        # same-stem files in one run get distinct session ids; ids, metadata (and, for a run, the
        # rendering) are settled where each file is analysed, before any row or report is made
        namer = SessionNamer(self.files)
        finish = partial(finish_file, self.manifest, self.render, namer)
        parallel = self.engine == "dask" or self.jobs > 1
        # A session of a table (``stem/value``) can take the id of a file in a folder (``stem/value.txt``):
        # only one process seeing every id in order can number those apart, so such runs name and render
        # here, in input order (the analysis itself still runs in the workers).
        in_order = parallel and _ids_may_meet(self.files)
        worker_finish = None if in_order else finish
        if self.engine == "dask":
            from .dask_engine import dask_files

            results = dask_files(self.files, self.config, worker_finish, scheduler=self.scheduler, jobs=self.jobs)
        else:
            results = analyze_files(self.files, self.config, jobs=self.jobs, finish=worker_finish)
        for fr in results:
            yield finish(fr) if in_order and isinstance(fr, FileResult) else fr


# formats whose one file can hold several sessions (ids ``stem/value``)
_MULTI_SESSION_FORMATS = frozenset({"csv", "json", "convokit"})


def _ids_may_meet(files: list[Path]) -> bool:
    """Whether a table's session id could equal another file's folder-qualified id in this run."""
    from .session_ids import file_ids

    tables = any(readers.SUFFIXES.get(p.suffix.lower()) in _MULTI_SESSION_FORMATS for p in files)
    return tables and any("/" in sid for sid in file_ids(files))


def finish_file(manifest: Mapping[str, Mapping[str, Any]], render: RenderPlan | None, namer: SessionNamer,
                fr: FileResult) -> FileResult | RenderedFile:
    """Give the sessions their run-unique ids, attach their metadata and, when a run renders, render the
    file (runs in the worker).  The ids of the files are settled from the whole run's file list; a
    worker process keeps its own record of the ids it gave (a session id repeated *inside* CSV
    tables analysed by different workers is the one case only a one-process run numbers ``#2``)."""
    namer.apply(fr)
    for sr in fr.sessions:
        attach_metadata(sr, manifest)
    if render is None:
        return fr
    from .rendering import render_file

    return render_file(fr, render)
