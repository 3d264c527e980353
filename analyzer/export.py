"""The supervision export: sessions over time, per clinician, with what changed.

:func:`supervision_table` turns a history frame (``History.sessions_frame()``
or ``Analysis.sessions``: one row per session with ``clinician`` and
``session_date``) into one row per

* ``session`` — ordered by clinician, then date (undated sessions last);
* ``month`` — per clinician and calendar month (``YYYY-MM``) of the session date;
* ``clinician`` — per clinician over all their sessions;

with the skill scores (the mean over a period's sessions), their bands, key
figures (a period shows the per-session mean), ``n_sessions``, the change of
each score since the previous session/period *of the same clinician*
(``<skill>_score_change``), and plain-language ``flags`` ("interruptions up
from 2 to 9", "empathy down 12 points (71 → 59)", "R:Q fell below fair
(1.0)") from the thresholds in models/flags.toml.  Sessions without a
clinician or a date are listed but never compared: there is no "previous"
to compare with.

:func:`write_supervision_csv` writes the table for spreadsheet programs:
UTF-8 with a BOM, ISO dates, no index column, the columns of
:data:`EXPORT_COLUMNS` in that order, written atomically.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

from .checks import Key, read_keys
from .errors import ConfigError
from .resources import load_toml
from .skills import SkillMap, load_skill_map, skill_columns
from .tables import AtomicCSV

if TYPE_CHECKING:
    import pandas as pd

    from .config import RunConfig

LEVELS = ("session", "month", "clinician")

SKILLS: tuple[str, ...] = tuple(
    c.removesuffix("_score") for c in skill_columns() if c.endswith("_score") and c != "overall_score"
) + ("overall",)

KEY_FIGURES: dict[str, str] = {
    "client_talk_share_words": "Client share of words, 0..1.",
    "median_pause_before_response_s": "Median pause before a clinician response, seconds (timestamps only).",
    "n_interruptions": "Clinician interruptions of the client.",
    "reflection_to_question_ratio": "R:Q (MITI 4.2.1: fair 1, good 2).",
    "complex_reflection_share": "Complex reflections as a share of reflections, 0..1 (MITI 4.2.1: fair 0.4, good 0.5).",
    "open_question_share": "Open questions as a share of questions, 0..1 (MITI 3: fair 0.5, good 0.7).",
    "n_reflections": "Clinician turns with a reflection.",
    "n_questions": "Clinician turns with a question.",
    "n_dismissive": "Dismissive or invalidating turns.",
    "n_advice": "Advice without permission.",
}

EXPORT_COLUMNS: dict[str, str] = {
    "level": "`session`, `month` or `clinician`: what one row stands for.",
    "clinician": "Clinician code (manifest, CSV column or file name); empty when unknown.",
    "period": "Session date (`session`), `YYYY-MM` (`month`) or `all` (`clinician`); empty when undated.",
    "first_date": "Date of the first session in the row (ISO YYYY-MM-DD).",
    "last_date": "Date of the last session in the row (ISO YYYY-MM-DD).",
    "session_id": "Session (`session` rows only).",
    "client": "Client code (`session` rows only).",
    "n_sessions": "Sessions in the row.",
}
for _skill in SKILLS:
    _label = _skill.replace("_", " ")
    EXPORT_COLUMNS[f"{_skill}_score"] = f"{_label.capitalize()} score 0-100 (mean over the row's scored sessions)."
    EXPORT_COLUMNS[f"{_skill}_band"] = f"Band of the {_label} score: needs work, fair, good."
    EXPORT_COLUMNS[f"{_skill}_score_change"] = (
        f"{_label.capitalize()} score minus the previous session/period of the same clinician."
    )
for _fig, _about in KEY_FIGURES.items():
    EXPORT_COLUMNS[_fig] = _about + " Periods: mean per session."
EXPORT_COLUMNS["flags"] = "Plain-language changes since the previous session/period (models/flags.toml), `; `-separated."
# 90% intervals (analyzer/uncertainty.py): a session's own; a period's mean score has no interval here.
for _skill in SKILLS:
    EXPORT_COLUMNS[f"{_skill}_score_low"] = f"Lower end of the session's 90% interval of the {_skill.replace('_', ' ')} score (`session` rows only)."
    EXPORT_COLUMNS[f"{_skill}_score_high"] = "Upper end of that interval (`session` rows only)."
    EXPORT_COLUMNS[f"{_skill}_uncertain"] = "1 when that interval is wider than `max_width` (models/uncertainty.toml)."
del _skill, _label, _fig, _about

# Columns that cannot hold a value at a level are left out of that level's table: a month or a
# clinician's whole record has no one session or client, and a clinician's row has no previous row
# to change from or to flag against.
LEVEL_DROPS: dict[str, tuple[str, ...]] = {
    "session": (),
    "month": ("session_id", "client"),
    "clinician": ("session_id", "client", *(f"{s}_score_change" for s in SKILLS), "flags"),
}


def export_columns(by: str = "session") -> list[str]:
    """The supervision table's columns at level ``by``: :data:`EXPORT_COLUMNS` order, less :data:`LEVEL_DROPS`."""
    if by not in LEVEL_DROPS:
        raise ValueError(f"by must be one of {', '.join(LEVELS)}, got {by!r}")
    return [c for c in EXPORT_COLUMNS if c not in LEVEL_DROPS[by]]

