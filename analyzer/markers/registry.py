"""The marker registry: every marker declared once, and everything that names markers generated from it.

One :class:`MarkerDef` per marker says what it is (a 0/1 ``flag``, a ``category`` with values, or a
``measure`` of figures), which module holds its rule, which data files it reads, which test file
checks it, its turns.csv column(s), its report label, badge and tone, and whether ``evaluate`` can
compare it with human codes.  Session figures are declared once in :data:`FIGURES`, each naming the
markers it rests on, so "what does reflection feed?" has an answer without reading figure code.

Generated from here: ``TURN_COLUMNS``/``SESSION_COLUMNS`` (:mod:`analyzer.tables`), the flags of
each turn (``TURN_FLAGS``), the pattern files and simple phrase codes of the lexical family, the
report's names, badges and highlight tones, ``evaluate``'s known codes, and the skill-map check
(figures and evidence codes a map may name).  The skills a marker feeds come from the skill map.

Adding a simple phrase marker takes one pattern file (``models/patterns/<name>.jsonl``, label
``<name>``) and one declaration ``MarkerDef(name, "flag", rule="phrase", ...)`` at the end of
:data:`BUILTIN` (or :meth:`Registry.register` at run time); it then has a turns.csv column, an
``n_<name>`` session figure, evidence rows, a report badge and an ``evaluate`` code.  Columns of a
later marker come after those of the markers declared before it: no column is renamed and the
relative order of existing columns never changes.

This module imports nothing heavy (no spaCy), so tables and the API can read it at any time.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from ..skills import SkillMap

Kind = Literal["flag", "category", "measure"]
Tone = Literal["pos", "neg", "q", ""]
KINDS: tuple[str, ...] = ("flag", "category", "measure")
TONES: tuple[str, ...] = ("pos", "neg", "q", "")
RULES: tuple[str, ...] = ("", "phrase")


@dataclass(frozen=True, eq=False)
class MarkerDef:
    """One marker, declared once.

    ``name`` is the evidence code (``Hit.code``, evidence.csv ``code``) and, for flags, the turns.csv
    column.  ``columns`` are its other turns.csv columns; a flag's own column is ``{name: about}``.
    ``rule="phrase"``: a flag found by its pattern file alone (matches of label ``name``, less those
    cancelled by ``name_not`` / ``name_scope_not``), coded by the lexical family with no code of its own.
    """

    name: str
    kind: Kind
    module: str  # the rule module, e.g. "analyzer.markers.lexical"
    test_file: str  # tests/… that checks the rule
    data_files: tuple[str, ...] = ()  # under models/ (or paths), read by the rule
    about: str = ""  # flags: the turns.csv column description
    count_about: str = ""  # flags: the sessions.csv ``n_<name>`` description ("" = no count column)
    values: tuple[str, ...] = ()  # categories: the values the turns.csv column takes
    columns: Mapping[str, str] = field(default_factory=dict)  # other turns.csv columns -> description
    label: str = ""  # human name in reports and quotes (default: name with spaces)
    badge: Mapping[str, str] | str = ""  # badge text: one for a flag, value -> text for a category
    tone: Tone = ""  # pos = client-centred, neg = to watch, q = questions, "" = neutral
    highlight: bool = True  # evidence spans are highlighted in the transcript (not for whole-turn codes)
    evaluate: bool = False  # evaluate's mappings may name it (and ``<name>_type`` for a category)
    rule: str = ""  # "phrase": see the class docstring
    turn_flag: bool = True  # flags: kept in TurnCodes.flags (False: an attribute of its own)

    @property
    def display(self) -> str:
        return self.label or self.name.replace("_", " ")

    def turn_columns(self) -> dict[str, str]:
        """This marker's turns.csv columns with their descriptions, in order."""
        own = {self.name: self.about} if self.kind in ("flag", "category") and self.about else {}
        return {**own, **self.columns}

    def badge_text(self, value: str | None = None) -> str:
        if isinstance(self.badge, Mapping):
            return self.badge.get(value or "", (value or self.name).replace("_", " "))
        return self.badge or self.display


@dataclass(frozen=True)
class Figure:
    """A sessions.csv column: its description and the markers it rests on."""

    column: str
    about: str
    rests_on: tuple[str, ...] = ()


# A placeholder in FIGURES: the ``n_<flag>`` count of every turn flag with a ``count_about``, in order.
FLAG_COUNTS = Figure("<flag counts>", "")

