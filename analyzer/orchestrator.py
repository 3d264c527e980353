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
from pathlib import Path
from typing import Any

from . import io as readers
from .config import RunConfig
from .errors import AnalyzerError
from .pipeline import FileResult, SessionResult, analyze_files

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
                 manifest: Manifest = True, exclude: Iterable[str | Path] = ()) -> None:
        self.paths = [Path(p) for p in paths]
        self.config = config
        self.jobs = jobs
        self.files, self.missing = readers.discover(self.paths, exclude=exclude)
        self.manifest_error: AnalyzerError | None = None
        self.manifest: dict[str, dict[str, Any]] = {}
        try:
            self.manifest = load_manifest_index(manifest, self.paths)
        except AnalyzerError as exc:
            self.manifest_error = exc

    def __iter__(self) -> Iterator[FileResult]:
        from .session_ids import SessionNamer

        namer = SessionNamer(self.files)  # same-stem files in one run get distinct session ids
        for fr in analyze_files(self.files, self.config, jobs=self.jobs):
            namer.apply(fr)
            for sr in fr.sessions:
                attach_metadata(sr, self.manifest)
            yield fr
