"""The README documents what the code does: the two Quickstart commands, CI, and every column."""

from __future__ import annotations

import re
from pathlib import Path

from analyzer.export import EXPORT_COLUMNS
from analyzer.tables import EVIDENCE_COLUMNS, SESSION_COLUMNS, TURN_COLUMNS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_quickstart_has_the_two_commands_and_make_has_them():
    quick = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    assert "make demo" in quick and "make test" in quick
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^demo:", makefile, re.M) and re.search(r"^test:", makefile, re.M)


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci


def test_every_output_column_is_documented():
    for columns in (TURN_COLUMNS, SESSION_COLUMNS, EVIDENCE_COLUMNS, EXPORT_COLUMNS):
        missing = [c for c in columns if f"`{c}`" not in README]
        assert not missing, f"README does not document: {missing}"


def test_every_sample_format_is_documented():
    for suffix in (".txt", ".vtt", ".srt", ".json", ".csv"):
        assert f"`{suffix}`" in README
