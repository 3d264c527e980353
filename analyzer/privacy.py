"""Likely identifiers in a transcript, and a redacted copy without them.

``find_identifiers(transcript)`` lists what looks like a HIPAA Safe Harbor
identifier (45 CFR 164.514(b)(2); the list is in models/identifiers/settings.toml):
person names, phone numbers, e-mail and web addresses, street addresses,
cities, ZIP codes, dates more specific than a year, ages over 89, SSNs,
record, account, insurance and card numbers, IP addresses and other long
numbers, written or spoken ("five five five, eight six seven ...").

Everything that decides what counts is data in models/: regular expressions
(``identifiers/patterns.jsonl``), name context rules (``identifiers/names.jsonl``),
spoken-number rules and context words (``identifiers/settings.toml``) and
name lexicons (``lexicons/``).  A trained spaCy pipeline with an entity
recogniser adds PERSON, place and date entities; the blank default has none.

``redact(transcript, findings)`` returns a Transcript whose text has each
finding replaced by ``[KIND]`` and whose speakers are role labels
(``Clinician``, ``Client``): applied right after reading, every later output
(tables, evidence, reports, index, history) is redacted by construction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import AnalyzerError, ConfigError
from .model import Transcript
from .resources import load_jsonl, load_toml, word_list

SETTINGS_FILE = "identifiers/settings.toml"
PATTERNS_FILE = "identifiers/patterns.jsonl"
NAMES_FILE = "identifiers/names.jsonl"
ROLE_LABELS = {"clinician": "Clinician", "client": "Client", "other": "Other"}

_PATTERN_KEYS = {"id", "kind", "pattern", "case_sensitive", "validator", "needs", "needs_also", "note", "_line"}
_NAME_KEYS = {"id", "pattern", "check", "needs", "note", "_line"}
_SPECIAL_NEEDS = ("$digit", "$at", "$dot", "$name")
_NUMBER_RULE_KEYS = {"id", "kind", "digits", "context", "validator", "counting"}
_VALIDATORS = ("luhn", "ip", "date", "street", "place", "digits")
_FRAGMENT = re.compile(r"\{([a-z_]+)\}")
_WORD = re.compile(r"[A-Za-z][a-z]*(?:['-][A-Za-z][a-z]+)*|[A-Z]+")


@dataclass(frozen=True)
class Finding:
    """One likely identifier: where it is (session, turn, character span) and what it looks like."""

    session_id: str
    source: str
    turn: int
    kind: str
    start_char: int | None  # span in the turn's text; None for a speaker label
    end_char: int | None
    text: str
    rule_id: str

    def as_row(self) -> dict[str, Any]:
        return {"file": self.source, "session": self.session_id, "turn": self.turn, "kind": self.kind,
                "start_char": self.start_char, "end_char": self.end_char, "text": self.text, "rule_id": self.rule_id}


FINDING_COLUMNS = ("file", "session", "turn", "kind", "start_char", "end_char", "text", "rule_id")


@dataclass(frozen=True)
class _Pattern:
    id: str
    kind: str
    regex: re.Pattern[str]
    validator: str | None
    order: int
    needs: frozenset[str] | None  # the turn must hold one of these words (or $digit/$at/$name) to be tried
    needs_also: frozenset[str] | None = None  # ... and one of these


@dataclass(frozen=True)
class _NameRule:
    id: str
    regex: re.Pattern[str]
    check: str
    needs: frozenset[str] | None


@dataclass(frozen=True)
class _NumberRule:
    id: str
    kind: str
    digits: tuple[int, int]
    context: str | None
    validator: str | None
    counting: bool  # False: a counting run ("one two three four") does not fire this rule


@dataclass(frozen=True)
class Rules:
    """Everything loaded from models/ that decides what is an identifier."""

    labels: dict[str, str]  # kind -> replacement label
    patterns: tuple[_Pattern, ...]
    names: tuple[_NameRule, ...]
    number_rules: tuple[_NumberRule, ...]
    context: dict[str, tuple[str, ...]]
    context_words: int
    digit_words: dict[str, str]
    teen_words: dict[str, str]
    tens_words: dict[str, str]
    repeat_words: dict[str, int]
    letters_before: bool
    given: frozenset[str]
    surnames: frozenset[str]
    ambiguous: frozenset[str]
    not_names: frozenset[str]
    not_places: frozenset[str]
    month_day: re.Pattern[str]  # for trained-NER DATE entities: a month with a day

    def is_name_word(self, word: str) -> bool:
        w = word.lower()
        return w in self.given or w in self.surnames


def _expand(pattern: str, fragments: dict[str, str], where: str) -> str:
    def sub(m: re.Match[str]) -> str:
        if m.group(1) not in fragments:
            raise ConfigError(f"unknown fragment {{{m.group(1)}}}", path=where)
        return fragments[m.group(1)]

    return _FRAGMENT.sub(sub, pattern)


def _fragments(raw: dict[str, Any], label: str) -> dict[str, str]:
    """Fragments in file order, each expanded with the ones before it."""
    out: dict[str, str] = {}
    for key, value in raw.items():
        if not isinstance(value, str):
            raise ConfigError(f"[fragments] {key} must be a string", path=label)
        out[key] = _expand(value, out, label)
    return out


def _compile(pattern: str, flags: int, where: str, line: int | None) -> re.Pattern[str]:
    try:
        return re.compile(pattern, flags)
    except re.error as exc:
        raise ConfigError(f"invalid regular expression: {exc}", path=where, line=line) from exc


def _check_keys(row: dict[str, Any], allowed: set[str], required: Iterable[str], where: str) -> None:
    extra = set(row) - allowed
    missing = [k for k in required if k not in row]
    if extra or missing:
        what = f"unknown key(s) {sorted(extra)}" if extra else f"missing key(s) {missing}"
        raise ConfigError(f"rule {row.get('id', '?')}: {what}", path=where, line=row.get("_line"))


def _check_validator(name: str | None, rule: str, where: str) -> None:
    if name is not None and name.split(":", 1)[0] not in _VALIDATORS:
        raise ConfigError(f"rule {rule}: unknown validator {name!r} (one of {', '.join(_VALIDATORS)})", path=where)


@lru_cache(maxsize=4)
def load_rules(settings_file: str | None = None) -> Rules:
    """Load and check the identifier rules (shipped ones unless ``settings_file`` names a copy)."""
    settings, slabel = load_toml(settings_file or SETTINGS_FILE)
    labels = {str(k): str(v) for k, v in settings.get("kinds", {}).items()}
    frags = _fragments(settings.get("fragments", {}), slabel)
    triggers = {k: frozenset(map(str, v)) for k, v in settings.get("triggers", {}).items()}
    patterns = tuple(_load_patterns(labels, frags, triggers))
    names = tuple(_load_name_rules(frags, triggers))
    numbers = settings.get("numbers", {})
    context = settings.get("context", {})
    number_rules = tuple(_number_rule(r, labels, context, slabel) for r in numbers.get("rule", []))
    lex = lambda n: word_list(f"lexicons/{n}.txt")  # noqa: E731
    month_day = re.compile(rf"\b{frags['month']}\s+(?:the\s+)?(?:{frags['day_num']}|{frags['ordinal_word']})\b|"
                           rf"\b(?:{frags['day_num']}|{frags['ordinal_word']})\s+(?:of\s+)?{frags['month']}", re.I)
    return Rules(
        labels=labels, patterns=patterns, names=names, number_rules=number_rules,
        context={k: tuple(v) for k, v in context.items() if isinstance(v, list)},
        context_words=int(context.get("context_words", 8)),
        digit_words=dict(numbers.get("digits", {})), teen_words=dict(numbers.get("teens", {})),
        tens_words=dict(numbers.get("tens", {})), repeat_words=dict(numbers.get("repeat", {})),
        letters_before=bool(numbers.get("letters_before", True)),
        given=lex("given_names"), surnames=lex("surnames"), ambiguous=lex("name_words_ambiguous"),
        not_names=lex("not_names"), not_places=lex("not_places"), month_day=month_day,
    )


def _needs(row: dict[str, Any], triggers: dict[str, frozenset[str]], where: str,
           key: str = "needs") -> frozenset[str] | None:
    """A row's `needs` with trigger lists ("$month") expanded; None when the row is always tried."""
    if key not in row:
        return None
    out: set[str] = set()
    for item in row[key]:
        if item in _SPECIAL_NEEDS:
            out.add(item)
        elif item.startswith("$"):
            if item[1:] not in triggers:
                raise ConfigError(f"rule {row['id']}: needs {item!r}, which is not in [triggers]", path=where,
                                  line=row.get("_line"))
            out.update(triggers[item[1:]])
        else:
            out.add(item.lower())
    return frozenset(out)


