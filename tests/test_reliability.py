"""Reliability promises (issue 13): nothing lost, nothing mixed up, nothing left behind, no network.

Every test that runs analyze, export or evaluate uses the ``no_network``
fixture (tests/conftest.py), which fails on any socket connect.
"""

from __future__ import annotations

import csv
import errno
import os
import sqlite3
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from analyzer import orchestrator as orchestrator_module
from analyzer import pipeline as pipeline_module
from analyzer import tables
from analyzer.cli import cli
from analyzer.history import History
from analyzer.session_ids import file_ids
from analyzer.tables import FORMULA_START, format_cell, remove_stale_temps, safe_text

pytestmark = pytest.mark.usefixtures("no_network")

GOOD = ("Therapist: What brings you here today?\nClient: My sleep has been terrible for months.\n"
        "Therapist: It sounds like the nights have been long.\nClient: Yes, really long.\n")
OTHER = ("Therapist: How was the week?\nClient: Busy, but I managed the walks we planned.\n"
         "Therapist: You kept to the plan even in a busy week.\nClient: I did, mostly.\n")


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _cells(path: Path) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return [c for row in csv.reader(fh) for c in row]


def _analyze(*args: str) -> object:
    return CliRunner().invoke(cli, ["analyze", *args])


def _errors(output: str) -> list[str]:
    return [ln for ln in output.splitlines() if ln.startswith("error:")]


def _temps(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith(".tmp")]


# ------------------------------------------------------------------ one guard around each file


