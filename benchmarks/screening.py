"""How many real counselling sessions pass the "is this a counselling session?" check?

Reads the expert-coded sets in ../shared/data (AnnoMI: MI sessions; ESConv: typed peer-support chats),
analyses every session as `analyze` does and prints the share that passes, the reasons of those that
do not, and where the signals of real sessions lie against the thresholds in models/screening.toml.
The data is read at run time and never copied (ESConv goes through a temporary CSV).  Prints a skip
message and exits 0 where ../shared/data is absent.

Usage: python benchmarks/screening.py [--only annomi|esconv] [--train]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from agreement import data_dir, esconv_csv  # noqa: E402

from analyzer import io as readers  # noqa: E402
from analyzer.nlp import build_nlp  # noqa: E402
from analyzer.pipeline import analyze_transcript  # noqa: E402


def check(name: str, path: Path) -> None:
    nlp = build_nlp()
    transcripts = readers.read(path, format="csv")
    n = passed = 0
    reasons: Counter[str] = Counter()
    signals: dict[str, list[float]] = {"english_share": [], "real_word_share": [], "top_speaker_share": [],
                                       "two_party_share": [], "mean_turn_words": [], "play_words_per_100": []}
    punct: Counter[str] = Counter()
    for tr in transcripts:
        sr = analyze_transcript(tr, nlp)
        n += 1
        passed += sr.screening.ok
        for r in sr.screening.reasons:
            reasons[r.split(":")[0]] += 1
        for k, v in signals.items():
            v.append(float(sr.screening.signals.get(k, float("nan"))))
        punct[sr.session["punctuation"]] += 1
    print(f"\n{name}: {passed} of {n} sessions pass ({100 * passed / n:.1f}%)")
    for r, c in reasons.most_common():
        print(f"  {c:5d}  {r}")
    for k, v in signals.items():
        v = sorted(x for x in v if x == x)
        if v:
            q = lambda p: v[min(len(v) - 1, int(p * len(v)))]  # noqa: E731, B023 (used in this iteration)
            print(f"  {k:22s} min {v[0]:.3f}  p5 {q(0.05):.3f}  median {q(0.5):.3f}  p95 {q(0.95):.3f}  max {v[-1]:.3f}")
    print("  punctuation:", dict(punct))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", choices=["annomi", "esconv"])
    ap.add_argument("--train", action="store_true", help="ESConv train as well as valid")
    args = ap.parse_args()
    d = data_dir()
    if d is None:
        print("skipped: ../shared/data not present (the expert-coded sets are not redistributable)")
        return 0
    if args.only in (None, "annomi"):
        check("AnnoMI", d / "annomi" / "AnnoMI-full.csv")
    if args.only in (None, "esconv"):
        for split in ["valid"] + (["train"] if args.train else []):
            with tempfile.TemporaryDirectory() as tmp:
                table, _ = esconv_csv(d / "esconv" / f"{split}.jsonl", Path(tmp) / f"esconv_{split}.csv")
                text = table.read_text(encoding="utf-8")  # the reader knows conversation_id, not conversation
                table.write_text("conversation_id" + text.removeprefix("conversation"), encoding="utf-8")
                check(f"ESConv {split}", table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
