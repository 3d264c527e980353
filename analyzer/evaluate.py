"""Agreement of the analyzer's turn codes with a human-coded utterance table.

A researcher gives a CSV with one row per utterance (session, speaker, text
and code columns) and a small TOML mapping (models/evaluation/*.toml are
examples) that says which column holds which code.  The table is turned into
Transcripts with the same model the readers use (consecutive utterances of
one speaker become one turn; a turn counts as coded when any of its
utterances is), analysed with the normal pipeline, and compared on
clinician turns: per code precision, recall, F1 and Cohen's kappa; the
sub-type agreement (open/closed, simple/complex) on turns both sides call a
question or reflection; and, where a session label is given, the session
AUC of analyzer figures.  Optional rating files add Spearman correlations.
"""

from __future__ import annotations

import csv
import io
import re
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .agreement import BinaryAgreement, binary_agreement, cohen_kappa, roc_auc, spearman
from .config import Options, RunConfig, load_config
from .errors import ConfigError, FormatError
from .io import decode_file
from .markers.registry import REGISTRY
from .model import Segment, Transcript, merge_segments
from .nlp import build_nlp
from .pipeline import SessionResult, analyze_transcript
from .resources import load_toml
from .roles import assign_roles
from .rule_audit import RuleCounter, RuleFigures, flag_rates, format_audit, gold_code_map


def type_codes() -> dict[str, tuple[str, tuple[str, ...]]]:
    """Sub-type codes (``question_type``, ``reflection_type``): the category markers of the registry."""
    return {code: parent for code, parent in REGISTRY.evaluate_codes().items() if parent is not None}


TYPE_CODES = type_codes()  # the built-in ones

# Markers that lower a clinician's score: their rate in high vs low sessions is reported.
AGAINST_MARKERS = ("dismissive", "advice", "premature_advice")

_PUNCT = re.compile(r"[^\w\s']|(?<!\w)'|'(?!\w)")


def strip_punctuation(text: str) -> str:
    """Lower-case and drop punctuation, keeping in-word apostrophes: text as speech-to-text often gives it."""
    return re.sub(r"\s+", " ", _PUNCT.sub(" ", text.lower())).strip()


@dataclass(frozen=True)
class CodeSpec:
    name: str
    column: str
    positive: tuple[str, ...] = ()
    values: dict[str, str] = field(default_factory=dict)
    analyzer: tuple[str, ...] = ()


@dataclass(frozen=True)
class Mapping:
    source: str
    columns: dict[str, str]
    codes: tuple[CodeSpec, ...]
    positive_label: str | None
    figures: tuple[str, ...]
    ratings: dict[str, Any]




def load_mapping(path: str | Path) -> Mapping:
    """Read and check an evaluation mapping TOML."""
    data, label = load_toml(Path(path))
    cols = data.get("columns", {})
    for key in ("session", "speaker", "text"):
        if not isinstance(cols.get(key), str):
            raise ConfigError(f"[columns] {key} must name the column holding the {key}", path=label)
    codes = []
    known = REGISTRY.evaluate_codes()
    types = type_codes()
    for name, spec in data.get("codes", {}).items():
        if name not in known:
            raise ConfigError(f"[codes.{name}] is not an analyzer code; known: {sorted(known)}", path=label)
        if not isinstance(spec.get("column"), str):
            raise ConfigError(f"[codes.{name}] column must name a column", path=label)
        if name in types and not isinstance(spec.get("values"), dict):
            raise ConfigError(f"[codes.{name}] needs values = {{gold value = analyzer value}}", path=label)
        if name not in types and not spec.get("positive"):
            raise ConfigError(f"[codes.{name}] needs positive = [gold values meaning yes]", path=label)
        codes.append(CodeSpec(name, spec["column"], tuple(spec.get("positive", ())), dict(spec.get("values", {})),
                              tuple(spec.get("analyzer", (name,)))))
    return Mapping(label, dict(cols), tuple(codes), data.get("session_label", {}).get("positive"),
                   tuple(data.get("session_scores", {}).get("figures", ())), dict(data.get("ratings", {})))


