"""Session ids that are unique within a run.

A session's id is its file's stem (``stem/value`` for one session of a CSV
with a session column).  Files with the same stem in one run would share an
id, so one report would overwrite the other and their rows would mix; the
ids of such files are told apart, and only theirs:

* same stem in different folders → the folder relative to the folder the
  files have in common is put in front: ``clinicA/session`` and
  ``clinicB/session`` (a file in that common folder itself keeps ``session``);
* same stem in one folder → the suffix is kept: ``x.txt`` and ``x.json``;
* a file name with bytes that are not UTF-8 shows them as ``\\xNN`` (a session
  id is text that every table, report name and the history can hold);
* anything still equal (a CSV session ``a/b`` beside a folder ``a`` holding
  ``b.txt``) gets ``#2``, ``#3`` … in the order the files were given.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path, PurePath
from typing import Any


def file_ids(paths: Sequence[str | Path]) -> list[str]:
    """The base session id of each file in ``paths`` (same order), unique among them."""
    ps = [Path(p) for p in paths]
    ids = [_printable(p.stem) for p in ps]
    groups: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(ps):
        groups[p.stem].append(i)
    for stem, idx in groups.items():
        if len(idx) < 2:
            continue
        folders = [os.path.abspath(ps[i].parent) for i in idx]
        common = os.path.commonpath(folders)
        rel = [PurePath(os.path.relpath(f, common)).as_posix() for f in folders]
        labels = [_printable(stem if r == "." else f"{r}/{stem}") for r in rel]
        counts: dict[str, int] = defaultdict(int)
        for lab in labels:
            counts[lab] += 1
        for i, lab in zip(idx, labels):
            ids[i] = lab + _printable(ps[i].suffix) if counts[lab] > 1 else lab
    return ids


def _printable(name: str) -> str:
    """``name`` with the undecodable bytes of a file name (surrogate escapes) written as ``\\xNN``."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        return os.fsencode(name).decode("utf-8", "backslashreplace")


class SessionNamer:
    """Renames the sessions of each file's result to the run-unique ids (see the module docstring)."""

    def __init__(self, paths: Sequence[str | Path]) -> None:
        self._ids = {str(p): sid for p, sid in zip(paths, file_ids(paths))}
        self._used: set[str] = set()

    def apply(self, file_result: Any) -> Any:
        """Give ``file_result``'s sessions their unique ids (in place); returns it."""
        base = self._ids.get(str(file_result.path))
        stem = Path(file_result.path).stem
        for sr in file_result.sessions:
            old = sr.transcript.session_id
            new = base + old[len(stem):] if base is not None and old.startswith(stem) else old
            new = self._unused(new)
            if new != old:
                sr.transcript = replace(sr.transcript, session_id=new)
                sr.session["session_id"] = new
        return file_result

    def _unused(self, sid: str) -> str:
        out, n = sid, 1
        while out in self._used:
            n += 1
            out = f"{sid}#{n}"
        self._used.add(out)
        return out