@pytest.fixture
def batch(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text(GOOD)
    (src / "bad.txt").write_text(OTHER)
    (src / "c.txt").write_text(GOOD.replace("months", "weeks"))
    return src


@pytest.fixture
def bad_file_crashes(monkeypatch):
    """Any unexpected exception while analysing bad.txt (a stand-in for a bug no reader foresaw)."""
    real = pipeline_module.analyze_transcript

    def crash(tr, *a, **kw):
        if Path(tr.source).name == "bad.txt":
            raise RuntimeError("boom\nsecond line of the message")
        return real(tr, *a, **kw)

    monkeypatch.setattr(pipeline_module, "analyze_transcript", crash)


def test_an_unexpected_exception_is_one_line_naming_the_file_and_the_batch_goes_on(tmp_path, batch, bad_file_crashes):
    out = tmp_path / "out"
    result = _analyze(str(batch), "--out", str(out))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    errors = _errors(result.output)
    assert len(errors) == 1
    assert "bad.txt" in errors[0] and "RuntimeError: boom second line" in errors[0]
    assert {r["session_id"] for r in _rows(out / "sessions.csv")} == {"a", "c"}
    assert "2 session(s) from 3 file(s)" in result.output and "1 failed" in result.output


def test_debug_shows_the_traceback(tmp_path, batch, bad_file_crashes):
    result = _analyze(str(batch), "--out", str(tmp_path / "out"), "--debug")
    assert result.exit_code == 1
    assert "Traceback" in result.output and "RuntimeError: boom" in result.output


def test_the_guard_also_holds_with_jobs(tmp_path, batch, bad_file_crashes):
    out = tmp_path / "out"
    result = _analyze(str(batch), "--out", str(out), "--jobs", "2")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert any("bad.txt" in e for e in _errors(result.output))
    assert {r["session_id"] for r in _rows(out / "sessions.csv")} == {"a", "c"}


# ------------------------------------------------------------------ output-side failures


@pytest.fixture
def earlier(tmp_path):
    """An output folder holding a finished run, and its bytes."""
    (tmp_path / "a.txt").write_text(GOOD)
    (tmp_path / "b.txt").write_text(OTHER)
    out = tmp_path / "out"
    assert _analyze(str(tmp_path / "a.txt"), "--out", str(out)).exit_code == 0
    snapshot = {p.name: p.read_bytes() for p in out.glob("*.csv")}
    return out, snapshot


def _assert_untouched(out: Path, snapshot: dict[str, bytes], history_rows: int = 1) -> None:
    assert {p.name: p.read_bytes() for p in out.glob("*.csv")} == snapshot
    assert not _temps(out)
    with History(out / "history.sqlite") as h:
        assert len(h) == history_rows


class _FullDisk:
    """A file whose writes fail with ENOSPC once ``budget`` characters have been written."""

    def __init__(self, fh, budget: list[int]) -> None:
        self._fh, self._budget = fh, budget

    def write(self, text: str) -> int:
        self._budget[0] -= len(text)
        if self._budget[0] < 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return self._fh.write(text)

    def __getattr__(self, name):
        return getattr(self._fh, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._fh.close()


@pytest.mark.parametrize("budget", [300, 6000])  # fails in the header / the rows of the second file
def test_a_full_disk_is_one_message_and_nothing_earlier_is_lost(tmp_path, earlier, monkeypatch, budget):
    out, snapshot = earlier
    real = os.fdopen
    left = [budget]
    monkeypatch.setattr(tables.os, "fdopen", lambda *a, **kw: _FullDisk(real(*a, **kw), left))
    result = _analyze(str(tmp_path / "a.txt"), str(tmp_path / "b.txt"), "--out", str(out))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.count("No space left on device") == 1
    assert "earlier outputs are untouched" in result.output
    _assert_untouched(out, snapshot)


def test_a_full_disk_while_finishing_replaces_no_table(tmp_path, earlier, monkeypatch):
    out, snapshot = earlier
    real = tables.AtomicCSV.finish
    calls = []

    def finish(self):
        calls.append(self.path.name)
        if len(calls) == 2:  # turns.csv finished, evidence.csv fails: turns.csv must not be replaced
            raise tables.OutputError("cannot write: No space left on device", self.path)
        real(self)

    monkeypatch.setattr(tables.AtomicCSV, "finish", finish)
    result = _analyze(str(tmp_path / "a.txt"), str(tmp_path / "b.txt"), "--out", str(out))
    assert result.exit_code == 1 and "Traceback" not in result.output
    _assert_untouched(out, snapshot)


def test_a_read_only_file_system_is_one_message(tmp_path, earlier, monkeypatch):
    out, snapshot = earlier

    def read_only(*a, **kw):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(tables.tempfile, "mkstemp", read_only)
    result = _analyze(str(tmp_path / "b.txt"), "--out", str(out))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "Read-only file system" in result.output and "turns.csv" in result.output
    _assert_untouched(out, snapshot)


def test_a_read_only_output_folder_is_one_message(tmp_path, earlier, monkeypatch):
    out, snapshot = earlier
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # root writes into a 0500 folder regardless, so refuse the write as the kernel would for anyone else
        def denied(*a, **kw):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

        monkeypatch.setattr(tables.tempfile, "mkstemp", denied)
    out.chmod(0o500)
    try:
        result = _analyze(str(tmp_path / "b.txt"), "--out", str(out), "--no-history")
    finally:
        out.chmod(0o700)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "Permission denied" in result.output
    assert {p.name: p.read_bytes() for p in out.glob("*.csv")} == snapshot


def test_an_output_folder_that_is_a_file_is_one_message(tmp_path):
    (tmp_path / "a.txt").write_text(GOOD)
    (tmp_path / "out").write_text("not a folder")
    result = _analyze(str(tmp_path / "a.txt"), "--out", str(tmp_path / "out" / "sub"))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert len(_errors(result.output)) + result.output.count("Error:") == 1


def test_a_damaged_history_is_one_message_and_the_tables_are_kept(tmp_path, earlier):
    out, snapshot = earlier
    hist = out / "history.sqlite"
    data = bytearray(hist.read_bytes())
    assert len(data) > 4096
    data[100:] = b"\x5a" * (len(data) - 100)  # keep the SQLite header, damage every page after it
    hist.write_bytes(bytes(data))
    result = _analyze(str(tmp_path / "b.txt"), "--out", str(out))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "history.sqlite" in result.output
    assert "restore it from a backup or point --history at a new file" in result.output
    assert {p.name: p.read_bytes() for p in out.glob("*.csv")} == snapshot and not _temps(out)


# ------------------------------------------------------------------ sessions never collide


def test_same_stem_files_in_two_folders_give_two_sessions_and_two_reports(tmp_path):
    for clinic, text in (("clinicA", GOOD), ("clinicB", OTHER)):
        (tmp_path / "in" / clinic).mkdir(parents=True)
        (tmp_path / "in" / clinic / "session.txt").write_text(text)
    out = tmp_path / "out"
    result = _analyze(str(tmp_path / "in"), "--out", str(out))
    assert result.exit_code == 0, result.output
    sessions = _rows(out / "sessions.csv")
    assert sorted(r["session_id"] for r in sessions) == ["clinicA/session", "clinicB/session"]
    reports = sorted((out / "reports").glob("*.html"))
    assert len(reports) == 2
    texts = {r.read_text(encoding="utf-8") for r in reports}
    assert any("nights have been long" in t for t in texts) and any("walks we planned" in t for t in texts)
    by_session: dict[str, set[str]] = {}
    for r in _rows(out / "turns.csv"):
        by_session.setdefault(r["session_id"], set()).add(r["text"])
    assert "It sounds like the nights have been long." in by_session["clinicA/session"]
    assert "It sounds like the nights have been long." not in by_session["clinicB/session"]
    assert {r["session_id"] for r in _rows(out / "evidence.csv")} <= set(by_session)
    index = (out / "index.html").read_text(encoding="utf-8")
    assert all(r.relative_to(out).as_posix() in index for r in reports)


def test_same_stem_different_suffix_is_told_apart_by_the_suffix(tmp_path):
    (tmp_path / "x.txt").write_text(GOOD)
    (tmp_path / "x.md").write_text(OTHER)
    out = tmp_path / "out"
    result = _analyze(str(tmp_path), "--out", str(out), "--no-history")
    assert result.exit_code == 0, result.output
    assert sorted(r["session_id"] for r in _rows(out / "sessions.csv")) == ["x.md", "x.txt"]
    assert len(list((out / "reports").glob("*.html"))) == 2


@pytest.mark.parametrize(
    "paths, expected",
    [
        (["a/x.txt", "b/y.txt"], ["x", "y"]),  # no clash: plain stems
        (["a/x.txt", "b/x.txt"], ["a/x", "b/x"]),
        (["d/x.txt", "d/sub/x.txt"], ["x", "sub/x"]),  # the file in the common folder keeps its stem
        (["a/x.txt", "a/x.json", "b/x.txt"], ["a/x.txt", "a/x.json", "b/x"]),
        (["p/clinicA/s.vtt", "q/clinicA/s.vtt"], ["p/clinicA/s", "q/clinicA/s"]),
    ],
)
def test_file_ids_are_unique(tmp_path, paths, expected):
    got = file_ids([tmp_path / p for p in paths])
    assert got == expected and len(set(got)) == len(got)


def test_a_csv_session_and_a_folder_session_with_the_same_id_are_told_apart(tmp_path):
    (tmp_path / "a.csv").write_text("session,speaker,text\nb,Therapist,How are you?\nb,Client,Tired, mostly.\n")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "b.txt").write_text(GOOD)
    (tmp_path / "z").mkdir()
    (tmp_path / "z" / "b.txt").write_text(OTHER)  # makes a/b.txt's id "a/b", the same as the CSV's session
    out = tmp_path / "out"
    assert _analyze(str(tmp_path / "a.csv"), str(tmp_path / "a"), str(tmp_path / "z"), "--out", str(out),
                    "--no-history").exit_code == 0
    ids = [r["session_id"] for r in _rows(out / "sessions.csv")]
    assert len(ids) == 3 and len(set(ids)) == 3


# ------------------------------------------------------------------ a history that keeps what it knows


@pytest.fixture
def with_manifest(tmp_path):
    src = tmp_path / "clinic"
    src.mkdir()
    (src / "s1.txt").write_text(GOOD)
    (src / "manifest.csv").write_text("file,clinician,date,client,site\ns1.txt,CL-A,2026-09-03,P-017,North\n")
    return src


def _history(path: Path) -> list[dict]:
    with History(path) as h:
        return h.records()


def _export(history: Path, out: Path, by: str = "session") -> list[dict[str, str]]:
    result = CliRunner().invoke(cli, ["export", "--history", str(history), "--out", str(out), "--by", by])
    assert result.exit_code == 0, result.output
    return _rows(out)


def test_a_run_without_the_manifest_keeps_the_clinician_in_history_and_export(tmp_path, with_manifest):
    out = tmp_path / "out"
    hist = out / "history.sqlite"
    assert _analyze(str(with_manifest), "--out", str(out)).exit_code == 0
    assert _analyze(str(with_manifest / "s1.txt"), "--out", str(out), "--no-manifest").exit_code == 0
    [rec] = _history(hist)
    assert (rec["clinician"], rec["session_date"], rec["client"], rec["site"]) == ("CL-A", "2026-09-03", "P-017", "North")
    assert rec["metadata_source"] == "manifest"
    rows = _export(hist, tmp_path / "sup.csv", by="clinician")
    assert [r["clinician"] for r in rows] == ["CL-A"]


def test_a_copy_without_its_manifest_is_another_session_and_the_original_keeps_its_clinician(tmp_path, with_manifest):
    out = tmp_path / "out"
    hist = out / "history.sqlite"
    assert _analyze(str(with_manifest), "--out", str(out)).exit_code == 0
    copy = tmp_path / "elsewhere"
    copy.mkdir()
    (copy / "s1.txt").write_text(GOOD)  # identical content, another source
    assert _analyze(str(copy), "--out", str(out)).exit_code == 0
    recs = _history(hist)
    assert len(recs) == 2  # identical content in two different sources is two sessions
    assert sorted(r["clinician"] for r in recs) == ["", "CL-A"]
    rows = _export(hist, tmp_path / "sup.csv")
    assert [r["clinician"] for r in rows if r["clinician"]] == ["CL-A"]


def test_a_metadata_conflict_is_a_warning_and_the_newer_value_wins(tmp_path, with_manifest):
    out = tmp_path / "out"
    assert _analyze(str(with_manifest), "--out", str(out)).exit_code == 0
    (with_manifest / "manifest.csv").write_text("file,clinician,date,client\ns1.txt,CL-B,,P-017\n")
    result = _analyze(str(with_manifest), "--out", str(out))
    assert result.exit_code == 0
    assert "warning: history: s1: clinician was 'CL-A' in the history, now 'CL-B'" in result.output
    [rec] = _history(out / "history.sqlite")
    assert (rec["clinician"], rec["session_date"]) == ("CL-B", "2026-09-03")  # empty date kept the recorded one


def test_a_stopped_run_commits_no_history_rows(tmp_path, monkeypatch):
    for name, text in (("a.txt", GOOD), ("b.txt", OTHER), ("c.txt", GOOD.replace("months", "years"))):
        (tmp_path / name).write_text(text)
    out = tmp_path / "out"
    assert _analyze(str(tmp_path / "a.txt"), "--out", str(out)).exit_code == 0
    real = orchestrator_module.analyze_files

    def crashing(files, config, jobs=1):
        for i, fr in enumerate(real(files, config, jobs)):
            if i == 2:
                raise KeyboardInterrupt
            yield fr

    monkeypatch.setattr(orchestrator_module, "analyze_files", crashing)
    _analyze(str(tmp_path / "b.txt"), str(tmp_path / "c.txt"), str(tmp_path / "a.txt"), "--out", str(out))
    assert [r["session_id"] for r in _history(out / "history.sqlite")] == ["a"]  # b and c were not committed
    assert not _temps(out)


def test_a_schema_1_history_is_migrated_keeping_its_rows(tmp_path):
    p = tmp_path / "old.sqlite"
    with sqlite3.connect(p) as c:
        c.executescript("""
            CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            INSERT INTO meta VALUES ('schema_version', '1'), ('created_by', 'session-analyzer 0.1');
            CREATE TABLE sessions (id INTEGER PRIMARY KEY, content_hash TEXT NOT NULL, analyzer_version TEXT NOT NULL,
                session_id TEXT NOT NULL, source TEXT NOT NULL DEFAULT '', clinician TEXT NOT NULL DEFAULT '',
                session_date TEXT NOT NULL DEFAULT '', client TEXT NOT NULL DEFAULT '',
                metadata_source TEXT NOT NULL DEFAULT 'none', analysed_at TEXT NOT NULL, row_json TEXT NOT NULL,
                UNIQUE (content_hash, analyzer_version));
            INSERT INTO sessions VALUES (1, 'h1', '0.1', 's1', 'in/s1.txt', 'CL-A', '2026-09-03', 'P-1', 'manifest',
                '2026-09-03T10:00:00+00:00', '{"session_id": "s1", "n_turns": 4}');
        """)
    c.close()
    with History(p) as h:
        assert h.schema_version == 2
        [rec] = h.records()
        assert (rec["session_id"], rec["clinician"], rec["n_turns"]) == ("s1", "CL-A", 4)
        h.add({"session_id": "s1", "source": "in/s1.txt", "n_turns": 5}, "h1", None, analyzer_version="0.1")
        [rec] = h.records()
        assert (rec["clinician"], rec["n_turns"]) == ("CL-A", 5)  # same source: replaced, metadata kept


# ------------------------------------------------------------------ safe cells


@pytest.mark.parametrize(
    "value, expected",
    [
        ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"), ("+SUM(A1)", "'+SUM(A1)"), ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(1)", "'@SUM(1)"), ("\tx", "'\tx"), ("\rx", "'\rx"), ("plain", "plain"), ("", ""),
        ("-0.5", "-0.5"), ("-0.500 0.200", "-0.500 0.200"), ("+44 20 7946 0958", "+44 20 7946 0958"), ("-1e-3", "-1e-3"),
        ("- what I mean", "'- what I mean"), ("-2+3", "'-2+3"),
    ],
)
def test_safe_text(value, expected):
    assert safe_text(value) == expected


def test_format_cell_keeps_numbers_numbers():
    assert format_cell(-0.5) == -0.5 and format_cell(-3) == -3 and format_cell(True) == 1 and format_cell(None) == ""
    assert format_cell(Path("=x")) == "'=x"


FORMULA_CSV = (
    "session_id,speaker,text\n"
    "S1,Therapist,=HYPERLINK(\"http://example.invalid\")\n"
    "S1,Client,I feel terrible and hopeless and everything is awful.\n"
    "S1,Therapist,+SUM(A1:A9) sounds like a lot to carry.\n"
    "S1,Client,@everyone says that.\n"
    "S1,Therapist,-2+3 is how it adds up for you?\n"
    "S1,Client,\"-yes, that's it.\"\n"
)


def _no_formula(path: Path) -> int:
    """Asserts no cell of ``path`` starts a formula; returns how many cells were escaped."""
    cells = _cells(path)
    for c in cells:
        assert not (c.startswith(FORMULA_START) and safe_text(c) != c), f"{path.name}: {c!r}"
    return sum(c.startswith("'") and c[1:2] in "=+-@\t\r" for c in cells)


def test_no_csv_cell_starts_a_formula(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "f.csv").write_text(FORMULA_CSV)
    (tmp_path / "in" / "manifest.csv").write_text("file,clinician,date,client\nf.csv/S1,=CL(1),2026-09-03,+P-1\n")
    out = tmp_path / "out"
    assert _analyze(str(tmp_path / "in"), "--out", str(out)).exit_code == 0
    assert _no_formula(out / "turns.csv") >= 5
    assert _no_formula(out / "sessions.csv") >= 2  # clinician and client codes from the manifest
    _no_formula(out / "evidence.csv")
    sentiments = [r["sentiment"] for r in _rows(out / "turns.csv")]
    assert any(s.startswith("-0.") and float(s) < 0 for s in sentiments)  # numbers stay numbers
    sup = tmp_path / "sup.csv"
    _export(out / "history.sqlite", sup, by="clinician")
    assert _no_formula(sup) >= 1


def test_the_evaluate_table_is_safe_too(tmp_path):
    table = tmp_path / "coded.csv"
    table.write_text("sid,who,utt,q\nA,therapist,=What brings you in?,yes\nA,client,Work.,\n", encoding="utf-8")
    mapping = tmp_path / "map.toml"
    mapping.write_text('[columns]\nsession = "sid"\nspeaker = "who"\ntext = "utt"\n\n'
                       '[codes.question]\ncolumn = "q"\npositive = ["yes"]\n')
    result = CliRunner().invoke(cli, ["evaluate", str(table), "--mapping", str(mapping), "--out", str(tmp_path / "e.csv")])
    assert result.exit_code == 0, result.output
    _no_formula(tmp_path / "e.csv")


# ------------------------------------------------------------------ owner-only outputs


def test_outputs_and_history_are_owner_only(tmp_path):
    (tmp_path / "a.txt").write_text(GOOD)
    out = tmp_path / "new" / "out"
    assert _analyze(str(tmp_path / "a.txt"), "--out", str(out)).exit_code == 0
    _export(out / "history.sqlite", out / "sup.csv")
    for d in (out, out / "reports"):
        assert stat.S_IMODE(d.stat().st_mode) == 0o700, d
    files = [p for p in out.rglob("*") if p.is_file()]
    assert {"history.sqlite", "turns.csv", "index.html", "sup.csv"} <= {p.name for p in files}
    for p in files:
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p


def test_an_older_world_readable_history_is_tightened(tmp_path):
    p = tmp_path / "history.sqlite"
    History(p).open().close()
    p.chmod(0o644)
    History(p).open().close()
    assert stat.S_IMODE(p.stat().st_mode) == 0o600


# ------------------------------------------------------------------ no leftovers


def test_stale_temporaries_of_a_dead_process_are_removed_and_live_ones_kept(tmp_path):
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    (tmp_path / "reports").mkdir()
    stale = [tmp_path / f".turns.csv.{dead_pid}.abcd1234.tmp", tmp_path / "reports" / f".r.html.{dead_pid}.k9_x0z1q.tmp",
             tmp_path / ".sessions.csv.zz12ab34.tmp"]  # the last: an older version's pid-less name
    live = [tmp_path / f".evidence.csv.{os.getpid()}.abcd1234.tmp", tmp_path / "notes.tmp", tmp_path / "keep.csv"]
    for p in stale + live:
        p.write_text("x")
    assert sorted(remove_stale_temps(tmp_path)) == sorted(stale)
    assert all(p.exists() for p in live)


def _batch_of(folder: Path, n: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"s{i:03}.txt").write_text(GOOD.replace("months", f"{i} months") * 8)
    return folder


def _start(args: list[str], cwd: Path, env: dict[str, str] | None = None):
    import subprocess
    import sys

    return subprocess.Popen([sys.executable, "-m", "analyzer", "analyze", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_temps(proc, out: Path, timeout_s: float = 120.0) -> list[Path]:
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and proc.poll() is None:
        found = [p for p in out.glob(".*.tmp")] if out.is_dir() else []
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError("the run finished before its temporary files were seen")


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGINT"])
def test_a_signal_mid_run_leaves_no_temporary_files(tmp_path, signame):
    import signal

    src = _batch_of(tmp_path / "in", 60)
    out = tmp_path / "out"
    out.mkdir()
    (out / "sessions.csv").write_text("earlier\n")
    proc = _start([str(src), "--out", str(out)], cwd=tmp_path)
    try:
        assert _wait_for_temps(proc, out)
        proc.send_signal(getattr(signal, signame))
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0
    assert "Traceback" not in err
    assert not _temps(out), err
    assert (out / "sessions.csv").read_text() == "earlier\n"
    with History(out / "history.sqlite") as h:
        assert len(h) == 0  # the run's history rows went with its tables


def test_what_kill_9_leaves_is_removed_by_the_next_run(tmp_path):
    import signal

    src = _batch_of(tmp_path / "in", 60)
    out = tmp_path / "out"
    proc = _start([str(src), "--out", str(out)], cwd=tmp_path)
    try:
        left = _wait_for_temps(proc, out)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert left and _temps(out)  # kill -9 cannot be cleaned up after...
    (tmp_path / "a.txt").write_text(GOOD)
    assert _analyze(str(tmp_path / "a.txt"), "--out", str(out)).exit_code == 0
    assert not _temps(out)  # ...but the next run removes it
    with History(out / "history.sqlite") as h:
        assert [r["session_id"] for r in h.records()] == ["a"]  # the killed run committed nothing


# ------------------------------------------------------------------ nothing written elsewhere, no network


def _snapshot(*roots: Path) -> dict[str, tuple[int, int]]:
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for r in roots for p in r.rglob("*") if p.is_file()}


def test_nothing_is_written_outside_the_outputs(tmp_path, samples):
    """analyze, export and evaluate in a fresh process with its own HOME, TMPDIR and working folder:
    only the output folder, the history and the named export files change."""
    import shutil
    import subprocess
    import sys

    home, tmp, cwd, src = (tmp_path / n for n in ("home", "tmp", "cwd", "in"))
    for d in (home, tmp, cwd):
        d.mkdir()
    shutil.copytree(samples, src)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "MPL", "PYTHONPYCACHE"))}
    env.update(HOME=str(home), TMPDIR=str(tmp), PYTHONDONTWRITEBYTECODE="1")
    before = _snapshot(home, tmp, cwd, src)
    out, hist = tmp_path / "out", tmp_path / "elsewhere" / "h.sqlite"
    run = lambda *a: subprocess.run([sys.executable, "-m", "analyzer", *a], cwd=cwd, env=env,  # noqa: E731
                                    capture_output=True, text=True, timeout=600)
    r = run("analyze", str(src), "--out", str(out), "--history", str(hist), "--quiet")
    assert r.returncode == 0, r.stderr
    r = run("export", "--history", str(hist), "--out", str(out / "sup.csv"))
    assert r.returncode == 0, r.stderr
    (tmp_path / "coded.csv").write_text("sid,who,utt,q\nA,therapist,What brings you in?,yes\nA,client,Work.,\n")
    (tmp_path / "map.toml").write_text('[columns]\nsession = "sid"\nspeaker = "who"\ntext = "utt"\n\n'
                                       '[codes.question]\ncolumn = "q"\npositive = ["yes"]\n')
    r = run("evaluate", str(tmp_path / "coded.csv"), "--mapping", str(tmp_path / "map.toml"))
    assert r.returncode == 0, r.stderr
    # the one documented cache (README, "Files, permissions and leftovers"): matplotlib's font list, built once per HOME
    cache = str(home / ".cache" / "matplotlib")
    after = {k: v for k, v in _snapshot(home, tmp, cwd, src).items() if not k.startswith(cache + os.sep)}
    assert after == before
    assert not list(tmp.iterdir()) and not list(cwd.iterdir())
    in_home = {p.relative_to(home).as_posix() for p in home.rglob("*")}
    in_home -= {".cache", ".cache/matplotlib", ".config", ".config/matplotlib"}  # matplotlib's folders, empty but one
    assert all(x.startswith(".cache/matplotlib/fontlist") for x in in_home), in_home
    assert {p.name for p in hist.parent.iterdir()} == {"h.sqlite"}  # no journal left beside the history


