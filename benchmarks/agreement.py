"""Agreement with the expert-coded sets in ../shared/data, through the public `evaluate` API.

Runs, in one go, the figures the README reports:

* AnnoMI (133 expert-coded MI sessions): per code P/R/F1/kappa on clinician turns, open/closed and
  simple/complex agreement, session AUC for high vs low MI quality, Spearman with the AnnoSUM-MI
  expert Empathy rating;
* the same AnnoMI text with punctuation and capitals stripped (as speech-to-text gives it);
* ESConv valid (and train with --train): supporter strategies as codes.

The data is read at run time and never copied: ESConv's JSON lines are written to a temporary CSV
only for the length of the run.  Prints a skip message and exits 0 where ../shared/data is absent.

Usage: python benchmarks/agreement.py [--train] [--only annomi|esconv]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analyzer.evaluate import evaluate  # noqa: E402

MAPPINGS = ROOT / "models" / "evaluation"


def data_dir() -> Path | None:
    d = ROOT.parent / "shared" / "data"
    return d if d.is_dir() else None


def esconv_csv(jsonl: Path, out: Path) -> tuple[Path, Path]:
    """ESConv dialogues as an utterance table (conversation, utterance, role, text, strategy), and the
    seekers' post-chat survey (conversation; empathy 1-5) as a ratings table."""
    ratings = out.with_suffix(".ratings.csv")
    with open(jsonl, encoding="utf-8") as fh, open(out, "w", encoding="utf-8", newline="") as dst, \
            open(ratings, "w", encoding="utf-8", newline="") as rdst:
        w = csv.writer(dst)
        w.writerow(["conversation", "utterance", "role", "text", "strategy"])
        rw = csv.writer(rdst, delimiter=";")
        rw.writerow(["conversation", "empathy"])
        for n, line in enumerate(fh):
            conv = json.loads(line)
            for i, utt in enumerate(conv["dialog"]):
                role = "clinician" if utt["speaker"] == "sys" else "client"
                w.writerow([n, i, role, utt["text"], utt.get("strategy", "")])
            empathy = (conv.get("survey_score") or {}).get("seeker", {}).get("empathy")
            if empathy not in (None, ""):
                rw.writerow([n, empathy])
    return out, ratings


def section(title: str, result, seconds: float) -> None:
    print(f"\n=== {title} ({seconds:.0f} s)\n{result.format()}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", action="store_true", help="also evaluate on ESConv train (910 conversations)")
    ap.add_argument("--only", choices=["annomi", "esconv"], default=None)
    args = ap.parse_args()
    d = data_dir()
    if d is None:
        print("SKIP: ../shared/data is absent (the expert-coded sets are not redistributable); nothing measured.")
        return
    if args.only in (None, "annomi"):
        table = d / "annomi" / "AnnoMI-full.csv"
        ratings = sorted((d / "annosum_mi").glob("*_data_MI_annotated.csv"))
        for unpunct in (False, True):
            t = time.perf_counter()
            res = evaluate(table, MAPPINGS / "annomi.toml", unpunctuated=unpunct, ratings_files=ratings)
            section(f"AnnoMI{' unpunctuated, lower-case' if unpunct else ''}", res, time.perf_counter() - t)
    if args.only in (None, "esconv"):
        with tempfile.TemporaryDirectory(prefix="sa-esconv-") as tmp:
            for split in (["valid", "train"] if args.train else ["valid"]):
                t = time.perf_counter()
                csv_path, ratings = esconv_csv(d / "esconv" / f"{split}.jsonl", Path(tmp) / f"{split}.csv")
                res = evaluate(csv_path, MAPPINGS / "esconv.toml", ratings_files=[ratings])
                section(f"ESConv {split}", res, time.perf_counter() - t)


if __name__ == "__main__":
    main()