TURN_HEAD: dict[str, str] = {
    "session_id": "File stem (with its folder or suffix where files of the run share a stem), or `stem/value` for a CSV with a session column.",
    "turn": "1-based turn number (a turn is a run of consecutive segments by one speaker).",
    "first_segment": "1-based index of the turn's first source unit (line, cue, row, segment).",
    "source_line": "Line of the source file where the turn starts (empty where unknown).",
    "speaker": "Speaker label as written in the source.",
    "role": "`clinician`, `client` or `other`.",
    "start_s": "Start time in seconds (empty where the source has none).",
    "start_hms": "The same as `h:mm:ss` (a spreadsheet reads it as a time).",
    "end_s": "End time in seconds (empty where the source has none).",
    "n_words": "Words in the turn (spaCy tokens that are not punctuation or space).",
}
TURN_TAIL: dict[str, str] = {
    "evidence": "What fired: `rule_id: \"quoted span\"`, separated by ` | `.",
    "text": "The turn's text.",
}
SESSION_HEAD: dict[str, str] = {
    "session_id": "File stem (with its folder or suffix where files of the run share a stem), or `stem/value` for a CSV with a session column.",
    "source": "Path of the file the session was read from.",
    "clinician": "De-identified clinician code (manifest.csv, CSV column or file name; empty if none).",
    "session_date": "Session date, ISO YYYY-MM-DD (empty if none).",
    "client": "De-identified client code (empty if none).",
    "metadata_source": "Where the metadata came from: `manifest`, `csv`, `file name` or `none`.",
    "format": "Reader used: text, vtt, srt, json, csv.",
    "encoding": "Text encoding the file was decoded with.",
    "pipeline": "spaCy pipeline that ran.",
    "role_inferred": "1 when roles were inferred (no known labels), 0 when read from labels.",
    "clinician_speaker": "Speaker label(s) taken as the clinician.",
    "client_speaker": "Speaker label(s) taken as the client.",
    "n_turns": "Turns in the session.",
    "n_words_clinician": "Clinician words.",
    "n_words_client": "Client words.",
}

_LEX = "analyzer.markers.lexical"
_LEX_TEST = "tests/test_lexical.py"
_TALK = "analyzer.markers.talk"

