"""The analysis pipeline: read → Transcript → annotate → markers → skills → rows.

Each stage is a plain function over the previous stage's value; the CLI and
notebooks call these same functions.  Sessions are processed one at a time
(Docs are dropped as soon as a session's markers are computed) so memory
stays flat however many sessions a run holds; ``jobs > 1`` spreads files
over processes.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spacy.language import Language
from spacy.tokens import Doc

from . import io as readers
from .config import Options, RunConfig, default_config, load_config
from .errors import AnalyzerError
from .markers import SessionMarkers, TurnCodes, code_session
from .model import Transcript
from .nlp import build_nlp, pipe_texts, pipeline_label
from .privacy import screen

if TYPE_CHECKING:
    from .skills import SessionSkills, SkillMap

__all__ = ["Options", "RunConfig", "SessionResult", "FileResult", "analyze_transcript", "analyze_file",
           "analyze_files", "analyze", "annotate", "turn_row", "session_row"]


@dataclass
class SessionResult:
    """One analysed session: its transcript, markers, and the table rows built from them."""

    transcript: Transcript
    markers: SessionMarkers
    session: dict[str, Any]
    skills: SessionSkills | None = None  # where a skill map was applied
    config: RunConfig | None = None  # the run's configuration: the report and plots read it
    metadata: dict[str, Any] = field(default_factory=dict)  # clinician, session_date, client, metadata_source
    metadata_problem: str = ""  # why the metadata could not be read (the session then has none)
    screening: Any = None  # analyzer.screening.Screening: does it look like a counselling session?
    check_warning: str = ""  # set where the screening held the scores back (or --force overrode it)

    @property
    def session_id(self) -> str:
        return self.transcript.session_id

    def turn_rows(self) -> list[dict[str, Any]]:
        """One row per turn, in TURN_COLUMNS order."""
        return list(self.iter_turn_rows())

    def iter_turn_rows(self) -> Iterator[dict[str, Any]]:
        """:meth:`turn_rows` one at a time (a huge session's rows are written without all being held)."""
        return (turn_row(self.session_id, tc) for tc in self.markers.turns)

    def evidence_rows(self) -> list[dict[str, Any]]:
        """One row per detection, with rule id and span."""
        return list(self.iter_evidence_rows())

    def iter_evidence_rows(self) -> Iterator[dict[str, Any]]:
        """:meth:`evidence_rows` one at a time."""
        return (
            {
                "session_id": self.session_id,
                "turn": tc.turn.index,
                "code": h.code,
                "value": h.value,
                "rule_id": h.rule_id,
                "start_char": h.start_char,
                "end_char": h.end_char,
                "text": h.text,
            }
            for tc in self.markers.turns
            for h in tc.hits
        )


@dataclass
class FileResult:
    """What became of one input file: its sessions, or the error that stopped it."""

    path: Path
    sessions: list[SessionResult] = field(default_factory=list)
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    traceback: str | None = None  # for an unexpected exception (shown with --debug)


def annotate(transcript: Transcript, nlp: Language | None = None) -> list[Doc]:
    """spaCy Docs for every turn of ``transcript``, in order, processed in batches."""
    nlp = nlp or build_nlp()
    return list(pipe_texts(nlp, (t.text for t in transcript.turns)))


def hms(seconds: float | None) -> str:
    """``h:mm:ss`` (whole seconds), or "" without a time: the form a spreadsheet reads as a time of day."""
    if seconds is None:
        return ""
    h, rem = divmod(int(round(max(0.0, seconds))), 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}"


def turn_row(session_id: str, tc: TurnCodes) -> dict[str, Any]:
    """The turns.csv row for one turn."""
    t = tc.turn
    row: dict[str, Any] = {
        "session_id": session_id,
        "turn": t.index,
        "first_segment": t.first_segment,
        "source_line": t.line,
        "speaker": t.speaker,
        "role": t.role,
        "start_s": t.start_s,
        "start_hms": hms(t.start_s),
        "end_s": t.end_s,
        "n_words": tc.n_words,
        "backchannel": tc.backchannel,
        "pause_before_response_s": tc.pause_before_response_s,
        "interruption": tc.interruption,
        "question": tc.question or "",
        "reflection": tc.reflection or "",
        "n_fillers": tc.n_fillers if t.role == "clinician" else None,
        "n_jargon": tc.n_jargon if t.role == "clinician" else None,
        "words_per_sentence": tc.words_per_sentence,
        "readability_grade": tc.readability_grade,
        "sentiment": round(tc.sentiment, 3) if tc.sentiment is not None else None,
        "sentence_sentiment": " ".join(f"{x:.3f}" for x in tc.sentence_sentiment),
        "evidence": tc.evidence,
        "text": t.text,
    }
    row.update({flag: value for flag, value in tc.flags.items()})
    return row


def session_row(transcript: Transcript, markers: SessionMarkers, pipeline: str) -> dict[str, Any]:
    """The sessions.csv row for one session (skill columns are added by the skills stage)."""
    turns = markers.turns
    by_role = lambda role: sorted({tc.turn.speaker for tc in turns if tc.turn.role == role})  # noqa: E731
    row: dict[str, Any] = {
        "session_id": transcript.session_id,
        "source": transcript.source,
        "format": transcript.format,
        "encoding": transcript.encoding,
        "pipeline": pipeline,
        "role_inferred": transcript.role_inferred,
        "clinician_speaker": "; ".join(by_role("clinician")),
        "client_speaker": "; ".join(by_role("client")),
        "n_turns": len(turns),
        "n_words_clinician": sum(tc.n_words for tc in turns if tc.turn.role == "clinician"),
        "n_words_client": sum(tc.n_words for tc in turns if tc.turn.role == "client"),
    }
    row.update(markers.figures)  # talk and timing first (duration_s …), then the codes
    row["warnings"] = " | ".join(transcript.warnings)
    return row


def analyze_transcript(
    transcript: Transcript,
    nlp: Language | None = None,
    config: RunConfig | None = None,
    skill_map: SkillMap | bool | None = None,
    force: bool | None = None,
) -> SessionResult:
    """Analyse one transcript: annotate, detect markers, score skills, build its session row.

    ``config`` is the run's configuration (the shipped one when None); ``skill_map`` replaces its skill
    map, and ``False`` skips skill scoring.  A transcript that does not look like a counselling session
    keeps its markers but gets no skill scores (analyzer/screening.py) unless ``force`` (default: the
    config's ``force`` option).
    """
    config = config or default_config()
    nlp = nlp or build_nlp(config.options.spacy_model)
    # Docs stream from the pipeline into the markers, which let each go once no later turn needs it:
    # a session's Docs are never all in memory at once (one huge transcript stays small).
    docs = pipe_texts(nlp, (t.text for t in transcript.turns))
    markers = code_session(transcript, docs, config.settings)
    row = session_row(transcript, markers, pipeline_label(nlp))
    result = SessionResult(transcript, markers, row, config=config)
    if skill_map is not False:
        from .skills import apply_skills

        apply_skills(result, skill_map if skill_map not in (None, True) else config.skill_map)  # type: ignore[arg-type]
    from .screening import apply_checks

    smap = skill_map if skill_map not in (None, True, False) else config.skill_map
    apply_checks(result, smap, config.settings, config.options.force if force is None else force)
    return result


def analyze_file(path: str | Path, config: RunConfig | Options | None = None) -> FileResult:
    """Read and analyse one file; an AnalyzerError becomes ``FileResult.error`` instead of stopping a batch."""
    path = Path(path)
    result = FileResult(path)
    try:
        config = _config(config)
        transcripts = readers.read(path, format=config.format, clinician=config.clinician, roles_file=config.roles_file)
        nlp = build_nlp(config.options.spacy_model)
        for tr in transcripts:
            sr = _analyze_screened(tr, nlp, config)
            result.warnings.extend(f"{sr.session_id}: {w}" for w in sr.transcript.warnings)
            if sr.check_warning:
                result.warnings.append(f"{sr.session_id}: {sr.check_warning}")
            result.sessions.append(sr)
    except AnalyzerError as exc:
        result.error = str(exc)
        result.sessions.clear()
    except Exception as exc:  # one guard per file: a bug or an input no reader foresaw never stops the batch
        from .guard import unexpected_error

        result.error, result.traceback = unexpected_error(path, exc)
        result.sessions.clear()
    return result


def _analyze_screened(tr: Transcript, nlp: Language, config: RunConfig) -> SessionResult:
    """Screen a transcript for likely identifiers (redacting it when the run asks), then analyse it."""
    tr, n_identifiers = screen(tr, redacting=config.options.redact, spacy_model=config.options.spacy_model)
    result = analyze_transcript(tr, nlp, config)
    result.session["n_possible_identifiers"] = n_identifiers
    return result


def _config(config: RunConfig | Options | None) -> RunConfig:
    """A RunConfig from either a RunConfig (used as is) or Options (loaded and validated now)."""
    if isinstance(config, RunConfig):
        return config
    return load_config(config) if config is not None else default_config()


# A pool worker's run configuration and finishing step, set once per process by _init_worker.
_WORKER: dict[str, Any] = {}


def _init_worker(config: RunConfig, finish: Callable[[FileResult], Any] | None) -> None:
    import signal

    # A forked worker must not run the parent's SIGTERM/SIGHUP clean-up (it would remove the parent's
    # temporaries, and a worker blocked in a lock would never run it, so Pool.terminate would wait forever).
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    _WORKER.update(config=config, finish=finish)


def _work(path: str | Path) -> Any:
    return work_on_file(path, _WORKER["config"], _WORKER["finish"])


def work_on_file(path: str | Path, config: RunConfig, finish: Callable[[FileResult], Any] | None = None) -> Any:
    """Analyse one file and apply ``finish`` to the result, where the file is analysed (any engine)."""
    from .gctune import after_file

    result = analyze_file(path, config)
    if finish is not None:
        result = finish(result)
    after_file()
    return result


def analyze_files(
    paths: Sequence[str | Path], config: RunConfig | Options | None = None, jobs: int = 1,
    *, finish: Callable[[FileResult], Any] | None = None,
) -> Iterator[Any]:
    """Analyse files in order, one result per file, in ``jobs`` processes.

    Results stream: each file's result is yielded as soon as it is ready (in
    input order) so a caller can write it and let it go.  ``finish`` (a picklable function of a
    :class:`FileResult`) runs in the worker on each result and its return value is yielded instead:
    the run uses it to render reports and rows where the file was analysed.
    """
    from .gctune import tuned_gc

    paths = [Path(p) for p in paths]
    run_config = _config(config)  # loaded once, before any work: a bad file stops the run here
    _warm_up(run_config)
    with tuned_gc():  # forked workers inherit the frozen start-up objects and the thresholds
        if jobs <= 1 or len(paths) <= 1:
            for p in paths:
                yield work_on_file(p, run_config, finish)
            return
        ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context("spawn")
        pool = ctx.Pool(processes=min(jobs, len(paths)), initializer=_init_worker, initargs=(run_config, finish))
        try:
            yield from pool.imap(_work, paths, chunksize=1)
        except BaseException:
            pool.terminate()  # stopped early (an error, a signal, the caller let go): no waiting for the rest
            raise
        else:
            # every result is in: let the workers finish on their own.  Pool.terminate() here (what the
            # with-block does) can leave a worker blocked on the task queue's lock and the run hanging.
            pool.close()
        finally:
            pool.join()


def _warm_up(config: RunConfig) -> None:
    """Build the pipeline and the scorer before a run (then frozen for the collector, shared by forks)."""
    from .markers.sentiment import get_scorer

    try:
        build_nlp(config.options.spacy_model)
        get_scorer()
    except AnalyzerError:
        pass  # every file reports it


def analyze(
    sources: Iterable[str | Path | Transcript], options: RunConfig | Options | None = None, jobs: int = 1
) -> Iterator[SessionResult]:
    """Analyse transcripts or files/folders; yields sessions and raises on the first unreadable file.

    For batch runs that must go on past bad files use :func:`analyze_files`.
    """
    items = list(sources)
    transcripts = [s for s in items if isinstance(s, Transcript)]
    paths = [s for s in items if not isinstance(s, Transcript)]
    config = _config(options)
    if transcripts:
        nlp = build_nlp(config.options.spacy_model)
        for tr in transcripts:
            yield _analyze_screened(tr, nlp, config)
    if paths:
        files, missing = readers.discover(paths)
        if missing:
            raise AnalyzerError("; ".join(missing))
        for fr in analyze_files(files, config, jobs):
            if fr.error:
                raise AnalyzerError(fr.error)
            yield from fr.sessions
