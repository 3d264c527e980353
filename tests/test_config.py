"""The run configuration: loaded once, honoured by every stage (markers, plots, trends, report, evaluate)."""

from __future__ import annotations

import csv
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from analyzer import api
from analyzer.cli import cli
from analyzer.config import Options, load_config
from analyzer.errors import ConfigError
from analyzer.resources import model_file

# A session whose one long listener turn is six backchannel words.
SIX_WORD_LISTENER = (
    "Therapist: What brings you here today?\n"
    "Client: My sleep has been terrible for months and I am worn out.\n"
    "Therapist: mm hmm yeah okay i see\n"
    "Client: Some nights I do not sleep at all.\n"
    "Therapist: It sounds like the nights have been long.\n"
)
LISTENER_TEXT = "mm hmm yeah okay i see"


def _shipped(name: str) -> str:
    return model_file(name).read_text(encoding="utf-8")


def _settings_file(tmp_path: Path, **replace: str) -> Path:
    """A copy of the shipped markers.toml with some ``key = value`` lines replaced."""
    text = _shipped("markers.toml")
    for key, value in replace.items():
        lines = text.splitlines()
        hits = [i for i, line in enumerate(lines) if line.split("=")[0].strip() == key]
        assert len(hits) == 1, key
        lines[hits[0]] = f"{key} = {value}"
        text = "\n".join(lines) + "\n"
    path = tmp_path / "my_markers.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _skill_map_file(tmp_path: Path) -> Path:
    """A copy of the shipped skill map with the empathy skill relabelled."""
    text = _shipped("skill_map.toml").replace('label = "Empathy"', 'label = "Empathy (team map)"', 1)
    assert "Empathy (team map)" in text
    path = tmp_path / "my_skill_map.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _listener_row(out: Path) -> dict[str, str]:
    return next(r for r in _rows(out / "turns.csv") if r["text"] == LISTENER_TEXT)


def test_cli_settings_file_raises_the_backchannel_limit(tmp_path):
    (tmp_path / "s.txt").write_text(SIX_WORD_LISTENER)
    settings = _settings_file(tmp_path, max_words="6")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["analyze", str(tmp_path / "s.txt"), "--out", str(out), "--no-history",
                                      "--settings", str(settings)])
    assert result.exit_code == 0, result.output
    assert _listener_row(out)["backchannel"] == "1"
    # the shipped limit (3 words) leaves the same turn a clinician turn
    shipped_out = tmp_path / "shipped"
    assert CliRunner().invoke(cli, ["analyze", str(tmp_path / "s.txt"), "--out", str(shipped_out),
                                    "--no-history"]).exit_code == 0
    assert _listener_row(shipped_out)["backchannel"] == "0"


def test_cli_bad_settings_file_is_one_clear_line(tmp_path):
    (tmp_path / "s.txt").write_text(SIX_WORD_LISTENER)
    settings = _settings_file(tmp_path, max_words='"six"')
    result = CliRunner().invoke(cli, ["analyze", str(tmp_path / "s.txt"), "--out", str(tmp_path / "o"),
                                      "--settings", str(settings)])
    assert result.exit_code != 0
    assert "my_markers.toml" in result.output and "max_words" in result.output
    assert not (tmp_path / "o" / "turns.csv").exists()


def test_load_config_reads_each_file_once_and_checks_it(tmp_path):
    config = load_config(Options(settings_file=str(_settings_file(tmp_path, max_words="6"))))
    assert config.settings.backchannel_max_words == 6
    assert config.pipeline == "blank:en"
    with pytest.raises(ConfigError) as err:
        load_config(Options(skill_map_file=str(tmp_path / "absent.toml")))
    assert "absent.toml" in str(err.value)


def test_notebook_api_takes_the_settings_file(tmp_path):
    (tmp_path / "s.txt").write_text(SIX_WORD_LISTENER)
    an = api.analyze_folder(tmp_path / "s.txt", settings_file=str(_settings_file(tmp_path, max_words="6")))
    turns = an.turns
    assert bool(turns.loc[turns["text"] == LISTENER_TEXT, "backchannel"].iloc[0]) is True
    assert an.results[0].config is not None and an.results[0].config.settings.backchannel_max_words == 6


def test_plots_use_the_run_settings(tmp_path, samples):
    from analyzer.report import plots

    timed = samples / "patient_validating.vtt"
    an = api.analyze_folder(timed, settings_file=str(_settings_file(tmp_path, fast_response_s="1.25")))
    fig = plots.new_figure()
    ax = plots.plot_pauses(an.results[0], fig.add_subplot())
    assert ax is not None
    assert any("1.25 s" in t.get_text() for t in ax.get_legend().get_texts())