def _load_patterns(labels: dict[str, str], frags: dict[str, str],
                   triggers: dict[str, frozenset[str]]) -> Iterator[_Pattern]:
    rows, label = load_jsonl(PATTERNS_FILE)
    for order, row in enumerate(rows):
        _check_keys(row, _PATTERN_KEYS, ("id", "kind", "pattern"), label)
        if row["kind"] not in labels:
            raise ConfigError(f"rule {row['id']}: kind {row['kind']!r} is not in [kinds]", path=label, line=row["_line"])
        _check_validator(row.get("validator"), row["id"], label)
        flags = 0 if row.get("case_sensitive") else re.IGNORECASE
        regex = _compile(_expand(row["pattern"], frags, label), flags, label, row["_line"])
        yield _Pattern(row["id"], row["kind"], regex, row.get("validator"), order, _needs(row, triggers, label),
                       _needs(row, triggers, label, "needs_also"))


def _load_name_rules(frags: dict[str, str], triggers: dict[str, frozenset[str]]) -> Iterator[_NameRule]:
    rows, label = load_jsonl(NAMES_FILE)
    for row in rows:
        _check_keys(row, _NAME_KEYS, ("id", "pattern", "check"), label)
        if row["check"] not in ("proper", "lexicon"):
            raise ConfigError(f"rule {row['id']}: check must be proper or lexicon", path=label, line=row["_line"])
        regex = _compile(_expand(row["pattern"], frags, label), re.IGNORECASE, label, row["_line"])
        if "name" not in regex.groupindex:
            raise ConfigError(f"rule {row['id']}: pattern needs a (?P<name>...) group", path=label, line=row["_line"])
        yield _NameRule(row["id"], regex, row["check"], _needs(row, triggers, label))


