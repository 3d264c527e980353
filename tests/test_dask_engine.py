"""The Dask engine writes what a local run writes: same tables, history and index, bad files reported alike."""

from __future__ import annotations

import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from analyzer.cli import cli
from analyzer.run import run_analysis

distributed = pytest.importorskip("distributed", reason="the Dask engine needs the [dask] extra (in the dev extras)")

TABLES = ("turns.csv", "evidence.csv", "sessions.csv")

# Sentences written for this test; sessions are random draws of them, so no two sessions are alike.
CLINICIAN = [
    "What brings you here today?",
    "It sounds like the last few weeks have been really hard on you.",
    "You've been carrying a lot on your own.",
    "How did you manage to get through Monday?",
    "So part of you wants to stop, and part of you isn't sure yet.",
    "You should try going to bed at the same time every night.",
    "Would it be okay if I shared something that has helped other people?",
    "That took real courage.",
    "Mm-hmm.",
    "Tell me more about what happened at work.",
    "you feel like nobody at home really listens",
    "Did you take the tablets this week?",
]
CLIENT = [
    "I don't know, it's just been a lot lately.",
    "My sister keeps telling me I'm overreacting.",
    "Yeah.",
    "I stopped going to the gym because I was so tired all the time.",
    "Honestly I'm scared it won't get better.",
    "work has been okay i guess but my manager keeps piling things on",
    "I tried the breathing thing once and it sort of helped.",
    "No, not really.",
    "I feel like I let everyone down when I cancelled the trip.",
    "Sometimes I just sit in the car for ten minutes before going in.",
]


def _session(rng: random.Random, fmt: str) -> str:
    turns = []
    for k in range(rng.randint(6, 20)):
        speaker, pool = ("Therapist", CLINICIAN) if k % 2 == 0 else ("Client", CLIENT)
        turns.append((speaker, " ".join(rng.sample(pool, rng.randint(1, 3)))))
    if fmt == "txt":
        return "\n\n".join(f"{s}: {t}" for s, t in turns) + "\n"
    def ts(ms: int) -> str:
        return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"

    cues, t0 = [], 0
    for i, (s, text) in enumerate(turns, 1):
        start = t0 + rng.randint(200, 1500)
        end = start + 600 + 400 * len(text.split())
        cues.append(f"{i}\n{ts(start)} --> {ts(end)}\n{s}: {text}")
        t0 = end
    return "WEBVTT\n\n" + "\n\n".join(cues) + "\n"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """100 generated sessions in two formats, plus one file that cannot be read."""
    folder = tmp_path_factory.mktemp("corpus")
    rng = random.Random(7)
    for i in range(100):
        fmt = "txt" if i % 2 else "vtt"
        (folder / f"s{i:03d}.{fmt}").write_text(_session(rng, fmt), encoding="utf-8")
    (folder / "broken.json").write_text('{"segments": [', encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def cluster():
    """A local Dask cluster of two worker processes, for the tests that pass its scheduler address."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c:
        yield c


def _history(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT content_hash, session_id, source, clinician, session_date, client, "
                            "metadata_source, row_json FROM sessions ORDER BY id").fetchall()


def _same_outputs(a: Path, b: Path) -> None:
    for name in TABLES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert _history(a / "history.sqlite") == _history(b / "history.sqlite")
    if not (a / "reports").exists():  # a tables-only run
        assert not (b / "reports").exists()
        return
    assert sorted(p.name for p in (a / "reports").iterdir()) == sorted(p.name for p in (b / "reports").iterdir())
    assert (a / "index.html").read_text(encoding="utf-8") == (b / "index.html").read_text(encoding="utf-8")


def test_local_cluster_run_equals_the_local_run_on_the_samples(tmp_path, samples):
    local, dask = tmp_path / "local", tmp_path / "dask"
    r1 = CliRunner().invoke(cli, ["analyze", str(samples), "--out", str(local), "-q", "--jobs", "1"])
    r2 = CliRunner().invoke(cli, ["analyze", str(samples), "--out", str(dask), "-q", "--engine", "dask", "--jobs", "2"])
    assert r1.exit_code == 0 and r2.exit_code == 0, r2.output
    _same_outputs(local, dask)


def test_generated_corpus_and_a_bad_file_on_the_workers(tmp_path, corpus, cluster):
    # tables and history (the reports' equality is shown on the samples above; 100 reports take long)
    local = run_analysis([corpus], tmp_path / "local", jobs=1, reports=False)
    dask = run_analysis([corpus], tmp_path / "dask", engine="dask", scheduler=cluster.scheduler_address, reports=False)
    assert local.sessions == dask.sessions == 100
    # the bad file is one line naming it, exactly as a local run reports it, and the batch went on
    assert dask.failed == local.failed and len(dask.failed) == 1 and "broken.json" in dask.failed[0]
    _same_outputs(tmp_path / "local", tmp_path / "dask")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(procs: list[subprocess.Popen]) -> None:
    for p in reversed(procs):
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=10)


def test_scheduler_and_two_workers_on_localhost_give_identical_tables(tmp_path, corpus):
    dask_cli = Path(sys.executable).with_name("dask")
    if not dask_cli.exists():
        pytest.skip("the dask command is not installed beside this Python")
    files = sorted(corpus.glob("s0[0-2]*"))  # 30 sessions keep this test short
    inputs = tmp_path / "in"
    inputs.mkdir()
    for f in files:
        shutil.copy(f, inputs / f.name)
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    common = ["--no-dashboard"]
    procs = [subprocess.Popen([str(dask_cli), "scheduler", "--host", "127.0.0.1", "--port", str(port), *common],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        for _ in range(2):
            procs.append(subprocess.Popen([str(dask_cli), "worker", address, "--host", "127.0.0.1", "--nthreads", "1",
                                           "--nworkers", "1", *common],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path))
        from distributed import Client

        deadline = time.monotonic() + 90
        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=max(1, deadline - time.monotonic()))
        local = run_analysis([inputs], tmp_path / "local", jobs=1, reports=False)
        remote = run_analysis([inputs], tmp_path / "remote", engine="dask", scheduler=address, reports=False)
        assert local.ok and remote.ok and local.sessions == remote.sessions == 30
        _same_outputs(tmp_path / "local", tmp_path / "remote")
    finally:
        _stop(procs)
    assert all(p.poll() is not None for p in procs)
