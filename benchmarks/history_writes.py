"""History writes: one transaction per session (before issue 13) against one per run (now).

    .venv/bin/python benchmarks/history_writes.py [N]

Adds N synthetic session rows (default 500) to a fresh history in a temporary folder both ways and
prints the seconds each took.  Every commit is a disk sync, so the gap grows with N and with slower disks.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from analyzer.history import History


def _row(i: int) -> dict:
    return {"session_id": f"s{i}", "source": f"in/s{i}.txt", "n_turns": 40, "empathy_score": 60.0 + i % 30}


def main(n: int = 500) -> None:
    with tempfile.TemporaryDirectory() as d:
        with History(Path(d) / "per_session.sqlite") as h:
            t0 = time.perf_counter()
            for i in range(n):
                h.add(_row(i), f"hash{i}", {"clinician": "CL-A"})  # each add its own transaction
            per_session = time.perf_counter() - t0
        with History(Path(d) / "per_run.sqlite") as h:
            t0 = time.perf_counter()
            h.begin()
            for i in range(n):
                h.add(_row(i), f"hash{i}", {"clinician": "CL-A"})
            h.commit()
            per_run = time.perf_counter() - t0
    print(f"{n} sessions: one commit per session {per_session:.2f} s, one per run {per_run:.2f} s "
          f"({per_session / per_run:.1f}x)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
