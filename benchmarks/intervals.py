"""What the session checks cost: bootstrap intervals and screening against the rest of the analysis.

For every sample session and for a 50-minute session (~6,000 words, the sample turns repeated with
shifted times) it times, as the fastest of ``--repeat`` runs (the least disturbed by other processes): the whole analysis of one transcript
(annotate → markers → skills → checks), then the interval step (``interval_row``) and the screening
step (``screen`` + ``punctuation``) alone, and prints the share each adds.  Goal: intervals add under
10% to the analysis time.

Usage: python benchmarks/intervals.py [--repeat 15]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analyzer import io as readers  # noqa: E402
from analyzer.config import load_config  # noqa: E402
from analyzer.model import Transcript  # noqa: E402
from analyzer.nlp import build_nlp  # noqa: E402
from analyzer.pipeline import analyze_transcript  # noqa: E402
from analyzer.screening import punctuation, screen  # noqa: E402
from analyzer.uncertainty import interval_row  # noqa: E402


def fifty_minutes(tr: Transcript, words: int = 6000) -> Transcript:
    """``tr``'s turns repeated (times shifted) until about ``words`` words: a 50-minute session."""
    turns = []
    span = max((t.end_s or t.start_s or 0.0) for t in tr.turns) + 1.0
    k = 0
    while sum(len(t.text.split()) for t in turns) < words:
        for t in tr.turns:
            shift = k * span
            turns.append(replace(t, index=len(turns) + 1, first_segment=len(turns) + 1,
                                 start_s=None if t.start_s is None else t.start_s + shift,
                                 end_s=None if t.end_s is None else t.end_s + shift))
        k += 1
    return replace(tr, session_id=tr.session_id + "_50min", turns=tuple(turns))


def median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)  # the least-disturbed run: on a shared machine the median mostly measures the neighbours


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    config = load_config()
    nlp, settings, smap = build_nlp(), config.settings, config.skill_map
    sessions = [tr for f in readers.discover([ROOT / "sample_transcripts"])[0] for tr in readers.read(f)]
    long = fifty_minutes(next(tr for tr in sessions if tr.session_id == "patient_validating"))
    print(f"{'session':<28}{'words':>7}{'analysis ms':>13}{'intervals ms':>14}{'share':>8}{'screening ms':>14}{'share':>8}")
    tot_a = tot_i = tot_s = 0.0
    for tr in sessions + [long]:
        analyze_transcript(tr, nlp, config)  # warm caches
        t_all = median_time(lambda: analyze_transcript(tr, nlp, config), args.repeat)  # noqa: B023 (timed at once)
        sr = analyze_transcript(tr, nlp, config)
        t_int = median_time(lambda: interval_row(sr, smap, settings), args.repeat)  # noqa: B023
        t_scr = median_time(lambda: (screen(tr, sr.session), punctuation(tr)), args.repeat)  # noqa: B023
        base = t_all - t_int - t_scr  # the analysis without the checks
        words = sum(len(t.text.split()) for t in tr.turns)
        print(f"{tr.session_id:<28}{words:>7}{1000 * base:>13.1f}{1000 * t_int:>14.2f}{100 * t_int / base:>7.1f}%"
              f"{1000 * t_scr:>14.2f}{100 * t_scr / base:>7.1f}%")
        if tr is not long:
            tot_a, tot_i, tot_s = tot_a + base, tot_i + t_int, tot_s + t_scr
    print(f"{'all samples':<28}{'':>7}{1000 * tot_a:>13.1f}{1000 * tot_i:>14.2f}{100 * tot_i / tot_a:>7.1f}%"
          f"{1000 * tot_s:>14.2f}{100 * tot_s / tot_a:>7.1f}%")


if __name__ == "__main__":
    main()