def _number_rule(row: dict[str, Any], labels: dict[str, str], context: dict[str, Any], where: str) -> _NumberRule:
    _check_keys(row, _NUMBER_RULE_KEYS, ("id", "kind", "digits"), where)
    if row["kind"] not in labels:
        raise ConfigError(f"rule {row['id']}: kind {row['kind']!r} is not in [kinds]", path=where)
    if row.get("context") and row["context"] not in context:
        raise ConfigError(f"rule {row['id']}: context {row['context']!r} is not in [context]", path=where)
    _check_validator(row.get("validator"), row["id"], where)
    lo, hi = row["digits"]
    return _NumberRule(row["id"], row["kind"], (int(lo), int(hi)), row.get("context"), row.get("validator"),
                       bool(row.get("counting", True)))


# --- validators -------------------------------------------------------------------------------------------

def luhn_ok(digits: str) -> bool:
    """True when a digit string passes the Luhn check used by payment card numbers."""
    if not digits.isdigit() or len(digits) < 12:
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _valid(validator: str | None, text: str, rules: Rules) -> bool:
    if validator is None:
        return True
    name, _, arg = validator.partition(":")
    digits = re.sub(r"\D", "", text)
    if name == "luhn":
        return 13 <= len(digits) <= 19 and luhn_ok(digits)
    if name == "digits":
        lo, _, hi = arg.partition("-")
        return int(lo) <= len(digits) <= int(hi or lo)
    if name == "ip":
        parts = text.split(".")
        return all(p.isdigit() and int(p) <= 255 for p in parts) and not all(int(p) < 10 for p in parts)
    if name == "date":
        a, b, _ = (int(x) for x in re.split(r"[/.-]", text))
        return 1 <= a <= 31 and 1 <= b <= 31 and (a <= 12 or b <= 12)
    if name == "street":
        words = [w.lower() for w in re.findall(r"[A-Za-z']+", text)]
        return not any(w in rules.not_names or w in _FUNCTION_WORDS for w in words[:-1] if not w.isdigit())
    if name == "place":
        return text.lower() not in rules.not_places and text.split()[0].lower() not in rules.not_names
    return True


# Words that cannot be part of a street name: "walked 2 blocks down the street" is not an address.
_FUNCTION_WORDS = frozenset(
    "the a an to of in on at up down my our your his her their this that and or for with from by "
    "blocks block times miles minutes hours days weeks me you him them it is was".split()
)


# --- detection in one turn --------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    kind: str
    rule_id: str
    order: int  # lower wins where two hits cover the same text


_LOWER_WORD = re.compile(r"[a-z]+|[0-9]+")
_DIGIT = re.compile(r"[0-9]")
_DOT_LETTER = re.compile(r"\.[A-Za-z]")


def _turn_words(text: str, rules: Rules) -> frozenset[str]:
    """The turn's lower-case words, plus $digit / $at / $name when it has a digit, an "@", a lexicon name."""
    words = set(_LOWER_WORD.findall(text.lower()))
    if _DIGIT.search(text):
        words.add("$digit")
    if "@" in text:
        words.add("$at")
    if _DOT_LETTER.search(text):
        words.add("$dot")
    if not words.isdisjoint(rules.given) or not words.isdisjoint(rules.surnames):
        words.add("$name")
    return frozenset(words)


