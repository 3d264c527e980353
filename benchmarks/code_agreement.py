"""Agreement of the question and reflection detectors with expert codes.

Runs :func:`classify_question` and :func:`classify_reflection` over

* AnnoMI therapist utterances, as transcribed (punctuated) and with
  punctuation and capitals stripped (speech-to-text style);
* ESConv ``valid`` supporter turns (question = strategy "Question";
  reflection = "Restatement or Paraphrasing" or "Reflection of feelings").

and prints, per code, precision / recall / F1 / Cohen's kappa, open/closed
accuracy on true questions and simple/complex accuracy on true reflections.
The data are read from ../shared/data at run time only; without them the
script prints why it skips and exits 0.

    .venv/bin/python -m benchmarks.code_agreement [--errors CODE] [--limit N]
    .venv/bin/python -m benchmarks.code_agreement --samples [--show]

``--samples`` needs no expert data: it analyses every file in
sample_transcripts/ with the full pipeline and prints, per file, the number
of clinician turns, questions and reflections (a directive or lecturing
clinician should get few reflections; a validating one many); ``--show``
also prints each clinician turn coded as a reflection with its evidence.

``--errors question|reflection|qtype|rtype`` prints a sample of
disagreements for error analysis (to the terminal only, never into files).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from analyzer.agreement import binary_agreement, cohen_kappa
from analyzer.markers.questions import classify_question
from analyzer.markers.reflections import classify_reflection
from analyzer.nlp import build_nlp, pipe_texts
from benchmarks.expert_sets import (
    CodedUtterance,
    annomi_therapist_utterances,
    data_dir,
    esconv_supporter_turns,
)


@dataclass
class Prediction:
    item: CodedUtterance
    question: str | None
    reflection: str | None
    evidence: str


def run(items: list[CodedUtterance]) -> tuple[list[Prediction], float, int]:
    """Classify every item (docs batched with nlp.pipe); return predictions, classifier seconds, words."""
    nlp = build_nlp()
    docs = list(pipe_texts(nlp, (it.text for it in items)))
    # one Doc per context: the client's turns since the clinician last spoke, joined
    ctx_docs = list(pipe_texts(nlp, (" ".join(it.context[-2:]) for it in items)))
    t0 = time.perf_counter()
    out = []
    for it, doc, ctx in zip(items, docs, ctx_docs):
        q, qh = classify_question(doc)
        r, rh = classify_reflection(doc, [ctx] if len(ctx) else [])
        out.append(Prediction(it, q, r, " | ".join(h.quote(40) for h in qh + rh)))
    secs = time.perf_counter() - t0
    words = sum(len(d) for d in docs)
    return out, secs, words


def _fmt(x: float) -> str:
    return "  nan" if x != x else f"{x:5.3f}"


def table(name: str, preds: list[Prediction]) -> list[str]:
    """Rows of the figures table for one data set."""
    rows = []
    for code, attr in (("question", "question"), ("reflection", "reflection")):
        gold = [bool(p.item.gold.get(code)) for p in preds]
        pred = [getattr(p, attr) is not None for p in preds]
        a = binary_agreement(code, gold, pred)
        rows.append(
            f"{name:<18} {code:<11} {a.n:>5} {a.tp + a.fn:>5} {a.tp + a.fp:>5} "
            f"{_fmt(a.precision)} {_fmt(a.recall)} {_fmt(a.f1)} {_fmt(a.kappa)}"
        )
    for code, attr, _sub in (("question_type", "question", "q"), ("reflection_type", "reflection", "r")):
        both = [(p.item.gold.get(code), getattr(p, attr)) for p in preds if p.item.gold.get(code) and getattr(p, attr)]
        if not both:
            continue
        acc = sum(g == x for g, x in both) / len(both)
        k = cohen_kappa([g for g, _ in both], [x for _, x in both])
        rows.append(f"{name:<18} {code:<11} {len(both):>5} {'':>5} {'':>5} {'':>5} {'':>5} acc={acc:5.3f} kappa={_fmt(k)}")
    return rows


def show_errors(preds: list[Prediction], code: str, limit: int) -> None:
    """Print a random sample of disagreements (terminal only) for error-category analysis."""
    rng = random.Random(0)
    if code in ("question", "reflection"):
        bad = [p for p in preds if bool(p.item.gold.get(code)) != (getattr(p, code) is not None)]
    else:
        attr = "question" if code == "qtype" else "reflection"
        gcode = "question_type" if code == "qtype" else "reflection_type"
        bad = [p for p in preds if p.item.gold.get(gcode) and getattr(p, attr) and p.item.gold[gcode] != getattr(p, attr)]
    rng.shuffle(bad)
    for p in bad[:limit]:
        ctx = " / ".join(p.item.context[-2:])[-160:]
        print(f"--- gold={ {k: v for k, v in p.item.gold.items() if v and k != 'strategy'} } q={p.question} r={p.reflection}")
        print(f"  CTX: {ctx}")
        print(f"  T:   {p.item.text[:300]}")
        print(f"  EV:  {p.evidence[:200]}")


SAMPLES_DIR = Path(__file__).resolve().parent.parent / "sample_transcripts"


def samples(show: bool = False) -> int:
    """Clinician turns / questions / reflections per sample transcript (full pipeline)."""
    from analyzer import io as readers
    from analyzer.pipeline import analyze_transcript

    nlp = build_nlp()
    print(f"{'sample':<28} {'clin':>5} {'quest':>5} {'refl':>5} {'simple':>6} {'cmplx':>5}")
    for path in sorted(SAMPLES_DIR.iterdir()):
        if path.suffix.lower() not in (".json", ".srt", ".vtt", ".txt", ".csv") or path.name == "manifest.csv":
            continue
        try:
            transcripts = readers.read(path)
        except Exception as exc:  # a sample another engineer is editing must not stop the check
            print(f"{path.name:<28} unreadable: {exc}")
            continue
        for tr in transcripts:
            res = analyze_transcript(tr, nlp, skill_map=False)
            clin = [tc for tc in res.markers.turns if tc.turn.role == "clinician"]
            refl = [tc for tc in clin if tc.reflection]
            print(
                f"{tr.session_id[:28]:<28} {len(clin):>5} {sum(1 for tc in clin if tc.question):>5} {len(refl):>5} "
                f"{sum(1 for tc in refl if tc.reflection == 'simple'):>6} {sum(1 for tc in refl if tc.reflection == 'complex'):>5}"
            )
            if show:
                for tc in refl:
                    ev = " | ".join(h.quote(30) for h in tc.hits if h.code == "reflection")
                    print(f"    [{tc.reflection}] {tc.turn.text[:140]}\n        EV: {ev[:160]}")
    return 0


def main(argv: Iterable[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--errors", choices=["question", "reflection", "qtype", "rtype"])
    ap.add_argument("--set", choices=["annomi", "annomi_unpunct", "esconv"], default="annomi")
    ap.add_argument("--limit", type=int, default=25)
    ap.add_argument("--samples", action="store_true", help="counts per sample transcript (no expert data needed)")
    ap.add_argument("--show", action="store_true", help="with --samples: print the turns coded as reflections")
    args = ap.parse_args(list(argv) if argv is not None else None)
    if args.samples:
        return samples(args.show)
    if data_dir() is None:
        print("SKIP: expert-coded data not found at ../shared/data (set SESSION_ANALYZER_SHARED_DATA); nothing to measure.")
        return 0
    sets = {
        "annomi": lambda: list(annomi_therapist_utterances(unpunctuated=False)),
        "annomi_unpunct": lambda: list(annomi_therapist_utterances(unpunctuated=True)),
        "esconv": lambda: list(esconv_supporter_turns("valid")),
    }
    if args.errors:
        preds, _, _ = run(sets[args.set]())
        show_errors(preds, args.errors, args.limit)
        return 0
    header = f"{'set':<18} {'code':<11} {'n':>5} {'gold':>5} {'pred':>5} {'prec':>5} {'rec':>5} {'F1':>5} {'kappa':>5}"
    lines = [header, "-" * len(header)]
    total_s = total_w = 0.0
    for name, load in (("AnnoMI punct", sets["annomi"]), ("AnnoMI unpunct", sets["annomi_unpunct"]), ("ESConv valid", sets["esconv"])):
        preds, secs, words = run(load())
        total_s += secs
        total_w += words
        lines.extend(table(name, preds))
    print("\n".join(lines))
    print(
        f"\nclassifiers alone (classify_question + classify_reflection, after nlp.pipe): "
        f"{total_w / total_s:,.0f} tokens/s over {int(total_w):,} tokens"
    )
    print("question_type/reflection_type rows: accuracy and kappa on items both gold and predicted positive.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