BUILTIN: tuple[MarkerDef, ...] = (
    MarkerDef("backchannel", "flag", _LEX, _LEX_TEST, ("lexicons/backchannels.txt", "lexicons/fillers.txt"),
              about="1 when the turn is only a listener token (\"mm-hmm\", \"yeah\"); kept out of turn-taking counts.",
              badge="backchannel", highlight=False, turn_flag=False),
    MarkerDef("pause", "measure", _TALK, "tests/test_talk.py",
              columns={"pause_before_response_s": "Clinician turns: seconds between the client's turn ending and this "
                       "turn starting (negative = overlap); empty without timestamps."}),
    MarkerDef("interruption", "flag", _TALK, "tests/test_talk.py",
              about="1 when this clinician turn starts over the client (timestamps) or takes over a cut-off client "
                    "turn (text markers).",
              badge="interruption", tone="neg", highlight=False, turn_flag=False),
    MarkerDef("question", "category", "analyzer.markers.questions", "tests/test_questions.py",
              ("patterns/questions.jsonl", "lexicons/clause_openers.txt", "lexicons/embedding_words.txt",
               "lexicons/subject_pronouns.txt"),
              about="Clinician turns: `open`, `closed` or empty.", values=("open", "closed"),
              badge={"open": "open Q", "closed": "closed Q"}, tone="q", evaluate=True),
    MarkerDef("reflection", "category", "analyzer.markers.reflections", "tests/test_reflections.py",
              ("patterns/reflections.jsonl", "lexicons/feeling_words.txt", "lexicons/filler_words.txt"),
              about="Clinician turns: `simple`, `complex` or empty.", values=("simple", "complex"),
              badge={"simple": "simple reflection", "complex": "complex reflection"}, tone="pos", evaluate=True),
    MarkerDef("affirmation", "flag", _LEX, _LEX_TEST, ("patterns/affirmation.jsonl",),
              about="1 when the clinician credits the client's strengths or efforts.",
              count_about="Clinician turns with an affirmation.", tone="pos", evaluate=True, rule="phrase"),
    MarkerDef("validation", "flag", _LEX, _LEX_TEST, ("patterns/validation.jsonl",),
              about="1 when the clinician says the client's feelings or experience make sense.",
              count_about="Clinician turns with validation.", tone="pos", evaluate=True, rule="phrase"),
    MarkerDef("emotion_label", "flag", _LEX, _LEX_TEST, ("patterns/emotion_label.jsonl", "lexicons/emotion_words.txt"),
              about="1 when the clinician names a feeling.",
              count_about="Clinician turns naming a feeling.", tone="pos", evaluate=True, rule="phrase"),
    MarkerDef("advice", "flag", _LEX, _LEX_TEST, ("patterns/advice.jsonl", "patterns/permission.jsonl"),
              about="1 for advice or persuasion without permission (MITI Persuade).",
              count_about="Advice without permission.", tone="neg", evaluate=True),
    MarkerDef("advice_with_permission", "flag", _LEX, _LEX_TEST, ("patterns/advice.jsonl", "patterns/permission.jsonl"),
              about="1 for advice after asking permission (MITI Persuade with Permission).",
              count_about="Advice with permission.", label="advice with permission", badge="advice w/ permission",
              evaluate=True),
    MarkerDef("premature_advice", "flag", "analyzer.markers", _LEX_TEST,
              about="1 for advice before the client has had several substantive turns (models/markers.toml).",
              count_about="Advice before the client had several turns.", tone="neg"),
    MarkerDef("dismissive", "flag", _LEX, _LEX_TEST, ("patterns/dismissive.jsonl",),
              about="1 for dismissive or invalidating language (\"calm down\", \"at least…\").",
              count_about="Dismissive or invalidating turns.", tone="neg", evaluate=True, rule="phrase"),
    MarkerDef("summary", "flag", _LEX, _LEX_TEST, ("patterns/summary.jsonl",),
              about="1 for a summary (\"let me make sure I've got this\").",
              count_about="Summaries.", tone="pos", evaluate=True, rule="phrase"),
    MarkerDef("check_understanding", "flag", _LEX, _LEX_TEST, ("patterns/check_understanding.jsonl",),
              about="1 for a check for understanding (\"does that make sense?\").",
              count_about="Checks for understanding.", label="check for understanding", badge="check", tone="pos",
              evaluate=True, rule="phrase"),
    MarkerDef("filler", "measure", _LEX, _LEX_TEST, ("patterns/fillers.jsonl", "lexicons/fillers.txt"),
              columns={"n_fillers": "Clinician turns: filler words (\"um\", \"you know\")."}),
    MarkerDef("jargon", "measure", "analyzer.markers.clarity", "tests/test_clarity.py",
              ("lexicons/jargon.txt", "lexicons/jargon_explainers.txt"),
              columns={"n_jargon": "Clinician turns: clinical jargon terms (models/lexicons)."}),
    MarkerDef("clarity", "measure", "analyzer.markers.clarity", "tests/test_clarity.py",
              columns={"words_per_sentence": "Clinician turns: mean words per sentence (empty for long unpunctuated turns).",
                       "readability_grade": "Clinician turns: Flesch-Kincaid grade from spaCy tokens."}),
    MarkerDef("sentiment", "measure", "analyzer.markers.sentiment", "tests/test_sentiment.py", ("sentiment.toml",),
              columns={"sentiment": "VADER compound, -1..1, word-weighted over sentences, reflection stems neutralised.",
                       "sentence_sentiment": "VADER compound of each sentence of the turn, in order, space-separated."}),
)

_EMPATHIC = ("reflection", "validation", "emotion_label")
_DIRECTIVE = ("advice", "dismissive")