def _tried(needs: frozenset[str] | None, words: frozenset[str]) -> bool:
    return needs is None or not needs.isdisjoint(words)


def _pattern_hits(text: str, words: frozenset[str], rules: Rules) -> list[_Hit]:
    hits: list[_Hit] = []
    tried: dict[frozenset[str] | None, bool] = {}  # rows share a few `needs` sets: test each once per turn
    for p in rules.patterns:
        ok = tried.get(p.needs)
        if ok is None:
            ok = tried[p.needs] = _tried(p.needs, words)
        if not ok or not _tried(p.needs_also, words):
            continue
        for m in p.regex.finditer(text):
            group = "id" if "id" in p.regex.groupindex and m.group("id") is not None else 0
            start, end = m.span(group)
            if end > start and _valid(p.validator, m.group(group), rules):
                hits.append(_Hit(start, end, p.kind, p.id, p.order))
    return hits


# A token of a spoken or written number, with the digits it stands for.
_NUM_TOKEN = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+|[A-Za-z]+|[^\sA-Za-z\d]")
_RUN_SEPARATORS = frozenset({",", "-", "."})
_SPELLED_LETTER = re.compile(r"[b-hj-zB-HJ-Z]")


@dataclass
class _Run:
    start: int
    end: int
    digits: str
    values: list[int]


def _number_runs(text: str, rules: Rules) -> list[_Run]:
    """Runs of digits written or spoken ("555 0198", "five five five, oh nine", "double seven")."""
    tokens = [(m.group(), m.start(), m.end()) for m in _NUM_TOKEN.finditer(text)]
    runs: list[_Run] = []
    cur: _Run | None = None
    pending_sep = False
    letters = 0
    i = 0
    while i < len(tokens):
        tok, s, e = tokens[i]
        low = tok.lower()
        value, width = _token_digits(tokens, i, rules)
        if value is not None:
            if cur is None:  # anything but spaces and one separator between numbers ends a run
                cur = _Run(s, e, "", [])
                runs.append(cur)
            cur.digits += value
            cur.values.append(int(value) if value.isdigit() else -1)
            cur.end = tokens[i + width - 1][2]
            pending_sep, letters = False, 0
            i += width
            continue
        if cur is not None and low in _RUN_SEPARATORS and not pending_sep:
            pending_sep = True
        elif cur is not None and rules.letters_before and _SPELLED_LETTER.fullmatch(tok) and letters < 2:
            letters += 1  # a spelled-out code: "one e g four t e five" (the letters stay inside the run)
        else:
            cur, pending_sep = None, False
        if low not in _RUN_SEPARATORS and not _SPELLED_LETTER.fullmatch(tok):
            letters = 0
        i += 1
    runs = [r for r in runs if r.digits.strip("0") or len(r.digits) > 1]
    return [_with_letters(text, r, rules) for r in runs] if rules.letters_before else runs


def _token_digits(tokens: list[tuple[str, int, int]], i: int, rules: Rules) -> tuple[str | None, int]:
    """The digits token ``i`` stands for and how many tokens it uses (``fifty three`` is one number)."""
    tok = tokens[i][0]
    low = tok.lower()
    if tok.isdigit():
        return tok, 1
    if low in rules.digit_words:
        return rules.digit_words[low], 1
    if low in rules.teen_words:
        return rules.teen_words[low], 1
    if low in rules.tens_words:
        # "fifty three", "fifty-three" -> 53; "fifty" alone -> 50
        for j in (i + 1, i + 2):
            if j < len(tokens) and tokens[j][0] == "-" and j == i + 1:
                continue
            if j < len(tokens) and tokens[j][0].lower() in rules.digit_words and tokens[j][0].lower() not in ("oh", "o", "zero", "nought"):
                return rules.tens_words[low] + rules.digit_words[tokens[j][0].lower()], j - i + 1
            break
        return rules.tens_words[low] + "0", 1
    if low in rules.repeat_words and i + 1 < len(tokens) and tokens[i + 1][0].lower() in rules.digit_words:
        return rules.digit_words[tokens[i + 1][0].lower()] * rules.repeat_words[low], 2
    return None, 1


def _with_letters(text: str, run: _Run, rules: Rules) -> _Run:
    """Extend a run over spelled-out letters right before it: "h r seven seven four ..."."""
    start = run.start
    while True:
        m = re.search(r"(?:^|(?<=\s))([b-hj-z])\s+$", text[:start], re.I)
        if not m:
            break
        start = m.start(1)
    return _Run(start, run.end, run.digits, run.values) if start != run.start and len(run.digits) >= 5 else run