@dataclass
class EvaluationResult:
    """Everything :func:`evaluate` measured."""

    codes: list[BinaryAgreement]
    types: list[dict[str, Any]]
    auc: list[dict[str, Any]]
    correlations: list[dict[str, Any]]
    n_sessions: int
    n_clinician_turns: int
    session_rows: list[dict[str, Any]]
    rules: list[RuleFigures] = field(default_factory=list)
    flag_rates: list[dict[str, Any]] = field(default_factory=list)

    def format(self) -> str:
        """A plain-text report."""
        lines = [f"{self.n_sessions} sessions, {self.n_clinician_turns} clinician turns compared", "",
                 f"{'code':<16}{'n+ gold':>8}{'n+ pred':>8}{'prec':>7}{'recall':>7}{'F1':>7}{'kappa':>7}"]
        for a in self.codes:
            r = a.as_row()
            lines.append(f"{a.code:<16}{r['gold_positive']:>8}{r['predicted_positive']:>8}{r['precision']:>7.3f}"
                         f"{r['recall']:>7.3f}{r['f1']:>7.3f}{r['kappa']:>7.3f}")
        for t in self.types:
            lines.append(f"{t['code']:<16} accuracy {t['accuracy']:.3f}, kappa {t['kappa']:.3f} on {t['n']} turns "
                         f"both sides call a {t['parent']}")
        if self.auc:
            lines += ["", "session AUC (positive label vs the rest):"]
            lines += [f"  {a['figure']:<36}{a['auc']:.3f}  (n={a['n']})" for a in self.auc]
        if self.correlations:
            lines += ["", "Spearman correlation with ratings:"]
            lines += [f"  {c['rating']} ~ {c['figure']:<32}{c['rho']:.3f}  (n={c['n']})" for c in self.correlations]
        if self.flag_rates:
            lines += ["", "against-markers per session (positive label vs the rest):"]
            lines += [f"  {r['flag']:<24}{'positive' if r['positive'] else 'rest':<9}{r['per_session']:>7.3f} per session"
                      f"{r['per_100_turns']:>8.3f} per 100 clinician turns  ({r['sessions']} sessions)"
                      for r in self.flag_rates]
        return "\n".join(lines)

    def format_rules(self, floor: float | None = None) -> str:
        """The per-rule audit as plain text (rules below ``floor`` precision marked)."""
        return format_audit(self.rules, floor)


def _read_table(path: Path, mapping: Mapping) -> dict[str, list[dict[str, str]]]:
    cols = mapping.columns
    csv.field_size_limit(sys.maxsize)
    # decoded like a transcript (UTF-8 with or without BOM, UTF-16, cp1252), never a traceback
    with io.StringIO(decode_file(path), newline="") as fh:
        sample = fh.read(4096)
        fh.seek(0)
        delim = "\t" if sample.count("\t") > sample.count(",") else ","
        reader = csv.DictReader(fh, delimiter=delim)
        missing = [c for c in [cols["session"], cols["speaker"], cols["text"]] + [c.column for c in mapping.codes]
                   if c not in (reader.fieldnames or [])]
        if missing:
            raise FormatError(f"columns {missing} named in {mapping.source} are not in the table "
                              f"(found {reader.fieldnames})", path=path)
        sessions: dict[str, list[dict[str, str]]] = defaultdict(list)
        seen: set[tuple[str, str]] = set()
        uid = cols.get("utterance_id")
        for row in reader:
            if uid:
                key = (row[cols["session"]], row[uid])
                if key in seen:
                    continue  # multiply-coded utterance: the first coder's row
                seen.add(key)
            if row[cols["text"]].strip():
                sessions[row[cols["session"]]].append(row)
    return sessions


def _clock(value: str | None) -> float | None:
    if not value:
        return None
    try:
        parts = [float(p) for p in value.split(":")]
    except ValueError:
        return None
    s = 0.0
    for p in parts:
        s = s * 60 + p
    return s


def _transcript(sid: str, rows: list[dict[str, str]], mapping: Mapping, source: str,
                transform: Callable[[str], str] | None, roles_file: str | None = None) -> Transcript:
    cols = mapping.columns
    segs = [
        Segment(i + 1, row[cols["speaker"]].strip(), transform(row[cols["text"]]) if transform else row[cols["text"]],
                _clock(row.get(cols.get("start", ""), "")), None, None)
        for i, row in enumerate(rows)
    ]
    roles, inferred, notes = assign_roles(segs, roles_file=roles_file)
    return Transcript(sid, source, merge_segments(segs, roles), "csv", "utf-8", inferred, tuple(notes))


def _compare_turns(result: SessionResult, rows: list[dict[str, str]], mapping: Mapping,
                   type_of: dict[str, tuple[str, tuple[str, ...]]], gold: dict[str, list[Any]],
                   pred: dict[str, list[Any]], counter: RuleCounter) -> int:
    """Add each clinician turn's gold and predicted codes (and its rules to the audit); returns how many turns
    were compared."""
    n_turns = 0
    for tc in result.markers.turns:
        if tc.turn.role != "clinician" or tc.backchannel:
            continue
        n_turns += 1
        span = rows[tc.turn.first_segment - 1 : tc.turn.first_segment - 1 + tc.turn.n_segments]
        turn_gold: dict[str, bool] = {}
        for spec in mapping.codes:
            values = [r[spec.column].strip() for r in span]
            g: str | bool
            p: str | bool
            if spec.name in type_of:
                parent = type_of[spec.name][0]
                g = next((spec.values[v] for v in values if v in spec.values), "")
                p = getattr(tc, parent) or ""
            else:
                g = any(v in spec.positive for v in values)
                p = any(tc.has(code) for code in spec.analyzer)
                turn_gold[spec.name] = g
            gold[spec.name].append(g)
            pred[spec.name].append(p)
        counter.add_turn(tc, turn_gold)
    return n_turns