FIGURES: tuple[Figure, ...] = (
    Figure("duration_s", "First start to last end (or last start) in seconds; empty without timestamps."),
    Figure("clinician_talk_share_words", "Clinician share of words, 0..1."),
    Figure("client_talk_share_words", "Client share of words, 0..1."),
    Figure("clinician_talk_share_time", "Clinician share of speaking seconds, 0..1; empty without start and end times."),
    Figure("talk_time_basis", "`timestamps` or `none`: what the seconds-based figures rest on."),
    Figure("longest_clinician_monologue_words", "Longest clinician stretch in words, bridged over client backchannels.",
           ("backchannel",)),
    Figure("longest_clinician_monologue_s", "The same in seconds (timestamps only).", ("backchannel",)),
    Figure("longest_client_story_words", "Longest client stretch in words, bridged over clinician backchannels.",
           ("backchannel",)),
    Figure("longest_client_story_s", "The same in seconds (timestamps only).", ("backchannel",)),
    Figure("speaker_switches", "Changes of speaker between substantive (non-backchannel) turns.", ("backchannel",)),
    Figure("speaker_switches_per_min", "Speaker switches per minute (needs times).", ("backchannel",)),
    Figure("median_pause_before_response_s",
           "Median pause before a clinician response after a client turn (timestamps only).", ("pause",)),
    Figure("share_fast_responses", "Share of those pauses under `fast_response_s` (default 0.5 s).", ("pause",)),
    Figure("n_long_silences", "Gaps between turns over `silence_s` (default 3 s); timestamps only.", ("pause",)),
    Figure("n_overlaps", "Turns starting at least `min_overlap_s` before the previous turn ends; timestamps only.",
           ("pause",)),
    Figure("pause_basis", "`timestamps` or `none`: what the pause figures rest on.", ("pause",)),
    Figure("n_interruptions", "Clinician interruptions of the client.", ("interruption",)),
    Figure("interruptions_per_10_min", "Interruptions per 10 minutes (needs times).", ("interruption",)),
    Figure("interruption_basis", "`timestamps` (overlaps and text markers) or `text markers` (cut-off turns only).",
           ("interruption",)),
    Figure("n_clinician_turns", "Substantive clinician turns (backchannels left out).", ("backchannel",)),
    Figure("n_client_turns", "Substantive client turns.", ("backchannel",)),
    Figure("n_backchannels", "Backchannel turns (either side).", ("backchannel",)),
    Figure("n_questions", "Clinician turns with a question.", ("question",)),
    Figure("n_open_questions", "Of which open.", ("question",)),
    Figure("n_closed_questions", "Of which closed.", ("question",)),
    Figure("n_reflections", "Clinician turns with a reflection.", ("reflection",)),
    Figure("n_complex_reflections", "Of which complex.", ("reflection",)),
    FLAG_COUNTS,
    Figure("questions_per_clinician_turn", "Questions per substantive clinician turn.", ("question",)),
    Figure("reflections_per_clinician_turn", "Reflections per substantive clinician turn.", ("reflection",)),
    Figure("open_question_share", "Open questions as a share of questions, 0..1 (MITI 3: fair 0.5, good 0.7).", ("question",)),
    Figure("reflection_to_question_ratio", "R:Q (MITI 4.2.1: fair 1, good 2); empty without questions.",
           ("reflection", "question")),
    Figure("complex_reflection_share", "Complex reflections as a share of reflections, 0..1 (MITI 4.2.1: fair 0.4, good 0.5).",
           ("reflection",)),
    Figure("reflection_to_question_ratio_band",
           "`below fair`, `fair` or `good` against MITI 4.2.1 (models/markers.toml [miti]).", ("reflection", "question")),
    Figure("complex_reflection_share_band", "`below fair`, `fair` or `good` against MITI 4.2.1.", ("reflection",)),
    Figure("open_question_share_band", "`below fair`, `fair` or `good` against MITI 3.", ("question",)),
    Figure("client_words_after_reflection", "Mean client words in the turn after a reflection.", ("reflection",)),
    Figure("client_words_after_question", "Mean client words in the turn after a question.", ("question",)),
    Figure("client_sentiment_mean", "Mean VADER compound of client turns.", ("sentiment",)),
    Figure("client_sentiment_start", "Mean over the first third of client turns.", ("sentiment",)),
    Figure("client_sentiment_end", "Mean over the last third of client turns.", ("sentiment",)),
    Figure("client_sentiment_change", "End minus start: the client's arc.", ("sentiment",)),
    Figure("n_client_sentiment_shifts", "Consecutive client turns whose sentiment differs by at least `shift`.",
           ("sentiment",)),
    Figure("n_client_negative_turns", "Client turns at or below `negative_turn`.", ("sentiment",)),
    Figure("client_recovery_share", "Share of negative client turns followed soon by a clear rise, 0..1.", ("sentiment",)),
    Figure("n_responses_to_negative", "Clinician turns right after a clearly negative client turn.", ("sentiment",)),
    Figure("empathic_response_to_negative_share", "Of those, share with a reflection, validation or emotion label.",
           ("sentiment", *_EMPATHIC)),
    Figure("directive_response_to_negative_share", "Of those, share with advice or dismissal and nothing empathic.",
           ("sentiment", *_DIRECTIVE, *_EMPATHIC)),
    Figure("client_sentiment_after_empathic", "Mean client sentiment right after an empathic clinician turn.",
           ("sentiment", *_EMPATHIC)),
    Figure("client_sentiment_after_directive", "Mean client sentiment right after a directive clinician turn.",
           ("sentiment", *_DIRECTIVE, *_EMPATHIC)),
    Figure("clinician_sentiment_sd", "Standard deviation of clinician turn sentiment (steadiness).", ("sentiment",)),
    Figure("clinician_words_per_sentence", "Word-weighted mean words per sentence of the clinician.", ("clarity",)),
    Figure("clinician_readability_grade", "Word-weighted Flesch-Kincaid grade of clinician turns of 10+ words.",
           ("clarity",)),
    Figure("jargon_per_1000_words", "Clinical jargon terms per 1,000 clinician words.", ("jargon",)),
    Figure("fillers_per_100_words", "Filler words per 100 clinician words.", ("filler",)),
    # not a marker: the privacy screen (analyzer/privacy.py) counts it right after reading
    Figure("n_possible_identifiers", "Likely identifiers (names, phone numbers, dates, addresses …) in the text and "
           "speaker labels; `session-analyzer scan` lists them, and after `--redact` they are replaced (see Privacy)."),
)


