"""Marker thresholds from models/markers.toml, validated once."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..checks import Key, read_keys
from ..errors import ConfigError
from ..resources import load_toml


@dataclass(frozen=True, eq=False)
class MarkerSettings:
    """Thresholds used by the marker code; see models/markers.toml for the rationale of each."""

    backchannel_max_words: int
    fast_response_s: float
    silence_s: float
    min_overlap_s: float
    cutoff_endings: tuple[str, ...]
    interruption_notes: tuple[str, ...]
    premature_before_client_turns: int
    negative_turn: float
    shift: float
    recovery_rise: float
    recovery_window_turns: int
    arc_fraction: float
    miti: dict[str, tuple[float, float]]  # figure -> (fair, good) published thresholds


_KEYS = (
    Key("backchannel.max_words", "whole", "backchannel_max_words"),
    Key("timing.fast_response_s", "number"),
    Key("timing.silence_s", "number"),
    Key("timing.min_overlap_s", "number"),
    Key("interruption.cutoff_endings", "strings"),
    Key("interruption.notes", "strings", "interruption_notes"),
    Key("advice.premature_before_client_turns", "whole"),
    Key("sentiment.negative_turn", "number"),
    Key("sentiment.shift", "number"),
    Key("sentiment.recovery_rise", "number"),
    Key("sentiment.recovery_window_turns", "whole"),
    Key("sentiment.arc_fraction", "number"),
)


@lru_cache(maxsize=8)
def load_settings(path: str | None = None) -> MarkerSettings:
    """Read and check models/markers.toml (or a user's copy at ``path``)."""
    data, label = load_toml(Path(path) if path else "markers.toml")
    values = read_keys(data, label, _KEYS)
    miti: dict[str, tuple[float, float]] = {}
    for figure, pair in data.get("miti", {}).items():
        if not (isinstance(pair, dict) and set(pair) == {"fair", "good"}
                and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in pair.values())
                and pair["fair"] <= pair["good"]):
            raise ConfigError(f"[miti] {figure} must be {{ fair = number, good = number }} with fair ≤ good", path=label)
        if figure not in _MITI_FIGURES:
            raise ConfigError(f"[miti] {figure} is not a figure with MITI thresholds; allowed: {sorted(_MITI_FIGURES)}",
                              path=label)
        miti[figure] = (float(pair["fair"]), float(pair["good"]))
    return MarkerSettings(**values, miti=miti)


_MITI_FIGURES = {"reflection_to_question_ratio", "complex_reflection_share", "open_question_share"}
