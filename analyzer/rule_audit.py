"""Per-rule audit of the analyzer's turn codes against a human-coded table.

For every rule id that fired on a clinician turn: in how many turns it fired, how many of those the
human coder also coded with the rule's code (its precision) and what share of the code's true
positives it took part in.  A rule is audited under the code its hit carries; a hit code that the
mapping folds into a gold code (``advice_with_permission`` into ``advice``) is measured against that
gold code, and a code the table does not label gets its firing count only.  Counter-evidence kept
beside a reflection (its counter-evidence labels) did not make the code and is left out.

Besides the rules, :func:`flag_rates` gives the rate of chosen turn flags per session for sessions
with and without the positive session label (e.g. dismissive detections in high vs low sessions).
"""

from __future__ import annotations

import csv
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from .resources import load_jsonl

# turn flags whose rules come from another code's hits: flag -> the code whose hits it rests on
DERIVED_FLAGS = {"premature_advice": "advice"}
# hit codes that are not turn codes (timing, backchannels, clarity)
NOT_CODES = frozenset({"backchannel", "interruption", "jargon", "filler"})
# Reflection pattern labels kept beside a reflection as outweighed counter-evidence (markers/reflections.py):
# they did not make the code, so they are not audited as if they had.
COUNTER_EVIDENCE = {"reflection": ("patterns/reflections.jsonl", frozenset({"directive", "info", "affirm", "self"}))}
# Below this many firings a rule's precision is too noisy to judge against the floor.
MIN_FIRED_FOR_FLOOR = 5
# A rule whose precision falls below this, on a set that codes its code, is fixed or removed (issue 9).
RULE_PRECISION_FLOOR = 0.6
AUDIT_COLUMNS = ("code", "rule_id", "fired", "true_positive", "precision", "share_of_true_positives")


@dataclass(frozen=True)
class RuleFigures:
    """How one rule fared: turns fired, of them gold positive, and the code's true positives overall."""

    code: str
    rule_id: str
    fired: int
    true_positive: int | None  # None: the table does not label this code
    code_true_positives: int | None

    @property
    def precision(self) -> float:
        return self.true_positive / self.fired if self.true_positive is not None and self.fired else math.nan

    @property
    def share_of_true_positives(self) -> float:
        if self.true_positive is None or not self.code_true_positives:
            return math.nan
        return self.true_positive / self.code_true_positives

    def as_row(self) -> dict[str, Any]:
        def r(x: float) -> float | str:
            return "" if math.isnan(x) else round(x, 3)

        return {"code": self.code, "rule_id": self.rule_id, "fired": self.fired,
                "true_positive": "" if self.true_positive is None else self.true_positive,
                "precision": r(self.precision), "share_of_true_positives": r(self.share_of_true_positives)}


class RuleCounter:
    """Accumulates, turn by turn, which rules fired for which code and whether the gold code agreed."""

    def __init__(self, gold_code_of: dict[str, str]) -> None:
        self.gold_code_of = gold_code_of  # analyzer hit code -> gold code name in the mapping
        self.fired: dict[tuple[str, str], int] = defaultdict(int)
        self.tp: dict[tuple[str, str], int] = defaultdict(int)
        self.code_tp: dict[str, int] = defaultdict(int)

    def add_turn(self, tc: Any, gold: dict[str, bool]) -> None:
        """Count the rules behind ``tc``'s codes (a TurnCodes); ``gold`` maps gold code name -> coded."""
        rules: dict[str, set[str]] = defaultdict(set)
        for h in tc.hits:
            if h.code in NOT_CODES or not tc.has(h.code) or h.rule_id in _counter_evidence(h.code):
                continue
            rules[h.code].add(h.rule_id)
        for flag, source in DERIVED_FLAGS.items():
            if tc.has(flag):
                rules[flag] = set(rules.get(source, ()))
        counted_tp: set[str] = set()
        for code, ids in rules.items():
            g = self.gold_code_of.get(code)
            for rid in ids:
                self.fired[(code, rid)] += 1
                if g is not None and gold.get(g):
                    self.tp[(code, rid)] += 1
            if g is not None and gold.get(g) and g not in counted_tp:
                counted_tp.add(g)
                self.code_tp[g] += 1

    def figures(self) -> list[RuleFigures]:
        out = []
        for (code, rid), n in self.fired.items():
            g = self.gold_code_of.get(code)
            out.append(RuleFigures(code, rid, n, self.tp[(code, rid)] if g else None, self.code_tp[g] if g else None))
        return sorted(out, key=lambda f: (f.code, -f.fired, f.rule_id))