def _is_counting(values: list[int]) -> bool:
    """"one, two, three, four" (breathing, counting) rather than a number someone reads out."""
    if len(values) < 3 or any(v < 0 for v in values):
        return False
    steps = {b - a for a, b in zip(values, values[1:])}
    return steps in ({1}, {-1})


def _context_before(text: str, start: int, prev_text: str, n_words: int) -> str:
    """The ``n_words`` words before ``start`` (reaching back into the previous turn), lower-case."""
    words = re.findall(r"[a-z']+", text[:start].lower())
    if len(words) < n_words:
        words = re.findall(r"[a-z']+", prev_text.lower())[-(n_words - len(words)):] + words
    return " " + " ".join(words[-n_words:]) + " "


def _context_position(window: str, terms: Sequence[str]) -> int:
    """Where the last of ``terms`` ends in ``window`` (-1 if none): the nearest context word wins."""
    best = -1
    for t in terms:
        for form in (f" {t} ", f" {t}s "):
            i = window.rfind(form)
            if i >= 0:
                best = max(best, i + len(form))
    return best


def _number_hits(text: str, prev_text: str, covered: list[_Hit], rules: Rules) -> list[_Hit]:
    hits: list[_Hit] = []
    for run in _number_runs(text, rules):
        if any(h.start < run.end and run.start < h.end for h in covered):
            continue  # a written pattern already explains these digits
        rule_k = _number_rule_for(run, _context_before(text, run.start, prev_text, rules.context_words), rules)
        if rule_k is not None:
            k, rule = rule_k
            hits.append(_Hit(run.start, run.end, rule.kind, rule.id, 1000 + k))
    return hits


def _number_rule_for(run: _Run, window: str, rules: Rules) -> tuple[int, _NumberRule] | None:
    """The rule a digit run fits: among rules whose context word is present, the nearest context wins
    ("phone number in case ..." is a phone number); then the first rule without a context."""
    n = len(run.digits)
    counting = _is_counting(run.values)
    best: tuple[int, int, _NumberRule] | None = None  # (context position, -order, rule)
    for k, rule in enumerate(rules.number_rules):
        if not rule.digits[0] <= n <= rule.digits[1]:
            continue
        if rule.validator and not _valid(rule.validator, run.digits, rules):
            continue
        if rule.context:
            pos = _context_position(window, rules.context.get(rule.context, ()))
            if pos >= 0 and (best is None or (pos, -k) > best[:2]):
                best = (pos, -k, rule)
        elif best is not None:
            break
        elif not counting:
            return k, rule
    return (-best[1], best[2]) if best is not None else None


def _name_ok(words: list[str], check: str, rules: Rules) -> bool:
    """Do the captured words look like a person's name under the rule's ``check``?"""
    if not words or any(w.lower() in rules.not_names for w in words):
        return False
    if check == "lexicon":
        return rules.is_name_word(words[0])
    return all(w[:1].isupper() or rules.is_name_word(w) for w in words)


def _name_prefix(words: list[str], rules: Rules) -> list[str]:
    """The leading words that can be part of a name: "david from accounts" -> david, "Tom And" -> Tom."""
    out: list[str] = []
    for i, w in enumerate(words):
        low = w.lower()
        if low in rules.not_names or (i and not (w[:1].isupper() or rules.is_name_word(low))):
            break
        out.append(w)
    return out


def _name_hits(text: str, words_in_turn: frozenset[str], rules: Rules) -> list[_Hit]:
    hits: list[_Hit] = []
    for order, rule in enumerate(rules.names):
        if not _tried(rule.needs, words_in_turn):
            continue
        for m in rule.regex.finditer(text):
            start, end = m.span("name")
            words = _name_prefix(m.group("name").split(), rules)
            if _name_ok(words, rule.check, rules):
                end = start + len(" ".join(words)) if m.group("name").startswith(" ".join(words)) else end
                hits.append(_Hit(start, end, "name", rule.id, 500 + order))
    if "$name" in words_in_turn:
        hits.extend(_lexicon_hits(text, rules))
    return hits


