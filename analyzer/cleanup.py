"""Leave nothing behind when a run is stopped.

Python's default reaction to SIGTERM (and SIGHUP) is to die on the spot, so
the hidden temporary tables and reports of a run that is stopped by a
service manager, ``timeout`` or a closed terminal would stay in the output
folder with transcript text in them.  :func:`signals_as_exit` turns those
signals into :class:`SystemExit` while a run is going on, so the same
clean-up that runs on an error or Ctrl-C (SIGINT, KeyboardInterrupt) runs:
temporary files are removed, earlier outputs stay untouched and the
history's open transaction is rolled back.  What a ``kill -9`` leaves is
removed by the next run (:func:`analyzer.tables.remove_stale_temps`).
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

STOP_SIGNALS = tuple(s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if s is not None)


class Stopped(SystemExit):
    """Raised in the main thread when a stop signal arrives; exits with 128 + the signal number."""

    def __init__(self, signum: int) -> None:
        super().__init__(128 + signum)
        self.signum = signum


@contextmanager
def signals_as_exit() -> Iterator[None]:
    """While the block runs, SIGTERM/SIGHUP raise :class:`Stopped` in this process (not in forked workers)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return
    owner = os.getpid()

    def handler(signum: int, frame: FrameType | None) -> None:
        if os.getpid() != owner:  # a forked worker inherited the handler: die the default way
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        raise Stopped(signum)

    previous = {s: signal.signal(s, handler) for s in STOP_SIGNALS}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