# ------------------------------------------------------------------ evaluate decodes like the readers


EVAL_MAP = ('[columns]\nsession = "sid"\nspeaker = "who"\ntext = "utt"\n\n'
            '[codes.question]\ncolumn = "q"\npositive = ["yes"]\n')
EVAL_TABLE = "sid,who,utt,q\nA,therapist,Qué tal? What brings you in, café or no café?,yes\nA,client,Work.,\n"


@pytest.mark.parametrize("encoding", ["cp1252", "utf-16", "utf-8-sig"])
def test_evaluate_reads_tables_in_the_encodings_readers_accept(tmp_path, encoding):
    (tmp_path / "t.csv").write_bytes(EVAL_TABLE.encode(encoding))
    (tmp_path / "m.toml").write_text(EVAL_MAP)
    result = CliRunner().invoke(cli, ["evaluate", str(tmp_path / "t.csv"), "--mapping", str(tmp_path / "m.toml")])
    assert result.exit_code == 0, result.output
    assert "question" in result.output


def test_evaluate_of_a_binary_table_is_one_line(tmp_path):
    (tmp_path / "t.csv").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 4)
    (tmp_path / "m.toml").write_text(EVAL_MAP)
    result = CliRunner().invoke(cli, ["evaluate", str(tmp_path / "t.csv"), "--mapping", str(tmp_path / "m.toml")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "t.csv" in result.output and "binary" in result.output


def test_the_no_network_fixture_refuses_a_connection(no_network):
    import socket

    with pytest.raises(OSError, match="network use blocked"):
        socket.create_connection(("127.0.0.1", 9), timeout=1)
    with pytest.raises(OSError, match="network use blocked"):
        socket.socket().connect(("127.0.0.1", 9))
    assert len(no_network) == 2
    no_network.clear()  # seen: the fixture would otherwise fail this test at teardown


def test_an_earlier_runs_tables_inside_the_input_folder_are_not_read(tmp_path):
    (tmp_path / "a.txt").write_text(GOOD)
    out = tmp_path / "results"
    assert _analyze(str(tmp_path), "--out", str(out)).exit_code == 0
    result = _analyze(str(tmp_path), "--out", str(out))  # the folder now holds results/turns.csv & co.
    assert result.exit_code == 0, result.output
    assert [r["session_id"] for r in _rows(out / "sessions.csv")] == ["a"]


def test_the_notebook_api_gets_unique_ids_too(tmp_path):
    from analyzer.api import analyze_folder

    for clinic, text in (("clinicA", GOOD), ("clinicB", OTHER)):
        (tmp_path / clinic).mkdir()
        (tmp_path / clinic / "session.txt").write_text(text)
    an = analyze_folder(tmp_path)
    assert sorted(an.sessions["session_id"]) == ["clinicA/session", "clinicB/session"]
    assert "walks we planned" in an.report("clinicB/session").html


def test_scan_findings_are_safe_cells_too(tmp_path):
    (tmp_path / "s.txt").write_text("Therapist: =HYPERLINK(1) Call me on +1 (555) 867-5309 or mail jo@example.org.\n"
                                    "Client: @home I'm at 12 Elm Street, Springfield.\n")
    result = CliRunner().invoke(cli, ["scan", str(tmp_path / "s.txt"), "--out", str(tmp_path / "f.csv")])
    assert result.exit_code == 0, result.output
    assert len(_rows(tmp_path / "f.csv")) >= 2
    _no_formula(tmp_path / "f.csv")


def test_a_stopped_run_removes_its_own_temporaries_only_when_asked(tmp_path):
    own = tmp_path / f".turns.csv.{os.getpid()}.abcd1234.tmp"
    own.write_text("x")
    assert remove_stale_temps(tmp_path) == [] and own.exists()
    assert remove_stale_temps(tmp_path, include_own=True) == [own] and not own.exists()