_FORMATS = ("count", "number", "share", "percent", "seconds")


@dataclass(frozen=True)
class ChangeRule:
    figure: str
    label: str
    min_change: float
    format: str


@dataclass(frozen=True)
class AnchorRule:
    figure: str
    label: str
    fair: float
    good: float
    format: str


@dataclass(frozen=True)
class FlagRules:
    source: str
    min_change_points: float
    include_overall: bool
    changes: tuple[ChangeRule, ...]
    anchors: tuple[AnchorRule, ...]


def load_flag_rules(path: str | Path | None = None) -> FlagRules:
    """Load and check models/flags.toml (or a copy at ``path``)."""
    data, label = load_toml(Path(path) if path else "flags.toml")
    skills = read_keys(data, label, (Key("skills.min_change_points", "number", default=10),
                                     Key("skills.include_overall", "bool", default=False)))
    mcp = skills["min_change_points"]
    if mcp <= 0:
        raise ConfigError(f"skills.min_change_points: must be a number > 0, got {mcp!r}", path=label)
    changes, anchors = [], []
    for i, c in enumerate(data.get("changes", [])):
        where = f"changes[{i}]"
        _check_figure(c, where, label)
        if not _num(c.get("min_change")) or c["min_change"] <= 0:
            raise ConfigError(f"{where}.min_change: must be a number > 0, got {c.get('min_change')!r}", path=label)
        changes.append(ChangeRule(c["figure"], c.get("label", c["figure"]), float(c["min_change"]), _fmt_name(c, where, label)))
    for i, a in enumerate(data.get("anchors", [])):
        where = f"anchors[{i}]"
        _check_figure(a, where, label)
        if not (_num(a.get("fair")) and _num(a.get("good")) and a["fair"] < a["good"]):
            raise ConfigError(f"{where}: needs numbers fair < good, got fair={a.get('fair')!r} good={a.get('good')!r}", path=label)
        anchors.append(AnchorRule(a["figure"], a.get("label", a["figure"]), float(a["fair"]), float(a["good"]), _fmt_name(a, where, label)))
    return FlagRules(label, float(mcp), skills["include_overall"], tuple(changes), tuple(anchors))


