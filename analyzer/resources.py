"""Load the data files under models/ (shipped as ``analyzer.models``).

All data a supervisor may want to change lives in models/; code never embeds
word lists.  Files are read with :mod:`importlib.resources` so they work from
an installed wheel as well as from the source tree.
"""

from __future__ import annotations

import json
import tomllib
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from .errors import ConfigError


def model_file(name: str) -> Traversable:
    """Return the shipped data file ``models/<name>`` (``name`` may contain ``/``)."""
    node: Traversable = resources.files("analyzer.models")
    for part in name.split("/"):
        node = node / part
    if not node.is_file():
        raise ConfigError(f"data file models/{name} is missing from the installed package")
    return node


def _read_text(source: str | Path | Traversable) -> tuple[str, str]:
    if isinstance(source, str) and not Path(source).exists():
        node = model_file(source)
        return node.read_text(encoding="utf-8"), f"models/{source}"
    if isinstance(source, (str, Path)):
        p = Path(source)
        try:
            return p.read_text(encoding="utf-8"), str(p)
        except OSError as exc:
            raise ConfigError(f"cannot read: {exc.strerror}", path=p) from exc
    return source.read_text(encoding="utf-8"), str(source)


def load_toml(source: str | Path | Traversable) -> tuple[dict[str, Any], str]:
    """Parse a TOML data file (a shipped name like ``roles.toml`` or a path)."""
    text, label = _read_text(source)
    try:
        return tomllib.loads(text), label
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML: {exc}", path=label) from exc


def load_jsonl(source: str | Path | Traversable) -> tuple[list[dict[str, Any]], str]:
    """Parse a JSON-lines file: one object per line; blank lines and ``//`` comments allowed."""
    text, label = _read_text(source)
    rows: list[dict[str, Any]] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if not s or s.startswith("//"):
            continue
        try:
            obj = json.loads(s)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"invalid JSON: {exc.msg}", path=label, line=lineno) from exc
        if not isinstance(obj, dict):
            raise ConfigError("each line must be a JSON object", path=label, line=lineno)
        obj.setdefault("_line", lineno)
        rows.append(obj)
    return rows, label


@cache
def word_list(name: str) -> frozenset[str]:
    """A shipped plain-text word list: one entry per line, ``#`` comments, lower-cased."""
    text, _ = _read_text(name)
    out = set()
    for line in text.splitlines():
        s = line.split("#", 1)[0].strip().lower()
        if s:
            out.add(s)
    return frozenset(out)
