"""Is this file a two-party English counselling or support conversation?

Checked after the markers and before the skills: a file that does not look
like a session (another language, placeholder text, child-directed play,
film subtitles, a monologue, a clinician who never asks or reflects) gets no
skill scores, and every ``<skill>_reason`` says why; ``--force`` scores it
anyway.  Each check is a plain figure a supervisor can verify by reading the
transcript, with its threshold and rationale in models/screening.toml.

Also here: the ``punctuation`` figure (``present``, ``sparse``, ``absent``)
and the note the report shows where codes rest on unpunctuated text.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .model import Transcript
from .resources import load_toml, word_list
from .roles import normalize_label

OK = "ok"
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_SENTENCE_PUNCT = re.compile(r"[.?!…]")


@dataclass(frozen=True)
class ScreeningSettings:
    """Thresholds from models/screening.toml (see the file for the rationale of each)."""

    min_real_share: float
    min_english_share: float
    min_speaker_share: float
    max_top_speaker_share: float
    max_two_party_share: float
    min_speakers: int
    subtitle_max_mean_turn_words: float
    max_mean_turn_words: float
    min_play_words_per_100: float
    max_child_mean_turn_words: float
    min_clinician_turns: int
    min_question_or_reflection_share: float
    punct_min_turn_words: int
    punct_present_share: float
    punct_sparse_share: float
    punct_note: str
    punct_figures: dict[str, float] = field(default_factory=dict)


_KEYS = {
    ("real_words", "min_real_share"): float,
    ("language", "min_english_share"): float,
    ("turn_structure", "min_speaker_share"): float,
    ("turn_structure", "max_top_speaker_share"): float,
    ("turn_structure", "max_two_party_share"): float,
    ("turn_structure", "min_speakers"): int,
    ("turn_structure", "subtitle_max_mean_turn_words"): float,
    ("child_play", "max_mean_turn_words"): float,
    ("child_play", "min_play_words_per_100"): float,
    ("child_play", "max_child_mean_turn_words"): float,
    ("questions", "min_clinician_turns"): int,
    ("questions", "min_question_or_reflection_share"): float,
    ("punctuation", "min_turn_words"): int,
    ("punctuation", "present_share"): float,
    ("punctuation", "sparse_share"): float,
}


@lru_cache(maxsize=4)
def load_screening(path: str | None = None) -> ScreeningSettings:
    """Load and check models/screening.toml (or a copy at ``path``)."""
    data, label = load_toml(Path(path) if path else "screening.toml")
    values: list[Any] = []
    for (section, key), kind in _KEYS.items():
        v = data.get(section, {}).get(key)
        if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0:
            raise ConfigError(f"{section}.{key}: must be a number ≥ 0, got {v!r}", path=label)
        values.append(kind(v))
    punct = data.get("punctuation", {})
    note = punct.get("note", "")
    if not isinstance(note, str):
        raise ConfigError("punctuation.note: must be a string", path=label)
    figures = {k: float(v) for k, v in punct.items() if k.endswith("_f1") or k.endswith("_f1_unpunct")}
    try:
        note.format(punctuation="sparse", **figures)
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(f"punctuation.note: unknown placeholder {exc}; allowed: punctuation, {', '.join(figures)}",
                          path=label) from None
    names = [f.name for f in fields(ScreeningSettings)][: len(values)]  # the numbers come first, in _KEYS order
    return ScreeningSettings(**dict(zip(names, values)), punct_note=note, punct_figures=figures)


@dataclass
class Screening:
    """The verdict for one session: ``reasons`` is empty when it looks like a counselling session."""

    reasons: list[str]
    signals: dict[str, Any]

    @property
    def ok(self) -> bool:
        return not self.reasons

    @property
    def verdict(self) -> str:
        """``ok``, or the reasons, ``; ``-separated (the ``session_check`` column)."""
        return OK if self.ok else "; ".join(self.reasons)


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def text_signals(transcript: Transcript) -> dict[str, Any]:
    """Word-level signals: real-word share, English share, play words, words per speaker."""
    placeholder = word_list("lexicons/placeholder_words.txt")
    english = word_list("lexicons/english_function_words.txt")
    play = word_list("lexicons/play_words.txt")
    n = n_place = n_eng = n_play = 0
    per_speaker: Counter[str] = Counter()
    n_turns: Counter[str] = Counter()
    for t in transcript.turns:
        words = _WORD.findall(t.text.lower().replace("’", "'"))
        per_speaker[t.speaker] += len(words)
        n_turns[t.speaker] += 1
        n += len(words)
        for w in words:
            if w in english:
                n_eng += 1
            elif w in placeholder:
                n_place += 1
            elif w in play:
                n_play += 1
    return {
        "n_words": n,
        "real_word_share": 1 - n_place / n if n else 1.0,
        "english_share": n_eng / n if n else 0.0,
        "play_words_per_100": 100 * n_play / n if n else 0.0,
        "words_by_speaker": dict(per_speaker),
        "turns_by_speaker": dict(n_turns),
    }


def screen(transcript: Transcript, figures: dict[str, Any], settings: ScreeningSettings | None = None) -> Screening:
    """Decide whether ``transcript`` looks like a two-party English counselling conversation.

    ``figures`` are the session's marker figures (``n_clinician_turns``,
    ``n_questions``, ``n_reflections`` are read).  Every failing check adds
    one plain-language reason with the figure behind it.
    """
    s = settings or load_screening()
    sig = text_signals(transcript)
    n = sig["n_words"]
    reasons: list[str] = []
    if n == 0:
        return Screening(["no words found"], sig)
    if sig["real_word_share"] < s.min_real_share:
        reasons.append(f"placeholder text: only {_pct(sig['real_word_share'])} of the words are real words "
                       "(the rest is lorem-ipsum style filler)")
    elif sig["english_share"] < s.min_english_share:
        reasons.append(f"not English: only {_pct(sig['english_share'])} of the words are common English words "
                       f"(English conversation has about half; at least {_pct(s.min_english_share)} needed)")
    reasons += _structure_reasons(transcript, sig, s)
    n_clin = int(figures.get("n_clinician_turns") or 0)
    asked = int(figures.get("n_questions") or 0) + int(figures.get("n_reflections") or 0)
    if not reasons and n_clin >= s.min_clinician_turns and asked < s.min_question_or_reflection_share * n_clin:
        reasons.append(f"the clinician asks no questions and gives no reflections in {n_clin} turns "
                       f"({asked} found): not a counselling conversation")
    return Screening(reasons, sig)


def _structure_reasons(transcript: Transcript, sig: dict[str, Any], s: ScreeningSettings) -> list[str]:
    """Child-directed play, film subtitles and monologues, from who speaks how much and how long."""
    words = sig["words_by_speaker"]
    total = sum(words.values()) or 1
    ranked = sorted(words, key=lambda k: -words[k])
    main = [k for k in ranked if words[k] / total >= s.min_speaker_share]
    turns = sum(sig["turns_by_speaker"][k] for k in main) or 1
    mean_turn = sum(words[k] for k in main) / turns
    sig.update(main_speakers=main, mean_turn_words=mean_turn,
               top_speaker_share=words[ranked[0]] / total,
               two_party_share=sum(words[k] for k in ranked[:2]) / total)
    reasons: list[str] = []
    children = word_list("lexicons/child_speaker_labels.txt")
    by_turns = sig["turns_by_speaker"]
    # a child client in counselling speaks in sentences; a toddler at play in words
    child = [k for k in main if normalize_label(k) in children and words[k] / by_turns[k] <= s.max_child_mean_turn_words]
    short_play = mean_turn <= s.max_mean_turn_words and sig["play_words_per_100"] >= s.min_play_words_per_100
    if child or short_play:
        who = f"speaker {', '.join(child)} is a young child speaking in single words; " if child else ""
        reasons.append(f"child-directed play: {who}utterances of {mean_turn:.1f} words on average, "
                       f"{sig['play_words_per_100']:.1f} play words per 100 words")
    if (sig["two_party_share"] < s.max_two_party_share and len(main) >= s.min_speakers and transcript.role_inferred
            and mean_turn <= s.subtitle_max_mean_turn_words):
        reasons.append(f"looks like film or TV subtitles: {len(main)} speakers share the talk (the two main "
                       f"ones only {_pct(sig['two_party_share'])}), none labelled clinician or client, "
                       f"short cues ({mean_turn:.1f} words on average)")
    if sig["top_speaker_share"] >= s.max_top_speaker_share:
        reasons.append(f"a monologue: {ranked[0]} holds {_pct(sig['top_speaker_share'])} of the words, "
                       "not a conversation")
    return reasons


# ------------------------------------------------------------------ punctuation


def punctuation(transcript: Transcript, settings: ScreeningSettings | None = None) -> str:
    """``present``, ``sparse`` or ``absent``: how many turns of a few words carry sentence punctuation."""
    s = settings or load_screening()
    long_turns = [t.text for t in transcript.turns if len(t.text.split()) >= s.punct_min_turn_words]
    if not long_turns:
        return "absent" if any(t.text.strip() for t in transcript.turns) and not any(
            _SENTENCE_PUNCT.search(t.text) for t in transcript.turns) else "present"
    share = sum(bool(_SENTENCE_PUNCT.search(t)) for t in long_turns) / len(long_turns)
    if share >= s.punct_present_share:
        return "present"
    return "sparse" if share >= s.punct_sparse_share else "absent"


def punctuation_note(level: str, settings: ScreeningSettings | None = None) -> str:
    """What the report says where codes rest on unpunctuated text (empty where punctuation is present)."""
    if level in ("", "present"):
        return ""
    s = settings or load_screening()
    figures = {k: f"{v:.2f}" for k, v in s.punct_figures.items()}
    return s.punct_note.format(punctuation=level, **figures)


def not_scored_reason(verdict: str) -> str:
    """The ``<skill>_reason`` of a session held back by the check."""
    return f"not scored: this does not look like a counselling session ({verdict}); use --force to score it anyway"


# ------------------------------------------------------------------ the stage


def check_columns(skill_map: Any = None) -> dict[str, str]:
    """The sessions.csv columns this stage adds (after the skill columns, before ``warnings``), with their meaning."""
    from .skills import load_skill_map
    from .uncertainty import MITI_RATIOS

    skill_map = skill_map or load_skill_map()
    cols = {
        "session_check": "`ok`, or why the file does not look like a two-party English counselling session "
                         "(then no skill scores, unless `--force`).",
        "punctuation": "`present`, `sparse` or `absent`: share of turns of 4+ words with sentence punctuation "
                       "(models/screening.toml).",
    }
    for fig in MITI_RATIOS:
        cols[f"{fig}_low"] = f"Lower end of the 90% interval of `{fig}` (bootstrap over clinician turns)."
        cols[f"{fig}_high"] = f"Upper end of the 90% interval of `{fig}`."
    for key in [s.key for s in skill_map.skills] + ["overall"]:
        cols[f"{key}_score_low"] = f"Lower end of the 90% interval of `{key}_score`."
        cols[f"{key}_score_high"] = f"Upper end of the 90% interval of `{key}_score`."
        cols[f"{key}_uncertain"] = (f"1 when the interval of `{key}_score` is wider than `max_width` points "
                                    "(models/uncertainty.toml): read the band with care.")
    return cols


def apply_checks(result: Any, skill_map: Any = None, settings: Any = None, force: bool = False) -> Screening:
    """Screen a scored SessionResult in place, add ``punctuation`` and the intervals to its row.

    A session that does not look like a counselling session loses its skill
    scores (each reason says why) unless ``force``.  The thresholds come from
    the result's run configuration where it has one.
    """
    from .markers.settings import load_settings
    from .uncertainty import interval_row

    config = getattr(result, "config", None)
    limits = getattr(config, "screening", None) or load_screening()
    row = result.session
    check = screen(result.transcript, row, limits)
    result.screening = check
    row["session_check"] = check.verdict
    row["punctuation"] = punctuation(result.transcript, limits)
    note = ""
    if not check.ok and result.skills is not None:
        if force:
            note = f"scored anyway (--force), though this does not look like a counselling session: {check.verdict}"
        else:
            _blank(result, not_scored_reason(check.verdict))
            note = f"not scored: this does not look like a counselling session: {check.verdict}"
    if note:
        row["warnings"] = " | ".join(w for w in (row.get("warnings") or "", note) if w)
        result.check_warning = note
    row.update(interval_row(result, skill_map, settings or load_settings(), getattr(config, "uncertainty", None)))
    return check


def _blank(result: Any, reason: str) -> None:
    from .skills import skill_row

    for s in result.skills.skills:
        s.score, s.band, s.drivers, s.quotes, s.suggestion, s.reason, s.missing = None, "", [], [], "", reason, []
    result.skills.overall, result.skills.overall_band = None, ""
    result.session.update(skill_row(result.skills))