def _lexicon_hits(text: str, rules: Rules) -> list[_Hit]:
    """Words of the name lexicons: Capitalised, or any case in a turn with no capitals (speech-to-text)."""
    lower_only = not any(c.isupper() for c in text)
    words = list(_WORD.finditer(text))
    hits: list[_Hit] = []
    for i, m in enumerate(words):
        w = m.group()
        low = w.lower()
        if not rules.is_name_word(low) or low in rules.not_names:
            continue
        nxt = words[i + 1] if i + 1 < len(words) else None
        joined = nxt is not None and text[m.end():nxt.start()] == " " and nxt.group()[:1].isupper() \
            and nxt.group().lower() not in rules.not_names
        if low in rules.ambiguous:
            # "Grace" alone is a word; "Grace Okafor" is a name
            if not (w[:1].isupper() and joined and rules.is_name_word(nxt.group())):  # type: ignore[union-attr]
                continue
        elif not (w[:1].isupper() or lower_only):
            continue
        end = nxt.end() if joined and w[:1].isupper() else m.end()  # type: ignore[union-attr]
        hits.append(_Hit(m.start(), end, "name", "name-lexicon", 900))
    return hits


def _turn_hits(text: str, prev_text: str, rules: Rules) -> list[_Hit]:
    words = _turn_words(text, rules)
    hits = _pattern_hits(text, words, rules)
    if _may_hold_long_number(words, rules):
        hits.extend(_number_hits(text, prev_text, hits, rules))
    hits.extend(_name_hits(text, words, rules))
    return hits


def _may_hold_long_number(words: frozenset[str], rules: Rules) -> bool:
    """Could the turn hold a digit run long enough for a number rule?  (Most turns cannot: skip them.)"""
    shortest = min((r.digits[0] for r in rules.number_rules), default=0)
    total = 0
    for w in words:
        if w[0].isdigit():
            total += len(w)
        elif w in rules.digit_words or w in rules.repeat_words:
            total += 3  # a word may repeat ("five five five"): each distinct word may stand for several digits
        elif w in rules.teen_words or w in rules.tens_words:
            total += 4
        if total >= shortest:
            return True
    return False


def _resolve(hits: list[_Hit]) -> list[_Hit]:
    """One hit per stretch of text: a hit inside a longer one is dropped, overlapping hits are joined."""
    kept: list[_Hit] = []
    for h in sorted(hits, key=lambda h: (h.start, -(h.end - h.start), h.order)):
        if kept and h.start < kept[-1].end:
            last = kept[-1]
            if h.end > last.end:
                kept[-1] = replace(last, end=h.end)
            continue
        kept.append(h)
    return kept


# --- a whole transcript ----------------------------------------------------------------------------------

def speaker_name_words(label: str, rules: Rules | None = None) -> list[str]:
    """The words of a speaker label that are a person's name ("Dr. Amara Okafor" -> Amara, Okafor).

    Role words, titles and codes ("Therapist", "SPEAKER_00", "A", "Client 2") give none.
    """
    from .roles import classify_label, load_role_labels, normalize_label

    rules = rules or load_rules()
    labels = load_role_labels()
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z'-]+", label) if not w.isupper() or len(w) > 3]
    out = []
    for w in words:
        low = w.lower()
        if low in rules.not_names or low == "speaker" or classify_label(w, labels) is not None:
            continue
        if normalize_label(w) in ("speaker", "spk", "unknown"):
            continue
        out.append(w)
    return out


def find_identifiers(transcript: Transcript, ner: Any = None, rules: Rules | None = None) -> list[Finding]:
    """Likely identifiers in ``transcript``, in turn and text order.

    ``ner`` is a spaCy pipeline with an entity recogniser (see :func:`ner_pipeline`) or None.
    Speaker labels that are names are listed too (kind ``speaker_name``, no span).
    """
    rules = rules or load_rules()
    per_turn: list[list[_Hit]] = []
    prev = ""
    for t in transcript.turns:
        per_turn.append(_turn_hits(t.text, prev, rules))
        prev = t.text
    if ner is not None:
        for hits, doc in zip(per_turn, ner.pipe(t.text for t in transcript.turns)):
            # the recogniser only adds what the rules missed; where both fire the rule's kind is kept
            hits.extend(h for h in _ner_hits(doc, rules) if not any(h.start < o.end and o.start < h.end for o in hits))
    speakers = _speaker_findings(transcript, rules)
    _repeat(transcript, per_turn, [w for f in speakers for w in speaker_name_words(f.text, rules)], rules)
    findings = list(speakers)
    for t, hits in zip(transcript.turns, per_turn):
        for h in _resolve(hits):
            findings.append(Finding(transcript.session_id, transcript.source, t.index, h.kind, h.start, h.end,
                                    t.text[h.start:h.end], h.rule_id))
    findings.sort(key=lambda f: (f.turn, -1 if f.start_char is None else f.start_char))
    return findings


def _speaker_findings(transcript: Transcript, rules: Rules) -> list[Finding]:
    out = []
    for speaker in transcript.speakers:
        if speaker_name_words(speaker, rules):
            first = next(t for t in transcript.turns if t.speaker == speaker)
            out.append(Finding(transcript.session_id, transcript.source, first.index, "speaker_name", None, None,
                               speaker, "speaker-label"))
    return out


