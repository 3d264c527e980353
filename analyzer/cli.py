"""Command-line interface: a thin click layer over the Python API.

Each command parses options, calls the same functions the notebooks use,
and formats what they return.  Errors the user can fix arrive as
AnalyzerError and leave as one-line messages naming the file and line.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from . import io as readers
from ._version import __version__
from .cleanup import signals_as_exit
from .config import Options, load_config
from .errors import AnalyzerError
from .guard import run_failure, unexpected_failure
from .nlp import DEFAULT_PIPELINE, build_nlp, pipeline_label
from .tables import AtomicCSV

if TYPE_CHECKING:  # the analysis modules load spaCy: imported by the commands that analyse (fast --version, export)
    from .pipeline import FileResult


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="session-analyzer")
def cli() -> None:
    """Analyse therapy and counselling session transcripts: patience, empathy,
    emotional intelligence and communication, with the evidence for every number.

    Nothing is ever sent over the network.
    """


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("session-analysis"),
              show_default=True, help="Folder for the tables, reports/, index.html and history.sqlite.")
@click.option("--format", "fmt", type=click.Choice(readers.FORMATS), default=None,
              help="Read every file as this format instead of guessing from its suffix.")
@click.option("--clinician", multiple=True, metavar="NAME",
              help="Speaker label of the clinician (repeatable); overrides the role labels.")
@click.option("--roles", "roles_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A roles TOML to use instead of the shipped models/roles.toml.")
@click.option("--skill-map", "skill_map_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A skill map TOML to use instead of the shipped models/skill_map.toml.")
@click.option("--settings", "settings_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Marker thresholds TOML to use instead of the shipped models/markers.toml.")
@click.option("--spacy-model", default=None, metavar="NAME",
              help=f"An installed spaCy pipeline to use (default {DEFAULT_PIPELINE}, which needs no download).")
@click.option("--history", "history_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="SQLite history to add this run's sessions to [default: OUT/history.sqlite].")
@click.option("--no-history", is_flag=True, help="Do not write a history.")
@click.option("--no-reports", is_flag=True, help="Write only the tables (faster on very large runs).")
@click.option("--no-manifest", is_flag=True, help="Ignore manifest.csv files beside the transcripts.")
@click.option("--print-transcript", is_flag=True,
              help="Keep the transcript in printed reports (by default it shows on screen only).")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=os.cpu_count() or 1, show_default="the number of cores",
              help="Processes to use (with --engine dask and no --scheduler: local workers).")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="Where files are analysed: this machine's processes, or a Dask cluster (pip install 'session-analyzer[dask]').")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="Dask scheduler to use with --engine dask (tcp://HOST:PORT); without it a local cluster is started.")
@click.option("--quiet", "-q", is_flag=True, help="Print only errors and the final summary.")
@click.option("--redact", is_flag=True,
              help="Replace likely identifiers by [KIND] and speaker names by role labels in every output.")
@click.option("--force", is_flag=True,
              help="Score files that do not look like counselling sessions (another language, a monologue …).")
@click.option("--debug", is_flag=True, help="Show the traceback of an unexpected error (for a bug report).")
def analyze(paths: tuple[Path, ...], out_dir: Path, fmt: str | None, clinician: tuple[str, ...],
            roles_file: str | None, skill_map_file: str | None, settings_file: str | None, spacy_model: str | None,
            history_file: Path | None, no_history: bool, no_reports: bool, no_manifest: bool, print_transcript: bool,
            jobs: int, engine: str, scheduler: str | None, quiet: bool, redact: bool, force: bool, debug: bool) -> None:
    """Analyse transcripts (files or folders, searched recursively) into tables and reports.

    Writes OUT/turns.csv, sessions.csv, evidence.csv, reports/*.html, index.html
    and adds the sessions to the history.  A file that cannot be read is
    reported and the rest are analysed; the exit code is then 1.
    """
    from .run import run_analysis

    found = readers.find_inputs(paths, exclude=(out_dir,))
    files = found.files
    if found.skipped and quiet:
        click.echo(f"{len(found.skipped)} file(s) or folder(s) skipped (run without --quiet to list them)", err=True)
    elif found.skipped:
        for line in found.skipped_lines():
            click.echo(f"note: {line}", err=True)
    if not files and all(p.exists() for p in paths):
        raise click.ClickException("no transcripts found (supported: " + ", ".join(sorted(readers.SUFFIXES)) + ")")
    options = Options(format=fmt, clinician=clinician, roles_file=roles_file, spacy_model=spacy_model,
                      skill_map_file=skill_map_file, settings_file=settings_file, redact=redact, force=force)
    try:
        config = load_config(options)  # every configuration file is read and checked once, here
        nlp = build_nlp(config.options.spacy_model)
    except AnalyzerError as exc:
        raise click.ClickException(str(exc)) from exc
    if not quiet:
        click.echo(f"Analysing {len(files)} file(s) with {pipeline_label(nlp)} → {out_dir}", err=True)
    history: Path | bool = False if no_history else (history_file or True)
    bar = click.progressbar(length=len(files), label="Analysing", file=sys.stderr, show_pos=True) \
        if _show_progress(quiet) else None

    printed: set[str] = set()

    def on_file(fr: FileResult) -> None:
        if fr.error:
            printed.add(fr.error)
            click.echo(("\n" if bar else "") + f"error: {fr.error}", err=True)
            if debug and fr.traceback:
                click.echo(fr.traceback, err=True)
        elif not quiet:
            for w in fr.warnings:
                click.echo(("\n" if bar else "") + f"warning: {readers.display_path(fr.path)}: {w}", err=True)
        if bar:
            bar.update(1)

    try:
        if bar:
            bar.__enter__()
        with signals_as_exit():  # SIGTERM/SIGHUP clean up like Ctrl-C: no temporary file is left
            summary = run_analysis(paths, out_dir, config, jobs=jobs, history=history, manifest=not no_manifest,
                                   reports=not no_reports, on_file=on_file, print_transcript=print_transcript,
                                   engine=engine, scheduler=scheduler)
    except Exception as exc:
        failure = run_failure(exc)
        if failure is None and debug:
            raise
        raise (failure or unexpected_failure(exc)) from exc
    finally:
        if bar:
            bar.__exit__(None, None, None)
    _print_run_summary(summary, printed, out_dir, quiet)
    if not summary.ok:
        sys.exit(1)


def _print_run_summary(summary: Any, printed: set[str], out_dir: Path, quiet: bool) -> None:
    """The end of a run on the console: errors not yet printed, run-level notes, and the totals."""
    for msg in summary.failed:
        if msg not in printed:  # missing paths and a bad manifest are not tied to one analysed file
            click.echo(f"error: {msg}", err=True)
    for msg in summary.notes:
        click.echo(f"warning: {msg}", err=True)
    if summary.inferred and not quiet:
        click.echo("roles inferred (no known speaker labels) for: " + ", ".join(summary.inferred), err=True)
    if summary.not_scored:  # shown even with --quiet: these sessions have no scores at all
        click.echo("not scored (do not look like counselling sessions; see session_check, or use --force): "
                   + ", ".join(summary.not_scored), err=True)
    where = (f"Outputs in {out_dir}/" + (f" (open {summary.index})" if summary.index else "")
             if summary.sessions else f"Nothing written to {out_dir}/ (its earlier contents are untouched)")
    click.echo(
        f"{summary.sessions} session(s) from {summary.files} file(s) analysed in {summary.elapsed_s:.1f} s; "
        f"{len(summary.failed)} failed. {where}",
        err=True,
    )


@cli.command()
@click.option("--history", "history_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="The SQLite history written by analyze (OUT/history.sqlite).")
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), default=Path("supervision.csv"),
              show_default=True, help="The CSV to write.")
@click.option("--by", type=click.Choice(["session", "clinician", "month"]), default="session", show_default=True,
              help="One row per session, per clinician, or per clinician and month.")
@click.option("--convokit", "convokit_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Instead, write the analysed sessions of --tables as a ConvoKit corpus in this folder.")
@click.option("--tables", "tables_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("session-analysis"), show_default=True,
              help="With --convokit: the analyze output folder holding turns.csv and sessions.csv.")
def export(history_file: Path | None, out_file: Path, by: str, convokit_dir: Path | None, tables_dir: Path) -> None:
    """Write a supervision CSV from the history: scores, bands, key figures, changes and flags.

    UTF-8 with BOM, ISO dates, no index column: opens cleanly in Excel and LibreOffice.
    With --convokit DIR, write the analysed sessions as a ConvoKit corpus instead
    (one conversation per session, the codes in each utterance's meta).
    """
    from .export import supervision_table, write_supervision_csv
    from .history import History

    if convokit_dir is not None:
        from .convokit_export import export_convokit

        try:
            n_conv, n_utt = export_convokit(tables_dir, convokit_dir)
        except AnalyzerError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"{n_conv} conversation(s), {n_utt} utterance(s) → {convokit_dir}", err=True)
        return
    if history_file is None:
        raise click.UsageError("Missing option '--history' (or use --convokit DIR).")

    try:
        with History(history_file) as h:
            frame = h.sessions_frame()
        table = supervision_table(frame, by=by)
        write_supervision_csv(table, out_file)
    except AnalyzerError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{len(table)} row(s) by {by} → {out_file}", err=True)


@cli.command()
@click.argument("table", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--mapping", "mapping_file", type=click.Path(exists=True, dir_okay=False), required=True,
              help="TOML saying which column holds which code (examples in models/evaluation/).")
@click.option("--unpunctuated", is_flag=True,
              help="Strip punctuation and capitals first, as speech-to-text output often is.")
@click.option("--ratings", "ratings_files", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="Session rating file(s) to correlate with analyzer figures ([ratings] in the mapping).")
@click.option("--spacy-model", default=None, metavar="NAME", help="An installed spaCy pipeline to use.")
@click.option("--settings", "settings_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Marker thresholds TOML to use instead of the shipped models/markers.toml.")
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the per-code figures to this CSV.")
@click.option("--rules", "rules_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the per-rule audit (fired, precision, share of true positives) to this CSV.")
def evaluate(table: Path, mapping_file: str, unpunctuated: bool, ratings_files: tuple[str, ...],
             spacy_model: str | None, settings_file: str | None, out_file: Path | None,
             rules_file: Path | None) -> None:
    """Compare the analyzer's turn codes with a human-coded utterance TABLE (CSV).

    Prints precision, recall, F1 and Cohen's kappa per code on clinician turns,
    sub-type agreement, session AUC for a high/low label, correlations with
    session ratings, and for every rule id how often it fired and its precision.
    """
    from .evaluate import evaluate as run_evaluation
    from .rule_audit import RULE_PRECISION_FLOOR, write_audit

    try:
        config = load_config(Options(spacy_model=spacy_model, settings_file=settings_file))
        result = run_evaluation(table, mapping_file, unpunctuated=unpunctuated, ratings_files=ratings_files,
                                config=config)
    except AnalyzerError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(result.format())
    click.echo("\nper rule (precision against the code the rule gives; blank where the table does not code it):")
    click.echo(result.format_rules(floor=RULE_PRECISION_FLOOR))
    if rules_file:
        write_audit(rules_file, result.rules)
    if out_file:
        with AtomicCSV(out_file, ["code", "n", "gold_positive", "predicted_positive", "precision", "recall", "f1",
                                  "kappa"]) as w:
            w.write_all(a.as_row() for a in result.codes)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write every finding, unmasked, to this CSV (one row per finding).")
@click.option("--format", "fmt", type=click.Choice(readers.FORMATS), default=None,
              help="Read every file as this format instead of guessing from its suffix.")
@click.option("--clinician", multiple=True, metavar="NAME", help="Speaker label of the clinician (repeatable).")
@click.option("--roles", "roles_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A roles TOML to use instead of the shipped models/roles.toml.")
@click.option("--spacy-model", default=None, metavar="NAME",
              help="An installed trained spaCy pipeline whose entity recogniser adds names, places and dates.")
def scan(paths: tuple[Path, ...], out_file: Path | None, fmt: str | None, clinician: tuple[str, ...],
         roles_file: str | None, spacy_model: str | None) -> None:
    """List likely identifiers (names, phone numbers, addresses, dates, ID numbers ...) in transcripts.

    The console shows each finding masked (phone: 5**-***-**09); --out writes them in full.
    Nothing is changed; `analyze --redact` removes them from the outputs.
    """
    from .privacy import FINDING_COLUMNS, mask, scan_paths

    rows: list[dict[str, object]] = []
    failed = 0
    try:
        for _path, findings, error in scan_paths(paths, format=fmt, clinician=clinician, roles_file=roles_file,
                                                spacy_model=spacy_model):
            if error:
                failed += 1
                click.echo(f"error: {error}", err=True)
            for f in findings:
                where = f"turn {f.turn}" + (f" chars {f.start_char}-{f.end_char}" if f.start_char is not None else "")
                click.echo(f"{f.source}  {f.session_id}  {where}  {f.kind}: {mask(f.text)}")
                rows.append(f.as_row())
    except AnalyzerError as exc:
        raise click.ClickException(str(exc)) from exc
    if out_file:
        with AtomicCSV(out_file, list(FINDING_COLUMNS)) as w:
            w.write_all(rows)
    sessions = len({(r["file"], r["session"]) for r in rows})
    click.echo(f"{len(rows)} possible identifier(s) in {sessions} session(s)"
               + (f"; {failed} file(s) could not be read" if failed else "") + (f" → {out_file}" if out_file else ""),
               err=True)
    if failed:
        sys.exit(1)


def _show_progress(quiet: bool) -> bool:
    return not quiet and sys.stderr.isatty()


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="session-analyzer")


if __name__ == "__main__":
    main()
