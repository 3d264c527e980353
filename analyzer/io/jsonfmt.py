"""Speech-to-text JSON.

Three layouts:

* Whisper / WhisperX: ``{"segments": [{"start", "end", "speaker", "text"}]}``,
  times in seconds.  A WhisperX segment without ``speaker`` takes the majority
  speaker of its ``words``; with none anywhere, diarization was not run.
* AssemblyAI: ``{"utterances": [{"start", "end", "speaker", "text"}]}``,
  times in MILLISECONDS.
* A plain list of ``{"speaker", "text", "start"?, "end"?}`` (seconds).
* Deepgram: ``{"results": {"utterances": [{"start", "end", "speaker", "transcript"}]}}``
  (seconds, speakers numbered 0, 1 …); without utterances, the words of
  ``results.channels[0].alternatives[0].words[]`` (each with a ``speaker``)
  are grouped into runs by speaker.
* AWS Transcribe: ``results.items[]`` (pronunciation items with times as
  strings, punctuation items attached to the word before) with speakers from
  ``results.speaker_labels.segments[]`` (or each item's ``speaker_label``);
  a segment is a run of one speaker's words within one labelled segment.
  A job run with channel identification instead has ``results.channel_labels``:
  each channel (``ch_0``, ``ch_1``) is then one speaker.
* Rev: ``{"monologues": [{"speaker", "speaker_name"?, "elements": [{"type",
  "value", "ts", "end_ts"}]}]}``; text and punctuation elements joined as
  written.

Numbered speakers become ``Speaker 0``, ``Speaker 1`` … (a bare number is
not a label anyone reads).

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
    except OverflowError:  # an integer with hundreds of digits
        raise FormatError(f"{where}: {what} is a {len(str(value))}-digit number, not a time", path=source,
                          line=line) from None
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


def load_json(text: str, source: str) -> Any:
    """``json.loads`` with every failure as a FormatError naming the line where known."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(
            f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})", path=source, line=exc.lineno
        ) from None
    except (ValueError, RecursionError, OverflowError) as exc:  # an integer too long to convert, absurd nesting
        raise FormatError(f"invalid JSON: {str(exc)[:200]}", path=source) from None


def speaker_name(value: Any) -> str | None:
    """A speaker value as a label: numbers become ``Speaker N``; None for nothing usable."""
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    if isinstance(value, (int, float)):
        return f"Speaker {value:g}" if isinstance(value, float) and math.isfinite(value) else f"Speaker {value}"
    name = " ".join(str(value).split())
    if name.isdigit():
        return f"Speaker {name}"
    return name or None


def parse_json(text: str, source: str, labels: dict[str, Any]) -> list[RawSession]:
    """Read one of the JSON layouts above into one raw session."""
    data = load_json(text, source)
    special = _vendor_layout(data, source)
    if special is not None:
        return [special]
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


def _vendor_layout(data: Any, source: str) -> RawSession | None:
    """Deepgram, AWS Transcribe or Rev output as a raw session; None for the other layouts."""
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("monologues"), list):
        return _rev(data["monologues"], source)
    results = data.get("results")
    if not isinstance(results, dict):
        return None
    if isinstance(results.get("items"), list) and (
        "speaker_labels" in results or "channel_labels" in results or "transcripts" in results
    ):
        return _aws(results, source)
    if isinstance(results.get("utterances"), list) or isinstance(results.get("channels"), list):
        return _deepgram(results, source)
    return None


def _finish(session: RawSession, layout: str, empty: int, source: str) -> RawSession:
    if empty:
        session.warnings.append(f"skipped {empty} segment(s) with empty text")
    if not session.segments:
        raise FormatError(f"no speech found: the {layout} output has no segment with words", path=source)
    return session


def _no_speaker(where: str, how: str, source: str) -> FormatError:
    return FormatError(f"{where} has no speaker: diarization is missing. {how}", path=source)


def _deepgram(results: dict[str, Any], source: str) -> RawSession:
    session = RawSession(key=None)
    empty = 0
    utterances = results.get("utterances")
    if isinstance(utterances, list) and utterances:
        for n, u in enumerate(utterances, 1):
            if not isinstance(u, dict):
                raise FormatError(f"utterance {n} of the Deepgram results is not an object", path=source)
            speech = u.get("transcript")
            speech = " ".join(speech.split()) if isinstance(speech, str) else ""
            if not speech:
                empty += 1
                continue
            speaker = speaker_name(u.get("speaker"))
            if speaker is None:
                raise _no_speaker(f"utterance {n}", "Request Deepgram with diarize=true.", source)
            where = f"utterance {n}"
            session.add(speaker, speech, _seconds(u.get("start"), 1.0, "start", where, source, None),
                        _seconds(u.get("end"), 1.0, "end", where, source, None), None)
        return _finish(session, "Deepgram", empty, source)
    words = _deepgram_words(results)
    if words is None:
        raise FormatError("Deepgram results have neither utterances nor channels[0].alternatives[0].words",
                          path=source)
    _words_to_segments(words, "Deepgram", session, source)
    return _finish(session, "Deepgram", 0, source)


def _deepgram_words(results: dict[str, Any]) -> list[Any] | None:
    try:
        words = results["channels"][0]["alternatives"][0]["words"]
    except (KeyError, IndexError, TypeError):
        return None
    return words if isinstance(words, list) else None


