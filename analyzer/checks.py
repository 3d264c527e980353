"""One declarative checker for the TOML data files under models/ (and a user's copies of them).

A file's keys are declared as :class:`Key` rows (where the key sits, what kind of value it takes);
:func:`read_keys` checks a parsed file against them and returns the values, converted.  A missing
key or a wrong value raises :class:`~analyzer.errors.ConfigError` naming the file, the key and what
is allowed, in the same words for every file: ``[timing] fast_response_s must be a number, got 'x'``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .errors import ConfigError

Kind = Literal["number", "whole", "share", "bool", "strings", "words", "word_map"]

_ALLOWED: dict[str, str] = {
    "number": "a number",
    "whole": "a whole number ≥ 0",
    "share": "a number from 0 to 1",
    "bool": "true or false",
    "strings": "a list of strings",
    "words": "a list of strings",
    "word_map": "a table of word = \"word\"",
}


@dataclass(frozen=True)
class Key:
    """One key of a data file: ``section.key`` (or a top-level ``key``), its kind and the name it is returned as."""

    path: str
    kind: Kind
    name: str = ""
    default: Any = None  # used when the key is absent; None: the key is required

    @property
    def attr(self) -> str:
        return self.name or self.path.rsplit(".", 1)[-1]

    @property
    def shown(self) -> str:
        """The key as a reader finds it in the file: ``[section] key``."""
        section, _, key = self.path.rpartition(".")
        return f"[{section}] {key}" if section else key


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _convert(key: Key, raw: Any) -> Any:
    """The value converted for ``key.kind``, or None when it is not of that kind."""
    kind = key.kind
    if kind == "number":
        return float(raw) if _is_number(raw) else None
    if kind == "whole":
        return raw if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0 else None
    if kind == "share":
        return float(raw) if _is_number(raw) and 0 <= raw <= 1 else None
    if kind == "bool":
        return raw if isinstance(raw, bool) else None
    if kind in ("strings", "words"):
        if not (isinstance(raw, list) and all(isinstance(x, str) for x in raw)):
            return None
        return tuple(raw) if kind == "strings" else frozenset(x.lower() for x in raw)
    if isinstance(raw, Mapping) and all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items()):
        return {k.lower(): v.lower() for k, v in raw.items()}  # word_map
    return None


def read_keys(data: Mapping[str, Any], label: str, keys: Sequence[Key]) -> dict[str, Any]:
    """Check ``data`` (a parsed TOML file called ``label``) against ``keys``; returns ``{key.attr: value}``."""
    out: dict[str, Any] = {}
    for key in keys:
        node: Any = data
        parts = key.path.split(".")
        for depth, part in enumerate(parts):
            if not isinstance(node, Mapping):
                raise ConfigError(f"[{'.'.join(parts[:depth])}] must be a table", path=label)
            if part not in node:
                if key.default is None:
                    raise ConfigError(f"missing key {key.shown}", path=label)
                node = key.default
                break
            node = node[part]
        value = _convert(key, node)
        if value is None:
            raise ConfigError(f"{key.shown} must be {_ALLOWED[key.kind]}, got {node!r}", path=label)
        out[key.attr] = value
    return out


def read_model(name: str, keys: Sequence[Key]) -> dict[str, Any]:
    """A shipped data file (``models/<name>``, or a path) read and checked against ``keys``."""
    from .resources import load_toml

    data, label = load_toml(name)
    return read_keys(data, label, keys)
