"""Report speed: charts of a 50-minute session, reports against analysis time, and growth with turns.

Prints, in one run:

* the inline SVG charts of ``sample_transcripts/patient_validating.vtt``
  (a 49-minute session): timeline, sentiment arc, skill bars, pauses
  (goal: all under 20 ms together);
* the whole corpus of ``make bench`` (copies of the samples up to
  ``--words`` words): analysis time against the time to render and write
  every report and the index (goal: reports under a tenth of the analysis);
* a synthetic timed session of 1,000 and of 8,000 turns: report time for
  each and their ratio (goal: within 10×, i.e. linear in turns);
* where headless Chromium is installed, the printed pages of the
  49-minute sample's report, without and with the transcript (goal: ≤ 6).

Each render is timed as the best of ``--repeat`` runs (the machine is shared: the best run is the
least disturbed one, as ``timeit`` advises).

Usage: python benchmarks/report_speed.py [--words 1000000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from analyzer import io as readers  # noqa: E402
from analyzer.model import Segment, Transcript, merge_segments  # noqa: E402
from analyzer.nlp import build_nlp  # noqa: E402
from analyzer.pipeline import Options, analyze_files, analyze_transcript  # noqa: E402
from analyzer.report import (  # noqa: E402
    report_filename,
    sections,  # noqa: E402
    session_report_html,
    write_index,
    write_session_report,
)

# Written for this benchmark: a clinician and a client taking turns, with some distress and some reflections.
CLINICIAN = [
    "What has this week been like for you?",
    "It sounds like the week wore you down more than you expected.",
    "You felt let down, and part of you wonders whether it will ever change.",
    "Mm-hmm.",
    "What would you like to be different by the time we meet again?",
    "You should try writing it down before bed.",
]
CLIENT = [
    "Honestly it has been a hard week. I barely slept and work was awful.",
    "Yeah. I keep thinking it should be easier by now, and it just isn't.",
    "I felt terrible on Tuesday, really hopeless, like nothing I do matters.",
    "A bit better on Friday. My sister came round and we laughed for once.",
    "I don't know. Maybe sleep more. Maybe stop checking my phone at night.",
]


def best_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def synthetic(n_turns: int) -> Transcript:
    """A timed session of ``n_turns`` alternating turns, about 6 s each with pauses around a second."""
    segs, t = [], 0.0
    for i in range(n_turns):
        clin = i % 2 == 0
        text = CLINICIAN[(i // 2) % len(CLINICIAN)] if clin else CLIENT[(i // 2) % len(CLIENT)]
        dur = 2.0 + len(text) / 18
        segs.append(Segment(i + 1, "Therapist" if clin else "Client", text, round(t, 2), round(t + dur, 2), line=i + 1))
        t += dur + (0.4 + (i % 5) * 0.4)
    return Transcript(f"synthetic_{n_turns}", "synthetic.vtt",
                      merge_segments(segs, {"Therapist": "clinician", "Client": "client"}), format="vtt")


def charts(repeat: int) -> None:
    result = analyze_transcript(readers.read(ROOT / "sample_transcripts" / "patient_validating.vtt")[0])
    th = sections.thresholds(result)
    parts = {
        "timeline": lambda: sections.timeline_section(result, th),
        "sentiment arc": lambda: sections.sentiment_section(result, th),
        "skill bars": lambda: sections.skills_chart(result, th),
        "pauses": lambda: sections.pauses_section(result, th, ""),
    }
    total = 0.0
    minutes = result.session["duration_s"] / 60
    print(f"charts of patient_validating ({len(result.markers.turns)} turns, {minutes:.0f} min), best of {repeat}:")
    for name, fn in parts.items():
        t = best_time(fn, repeat)
        total += t
        print(f"  {name:<20}{1000 * t:8.2f} ms")
    print(f"  {'all charts':<20}{1000 * total:8.2f} ms   (goal < 20 ms)")
    t = best_time(lambda: session_report_html(result), repeat)
    print(f"  {'whole report':<20}{1000 * t:8.2f} ms")


def corpus(words: int) -> None:
    from throughput import make_corpus

    with tempfile.TemporaryDirectory(prefix="sa-report-") as tmp:
        files, n_words, _ = make_corpus(words, Path(tmp))
        out = Path(tmp) / "out"
        analysis = render = 0.0
        rows, reports = [], {}
        start = time.perf_counter()
        for fr in analyze_files(files, Options()):
            mid = time.perf_counter()
            analysis += mid - start
            for sr in fr.sessions:
                write_session_report(sr, out)
                reports[sr.session_id] = report_filename(sr.session_id)
                rows.append(sr.session)
            start = time.perf_counter()
            render += start - mid
        mid = time.perf_counter()
        write_index(rows, reports, out)
        render += time.perf_counter() - mid
    print(f"corpus: {len(files):,} files, {len(rows):,} sessions, {n_words:,} words")
    print(f"  analysis {analysis:8.2f} s   reports and index {render:6.2f} s   "
          f"ratio {render / analysis:.3f}   (goal < 0.1)")


def growth(repeat: int) -> None:
    """Report time at 1,000 and 8,000 turns, the two sizes interleaved so a busy spell on a shared machine
    slows both rather than one."""
    nlp = build_nlp()
    results = {n: analyze_transcript(synthetic(n), nlp) for n in (1000, 8000)}
    times: dict[int, list[float]] = {n: [] for n in results}
    for _ in range(repeat):
        for n, result in results.items():
            start = time.perf_counter()
            session_report_html(result)
            times[n].append(time.perf_counter() - start)
    best = {n: min(ts) for n, ts in times.items()}
    for n in results:
        print(f"  report of a timed session of {n:>5,} turns: {1000 * best[n]:8.1f} ms")
    print(f"  8,000 / 1,000 turns: {best[8000] / best[1000]:.1f}×   (goal ≤ 10×; 8× is linear)")


def printed_pages() -> None:
    import re
    import shutil
    import subprocess

    chromium = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")) if p), None)
    if chromium is None:
        print("printed pages: no headless Chromium on PATH (apt-get install chromium)")
        return
    result = analyze_transcript(readers.read(ROOT / "sample_transcripts" / "patient_validating.vtt")[0])
    with tempfile.TemporaryDirectory(prefix="sa-print-") as tmp:
        counts = []
        for printed in (False, True):
            page, pdf = Path(tmp) / f"r{printed}.html", Path(tmp) / f"r{printed}.pdf"
            page.write_text(session_report_html(result, print_transcript=printed), encoding="utf-8")
            subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp}/p",
                            "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri()],
                           capture_output=True, timeout=120)
            counts.append(len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes())) if pdf.exists() else 0)
    print(f"printed pages of patient_validating (Letter): {counts[0]} (goal ≤ 6); "
          f"with --print-transcript {counts[1]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--words", type=int, default=1_000_000, help="words in the corpus (default 1,000,000, as make bench)")
    ap.add_argument("--repeat", type=int, default=7, help="renders per timing (the best is reported)")
    args = ap.parse_args()
    charts(args.repeat)
    printed_pages()
    growth(args.repeat)
    corpus(args.words)


if __name__ == "__main__":
    main()