def _words_to_segments(words: list[Any], layout: str, session: RawSession, source: str) -> None:
    """Group Deepgram words into runs by speaker (punctuated_word preferred)."""
    run: list[str] = []
    speaker: str | None = None
    start = end = None
    for n, w in enumerate(words, 1):
        if not isinstance(w, dict):
            raise FormatError(f"word {n} of the {layout} words is not an object", path=source)
        token = w.get("punctuated_word", w.get("word"))
        if not isinstance(token, str) or not token.strip():
            continue
        who = speaker_name(w.get("speaker"))
        if who is None:
            raise _no_speaker(f"word {n}", "Request Deepgram with diarize=true.", source)
        where = f"word {n}"
        if who != speaker and run:
            session.add(speaker or "", " ".join(run), start, end, None)
            run = []
        if not run:
            speaker, start = who, _seconds(w.get("start"), 1.0, "start", where, source, None)
        run.append(token.strip())
        end = _seconds(w.get("end"), 1.0, "end", where, source, None)
    if run:
        session.add(speaker or "", " ".join(run), start, end, None)


def _aws_speakers(results: dict[str, Any]) -> tuple[dict[str, str], set[str]]:
    """(item start time -> speaker label, start times where a labelled segment begins)."""
    by_start: dict[str, str] = {}
    starts: set[str] = set()
    labels = results.get("speaker_labels")
    segments = labels.get("segments") if isinstance(labels, dict) else None
    channels = results.get("channel_labels")
    if not isinstance(segments, list) and isinstance(channels, dict) and isinstance(channels.get("channels"), list):
        # channel identification (a two-line phone recording): each channel is one speaker, ch_0, ch_1
        segments = [{"speaker_label": c.get("channel_label"), "items": c.get("items")}
                    for c in channels["channels"] if isinstance(c, dict)]
    for seg in segments if isinstance(segments, list) else []:
        if not isinstance(seg, dict):
            continue
        raw_items = seg.get("items")
        items = raw_items if isinstance(raw_items, list) else []
        for i, item in enumerate(items):
            if isinstance(item, dict) and item.get("start_time") is not None:
                by_start.setdefault(str(item["start_time"]), str(seg.get("speaker_label", item.get("speaker_label"))))
                if i == 0:
                    starts.add(str(item["start_time"]))
    return by_start, starts


def _aws_content(item: dict[str, Any]) -> str:
    alts = item.get("alternatives")
    if isinstance(alts, list) and alts and isinstance(alts[0], dict) and isinstance(alts[0].get("content"), str):
        return alts[0]["content"].strip()
    return ""


def _aws(results: dict[str, Any], source: str) -> RawSession:
    session = RawSession(key=None)
    by_start, starts = _aws_speakers(results)
    run: list[str] = []
    speaker: str | None = None
    start = end = None
    for n, item in enumerate(results["items"], 1):
        if not isinstance(item, dict):
            raise FormatError(f"item {n} of the AWS Transcribe items is not an object", path=source)
        content = _aws_content(item)
        if not content:
            continue
        if item.get("type") == "punctuation":
            if run:
                run[-1] += content
            continue
        key = str(item.get("start_time"))
        who = speaker_name(item.get("speaker_label") or by_start.get(key))
        if who is None:
            raise _no_speaker(f"item {n}", "Run the AWS Transcribe job with ShowSpeakerLabels.", source)
        where = f"item {n}"
        if run and (who != speaker or key in starts):
            session.add(speaker or "", " ".join(run), start, end, None)
            run = []
        if not run:
            speaker, start = who, _seconds(item.get("start_time"), 1.0, "start_time", where, source, None)
        run.append(content)
        end = _seconds(item.get("end_time"), 1.0, "end_time", where, source, None)
    if run:
        session.add(speaker or "", " ".join(run), start, end, None)
    return _finish(session, "AWS Transcribe", 0, source)


def _rev(monologues: list[Any], source: str) -> RawSession:
    session = RawSession(key=None)
    empty = 0
    for n, mono in enumerate(monologues, 1):
        if not isinstance(mono, dict) or not isinstance(mono.get("elements"), list):
            raise FormatError(f"monologue {n} of the Rev transcript has no elements list", path=source)
        parts: list[str] = []
        times: list[tuple[Any, Any]] = []
        for el in mono["elements"]:
            if not isinstance(el, dict) or el.get("type") not in ("text", "punct"):
                continue  # "unknown" elements are tags such as <inaudible>
            if isinstance(el.get("value"), str):
                parts.append(el["value"])
            if el.get("type") == "text":
                times.append((el.get("ts"), el.get("end_ts")))
        speech = " ".join("".join(parts).split())
        if not speech:
            empty += 1
            continue
        speaker = speaker_name(mono.get("speaker_name")) or speaker_name(mono.get("speaker"))
        if speaker is None:
            raise _no_speaker(f"monologue {n}", "Order the Rev transcript with speaker names.", source)
        where = f"monologue {n}"
        start = _seconds(times[0][0], 1.0, "ts", where, source, None) if times else None
        end = _seconds(times[-1][1], 1.0, "end_ts", where, source, None) if times else None
        session.add(speaker, speech, start, end, None)
    return _finish(session, "Rev", empty, source)