@cache
def _counter_evidence(code: str) -> frozenset[str]:
    """Rule ids of ``code``'s pattern file whose label marks counter-evidence."""
    if code not in COUNTER_EVIDENCE:
        return frozenset()
    name, labels = COUNTER_EVIDENCE[code]
    rows, _ = load_jsonl(name)
    return frozenset(r["id"] for r in rows if r.get("label") in labels)


def gold_code_map(codes: Iterable[tuple[str, Sequence[str]]]) -> dict[str, str]:
    """analyzer hit code -> gold code, from the mapping's (gold code, analyzer codes) pairs."""
    out: dict[str, str] = {}
    for name, analyzer_codes in codes:
        for a in analyzer_codes:
            out.setdefault(a, name)
    for flag, source in DERIVED_FLAGS.items():
        if source in out:
            out.setdefault(flag, out[source])
    return out


def flag_rates(rows: Sequence[dict[str, Any]], labels: dict[str, bool], flags: Sequence[str]) -> list[dict[str, Any]]:
    """Mean detections per session and per 100 clinician turns of each flag, positive sessions vs the rest."""
    out = []
    for flag in flags:
        for positive in (True, False):
            sel = [r for r in rows if labels.get(r["session_id"]) is positive]
            counts = [float(r.get(f"n_{flag}") or 0) for r in sel]
            turns = sum(float(r.get("n_clinician_turns") or 0) for r in sel)
            out.append({"flag": flag, "positive": positive, "sessions": len(sel),
                        "per_session": round(statistics.fmean(counts), 3) if counts else math.nan,
                        "per_100_turns": round(100 * sum(counts) / turns, 3) if turns else math.nan})
    return out


def below_floor(f: RuleFigures, floor: float | None = RULE_PRECISION_FLOOR) -> bool:
    """True when a rule fired often enough to judge and its precision is under ``floor``."""
    return floor is not None and f.fired >= MIN_FIRED_FOR_FLOOR and not math.isnan(f.precision) and f.precision < floor


def format_audit(figures: Sequence[RuleFigures], floor: float | None = None) -> str:
    """Plain-text table of the audit; rules below ``floor`` precision are marked ``<``."""
    lines = [f"{'code':<24}{'rule id':<34}{'fired':>6}{'TP':>6}{'prec':>7}{'TP share':>9}"]
    for f in figures:
        tp = "" if f.true_positive is None else str(f.true_positive)
        p = "" if math.isnan(f.precision) else f"{f.precision:.3f}"
        s = "" if math.isnan(f.share_of_true_positives) else f"{f.share_of_true_positives:.3f}"
        mark = " <" if below_floor(f, floor) else ""
        lines.append(f"{f.code:<24}{f.rule_id:<34}{f.fired:>6}{tp:>6}{p:>7}{s:>9}{mark}")
    return "\n".join(lines)


def write_audit(path: str | Path, figures: Sequence[RuleFigures], extra: dict[str, str] | None = None) -> None:
    """Write the audit as CSV (``extra`` columns, e.g. the set's name, first)."""
    extra = extra or {}
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(extra) + list(AUDIT_COLUMNS))
        w.writeheader()
        for f in figures:
            w.writerow({**extra, **f.as_row()})