def _type_agreement(mapping: Mapping, type_of: dict[str, tuple[str, tuple[str, ...]]], gold: dict[str, list[Any]],
                    pred: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Sub-type agreement (open/closed, simple/complex) on the turns both sides give the parent code."""
    types = []
    for s in mapping.codes:
        if s.name not in type_of:
            continue
        pairs = [(g, p) for g, p in zip(gold[s.name], pred[s.name]) if g and p]
        if pairs:
            types.append({"code": s.name, "parent": type_of[s.name][0], "n": len(pairs),
                          "accuracy": sum(g == p for g, p in pairs) / len(pairs),
                          "kappa": cohen_kappa([g for g, _ in pairs], [p for _, p in pairs])})
    return types


def _session_auc(mapping: Mapping, labels: dict[str, bool], rows_out: list[dict[str, Any]]) -> list[dict[str, Any]]:
    auc = []
    for fig in mapping.figures if labels else ():
        pairs = [(labels[r["session_id"]], r.get(fig)) for r in rows_out if r["session_id"] in labels]
        kept = [(lab, float(v)) for lab, v in pairs if v is not None and v != ""]
        auc.append({"figure": fig, "auc": roc_auc([lab for lab, _ in kept], [v for _, v in kept]), "n": len(kept)})
    return auc


def evaluate(table: str | Path, mapping_file: str | Path, *, unpunctuated: bool = False,
             ratings_files: Sequence[str | Path] = (), spacy_model: str | None = None,
             progress: Callable[[int, int], None] | None = None,
             config: RunConfig | None = None) -> EvaluationResult:
    """Compare the analyzer with the human codes in ``table`` as described by ``mapping_file``.

    ``config`` is the run's configuration (thresholds, skill map, roles); without one the shipped
    files are loaded, with ``spacy_model`` as the pipeline.
    """
    mapping = load_mapping(mapping_file)
    sessions = _read_table(Path(table), mapping)
    config = config or load_config(Options(spacy_model=spacy_model))
    nlp = build_nlp(config.options.spacy_model)
    gold: dict[str, list[Any]] = defaultdict(list)
    pred: dict[str, list[Any]] = defaultdict(list)
    labels: dict[str, bool] = {}
    rows_out: list[dict[str, Any]] = []
    n_turns = 0
    transform = strip_punctuation if unpunctuated else None
    type_of = type_codes()
    counter = RuleCounter(gold_code_map((s.name, s.analyzer) for s in mapping.codes if s.name not in type_of))
    for k, (sid, rows) in enumerate(sessions.items()):
        if progress:
            progress(k, len(sessions))
        try:
            tr = _transcript(sid, rows, mapping, str(table), transform, config.roles_file)
        except FormatError:
            continue  # e.g. a session with one speaker: nothing to compare
        result = analyze_transcript(tr, nlp, config)
        rows_out.append(result.session)
        if mapping.positive_label is not None and mapping.columns.get("session_label"):
            labels[sid] = rows[0][mapping.columns["session_label"]] == mapping.positive_label
        n_turns += _compare_turns(result, rows, mapping, type_of, gold, pred, counter)
    codes = [binary_agreement(s.name, gold[s.name], pred[s.name]) for s in mapping.codes if s.name not in type_of]
    rates = flag_rates(rows_out, labels, AGAINST_MARKERS) if labels else []
    return EvaluationResult(codes, _type_agreement(mapping, type_of, gold, pred), _session_auc(mapping, labels, rows_out),
                            _correlations(rows_out, mapping, ratings_files), len(rows_out), n_turns, rows_out,
                            counter.figures(), rates)


def _correlations(rows: list[dict[str, Any]], mapping: Mapping, files: Sequence[str | Path]) -> list[dict[str, Any]]:
    if not files or not mapping.ratings:
        return []
    key, delim = mapping.ratings.get("key", "session_id"), mapping.ratings.get("delimiter", ",")
    ratings: dict[str, dict[str, str]] = {}
    for f in files:
        with io.StringIO(decode_file(Path(f)), newline="") as fh:  # ratings decoded like the table
            for r in csv.DictReader(fh, delimiter=delim):
                ratings[r[key]] = r
    by_id = {r["session_id"]: r for r in rows}
    out = []
    for rating, figures in mapping.ratings.get("compare", {}).items():
        for fig in figures:
            raw = [(float(ratings[s][rating]), by_id[s].get(fig)) for s in ratings if s in by_id]
            pairs = [(a, float(b)) for a, b in raw if b is not None and b != ""]
            out.append({"rating": rating, "figure": fig, "n": len(pairs),
                        "rho": spearman([a for a, _ in pairs], [b for _, b in pairs])})
    return out