def _repeat(transcript: Transcript, per_turn: list[list[_Hit]], speaker_words: list[str], rules: Rules) -> None:
    """Find again, in every turn, what was found once: a name introduced early, an age said twice."""
    names: set[str] = set(speaker_words)
    others: dict[str, str] = {}
    for t, hits in zip(transcript.turns, per_turn):
        for h in hits:
            found = t.text[h.start:h.end]
            if h.rule_id.startswith("ner-"):
                continue  # a statistical guess is not repeated across the session
            if h.kind == "name":
                names.update(w for w in re.findall(r"[A-Za-z][A-Za-z'-]+", found) if len(w) > 1)
            elif len(found) >= 4:
                others.setdefault(found.lower(), h.kind)
    names = {n for n in names if n.lower() not in rules.not_names}
    if not names and not others:
        return
    # one search per turn: ambiguous names ("Grace") must keep their capital, the rest match any case
    terms = {"name": sorted((n for n in names if n.lower() not in rules.ambiguous), key=len, reverse=True),
             "cased": sorted((n for n in names if n.lower() in rules.ambiguous), key=len, reverse=True),
             "other": sorted(others, key=len, reverse=True)}
    searches = [(re.compile(rf"(?<![\w'-])(?:{'|'.join(map(re.escape, items))})(?![\w-]|'[a-rt-z])",
                            0 if group == "cased" else re.IGNORECASE), group)
                for group, items in terms.items() if items]
    for t, hits in zip(transcript.turns, per_turn):
        for regex, group in searches:
            for m in regex.finditer(t.text):
                kind = others.get(m.group().lower(), "name") if group == "other" else "name"
                hits.append(_Hit(m.start(), m.end(), kind, f"{kind}-repeat", 5000))


# --- trained pipelines ------------------------------------------------------------------------------------

_NER_KINDS = {"PERSON": "name", "GPE": "location", "LOC": "location", "FAC": "address", "DATE": "date"}


def _ner_hits(doc: Any, rules: Rules) -> list[_Hit]:
    hits = []
    for ent in doc.ents:
        kind = _NER_KINDS.get(ent.label_)
        text = ent.text.removesuffix("'s").strip()
        words = text.split()
        if kind is None or not words:
            continue
        if kind == "name" and (any(w.lower() in rules.not_names for w in words) or not text[:1].isupper()):
            continue
        if kind in ("location", "address") and (text.lower() in rules.not_places or text.lower().removeprefix("the ")
                                                 in rules.not_places or not text[:1].isupper()):
            continue
        if len(words) == 1 and not rules.is_name_word(text) and _sentence_initial(doc.text, ent.start_char):
            continue  # "Batch cooking ...", "Clearer now": a capital that only starts a sentence
        if kind == "date" and not rules.month_day.search(text):
            continue  # "two weeks", "May", "last year": not more specific than a year
        hits.append(_Hit(ent.start_char, ent.start_char + len(text), kind, f"ner-{ent.label_.lower()}", 800))
    return hits


def _sentence_initial(text: str, start: int) -> bool:
    before = text[:start].rstrip()
    return not before or before[-1] in ".!?\"'(:;-"


@lru_cache(maxsize=4)
def ner_pipeline(name: str | None) -> Any:
    """A pipeline with an entity recogniser for ``name`` (an installed trained spaCy pipeline), or None.

    The blank default (``blank:en``) has no recogniser; then names rest on the lexicons and context rules.
    """
    if not name or name.startswith("blank:"):
        return None
    import spacy

    from .errors import ModelError

    try:
        nlp = spacy.load(name)
    except OSError as exc:
        raise ModelError(f"spaCy pipeline {name!r} is not installed") from exc
    if not nlp.has_pipe("ner"):
        return None
    keep = {"ner", "tok2vec"} & set(nlp.pipe_names)
    for pipe in list(nlp.pipe_names):
        if pipe not in keep:
            nlp.disable_pipe(pipe)
    return nlp


# --- redaction and display --------------------------------------------------------------------------------

