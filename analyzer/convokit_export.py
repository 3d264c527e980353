"""Analysed sessions as a ConvoKit corpus, so researchers can carry on in ConvoKit.

:func:`export_convokit` reads an output folder's ``turns.csv`` and
``sessions.csv`` and writes a corpus folder that ConvoKit's
``Corpus(filename=DIR)`` loads (and that ``session-analyzer analyze DIR``
reads back):

* ``utterances.jsonl`` -- one utterance per turn: id ``session/turn``,
  ``conversation_id`` the session, ``reply-to`` the turn before,
  ``timestamp`` the start in seconds (null without times), and in ``meta``
  the role, times and every code and figure of turns.csv (question,
  reflection, affirmation …, evidence);
* ``speakers.json`` -- one speaker per session and label (``session/label``:
  a "Therapist" in two sessions is rarely one person), meta label and role;
* ``conversations.json`` -- one per session, meta the sessions.csv row
  (metadata, figures, skill scores);
* ``corpus.json`` and ``index.json`` (ConvoKit's index of meta field types).

ConvoKit itself is not needed to write the corpus; it is a test-only
dependency that checks the result loads.
"""

from __future__ import annotations

import csv
import json
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from . import __version__
from .errors import AnalyzerError

# turns.csv columns that are the utterance's own fields rather than its meta
_OWN = ("session_id", "turn", "speaker", "text")
_INT = re.compile(r"^-?\d{1,15}$")
_FLOAT = re.compile(r"^-?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?$")


def _value(cell: str | None) -> Any:
    """A CSV cell as JSON: numbers as numbers, empty as null, text as text."""
    if cell is None or cell == "":
        return None
    if _INT.match(cell):
        return int(cell)
    if _FLOAT.match(cell):
        return float(cell)
    return cell


def _rows(path: Path) -> Iterator[dict[str, str]]:
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            yield from csv.DictReader(fh)
    except FileNotFoundError:
        raise AnalyzerError(f"no {path.name} here: run `session-analyzer analyze` first", path=path.parent) from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise AnalyzerError(f"cannot read {path.name}: {exc}", path=path) from None


def _type_name(value: Any) -> str:
    return str(type(value))  # ConvoKit's index records "<class 'str'>" and the like


class _Index:
    """ConvoKit's index.json: the types seen for each meta field, per component."""

    def __init__(self) -> None:
        self.fields: dict[str, dict[str, list[str]]] = {"utterances": {}, "speakers": {}, "conversations": {}}

    def see(self, kind: str, meta: dict[str, Any]) -> None:
        for key, value in meta.items():
            if value is None:
                continue
            types = self.fields[kind].setdefault(key, [])
            if _type_name(value) not in types:
                types.append(_type_name(value))

    def as_json(self) -> dict[str, Any]:
        return {
            "utterances-index": self.fields["utterances"],
            "speakers-index": self.fields["speakers"],
            "conversations-index": self.fields["conversations"],
            "overall-index": {"analyzer_version": [_type_name("")]},
            "version": 1,
            "vectors": [],
        }


def _write_json(path: Path, data: Any) -> None:
    """Write JSON through a temporary file so a failed export never leaves half a file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            if path.suffix == ".jsonl":
                for item in data:
                    fh.write(json.dumps(item, ensure_ascii=False) + "\n")
            else:
                json.dump(data, fh, ensure_ascii=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def export_convokit(tables_dir: str | Path, out_dir: str | Path) -> tuple[int, int]:
    """Write the sessions in ``tables_dir`` (an analyze output folder) as a ConvoKit corpus in ``out_dir``.

    Returns ``(conversations, utterances)``.  Raises AnalyzerError when the
    tables are missing or unreadable, or the folder cannot be written.
    """
    tables, out = Path(tables_dir), Path(out_dir)
    index = _Index()
    conversations: dict[str, dict[str, Any]] = {}
    for row in _rows(tables / "sessions.csv"):
        meta = {k: _value(v) for k, v in row.items() if k and k != "session_id"}
        index.see("conversations", meta)
        conversations[row["session_id"]] = {"meta": meta, "vectors": []}
    speakers: dict[str, dict[str, Any]] = {}
    utterances: list[dict[str, Any]] = []
    previous: dict[str, str] = {}
    for row in _rows(tables / "turns.csv"):
        sid = row.get("session_id") or ""
        meta = {k: _value(v) for k, v in row.items() if k and k not in _OWN}
        meta["turn"] = _value(row.get("turn"))
        index.see("utterances", meta)
        speaker_id = f"{sid}/{row.get('speaker', '')}"
        if speaker_id not in speakers:
            speaker_meta = {"label": row.get("speaker", ""), "role": row.get("role", ""), "session_id": sid}
            index.see("speakers", speaker_meta)
            speakers[speaker_id] = {"meta": speaker_meta, "vectors": []}
        uid = f"{sid}/{row.get('turn', len(utterances) + 1)}"
        utterances.append({
            "id": uid, "conversation_id": sid, "speaker": speaker_id, "text": row.get("text", ""),
            "reply-to": previous.get(sid), "timestamp": meta.get("start_s"), "meta": meta, "vectors": [],
        })
        previous[sid] = uid
        conversations.setdefault(sid, {"meta": {}, "vectors": []})
    if not utterances:
        raise AnalyzerError("turns.csv has no turns to export", path=tables / "turns.csv")
    try:
        out.mkdir(parents=True, exist_ok=True)
        _write_json(out / "utterances.jsonl", utterances)
        _write_json(out / "speakers.json", speakers)
        _write_json(out / "conversations.json", conversations)
        _write_json(out / "corpus.json", {"analyzer_version": __version__})
        _write_json(out / "index.json", index.as_json())
    except OSError as exc:
        raise AnalyzerError(f"cannot write the corpus: {exc.strerror or exc}", path=out) from None
    return len(conversations), len(utterances)
