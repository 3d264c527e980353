"""ConvoKit corpora: a corpus folder, or its ``utterances.jsonl``.

Each line of ``utterances.jsonl`` is one utterance: ``id``, ``conversation_id``
(``root`` in older corpora), ``speaker`` (``user`` in older corpora),
``text``, ``timestamp``, ``reply-to`` and ``meta``.  Every conversation is
one session (id ``corpus/conversation``), its utterances in file order.

Times: ``meta.start_s``/``meta.end_s`` where present (what
``session-analyzer export --convokit`` writes), else a numeric ``timestamp``
as the start.  Roles: a ``role`` in the utterance's meta or in the speaker's
meta in ``speakers.json`` beside the file is read like a speaker label.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import FormatError
from ._common import RawSession
from .jsonfmt import load_json, speaker_name


def read_speakers(folder: Path, source: str) -> dict[str, Any]:
    """``speakers.json`` (or ``users.json``) beside the utterances, or {} when there is none."""
    for name in ("speakers.json", "users.json"):
        p = folder / name
        if p.is_file():
            try:
                data = load_json(p.read_text(encoding="utf-8-sig", errors="replace"), str(p))
            except OSError:
                return {}
            return data if isinstance(data, dict) else {}
    return {}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        return float(value)
    except (ValueError, OverflowError):
        return None


def _role(meta: Any) -> str | None:
    if isinstance(meta, dict) and isinstance(meta.get("role"), str) and meta["role"].strip():
        return meta["role"].strip()
    return None


def _speaker_role(speakers: dict[str, Any], speaker_id: Any) -> str | None:
    entry = speakers.get(str(speaker_id))
    return _role(entry.get("meta")) if isinstance(entry, dict) else None


def _utterance(line: str, lineno: int, source: str) -> dict[str, Any]:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise FormatError(f"invalid JSON on this line: {exc.msg}", path=source, line=lineno) from None
    except (ValueError, RecursionError, OverflowError) as exc:
        raise FormatError(f"invalid JSON on this line: {str(exc)[:200]}", path=source, line=lineno) from None
    if not isinstance(obj, dict):
        raise FormatError(f"utterance is {type(obj).__name__}, not an object", path=source, line=lineno)
    return obj


def parse_convokit(
    text: str, source: str, labels: dict[str, Any], speakers: dict[str, Any] | None = None
) -> list[RawSession]:
    """Read ConvoKit utterances into one raw session per conversation."""
    sessions: dict[str, RawSession] = {}
    empty = 0
    for lineno, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        u = _utterance(line, lineno, source)
        conv = u.get("conversation_id", u.get("root"))
        speaker = speaker_name(u.get("speaker", u.get("user")))
        speech = u.get("text")
        speech = " ".join(speech.split()) if isinstance(speech, str) else ""
        if conv is None or isinstance(conv, (dict, list)) or speaker is None:
            raise FormatError(
                "utterance has no conversation_id or no speaker (expected ConvoKit's utterances.jsonl)",
                path=source,
                line=lineno,
            )
        if not speech:
            empty += 1
            continue
        session = sessions.setdefault(str(conv), RawSession(key=str(conv)))
        raw_meta = u.get("meta")
        meta = raw_meta if isinstance(raw_meta, dict) else {}
        start = _number(meta.get("start_s"))
        start = start if start is not None else _number(u.get("timestamp"))
        session.add(speaker, speech, start, _number(meta.get("end_s")), lineno)
        role = _role(meta) or _speaker_role(speakers or {}, u.get("speaker", u.get("user")))
        if role:
            session.role_words.setdefault(speaker, role)
    if not sessions:
        raise FormatError("no utterances with text found", path=source)
    if empty:
        next(iter(sessions.values())).warnings.append(f"skipped {empty} utterance(s) with empty text")
    return list(sessions.values())
