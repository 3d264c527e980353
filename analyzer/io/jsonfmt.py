"""Speech-to-text JSON.

Three layouts:

* Whisper / WhisperX: ``{"segments": [{"start", "end", "speaker", "text"}]}``,
  times in seconds.  A WhisperX segment without ``speaker`` takes the majority
  speaker of its ``words``; with none anywhere, diarization was not run.
* AssemblyAI: ``{"utterances": [{"start", "end", "speaker", "text"}]}``,
  times in MILLISECONDS.
* A plain list of ``{"speaker", "text", "start"?, "end"?}`` (seconds).

Each segment's ``line`` is where its object starts in the file, found with a
cheap token scan (None when the scan and the parse disagree).
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from typing import Any

from ..errors import FormatError
from ._common import RawSession

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]\n]')


def _object_lines(text: str, key: str | None) -> list[int]:
    """1-based lines where each object of the target list starts.

    The target list is the top-level array (``key`` None) or the array value
    of ``key`` in the top-level object.  Strings are skipped whole so brackets
    inside them do not count.
    """
    depth = 0
    line = 1
    last_string: str | None = None
    target: int | None = None
    lines: list[int] = []
    for m in _TOKEN.finditer(text):
        tok = m.group(0)
        if tok == "\n":
            line += 1
        elif tok[0] == '"':
            last_string = tok[1:-1]
            line += tok.count("\n")
        elif tok in "{[":
            if target is None:
                top_list = key is None and depth == 0
                keyed_list = key is not None and depth == 1 and last_string == key
                if tok == "[" and (top_list or keyed_list):
                    target = depth + 1
            elif tok == "{" and depth == target:
                lines.append(line)
            depth += 1
        else:
            depth -= 1
            if target is not None and depth < target:
                break
    return lines


def _seconds(value: Any, scale: float, what: str, where: str, source: str, line: int | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise FormatError(f"{where}: {what} {value!r} is not a number", path=source, line=line)
    try:
        seconds = float(value) / scale
    except ValueError:
        raise FormatError(f"{where}: {what} {value!r} is not a number", path=source, line=line) from None
    if not math.isfinite(seconds):
        raise FormatError(f"{where}: {what} {value!r} is not a finite number", path=source, line=line)
    return seconds


def _word_speaker(item: dict[str, Any]) -> str | None:
    """Majority speaker of a WhisperX segment's words (ties: the first to appear)."""
    words = item.get("words")
    if not isinstance(words, list):
        return None
    votes = Counter(str(w["speaker"]) for w in words if isinstance(w, dict) and w.get("speaker") not in (None, ""))
    return votes.most_common(1)[0][0] if votes else None


def _layout(data: Any, source: str) -> tuple[list[Any], float, str | None, str]:
    """(items, time scale, key of the list, layout name)."""
    if isinstance(data, list):
        return data, 1.0, None, "list"
    if isinstance(data, dict):
        if "utterances" in data:
            if not isinstance(data["utterances"], list):
                raise FormatError(
                    "AssemblyAI result has no utterances: request it with speaker_labels=true", path=source
                )
            return data["utterances"], 1000.0, "utterances", "assemblyai"
        if isinstance(data.get("segments"), list):
            return data["segments"], 1.0, "segments", "whisper"
        keys = ", ".join(sorted(map(str, data))[:12]) or "none"
    else:
        keys = type(data).__name__
    raise FormatError(
        'unrecognised JSON layout: expected {"segments": [...]} (Whisper/WhisperX), '
        '{"utterances": [...]} (AssemblyAI) or a list of {"speaker", "text"} objects; '
        f"found: {keys}",
        path=source,
    )


def parse_json(text: str, source: str, labels: dict[str, Any]) -> list[RawSession]:
    """Read one of the JSON layouts above into one raw session."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(
            f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})", path=source, line=exc.lineno
        ) from None
    except (ValueError, RecursionError) as exc:  # e.g. an integer too long to convert, absurd nesting
        raise FormatError(f"invalid JSON: {exc}", path=source) from None
    items, scale, key, layout = _layout(data, source)
    lines = _object_lines(text, key)
    if len(lines) != sum(isinstance(x, dict) for x in items):
        lines = []
    session = RawSession(key=None)
    empty = 0
    obj_no = 0
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise FormatError(f"item {n} of the {layout} list is {type(item).__name__}, not an object", path=source)
        line = lines[obj_no] if lines else None
        obj_no += 1
        where = f"segment {n}"
        raw_text = item.get("text", "")
        if raw_text is None:
            raw_text = ""
        if not isinstance(raw_text, str):
            raise FormatError(f"{where}: text is {type(raw_text).__name__}, not a string", path=source, line=line)
        speech = " ".join(raw_text.split())
        if not speech:
            empty += 1
            continue
        speaker = item.get("speaker")
        if speaker in (None, ""):
            speaker = _word_speaker(item)
        if speaker is None or isinstance(speaker, (dict, list)) or not str(speaker).strip():
            raise FormatError(
                f"{where} has no speaker: diarization is missing. Run speech-to-text with speaker "
                "diarization (WhisperX --diarize, AssemblyAI speaker_labels=true) or add a \"speaker\" to each segment",
                path=source,
                line=line,
            )
        start = _seconds(item.get("start"), scale, "start", where, source, line)
        end = _seconds(item.get("end"), scale, "end", where, source, line)
        session.add(" ".join(str(speaker).split()), speech, start, end, line)
    if empty:
        session.warnings.append(f"skipped {empty} segment(s) with empty text")
    if not session.segments:
        raise FormatError(f"no speech found: the {layout} list has no segment with text", path=source)
    return [session]
