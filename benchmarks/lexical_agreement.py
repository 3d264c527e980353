"""Agreement of the lexical markers with expert codes (measurement only; nothing from the data is stored).

* AnnoMI therapist utterances: gold ``advice`` (therapist input = advice) against the analyzer's
  ``advice`` OR ``advice_with_permission`` (AnnoMI does not separate the two), on punctuated text and on
  the same text lower-cased without punctuation (as speech-to-text gives).  The previous clinician turn and
  the client's last turn are passed as context, as in a real session.
* ESConv valid (supporter turns): gold ``advice`` (strategy "Providing Suggestions") against advice, and
  gold ``affirmation`` ("Affirmation and Reassurance") against affirmation OR validation.

Run: ``.venv/bin/python benchmarks/lexical_agreement.py [--errors N]``.  Skips (exit 0) when
../shared/data is absent.  ``--errors N`` prints N false positives and negatives per code to the
terminal for error analysis by category (never copy them into the repository).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analyzer.agreement import binary_agreement  # noqa: E402
from analyzer.markers.lexical import code_lexical  # noqa: E402
from analyzer.nlp import build_nlp, pipe_texts  # noqa: E402
from benchmarks.expert_sets import annomi_therapist_utterances, data_dir, esconv_supporter_turns  # noqa: E402


def _predict(nlp, items) -> list[dict[str, bool]]:
    """Code every utterance with its session context (previous clinician turn, last client turn)."""
    texts, prev_clin, prev_cli = [], [], []
    last: dict[str, str | None] = {}
    for it in items:
        texts.append(it.text)
        prev_clin.append(last.get(it.session))
        prev_cli.append(it.context[-1] if it.context else None)
        last[it.session] = it.text
    docs = list(pipe_texts(nlp, texts))
    extra = [t for t in set(filter(None, prev_cli + prev_clin))]
    ctx = dict(zip(extra, pipe_texts(nlp, extra)))
    out = []
    for doc, pc, pl in zip(docs, prev_clin, prev_cli):
        codes = code_lexical(doc, ctx.get(pc) if pc else None, ctx.get(pl) if pl else None)
        out.append({k: bool(v) for k, v in codes.items()})
    return out


def _report(name: str, gold: list[bool], pred: list[bool]) -> None:
    a = binary_agreement(name, gold, pred)
    r = a.as_row()
    print(
        f"  {name:<38} n={r['n']:>5} gold+={r['gold_positive']:>4} pred+={r['predicted_positive']:>4} "
        f"P={r['precision']:.3f} R={r['recall']:.3f} F1={r['f1']:.3f} kappa={r['kappa']:.3f}"
    )


def _errors(items, gold, pred, n: int, label: str) -> None:
    if not n:
        return
    rng = random.Random(0)
    fps = [it for it, g, p in zip(items, gold, pred) if p and not g]
    fns = [it for it, g, p in zip(items, gold, pred) if g and not p]
    for kind, group in (("FP", fps), ("FN", fns)):
        print(f"    --- {label} {kind} ({len(group)}) ---")
        for it in rng.sample(group, min(n, len(group))):
            print("     ", it.text[:240].replace("\n", " "))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--errors", type=int, default=0, help="print N false positives/negatives per code")
    args = ap.parse_args(argv)
    if data_dir() is None:
        print("SKIP: expert-coded data not found at ../shared/data (set SESSION_ANALYZER_SHARED_DATA); nothing measured.")
        return 0
    nlp = build_nlp()
    adv = lambda p: p["advice"] or p["advice_with_permission"]  # noqa: E731
    for unpunct in (False, True):
        t0 = time.perf_counter()
        items = list(annomi_therapist_utterances(unpunctuated=unpunct))
        pred = _predict(nlp, items)
        label = "unpunctuated" if unpunct else "punctuated"
        print(f"AnnoMI therapist utterances ({label}; {time.perf_counter() - t0:.1f}s)")
        gold = [bool(it.gold["advice"]) for it in items]
        _report("advice (advice|advice_with_permission)", gold, [adv(p) for p in pred])
        _report("advice without permission only", gold, [p["advice"] for p in pred])
        _errors(items, gold, [adv(p) for p in pred], args.errors, f"AnnoMI {label} advice")
    items = list(esconv_supporter_turns("valid"))
    pred = _predict(nlp, items)
    print("ESConv valid supporter turns (punctuated chat)")
    gold = [bool(it.gold["advice"]) for it in items]
    _report("advice <-> Providing Suggestions", gold, [adv(p) for p in pred])
    _errors(items, gold, [adv(p) for p in pred], args.errors, "ESConv advice")
    gold = [bool(it.gold["affirmation"]) for it in items]
    aff = [p["affirmation"] or p["validation"] for p in pred]
    _report("affirmation|validation <-> Affirm.&Reass.", gold, aff)
    _report("affirmation only", gold, [p["affirmation"] for p in pred])
    _report("validation only", gold, [p["validation"] for p in pred])
    _errors(items, gold, aff, args.errors, "ESConv affirmation")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