class Registry:
    """The declared markers, in declaration order, and the views generated from them.

    Views are remembered until a marker is registered or removed, so one registered at run time shows
    up everywhere at once while the per-turn lookups of a run cost nothing.
    """

    def __init__(self, markers: tuple[MarkerDef, ...], figures: tuple[Figure, ...] = FIGURES) -> None:
        self._markers: list[MarkerDef] = []
        self._views: dict[tuple[str, str], tuple[str, ...]] = {}
        self.figures = figures
        for m in markers:
            self.register(m)

    # ---------------------------------------------------------------- declaring

    def register(self, marker: MarkerDef) -> MarkerDef:
        """Add a marker (after the others); checked here so a bad declaration fails at once."""
        _check(marker, self)
        self._markers.append(marker)
        self._views.clear()
        return marker

    def unregister(self, name: str) -> None:
        """Remove a marker registered at run time (tests, plug-ins); built-in markers stay."""
        if any(m.name == name for m in BUILTIN):
            raise ValueError(f"{name!r} is a built-in marker")
        self._markers = [m for m in self._markers if m.name != name]
        self._views.clear()

    def __iter__(self) -> Iterator[MarkerDef]:
        return iter(list(self._markers))

    def __len__(self) -> int:
        return len(self._markers)

    def __contains__(self, name: object) -> bool:
        return any(m.name == name for m in self._markers)

    def __getitem__(self, name: str) -> MarkerDef:
        for m in self._markers:
            if m.name == name:
                return m
        raise KeyError(f"no marker {name!r}; markers: {', '.join(m.name for m in self._markers)}")

    # ---------------------------------------------------------------- generated views

    def turn_flags(self) -> tuple[str, ...]:
        """The 0/1 codes of a clinician turn kept in ``TurnCodes.flags``, in column order."""
        key = ("turn_flags", "")
        if key not in self._views:
            self._views[key] = tuple(m.name for m in self._markers if m.kind == "flag" and m.turn_flag)
        return self._views[key]

    def phrase_codes(self) -> tuple[str, ...]:
        """Flags coded from their pattern file alone (``rule="phrase"``)."""
        key = ("phrase_codes", "")
        if key not in self._views:
            self._views[key] = tuple(m.name for m in self._markers if m.rule == "phrase")
        return self._views[key]

    def module_codes(self, module: str) -> tuple[str, ...]:
        """The turn flags whose rule lives in ``module``."""
        key = ("module_codes", module)
        if key not in self._views:
            self._views[key] = tuple(m.name for m in self._markers
                                     if m.kind == "flag" and m.turn_flag and m.module == module)
        return self._views[key]

    def data_files(self, module: str, suffix: str = "") -> tuple[str, ...]:
        """The data files the markers of ``module`` read (optionally only those ending in ``suffix``), once each."""
        key = ("data_files", f"{module}|{suffix}")
        if key not in self._views:
            out: dict[str, None] = {}
            for m in self._markers:
                if m.module == module:
                    out.update((f, None) for f in m.data_files if f.endswith(suffix))
            self._views[key] = tuple(out)
        return self._views[key]

    def turn_columns(self) -> dict[str, str]:
        """turns.csv: the turn's identity, then each marker's columns in declaration order, then evidence and text."""
        cols = dict(TURN_HEAD)
        for m in self._markers:
            cols.update(m.turn_columns())
        cols.update(TURN_TAIL)
        return cols

    def session_figures(self) -> list[Figure]:
        """The sessions.csv figures in column order (flag counts expanded)."""
        out: list[Figure] = []
        for f in self.figures:
            if f is FLAG_COUNTS:
                out += [Figure(f"n_{m.name}", m.count_about, (m.name,))
                        for m in self._markers if m.kind == "flag" and m.turn_flag and m.count_about]
            else:
                out.append(f)
        return out

    def session_columns(self) -> dict[str, str]:
        """sessions.csv: identity and metadata, then every figure (skill columns are added per skill map)."""
        return {**SESSION_HEAD, **{f.column: f.about for f in self.session_figures()}}

    def figures_of(self, name: str) -> list[str]:
        """The sessions.csv figures resting on marker ``name`` (its own counts and everything computed from it)."""
        self[name]
        return [f.column for f in self.session_figures() if name in f.rests_on]

    def skills_fed(self, name: str, skill_map: SkillMap) -> list[str]:
        """The skills of ``skill_map`` that read a figure resting on ``name`` (or quote its evidence)."""
        figures = set(self.figures_of(name))
        return [s.key for s in skill_map.skills
                if any(m.figure in figures or m.per in figures or m.evidence == name for m in s.markers)]

    def evidence_codes(self) -> tuple[str, ...]:
        """Codes a skill map may quote as evidence (``evidence = "reflection"``)."""
        return tuple(m.name for m in self._markers if m.kind in ("flag", "category") or m.name == "jargon")

    def evaluate_codes(self) -> dict[str, tuple[str, tuple[str, ...]] | None]:
        """Codes an evaluation mapping may name: each evaluable marker, and ``<name>_type`` of a category
        (mapped to ``(marker, values)``; plain codes map to None)."""
        out: dict[str, tuple[str, tuple[str, ...]] | None] = {}
        for m in self._markers:
            if m.evaluate:
                out[m.name] = None
                if m.kind == "category":
                    out[f"{m.name}_type"] = (m.name, m.values)
        return out

    def code_name(self, code: str) -> str:
        """The human name of an evidence code, for quotes and highlight titles."""
        return self[code].display if code in self else code.replace("_", " ")

    def tone(self, code: str) -> str:
        return self[code].tone if code in self else ""

    def highlighted(self, code: str) -> bool:
        return self[code].highlight if code in self else True

    def describe(self, name: str, skill_map: SkillMap | None = None) -> dict[str, object]:
        """Everything about one marker: rule module, data files, test file, columns, figures, skills."""
        m = self[name]
        out: dict[str, object] = {
            "name": m.name, "kind": m.kind, "values": m.values, "module": m.module, "data_files": m.data_files,
            "test_file": m.test_file, "turn_columns": list(m.turn_columns()), "figures": self.figures_of(name),
            "label": m.display, "tone": m.tone, "evaluate": m.evaluate,
        }
        if skill_map is not None:
            out["skills"] = self.skills_fed(name, skill_map)
        return out


