"""Agreement with the expert-coded sets in ../shared/data, through the public `evaluate` API.

Runs, in one go, the figures the README reports:

* AnnoMI (133 expert-coded MI sessions): per code P/R/F1/kappa on clinician turns, open/closed and
  simple/complex agreement, session AUC for high vs low MI quality, Spearman with the AnnoSUM-MI
  expert Empathy rating;
* the same AnnoMI text with punctuation and capitals stripped (as speech-to-text gives it);
* ESConv valid (and train with --train): supporter strategies as codes, punctuated and stripped;
* every code's F1 on AnnoMI and ESConv side by side, with the gap;
* the per-rule audit (fired, precision, share of the code's true positives) of every set, written to
  benchmarks/results/rule_audit.csv (figures and rule ids only, no text of the data).

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

from analyzer.evaluate import EvaluationResult, evaluate  # noqa: E402
from analyzer.rule_audit import AUDIT_COLUMNS, RULE_PRECISION_FLOOR, below_floor  # noqa: E402

MAPPINGS = ROOT / "models" / "evaluation"
AUDIT_FILE = ROOT / "benchmarks" / "results" / "rule_audit.csv"


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


def side_by_side(results: dict[str, EvaluationResult]) -> None:
    """Every code's F1 on AnnoMI and ESConv next to each other, punctuated and stripped, with the gap."""
    print("\n=== F1 side by side (gap = ESConv - AnnoMI)")
    print(f"{'code':<16}{'AnnoMI':>8}{'ESConv':>8}{'gap':>8}   {'AnnoMI-u':>9}{'ESConv-u':>9}{'gap':>8}")
    f1 = {k: {a.code: a.f1 for a in r.codes} for k, r in results.items()}
    codes = sorted({c for v in f1.values() for c in v})

    def cell(key: str, code: str) -> str:
        v = f1.get(key, {}).get(code)
        return "-" if v is None else f"{v:.3f}"

    def gap(a: str, b: str, code: str) -> str:
        x, y = f1.get(a, {}).get(code), f1.get(b, {}).get(code)
        return "-" if x is None or y is None else f"{y - x:+.3f}"

    for c in codes:
        print(f"{c:<16}{cell('annomi', c):>8}{cell('esconv', c):>8}{gap('annomi', 'esconv', c):>8}   "
              f"{cell('annomi-u', c):>9}{cell('esconv-u', c):>9}{gap('annomi-u', 'esconv-u', c):>8}")


def write_audit(results: dict[str, EvaluationResult]) -> None:
    """The per-rule audit of every set in one CSV; prints the rules below the precision floor."""
    AUDIT_FILE.parent.mkdir(parents=True, exist_ok=True)
    with open(AUDIT_FILE, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["set", *AUDIT_COLUMNS], lineterminator="\n")
        w.writeheader()
        for key, res in results.items():
            for f in res.rules:
                w.writerow({"set": key, **f.as_row()})
    print(f"\n=== rule audit -> {AUDIT_FILE.relative_to(ROOT)}; rules under {RULE_PRECISION_FLOOR} precision "
          f"(fired >= 5) where the set codes them:")
    for key, res in results.items():
        low = [f for f in res.rules if below_floor(f)]
        print(f"  {key}: " + (", ".join(f"{f.code}/{f.rule_id} {f.precision:.2f} ({f.fired})" for f in low) or "none"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", action="store_true", help="also evaluate on ESConv train (910 conversations)")
    ap.add_argument("--only", choices=["annomi", "esconv"], default=None)
    args = ap.parse_args()
    d = data_dir()
    if d is None:
        print("SKIP: ../shared/data is absent (the expert-coded sets are not redistributable); nothing measured.")
        return
    results: dict[str, EvaluationResult] = {}
    if args.only in (None, "annomi"):
        table = d / "annomi" / "AnnoMI-full.csv"
        ratings = sorted((d / "annosum_mi").glob("*_data_MI_annotated.csv"))
        for unpunct in (False, True):
            t = time.perf_counter()
            res = evaluate(table, MAPPINGS / "annomi.toml", unpunctuated=unpunct, ratings_files=ratings)
            section(f"AnnoMI{' unpunctuated, lower-case' if unpunct else ''}", res, time.perf_counter() - t)
            results["annomi-u" if unpunct else "annomi"] = res
    if args.only in (None, "esconv"):
        with tempfile.TemporaryDirectory(prefix="sa-esconv-") as tmp:
            for split in (["valid", "train"] if args.train else ["valid"]):
                csv_path, ratings = esconv_csv(d / "esconv" / f"{split}.jsonl", Path(tmp) / f"{split}.csv")
                for unpunct in (False, True):
                    t = time.perf_counter()
                    res = evaluate(csv_path, MAPPINGS / "esconv.toml", unpunctuated=unpunct, ratings_files=[ratings])
                    section(f"ESConv {split}{' unpunctuated, lower-case' if unpunct else ''}", res,
                            time.perf_counter() - t)
                    if split == "valid":
                        results["esconv-u" if unpunct else "esconv"] = res
    side_by_side(results)
    if args.only is None:  # the committed audit covers every set; a partial run leaves it alone
        write_audit(results)


if __name__ == "__main__":
    main()
