"""Read the expert-coded sets in ../shared/data for measurement only.

Nothing here is copied into the repository: the sets are read at run time
from ../shared/data (or $SESSION_ANALYZER_SHARED_DATA) and the functions
yield items for agreement figures.  Callers skip with a clear reason when the
data is absent (see :func:`data_dir`).
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analyzer.evaluate import strip_punctuation  # noqa: E402  (the same transformation `evaluate --unpunctuated` applies)


def data_dir() -> Path | None:
    """The shared data folder, or None where it is absent."""
    p = Path(os.environ.get("SESSION_ANALYZER_SHARED_DATA", ROOT.parent / "shared" / "data"))
    return p if p.is_dir() else None




@dataclass
class CodedUtterance:
    """One clinician utterance with its gold codes and the client's preceding turn(s)."""

    session: str
    index: int
    text: str
    context: list[str]  # client utterances since the clinician last spoke, oldest first
    gold: dict[str, str] = field(default_factory=dict)
    session_label: str = ""


def annomi_sessions(unpunctuated: bool = False) -> dict[str, list[dict[str, str]]]:
    """AnnoMI-full, one row per (transcript_id, utterance_id): the first annotator's row.

    Returns session id -> rows in utterance order.
    """
    d = data_dir()
    if d is None:
        raise FileNotFoundError("../shared/data is absent")
    seen: set[tuple[str, str]] = set()
    sessions: dict[str, list[dict[str, str]]] = defaultdict(list)
    with open(d / "annomi" / "AnnoMI-full.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            key = (row["transcript_id"], row["utterance_id"])
            if key in seen:
                continue
            seen.add(key)
            if unpunctuated:
                row = dict(row, utterance_text=strip_punctuation(row["utterance_text"]))
            sessions[row["transcript_id"]].append(row)
    for rows in sessions.values():
        rows.sort(key=lambda r: int(r["utterance_id"]))
    return dict(sessions)


def annomi_therapist_utterances(unpunctuated: bool = False) -> Iterator[CodedUtterance]:
    """AnnoMI therapist utterances with gold codes: question, question_type, reflection, reflection_type, advice."""
    for sid, rows in annomi_sessions(unpunctuated).items():
        context: list[str] = []
        for row in rows:
            if row["interlocutor"] != "therapist":
                context.append(row["utterance_text"])
                continue
            gold = {
                "question": "1" if row["question_exists"] == "True" else "",
                "question_type": row["question_subtype"] if row["question_subtype"] in ("open", "closed") else "",
                "reflection": "1" if row["reflection_exists"] == "True" else "",
                "reflection_type": row["reflection_subtype"] if row["reflection_subtype"] in ("simple", "complex") else "",
                "advice": "1" if row["therapist_input_subtype"] == "advice" else "",
                "information": "1" if row["therapist_input_subtype"] == "information" else "",
            }
            yield CodedUtterance(sid, int(row["utterance_id"]), row["utterance_text"], context, gold, row["mi_quality"])
            context = []


ESCONV_CODES = {
    "Question": "question",
    "Restatement or Paraphrasing": "reflection",
    "Reflection of feelings": "reflection",
    "Affirmation and Reassurance": "affirmation",
    "Providing Suggestions": "advice",
}


def esconv_supporter_turns(split: str = "valid", unpunctuated: bool = False) -> Iterator[CodedUtterance]:
    """ESConv supporter (``sys``) turns with the supporter's chosen strategy as gold codes."""
    d = data_dir()
    if d is None:
        raise FileNotFoundError("../shared/data is absent")
    with open(d / "esconv" / f"{split}.jsonl", encoding="utf-8") as fh:
        for n, line in enumerate(fh):
            conv = json.loads(line)
            context: list[str] = []
            for i, utt in enumerate(conv["dialog"]):
                text = strip_punctuation(utt["text"]) if unpunctuated else utt["text"]
                if utt["speaker"] != "sys":
                    context.append(text)
                    continue
                code = ESCONV_CODES.get(utt.get("strategy", ""), "")
                gold = {c: ("1" if c == code else "") for c in set(ESCONV_CODES.values())}
                gold["strategy"] = utt.get("strategy", "")
                yield CodedUtterance(f"{split}-{n}", i, text, context, gold)
                context = []