def redact(transcript: Transcript, findings: Sequence[Finding] | None = None, rules: Rules | None = None) -> Transcript:
    """A copy of ``transcript`` with each finding replaced by ``[KIND]`` and speakers named by role.

    Several speakers with one role become ``Client``, ``Client 2`` ...; warnings that name a speaker
    are rewritten the same way.
    """
    rules = rules or load_rules()
    if findings is None:
        findings = find_identifiers(transcript, rules=rules)
    speakers = _role_labels(transcript)
    by_turn: dict[int, list[Finding]] = {}
    for f in findings:
        if f.start_char is not None:
            by_turn.setdefault(f.turn, []).append(f)
    turns = tuple(
        replace(t, speaker=speakers[t.speaker], text=_replace_spans(t.text, by_turn.get(t.index, []), rules))
        for t in transcript.turns
    )
    found = sorted({f.text for f in findings if len(f.text) >= 3}, key=len, reverse=True)
    warnings = tuple(_rename(_scrub(w, found), speakers) for w in transcript.warnings)
    return replace(transcript, turns=turns, warnings=warnings)


def _scrub(text: str, found: Sequence[str]) -> str:
    """A reader's warning may quote the source ("line 12: 'Siobhan: ...'"): found text is removed there too."""
    for item in found:
        text = text.replace(item, "[REDACTED]")
    return text


def _role_labels(transcript: Transcript) -> dict[str, str]:
    counts: dict[str, int] = {}
    out: dict[str, str] = {}
    for t in transcript.turns:
        if t.speaker not in out:
            counts[t.role] = counts.get(t.role, 0) + 1
            base = ROLE_LABELS.get(t.role, "Other")
            out[t.speaker] = base if counts[t.role] == 1 else f"{base} {counts[t.role]}"
    return out


def _rename(text: str, speakers: dict[str, str]) -> str:
    for name in sorted(speakers, key=len, reverse=True):
        if name != speakers[name]:
            text = re.sub(rf"(?<![\w]){re.escape(name)}(?![\w])", speakers[name], text)
    return text


def _replace_spans(text: str, findings: list[Finding], rules: Rules) -> str:
    spans = sorted((f.start_char, f.end_char, f.kind) for f in findings if f.start_char is not None)
    out, pos = [], 0
    for start, end, kind in spans:
        assert start is not None and end is not None
        if start < pos:  # overlaps the previous replacement: extend it
            pos = max(pos, end)
            continue
        out.append(text[pos:start])
        out.append(f"[{rules.labels.get(kind, kind.upper())}]")
        pos = end
    out.append(text[pos:])
    return "".join(out)


def mask(text: str) -> str:
    """``(415) 555-0198`` -> ``(4**) ***-**98``: enough to recognise a finding, not to copy it."""
    alnum = [i for i, c in enumerate(text) if c.isalnum()]
    show = set(alnum[:1]) | (set(alnum[-2:]) if len(alnum) >= 8 else set())
    return "".join(c if (i in show or not c.isalnum()) else "*" for i, c in enumerate(text))


def count_by_kind(findings: Iterable[Finding]) -> dict[str, int]:
    out: dict[str, int] = {}
    for f in findings:
        out[f.kind] = out.get(f.kind, 0) + 1
    return out


def summary_warning(findings: Sequence[Finding], redacted: bool) -> str | None:
    """The one-line warning ``analyze`` gives for a session with findings (kinds and counts, never the text)."""
    if not findings:
        return None
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(count_by_kind(findings).items()))
    if redacted:
        return f"{len(findings)} possible identifier(s) replaced by [KIND] labels ({kinds})"
    return (f"{len(findings)} possible identifier(s) ({kinds}); list them with `session-analyzer scan`, "
            f"or analyse with --redact")


def screen(transcript: Transcript, redacting: bool = False, spacy_model: str | None = None) -> tuple[Transcript, int]:
    """What ``analyze`` does right after reading: count likely identifiers, warn, and redact if asked.

    Returns the transcript (redacted when ``redacting``; the warning added either way) and the count.
    """
    findings = find_identifiers(transcript, ner_pipeline(spacy_model))
    out = redact(transcript, findings) if redacting else transcript
    note = summary_warning(findings, redacted=redacting)
    if note:
        out = replace(out, warnings=out.warnings + (note,))
    return out, len(findings)


def scan_paths(paths: Sequence[str | Path], *, format: str | None = None, clinician: Sequence[str] = (),
               roles_file: str | None = None, spacy_model: str | None = None
               ) -> Iterator[tuple[Path, list[Finding], str | None]]:
    """For each transcript file under ``paths``: its findings, or the one-line error that stopped it."""
    from . import io as readers

    files, missing = readers.discover(paths)
    for msg in missing:
        yield Path(msg.split(":", 1)[0]), [], msg
    ner = ner_pipeline(spacy_model)
    for path in files:
        try:
            found: list[Finding] = []
            for tr in readers.read(path, format=format, clinician=clinician, roles_file=roles_file):
                found.extend(find_identifiers(tr, ner))
            yield path, found, None
        except AnalyzerError as exc:
            yield path, [], str(exc)
