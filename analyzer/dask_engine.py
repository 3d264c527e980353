"""Past one machine: each file analysed on a Dask cluster's workers (``analyze --engine dask``).

The driver (the process running ``analyze``) submits one task per file to the cluster, at most a
few per worker at a time so memory stays flat however many files a run holds, and takes the
results back in input order: the tables, history and index it writes are the same as a local run's.
Each task analyses the file and renders its outputs on the worker (report written, rows formatted,
see :mod:`analyzer.rendering`), so the workers need the package installed and the input and output
folders at the same paths as the driver (a shared file system).  A task that fails on a worker (a
bad file, a lost worker) becomes that file's one-line error and the batch goes on.

Install with ``pip install 'session-analyzer[dask]'``.  Without ``--scheduler`` a local cluster of
``--jobs`` worker processes is started for the run and stopped after it.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from .config import RunConfig
from .errors import ConfigError
from .pipeline import FileResult, work_on_file

TASKS_PER_WORKER = 2  # files in flight per worker: enough to keep each busy, few enough to keep memory flat
CONNECT_TIMEOUT_S = 30

# One file at a time per worker process, whatever the worker's thread count: the reports' charts
# and the per-process caches are not made for threads.
_LOCK = threading.Lock()


def _task(path: Path, config: RunConfig, finish: Callable[[FileResult], Any] | None) -> Any:
    with _LOCK:
        return work_on_file(path, config, finish)


def _client(scheduler: str | None, jobs: int) -> tuple[Any, Any]:
    """A client of the cluster at ``scheduler``, or of a new local cluster of ``jobs`` processes."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise ConfigError("--engine dask needs Dask: pip install 'session-analyzer[dask]'") from exc
    if scheduler:
        try:
            return Client(scheduler, timeout=CONNECT_TIMEOUT_S), None
        except (OSError, TimeoutError) as exc:
            raise ConfigError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from exc
    cluster = LocalCluster(n_workers=max(1, jobs), threads_per_worker=1, processes=True, dashboard_address=None)
    return Client(cluster), cluster


def dask_files(files: Sequence[Path], config: RunConfig, finish: Callable[[FileResult], Any] | None, *,
               scheduler: str | None = None, jobs: int = 1) -> Iterator[Any]:
    """``finish(analyze_file(path))`` for every file, computed on the cluster, yielded in input order."""
    client, cluster = _client(scheduler, jobs)
    try:
        workers = max(1, len(client.scheduler_info().get("workers", {})) or jobs)
        window = TASKS_PER_WORKER * workers
        # the configuration and the finishing step travel to each worker once, not with every task
        cfg, fin = client.scatter([config, finish], broadcast=True, hash=False) if finish is not None else (
            client.scatter(config, broadcast=True, hash=False), None)
        pending: deque[tuple[Path, Any]] = deque()
        todo = iter(files)
        for path in todo:
            pending.append((path, client.submit(_task, path, cfg, fin, pure=False)))
            if len(pending) >= window:
                break
        while pending:
            path, future = pending.popleft()
            yield _result(path, future)
            nxt = next(todo, None)
            if nxt is not None:
                pending.append((nxt, client.submit(_task, nxt, cfg, fin, pure=False)))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _result(path: Path, future: Any) -> Any:
    """The task's value, or the file's one-line error when the task failed on its worker."""
    try:
        return future.result()
    except Exception as exc:  # any failure on a worker is this file's problem, never the batch's
        return FileResult(path, error=f"{path}: analysis failed on a Dask worker: {type(exc).__name__}: {exc}")
