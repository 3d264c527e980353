"""Which speaker is the clinician and which the client.

Order of evidence, strongest first:

1. ``clinician=`` names (the CLI's repeatable ``--clinician``) force those
   labels to "clinician".
2. Labels listed in models/roles.toml ("Therapist 1", "CLIENT", "Dr. Rivera").
3. If exactly one side is known, the unlabelled speaker with the most words
   takes the other side (elimination, not a guess from content); the rest
   are "other".
4. If neither side is known, roles are inferred: among the main unlabelled
   speakers, the one asking the most questions per 100 words is the
   clinician and the one with the most words among the rest is the client.
   The transcript is then marked ``role_inferred`` and a note gives the
   evidence, so a reader can check it.

A session needs one clinician and one client; anything else is a
:class:`FormatError` that says what was seen and suggests ``--clinician``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from .checks import Key, read_keys
from .errors import ConfigError, FormatError
from .model import Role, Segment
from .resources import load_toml

_SIDES: tuple[Role, ...] = ("clinician", "client", "other")


def normalize_label(label: str) -> str:
    """Lower-case a speaker label and drop what varies between transcripts.

    ``"Therapist 1"`` -> ``"therapist"``, ``"[SPEAKER_00]"`` -> ``"speaker"``,
    ``"Co-Therapist:"`` -> ``"co therapist"``, ``"Dr. Rivera"`` -> ``"dr. rivera"``.
    """
    s = label.casefold().replace("_", " ").replace("-", " ")
    s = re.sub(r"^[\W_]+|[\W_]+$", "", s)
    # Trailing numbers tell speakers of one role apart ("Client 2", "T1"), they are not the role.
    s = re.sub(r"[\s#]*\d+$", "", s)
    s = re.sub(r"^[\W_]+|[\W_]+$", "", s)
    return re.sub(r"\s+", " ", s).strip()


_KEYS = tuple(
    [Key(f"{side}.{key}", "strings", f"{side}_{key}", default=[]) for side in _SIDES for key in ("labels", "patterns")]
    + [Key("inference.question_words", "strings", default=[]), Key("text.not_speakers", "strings", default=[]),
       Key("inference.min_word_share", "number", default=0.10)]
)


@lru_cache(maxsize=8)
def _load(source: str | None) -> dict[str, Any]:
    data, label = load_toml(Path(source) if source is not None else "roles.toml")
    values = read_keys(data, label, _KEYS)
    out: dict[str, Any] = {"source": label, "patterns": {}}
    for side in _SIDES:
        out[side] = frozenset(normalize_label(x) for x in values[f"{side}_labels"])
        compiled = []
        for pat in values[f"{side}_patterns"]:
            try:
                compiled.append(re.compile(pat))
            except re.error as exc:
                raise ConfigError(
                    f"[{side}] pattern {pat!r} is not a valid regular expression: {exc}", path=label
                ) from exc
        out["patterns"][side] = tuple(compiled)
    if not out["clinician"] or not out["client"]:
        raise ConfigError("[clinician] labels and [client] labels must not be empty", path=label)
    out["question_words"] = frozenset(w.casefold() for w in values["question_words"])
    share = values["min_word_share"]
    if not 0 <= share < 0.5:
        raise ConfigError("[inference] min_word_share must be a number from 0 to 0.5", path=label)
    out["min_word_share"] = float(share)
    out["not_speakers"] = frozenset(w.casefold() for w in values["not_speakers"])
    return out


def load_role_labels(roles_file: str | Path | None = None) -> dict[str, Any]:
    """Load the role labels: models/roles.toml by default, or a user's copy.

    Returns a dict with ``clinician``, ``client``, ``other`` (frozensets of
    normalised labels), ``patterns`` (side -> compiled regexes over normalised
    labels), ``question_words``, ``min_word_share``, ``not_speakers`` (words that
    are never a speaker label in typed text) and ``source`` (the file read).
    Raises :class:`ConfigError` for a missing or malformed file.
    """
    return _load(str(roles_file) if roles_file is not None else None)


def classify_label(label: str, labels: dict[str, Any]) -> Role | None:
    """The role a speaker label names, or None when the label says nothing about it."""
    norm = normalize_label(label)
    if not norm:
        return None
    for side in _SIDES:
        if norm in labels[side]:
            return side
    for side in _SIDES:
        if any(p.search(norm) for p in labels["patterns"][side]):
            return side
    # "Lead Therapist", "Client Jordan": a role word at either end of a longer
    # label.  Only words of 3+ letters, so a name's initial is never a role.
    words = norm.split()
    if len(words) > 1:
        hits = {side for side in _SIDES for w in (words[0], words[-1]) if len(w) >= 3 and w in labels[side]}
        if len(hits) == 1:
            return hits.pop()
    return None


def is_question(text: str, question_words: frozenset[str]) -> bool:
    """True when a sentence of ``text`` ends with "?" or starts with a question word."""
    for sentence in re.split(r"(?<=[.?!])\s+", text.strip()):
        s = sentence.strip().strip("\"'“”‘’()[]")
        if not s:
            continue
        if s.endswith("?"):
            return True
        first = re.match(r"[^\W\d_]+", s)
        if first and first.group(0).casefold() in question_words:
            return True
    return False


def _fmt_names(names: Sequence[str]) -> str:
    return ", ".join(names) if names else "none"


def _speaker_counts(segments: list[Segment], labels: dict[str, Any]) -> tuple[list[str], dict[str, int], dict[str, int]]:
    """Speakers in order of first appearance, their words and their question-like segments."""
    speakers: list[str] = []
    words: dict[str, int] = {}
    questions: dict[str, int] = {}
    for seg in segments:
        if seg.speaker not in words:
            speakers.append(seg.speaker)
            words[seg.speaker] = 0
            questions[seg.speaker] = 0
        words[seg.speaker] += len(seg.text.split())
        questions[seg.speaker] += is_question(seg.text, labels["question_words"])
    if not speakers:
        raise FormatError("no speech found")
    if len(speakers) == 1:
        raise FormatError(f"only one speaker ({speakers[0]}) found: need a clinician and a client")
    return speakers, words, questions


def _named_clinicians(speakers: list[str], clinician: Sequence[str], roles: dict[str, Role], notes: list[str]) -> set[str]:
    """Speakers named by ``--clinician`` become clinicians; returns the (case-folded) names given."""
    forced = {c.strip().casefold() for c in clinician if c.strip()}
    matched = set()
    for s in speakers:
        key = s.strip().casefold()
        if key in forced:
            roles[s] = "clinician"
            matched.add(key)
    unmatched = sorted(forced - matched)
    if unmatched:
        notes.append(f"--clinician {', '.join(unmatched)} matched no speaker (speakers: {', '.join(speakers)})")
    return forced


def _by_elimination(speakers: list[str], unknown: list[str], words: dict[str, int], roles: dict[str, Role],
                    notes: list[str], forced: set[str]) -> None:
    """One side is known: the biggest unlabelled voice is the missing side, any others are "other"."""
    clin = [s for s in speakers if roles.get(s) == "clinician"]
    cli = [s for s in speakers if roles.get(s) == "client"]
    missing: Role = "client" if clin else "clinician"
    main = max(unknown, key=lambda s: (words[s], -speakers.index(s)))
    roles[main] = missing
    known = clin or cli
    how = "named by --clinician" if any(k.strip().casefold() in forced for k in known) else "by label"
    notes.append(
        f"{main} = {missing}: the main speaker besides {_fmt_names(known)} "
        f"({'clinician' if clin else 'client'} {how})"
    )
    for s in unknown:
        if s != main:
            roles[s] = "other"
    if len(unknown) > 1:
        notes.append(f"speaker(s) {', '.join(s for s in unknown if s != main)} counted as other")


def _require_both_sides(speakers: list[str], roles: dict[str, Role]) -> None:
    clin = [s for s in speakers if roles.get(s) == "clinician"]
    cli = [s for s in speakers if roles.get(s) == "client"]
    if not clin or not cli:
        seen = ", ".join(f"{s} ({roles.get(s, 'unknown')})" for s in speakers)
        missing_side = "clinician" if not clin else "client"
        raise FormatError(
            f"no {missing_side} found among speakers {seen}: "
            "pass --clinician LABEL to name the clinician, or use a roles file that knows these labels"
        )


def assign_roles(
    segments: list[Segment],
    clinician: Sequence[str] = (),
    roles_file: str | Path | None = None,
    known: Mapping[str, Role] | None = None,
    labels: dict[str, Any] | None = None,
) -> tuple[dict[str, Role], bool, list[str]]:
    """Map each speaker label to "clinician", "client" or "other".

    ``known`` holds roles the source file itself states for some speakers (a
    CHAT @ID role, a ConvoKit speaker's role); they rank after ``clinician``
    and before the labels.  ``labels`` are the run's role labels
    (:func:`load_role_labels` of ``roles_file`` when None).
    Returns ``(roles, inferred, notes)``: ``inferred`` is True when roles were
    guessed from who asks questions; ``notes`` are one-line messages for the
    transcript's warnings.  Raises :class:`FormatError` (without a path: the
    reader adds it) when there is only one speaker, or when no clinician or no
    client can be found.
    """
    labels = labels if labels is not None else load_role_labels(roles_file)
    speakers, words, questions = _speaker_counts(segments, labels)
    roles: dict[str, Role] = {}
    notes: list[str] = []
    inferred = False
    forced = _named_clinicians(speakers, clinician, roles, notes)
    for s in speakers:
        if s not in roles and known and s in known:
            roles[s] = known[s]
    for s in speakers:
        if s not in roles:
            side = classify_label(s, labels)
            if side is not None:
                roles[s] = side
    unknown = [s for s in speakers if s not in roles]
    clin = [s for s in speakers if roles.get(s) == "clinician"]
    cli = [s for s in speakers if roles.get(s) == "client"]
    if clin and cli:
        for s in unknown:
            roles[s] = "other"
        if unknown:
            notes.append(f"speaker(s) {', '.join(unknown)} not recognised as clinician or client: counted as other")
    elif (clin or cli) and unknown:
        _by_elimination(speakers, unknown, words, roles, notes, forced)
    elif not clin and not cli:
        inferred = _infer(speakers, unknown, words, questions, labels, roles, notes)
    _require_both_sides(speakers, roles)
    return roles, inferred, notes


def _infer(
    speakers: list[str],
    unknown: list[str],
    words: dict[str, int],
    questions: dict[str, int],
    labels: dict[str, Any],
    roles: dict[str, Role],
    notes: list[str],
) -> bool:
    """Guess clinician and client among unlabelled speakers; fills ``roles``. True if it did."""
    if len(unknown) < 2:
        return False
    total = sum(words[s] for s in unknown) or 1
    candidates = [s for s in unknown if words[s] / total >= labels["min_word_share"]]
    if len(candidates) < 2:
        candidates = sorted(unknown, key=lambda s: (-words[s], speakers.index(s)))[:2]

    def rate(s: str) -> float:
        return 100.0 * questions[s] / words[s] if words[s] else 0.0

    # Ties (e.g. no questions at all) go to whoever spoke first: clinicians usually open a session.
    clinician = max(candidates, key=lambda s: (rate(s), questions[s], -speakers.index(s)))
    rest = [s for s in unknown if s != clinician]
    client = max(rest, key=lambda s: (words[s], -speakers.index(s)))
    for s in unknown:
        roles[s] = "other"
    roles[clinician] = "clinician"
    roles[client] = "client"

    n_questions = sum(questions[s] for s in speakers)
    if questions[clinician] == 0:
        evidence = f"no questions found, so {clinician} = clinician because they spoke first"
    else:
        evidence = (
            f"{clinician} = clinician ({questions[clinician]} of {n_questions} questions; "
            f"{rate(clinician):.1f} vs {rate(client):.1f} per 100 words)"
        )
    others = [s for s in unknown if roles[s] == "other"]
    tail = f"; {', '.join(others)} = other" if others else ""
    notes.append(
        f"roles inferred from questions asked: {evidence}, {client} = client{tail}; "
        "pass --clinician LABEL if this is wrong"
    )
    return True
