"""Marker thresholds from models/markers.toml, validated once."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

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


_FIELDS = {
    ("backchannel", "max_words"): ("backchannel_max_words", int),
    ("timing", "fast_response_s"): ("fast_response_s", float),
    ("timing", "silence_s"): ("silence_s", float),
    ("timing", "min_overlap_s"): ("min_overlap_s", float),
    ("interruption", "cutoff_endings"): ("cutoff_endings", list),
    ("interruption", "notes"): ("interruption_notes", list),
    ("advice", "premature_before_client_turns"): ("premature_before_client_turns", int),
    ("sentiment", "negative_turn"): ("negative_turn", float),
    ("sentiment", "shift"): ("shift", float),
    ("sentiment", "recovery_rise"): ("recovery_rise", float),
    ("sentiment", "recovery_window_turns"): ("recovery_window_turns", int),
    ("sentiment", "arc_fraction"): ("arc_fraction", float),
}


@lru_cache(maxsize=8)
def load_settings(path: str | None = None) -> MarkerSettings:
    """Read and check models/markers.toml (or a user's copy at ``path``)."""
    data, label = load_toml(Path(path) if path else "markers.toml")
    values = {}
    for (section, key), (name, kind) in _FIELDS.items():
        try:
            raw = data[section][key]
        except KeyError:
            raise ConfigError(f"missing key [{section}] {key}", path=label) from None
        if kind is list:
            if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
                raise ConfigError(f"[{section}] {key} must be a list of strings", path=label)
            values[name] = tuple(raw)
        elif kind is int:
            if not isinstance(raw, int) or isinstance(raw, bool) or raw < 0:
                raise ConfigError(f"[{section}] {key} must be a whole number ≥ 0, got {raw!r}", path=label)
            values[name] = raw
        else:
            if not isinstance(raw, (int, float)) or isinstance(raw, bool):
                raise ConfigError(f"[{section}] {key} must be a number, got {raw!r}", path=label)
            values[name] = float(raw)
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