def _check(m: MarkerDef, registry: Registry) -> None:
    """A declaration's fields, checked when it is registered (a typo fails here, not in a report)."""
    where = f"marker {m.name!r}"
    if not (m.name.isidentifier() and m.name.islower()):
        raise ValueError(f"{where}: names are lower_case identifiers")
    if m.name in registry:
        raise ValueError(f"{where} is declared twice")
    if m.kind not in KINDS or m.tone not in TONES or m.rule not in RULES:
        raise ValueError(f"{where}: kind must be one of {KINDS}, tone one of {TONES}, rule one of {RULES}")
    if m.kind == "category" and not m.values:
        raise ValueError(f"{where}: a category needs its values")
    if m.kind == "flag" and not m.about:
        raise ValueError(f"{where}: a flag needs 'about' (its turns.csv column description)")
    if m.rule == "phrase" and (m.kind != "flag" or not m.data_files or m.module != _LEX):
        raise ValueError(f"{where}: a phrase marker is a flag of {_LEX} with at least one pattern file")
    taken = set(registry.turn_columns()) | set(registry.session_columns())
    clash = [c for c in [*m.turn_columns(), f"n_{m.name}" if m.count_about else ""] if c and c in taken]
    if clash:
        raise ValueError(f"{where}: column(s) {clash} already exist")


REGISTRY = Registry(BUILTIN)

__all__ = ["MarkerDef", "Figure", "Registry", "REGISTRY", "BUILTIN", "FIGURES", "TURN_HEAD", "TURN_TAIL", "SESSION_HEAD"]