def test_report_uses_the_run_settings_and_skill_map(tmp_path, samples):
    settings = _settings_file(tmp_path, fast_response_s="1.25")
    smap = _skill_map_file(tmp_path)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["analyze", str(samples / "patient_validating.vtt"), "--out", str(out),
                                      "--settings", str(settings), "--skill-map", str(smap)])
    assert result.exit_code == 0, result.output
    report = next((out / "reports").glob("*.html")).read_text(encoding="utf-8")
    assert "of responses under 1.25 s" in report and "of responses under 0.5 s" not in report
    assert "Empathy (team map)" in report
    assert "Empathy (team map)" in (out / "index.html").read_text(encoding="utf-8")


def test_trends_use_the_run_skill_map(tmp_path, samples):
    from analyzer.report.trends import trends_html_section
    from analyzer.skills import load_skill_map

    an = api.analyze_folder(samples)
    section = trends_html_section(an.sessions, load_skill_map(_skill_map_file(tmp_path)))
    assert "Empathy (team map)" in section
    assert "Empathy (team map)" not in trends_html_section(an.sessions)


def test_evaluate_uses_the_run_settings(tmp_path):
    from analyzer.evaluate import evaluate

    table = tmp_path / "coded.csv"
    rows = [("A", i + 1, who, text, "no") for i, (who, text) in enumerate(
        line.split(": ", 1) for line in SIX_WORD_LISTENER.strip().splitlines())]
    with open(table, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([("sid", "uid", "who", "utt", "r"), *rows])
    mapping = tmp_path / "map.toml"
    mapping.write_text(textwrap.dedent("""
        [columns]
        session = "sid"
        speaker = "who"
        text = "utt"
        utterance_id = "uid"
        [codes.reflection]
        column = "r"
        positive = ["yes"]
    """))
    shipped = evaluate(table, mapping)
    mine = evaluate(table, mapping, config=load_config(Options(settings_file=str(_settings_file(tmp_path, max_words="6")))))
    # the six-word listener turn is a clinician turn to compare under the shipped limit, a backchannel under 6
    assert shipped.n_clinician_turns == mine.n_clinician_turns + 1


def test_import_analyzer_reads_no_file():
    """``import analyzer`` (and the API module) opens no data file: configuration is read when a run starts."""
    code = textwrap.dedent("""
        import sys
        opened = []
        sys.addaudithook(lambda event, args: opened.append(str(args[0])) if event == "open" else None)
        import analyzer, analyzer.api
        print("at import:", [p for p in opened if p.endswith((".toml", ".jsonl", ".json", ".txt", ".csv"))])
        analyzer.api.SESSION_DTYPES  # the skill columns: read on first use
        print("first use:", any(p.endswith("skill_map.toml") for p in opened))
    """)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.split("\n")[:2] == ["at import: []", "first use: True"], run.stdout


def test_cli_and_api_run_the_same_orchestrator(tmp_path, samples, monkeypatch):
    from analyzer import orchestrator
    from analyzer.run import run_analysis

    seen = []
    real = orchestrator.analyze_files

    def recording(files, config, jobs=1, **kw):
        seen.append(len(files))
        yield from real(files, config, jobs, **kw)

    monkeypatch.setattr(orchestrator, "analyze_files", recording)
    an = api.analyze_folder(samples)
    summary = run_analysis([samples], tmp_path / "out", history=False, reports=False)
    assert seen == [summary.files, summary.files] and summary.sessions == len(an) == 10
    cli_meta = {r["session_id"]: (r["clinician"], r["session_date"], r["metadata_source"])
                for r in _rows(tmp_path / "out" / "sessions.csv")}
    api_meta = {r.session_id: (r.metadata["clinician"], r.metadata["session_date"], r.metadata["metadata_source"])
                for r in an.results}
    assert cli_meta == api_meta


def test_supervision_uses_the_run_flag_rules(tmp_path, samples):
    text = _shipped("flags.toml").replace("min_change_points = 10", "min_change_points = 0.1", 1)
    assert "min_change_points = 0.1" in text
    (tmp_path / "my_flags.toml").write_text(text, encoding="utf-8")
    shipped = api.analyze_folder(samples).supervision("session")
    mine = api.analyze_folder(samples, flags_file=str(tmp_path / "my_flags.toml")).supervision("session")
    points = lambda table: sum(f.count(" points (") for f in table["flags"].fillna(""))  # noqa: E731
    assert points(mine) > points(shipped)
