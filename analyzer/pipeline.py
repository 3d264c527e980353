"""The analysis pipeline: read → Transcript → annotate → markers → skills → rows.

Each stage is a plain function over the previous stage's value; the CLI and
notebooks call these same functions.  Sessions are processed one at a time
(Docs are dropped as soon as a session's markers are computed) so memory
stays flat however many sessions a run holds; ``jobs > 1`` spreads files
over processes.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from . import io as readers
from .errors import AnalyzerError
from .markers import SessionMarkers, TurnCodes, code_session
from .markers.settings import MarkerSettings, load_settings
from .model import Transcript
from .nlp import build_nlp, pipe_texts, pipeline_label


@dataclass
class SessionResult:
    """One analysed session: its transcript, markers, and the table rows built from them."""

    transcript: Transcript
    markers: SessionMarkers
    session: dict[str, Any]
    skills: Any = None  # analyzer.skills.SessionSkills where a skill map was applied
    settings: MarkerSettings | None = None  # the run's marker settings (the report reads its thresholds)
    skill_map: Any = None  # the run's skill map (bands and figure lines for the report)

    @property
    def session_id(self) -> str:
        return self.transcript.session_id

    def turn_rows(self) -> list[dict[str, Any]]:
        """One row per turn, in TURN_COLUMNS order."""
        return [turn_row(self.session_id, tc) for tc in self.markers.turns]

    def evidence_rows(self) -> list[dict[str, Any]]:
        """One row per detection, with rule id and span."""
        return [
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
        ]


@dataclass
class FileResult:
    """What became of one input file: its sessions, or the error that stopped it."""

    path: Path
    sessions: list[SessionResult] = field(default_factory=list)
    error: str | None = None
    warnings: list[str] = field(default_factory=list)


def annotate(transcript: Transcript, nlp: Language | None = None) -> list[Doc]:
    """spaCy Docs for every turn of ``transcript``, in order, processed in batches."""
    nlp = nlp or build_nlp()
    return list(pipe_texts(nlp, (t.text for t in transcript.turns)))


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
    settings: MarkerSettings | None = None,
    skill_map: Any = None,
) -> SessionResult:
    """Analyse one transcript: annotate, detect markers, score skills, build its session row."""
    nlp = nlp or build_nlp()
    docs = annotate(transcript, nlp)
    settings = settings or load_settings()
    markers = code_session(transcript, docs, settings)
    # The markers cache per-Doc results in ``Doc.user_data`` that point back to the Doc (token lists,
    # matched Spans); dropping them breaks those cycles, so each Doc is freed right here by reference
    # counting instead of piling up for Python's cycle collector (which then costs a quarter of the run).
    for doc in docs:
        doc.user_data.clear()
    del docs  # never hold Docs longer than one session
    row = session_row(transcript, markers, pipeline_label(nlp))
    result = SessionResult(transcript, markers, row, settings=settings)
    if skill_map is not False:
        from .skills import apply_skills, load_skill_map

        result.skill_map = skill_map or load_skill_map()
        apply_skills(result, result.skill_map)
    return result


@dataclass(frozen=True)
class Options:
    """Options for a run over files (the CLI's flags)."""

    format: str | None = None
    clinician: tuple[str, ...] = ()
    roles_file: str | None = None
    spacy_model: str | None = None
    settings_file: str | None = None
    skill_map_file: str | None = None


def analyze_file(path: str | Path, options: Options = Options()) -> FileResult:
    """Read and analyse one file; an AnalyzerError becomes ``FileResult.error`` instead of stopping a batch."""
    path = Path(path)
    result = FileResult(path)
    try:
        transcripts = readers.read(path, format=options.format, clinician=options.clinician, roles_file=options.roles_file)
        nlp = build_nlp(options.spacy_model)
        settings = load_settings(options.settings_file)
        skill_map = _skill_map(options.skill_map_file)
        for tr in transcripts:
            result.warnings.extend(f"{tr.session_id}: {w}" for w in tr.warnings)
            result.sessions.append(analyze_transcript(tr, nlp, settings, skill_map))
    except AnalyzerError as exc:
        result.error = str(exc)
        result.sessions.clear()
    return result


def _skill_map(path: str | None) -> Any:
    """The skill map, read once per file version (a run reads it once, not once per transcript)."""
    stamp = None
    if path:
        try:
            st = os.stat(path)
            stamp = (st.st_mtime_ns, st.st_size)
        except OSError:
            pass  # load_skill_map reports the missing file
    return _load_skill_map(path, stamp)


@lru_cache(maxsize=8)
def _load_skill_map(path: str | None, stamp: tuple[int, int] | None) -> Any:
    # a map that fails to load raises and is not cached, so every file still reports the error
    from .skills import load_skill_map

    return load_skill_map(path)


def _analyze_file_star(args: tuple[Path, Options]) -> FileResult:
    return analyze_file(*args)


def analyze_files(paths: Sequence[str | Path], options: Options = Options(), jobs: int = 1) -> Iterator[FileResult]:
    """Analyse files in order, one result per file, in ``jobs`` processes.

    Results stream: each file's result is yielded as soon as it is ready (in
    input order) so a caller can write it and let it go.
    """
    paths = [Path(p) for p in paths]
    if jobs <= 1 or len(paths) <= 1:
        for p in paths:
            yield analyze_file(p, options)
        return
    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context("spawn")
    with ctx.Pool(processes=jobs) as pool:
        yield from pool.imap(_analyze_file_star, ((p, options) for p in paths), chunksize=1)


def analyze(
    sources: Iterable[str | Path | Transcript], options: Options = Options(), jobs: int = 1
) -> Iterator[SessionResult]:
    """Analyse transcripts or files/folders; yields sessions and raises on the first unreadable file.

    For batch runs that must go on past bad files use :func:`analyze_files`.
    """
    items = list(sources)
    transcripts = [s for s in items if isinstance(s, Transcript)]
    paths = [s for s in items if not isinstance(s, Transcript)]
    if transcripts:
        nlp = build_nlp(options.spacy_model)
        settings = load_settings(options.settings_file)
        skill_map = _skill_map(options.skill_map_file)
        for tr in transcripts:
            yield analyze_transcript(tr, nlp, settings, skill_map)
    if paths:
        files, missing = readers.discover(paths)
        if missing:
            raise AnalyzerError("; ".join(missing))
        for fr in analyze_files(files, options, jobs):
            if fr.error:
                raise AnalyzerError(fr.error)
            yield from fr.sessions
