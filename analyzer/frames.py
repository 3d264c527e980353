"""Column types of the session and turn frames, shared by the notebook API and the history.

The dtypes are documented in :mod:`analyzer.api`; this module holds them so that
:mod:`analyzer.history` and :mod:`analyzer.api` both depend on it and not on each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .tables import SESSION_COLUMNS, TURN_COLUMNS

if TYPE_CHECKING:
    import pandas as pd

METADATA_COLUMNS = ("clinician", "session_date", "client", "metadata_source")

_TEXT = {
    "session_id", "source", "encoding", "pipeline", "clinician_speaker", "client_speaker", "warnings",
    "speaker", "evidence", "text", "content_hash", "analyzer_version", "analysed_at", "sentence_sentiment",
    "start_hms",
}
_CODES = {
    "format", "talk_time_basis", "pause_basis", "interruption_basis", "role", "question", "reflection",
    "clinician", "session_date", "client", "metadata_source",
}
_FIXED_FLAGS = frozenset({"role_inferred", "backchannel", "interruption"})


def _is_flag(column: str) -> bool:
    """0/1 columns: those documented as "1 when …" / "1 for …" (the registry's descriptions)."""
    if column in _FIXED_FLAGS:
        return True
    about = TURN_COLUMNS.get(column) or SESSION_COLUMNS.get(column) or ""
    return about.startswith("1 ")
_INTS = {"turn", "first_segment", "source_line", "speaker_switches",
         "longest_clinician_monologue_words", "longest_client_story_words"}


def column_dtype(column: str) -> str:
    """The documented dtype of a sessions/turns column (see the module docstring)."""
    if _is_flag(column) or column.endswith("_uncertain"):
        return "boolean"
    if column in _CODES or column.endswith("_band") or column in ("session_check", "punctuation"):
        return "string"
    if column in _TEXT or column.endswith(("_drivers", "_suggestion", "_reason")):
        return "string"
    if column in _INTS or column.startswith("n_"):
        return "Int64"
    return "Float64"


@lru_cache(maxsize=1)
def session_dtypes() -> dict[str, str]:
    """Every documented sessions column and its dtype, the skill columns of the shipped skill map included.

    Read on first use (never at import): the skill columns come from models/skill_map.toml.  Skill
    columns of another map are typed by their suffix (``_score``, ``_band`` ...).
    """
    from .skills import load_skill_map, skill_columns

    return {c: column_dtype(c) for c in [*SESSION_COLUMNS, *skill_columns(load_skill_map()), *METADATA_COLUMNS]}


def turn_dtypes() -> dict[str, str]:
    """Every turns.csv column and its dtype (read when needed: the columns come from the marker registry)."""
    return {c: column_dtype(c) for c in TURN_COLUMNS}
_HISTORY_KEYS = {"content_hash": "string", "analyzer_version": "string", "analysed_at": "string"}


def _cast(s: pd.Series, dtype: str, column: str) -> pd.Series:
    import pandas as pd

    if dtype == "boolean":
        def to_bool(v: Any) -> Any:
            if v is None or v is pd.NA or (isinstance(v, float) and v != v):
                return pd.NA
            if isinstance(v, str):
                v = v.strip().lower()
                return pd.NA if v == "" else v in ("1", "true", "yes")
            return bool(v)

        return pd.Series(pd.array([to_bool(v) for v in s], dtype="boolean"), index=s.index, name=s.name)
    if dtype == "string":
        out = s.astype("string")
        if column in _CODES or column.endswith("_band"):
            out = out.mask(out == "", pd.NA)
        return out
    num = pd.to_numeric(s, errors="coerce")
    if dtype == "Int64":
        try:
            return num.astype("Int64")
        except (TypeError, ValueError):  # non-integral values: keep them rather than fail
            return num.astype("Float64")
    return num.astype("Float64")


def typed_frame(df: pd.DataFrame, kind: str = "session", first: Sequence[str] = ()) -> pd.DataFrame:
    """Order ``df``'s columns (``first``, documented, then the rest) and give them the documented dtypes."""
    dtypes = {**(session_dtypes() if kind == "session" else turn_dtypes()), **_HISTORY_KEYS}
    order = [c for c in first if c in df.columns]
    order += [c for c in dtypes if c in df.columns and c not in order]
    order += [c for c in df.columns if c not in order]
    df = df.reindex(columns=order)
    for c in df.columns:
        dt = dtypes.get(c) or (column_dtype(c) if kind == "session" and c.endswith(
            ("_score", "_band", "_low", "_high", "_uncertain", "session_check", "punctuation")) else None)
        if dt:
            df[c] = _cast(df[c], dt, c)
    return df.reset_index(drop=True)


