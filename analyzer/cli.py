"""Command-line interface: a thin click layer over the Python API.

Each command parses options, calls the same functions the notebooks use,
and formats what they return.  Errors the user can fix arrive as
AnalyzerError and leave as one-line messages naming the file and line.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from . import __version__
from . import io as readers
from .errors import AnalyzerError
from .nlp import DEFAULT_PIPELINE, build_nlp, pipeline_label
from .pipeline import FileResult, Options, analyze_files
from .tables import EVIDENCE_COLUMNS, SESSION_COLUMNS, TURN_COLUMNS, AtomicCSV


def _session_columns(skill_map_file: str | None) -> list[str]:
    from .skills import load_skill_map, skill_columns

    return list(SESSION_COLUMNS) + skill_columns(load_skill_map(skill_map_file)) + ["warnings"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="session-analyzer")
def cli() -> None:
    """Analyse therapy and counselling session transcripts: patience, empathy,
    emotional intelligence and communication, with the evidence for every number.

    Nothing is ever sent over the network.
    """


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("session-analysis"), show_default=True,
              help="Folder for turns.csv, sessions.csv, evidence.csv and the reports.")
@click.option("--format", "fmt", type=click.Choice(readers.FORMATS), default=None,
              help="Read every file as this format instead of guessing from its suffix.")
@click.option("--clinician", multiple=True, metavar="NAME",
              help="Speaker label of the clinician (repeatable); overrides the role labels.")
@click.option("--roles", "roles_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A roles TOML to use instead of the shipped models/roles.toml.")
@click.option("--skill-map", "skill_map_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A skill map TOML to use instead of the shipped models/skill_map.toml.")
@click.option("--spacy-model", default=None, metavar="NAME",
              help=f"An installed spaCy pipeline to use (default {DEFAULT_PIPELINE}, which needs no download).")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=1, show_default=True, help="Processes to use.")
@click.option("--quiet", "-q", is_flag=True, help="Print only errors and the final summary.")
def analyze(paths: tuple[Path, ...], out_dir: Path, fmt: str | None, clinician: tuple[str, ...],
            roles_file: str | None, skill_map_file: str | None, spacy_model: str | None, jobs: int, quiet: bool) -> None:
    """Analyse transcripts (files or folders, searched recursively) into tables and reports."""
    started = time.perf_counter()
    files, missing = readers.discover(paths)
    for msg in missing:
        click.echo(f"error: {msg}", err=True)
    if not files:
        raise click.ClickException("no transcripts found (supported: " + ", ".join(sorted(readers.SUFFIXES)) + ")")
    try:
        nlp = build_nlp(spacy_model)
        _session_columns(skill_map_file)  # a bad skill map stops the run before any work
    except AnalyzerError as exc:
        raise click.ClickException(str(exc)) from exc
    options = Options(format=fmt, clinician=clinician, roles_file=roles_file, spacy_model=spacy_model,
                      skill_map_file=skill_map_file)
    if not quiet:
        click.echo(f"Analysing {len(files)} file(s) with {pipeline_label(nlp)} → {out_dir}", err=True)

    failed: list[str] = list(missing)
    n_sessions = 0
    session_rows: list[dict] = []
    turns_csv = AtomicCSV(out_dir / "turns.csv", list(TURN_COLUMNS))
    evidence_csv = AtomicCSV(out_dir / "evidence.csv", list(EVIDENCE_COLUMNS))
    sessions_csv = AtomicCSV(out_dir / "sessions.csv", _session_columns(skill_map_file))
    try:
        results = analyze_files(files, options, jobs=jobs)
        with click.progressbar(results, length=len(files), label="Analysing", file=sys.stderr,
                               show_pos=True, item_show_func=lambda r: r.path.name if r else None) if _show_progress(quiet) else _nullbar(results) as bar:
            for fr in bar:
                _report_file(fr, quiet)
                if fr.error:
                    failed.append(fr.error)
                    continue
                for sr in fr.sessions:
                    n_sessions += 1
                    turns_csv.write_all(sr.turn_rows())
                    evidence_csv.write_all(sr.evidence_rows())
                    sessions_csv.write(sr.session)
                    session_rows.append(sr.session)
        turns_csv.commit()
        evidence_csv.commit()
        sessions_csv.commit()
    except BaseException:
        for w in (turns_csv, evidence_csv, sessions_csv):
            w.abort()
        raise
    elapsed = time.perf_counter() - started
    inferred = [r["session_id"] for r in session_rows if r.get("role_inferred")]
    if inferred and not quiet:
        click.echo("roles inferred (no known speaker labels) for: " + ", ".join(inferred), err=True)
    click.echo(
        f"{n_sessions} session(s) from {len(files) - len([f for f in failed if f not in missing])} file(s) analysed "
        f"in {elapsed:.1f} s; {len(failed)} failed. Tables in {out_dir}/",
        err=True,
    )
    if failed:
        sys.exit(1)


@cli.command()
@click.argument("table", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--mapping", "mapping_file", type=click.Path(exists=True, dir_okay=False), required=True,
              help="TOML saying which column holds which code (examples in models/evaluation/).")
@click.option("--unpunctuated", is_flag=True,
              help="Strip punctuation and capitals first, as speech-to-text output often is.")
@click.option("--ratings", "ratings_files", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="Session rating file(s) to correlate with analyzer figures ([ratings] in the mapping).")
@click.option("--spacy-model", default=None, metavar="NAME", help="An installed spaCy pipeline to use.")
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the per-code figures to this CSV.")
def evaluate(table: Path, mapping_file: str, unpunctuated: bool, ratings_files: tuple[str, ...],
             spacy_model: str | None, out_file: Path | None) -> None:
    """Compare the analyzer's turn codes with a human-coded utterance TABLE (CSV).

    Prints precision, recall, F1 and Cohen's kappa per code on clinician turns,
    sub-type agreement, session AUC for a high/low label, and correlations
    with session ratings.
    """
    from .evaluate import evaluate as run_evaluation

    try:
        result = run_evaluation(table, mapping_file, unpunctuated=unpunctuated, ratings_files=ratings_files,
                                spacy_model=spacy_model)
    except AnalyzerError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(result.format())
    if out_file:
        with AtomicCSV(out_file, ["code", "n", "gold_positive", "predicted_positive", "precision", "recall", "f1",
                                  "kappa"]) as w:
            w.write_all(a.as_row() for a in result.codes)


def _show_progress(quiet: bool) -> bool:
    return not quiet and sys.stderr.isatty()


class _nullbar:
    """Stands in for click's progress bar when stderr is not a terminal."""

    def __init__(self, it):
        self.it = it

    def __enter__(self):
        return self.it

    def __exit__(self, *exc):
        return False


def _report_file(fr: FileResult, quiet: bool) -> None:
    if fr.error:
        click.echo(f"error: {fr.error}", err=True)
        return
    if not quiet:
        for w in fr.warnings:
            click.echo(f"warning: {fr.path}: {w}", err=True)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="session-analyzer")


if __name__ == "__main__":
    main()