def _num(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _check_figure(entry: Any, where: str, label: str) -> None:
    from .skills import figure_names

    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: must be a table", path=label)
    if entry.get("figure") not in figure_names():
        raise ConfigError(f"{where}.figure: unknown figure {entry.get('figure')!r}; use a numeric column of sessions.csv", path=label)


def _fmt_name(entry: dict[str, Any], where: str, label: str) -> str:
    f = entry.get("format", "number")
    if f not in _FORMATS:
        raise ConfigError(f"{where}.format: {f!r} is not one of {', '.join(_FORMATS)}", path=label)
    return f


def _fmt(value: float, fmt: str) -> str:
    if fmt == "count":
        return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
    if fmt == "share":
        return f"{value * 100:.0f}%"
    if fmt == "percent":
        return f"{value:.0f}%"
    if fmt == "seconds":
        return f"{value:.1f} s"
    return f"{value:.1f}"


def _isnum(x: Any) -> TypeGuard[float]:
    try:
        return x is not None and not math.isnan(float(x))
    except (TypeError, ValueError):
        return False


def row_flags(prev: dict[str, Any], cur: dict[str, Any], rules: FlagRules) -> list[str]:
    """The flags for ``cur`` against ``prev`` (two rows of the same clinician, in time order)."""
    out: list[str] = []
    for skill in SKILLS:
        if skill == "overall" and not rules.include_overall:
            continue
        a, b = prev.get(f"{skill}_score"), cur.get(f"{skill}_score")
        if _isnum(a) and _isnum(b) and abs(float(b) - float(a)) >= rules.min_change_points:
            ra, rb = round(float(a)), round(float(b))
            word = "up" if b > a else "down"
            out.append(f"{skill.replace('_', ' ')} {word} {abs(rb - ra)} points ({ra} → {rb})")
    for c in rules.changes:
        a, b = prev.get(c.figure), cur.get(c.figure)
        if _isnum(a) and _isnum(b) and abs(float(b) - float(a)) >= c.min_change - 1e-9:
            word = "up" if b > a else "down"
            out.append(f"{c.label} {word} from {_fmt(float(a), c.format)} to {_fmt(float(b), c.format)}")
    for an in rules.anchors:
        a, b = prev.get(an.figure), cur.get(an.figure)
        if not (_isnum(a) and _isnum(b)):
            continue
        a, b = float(a), float(b)
        levels = (("fair", an.fair), ("good", an.good))
        fell = [(n, t) for n, t in levels if a >= t > b]
        rose = [(n, t) for n, t in levels if a < t <= b]
        # The clinician's value first, then the threshold it crossed: "R:Q fell below fair: 0.8 (fair from 1.0)".
        if fell:  # the lowest anchor crossed downwards says the most
            n, t = fell[0]
            out.append(f"{an.label} fell below {n}: {_fmt(b, an.format)} ({n} from {_fmt(t, an.format)})")
        if rose:  # the highest anchor reached
            n, t = rose[-1]
            out.append(f"{an.label} reached {n}: {_fmt(b, an.format)} ({n} from {_fmt(t, an.format)})")
    return out


def _prepared(history_frame: pd.DataFrame) -> pd.DataFrame:
    """The history rows with clean metadata, parsed dates and numeric scores, ordered by clinician and date."""
    import pandas as pd

    df = history_frame.copy()
    if "session_id" not in df.columns:
        raise ValueError("the frame needs a session_id column (History.sessions_frame() or Analysis.sessions)")
    for col in ("clinician", "session_date", "client"):
        if col not in df.columns:
            df[col] = ""
    df["clinician"] = df["clinician"].astype("string").fillna("").str.strip()
    df["client"] = df["client"].astype("string").fillna("")
    df["_date"] = pd.to_datetime(df["session_date"].astype("string"), format="%Y-%m-%d", errors="coerce")
    numeric = [f"{s}_score" for s in SKILLS] + list(KEY_FIGURES)
    for col in numeric:
        df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64") if col in df.columns else float("nan")
    df["_nodate"] = df["_date"].isna()
    df["_noclin"] = df["clinician"] == ""
    return df.sort_values(["_noclin", "clinician", "_nodate", "_date", "session_id"], kind="stable")


def _session_rows(df: pd.DataFrame, smap: SkillMap) -> list[dict[str, Any]]:
    import pandas as pd

    rows: list[dict[str, Any]] = []
    for _, r in df.iterrows():
        d = r["_date"]
        iso = d.date().isoformat() if not pd.isna(d) else ""
        row: dict[str, Any] = {"level": "session", "clinician": r["clinician"], "period": iso, "first_date": iso, "last_date": iso,
               "session_id": str(r["session_id"]), "client": r["client"], "n_sessions": 1}
        for s in SKILLS:
            v = r[f"{s}_score"]
            row[f"{s}_score"] = None if pd.isna(v) else round(float(v), 1)
            band = r.get(f"{s}_band")
            row[f"{s}_band"] = band if isinstance(band, str) and band else smap.band(row[f"{s}_score"])
        for f in KEY_FIGURES:
            v = r[f]
            row[f] = None if pd.isna(v) else float(v)
        row.update(_interval_cells(r))
        rows.append(row)
    return rows


def _period_rows(df: pd.DataFrame, by: str, smap: SkillMap) -> list[dict[str, Any]]:
    """One row per clinician and month (``by="month"``) or per clinician: means over the row's sessions."""
    import pandas as pd

    df = df.assign(_period=df["_date"].dt.strftime("%Y-%m").fillna("") if by == "month" else "all")
    rows: list[dict[str, Any]] = []
    for (clin, period), g in df.groupby(["clinician", "_period"], sort=False):
        dates = g["_date"].dropna()
        row: dict[str, Any] = {"level": by, "clinician": clin, "period": period,
               "first_date": dates.min().date().isoformat() if len(dates) else "",
               "last_date": dates.max().date().isoformat() if len(dates) else "",
               "session_id": "", "client": "", "n_sessions": len(g)}
        for s in SKILLS:
            m = g[f"{s}_score"].mean()
            row[f"{s}_score"] = None if pd.isna(m) else round(float(m), 1)
            row[f"{s}_band"] = smap.band(row[f"{s}_score"])
        for f in KEY_FIGURES:
            m = g[f].mean()
            row[f] = None if pd.isna(m) else round(float(m), 3)
        rows.append(row)
    rows.sort(key=lambda r: (r["clinician"] == "", r["clinician"], r["period"] == "", r["period"]))
    return rows


def _add_changes(rows: list[dict[str, Any]], rules: FlagRules) -> None:
    """Score changes and flags: within one clinician, between consecutive dated rows."""
    prev_by_clin: dict[str, dict[str, Any]] = {}
    for row in rows:
        for s in SKILLS:
            row[f"{s}_score_change"] = None
        row["flags"] = ""
        comparable = row["clinician"] != "" and row["period"] not in ("",) and row["level"] != "clinician"
        if not comparable:
            continue
        prev = prev_by_clin.get(row["clinician"])
        if prev is not None:
            for s in SKILLS:
                a, b = prev[f"{s}_score"], row[f"{s}_score"]
                row[f"{s}_score_change"] = round(b - a, 1) if _isnum(a) and _isnum(b) else None
            row["flags"] = "; ".join(row_flags(prev, row, rules))
        prev_by_clin[row["clinician"]] = row


def supervision_table(history_frame: pd.DataFrame, by: str = "session", flags_file: str | Path | None = None,
                      skill_map_file: str | Path | None = None, *, config: RunConfig | None = None) -> pd.DataFrame:
    """One row per session, per clinician and month, or per clinician, in :func:`export_columns` order.

    Columns that cannot hold a value at the level (:data:`LEVEL_DROPS`) are left out.  ``config`` (a run's configuration) gives the flag rules and the skill map's bands; else the files
    named (or the shipped ones) are read.
    """
    import pandas as pd

    if by not in LEVELS:
        raise ValueError(f"by must be one of {', '.join(LEVELS)}, got {by!r}")
    rules = config.flag_rules if config is not None else load_flag_rules(flags_file)
    smap = config.skill_map if config is not None else load_skill_map(skill_map_file)
    df = _prepared(history_frame)
    rows = _session_rows(df, smap) if by == "session" else _period_rows(df, by, smap)
    _add_changes(rows, rules)
    out = pd.DataFrame.from_records(rows, columns=list(EXPORT_COLUMNS))
    return _typed(out[export_columns(by)])


def _interval_cells(r: Any) -> dict[str, Any]:
    """A session's interval columns from its history row (empty where the row has none)."""
    out: dict[str, Any] = {}
    for s in SKILLS:
        for end in ("low", "high"):
            v = r.get(f"{s}_score_{end}")
            out[f"{s}_score_{end}"] = round(float(v), 1) if _isnum(v) else None
        u = r.get(f"{s}_uncertain")
        out[f"{s}_uncertain"] = None if u is None or not _isnum(u) else bool(u)
    return out


def _typed(out: pd.DataFrame) -> pd.DataFrame:
    for c in out.columns:
        if c == "n_sessions":
            out[c] = out[c].astype("Int64")
        elif c.endswith("_uncertain"):
            out[c] = out[c].astype("boolean")
        elif c.endswith(("_score", "_score_change", "_score_low", "_score_high")) or c in KEY_FIGURES:
            out[c] = out[c].astype("Float64")
        else:
            out[c] = out[c].astype("string")
    return out


def _cell(column: str, value: Any) -> Any:
    import pandas as pd

    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and column.startswith("n_") and value.is_integer():
        return int(value)
    # text cells are made formula-safe by the CSV writer (analyzer.tables.format_cell), like every table
    return value


def write_supervision_csv(df: pd.DataFrame, path: str | Path) -> Path:
    """Write a :func:`supervision_table` to ``path`` (UTF-8 with BOM, :func:`export_columns` order, atomic)."""
    level = str(df["level"].iloc[0]) if "level" in df.columns and len(df) else "session"
    columns = export_columns(level if level in LEVEL_DROPS else "session")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"not a supervision table: missing columns {missing}")
    with AtomicCSV(path, columns) as out:
        for rec in df[columns].astype(object).to_dict("records"):
            out.write({str(k): _cell(str(k), v) for k, v in rec.items()})
    return Path(path)
