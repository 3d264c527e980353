"""The shape of the code: no import cycles, layers that only look down, functions a reader can hold in mind."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "analyzer"
MAX_FUNCTION_LINES = 80


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(name: str, path: Path) -> set[str]:
    """Every analyzer module ``name`` imports, at module level or inside functions (not for type checking)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            if base.split(".")[0] == "analyzer":
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    out.add(sub if sub in MODULES else base)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.split(".")[0] == "analyzer")
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    out.discard(name)
    return {m for m in out if m in MODULES}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(GRAPH[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(GRAPH):
        if v not in index:
            connect(v)
    return found


def test_the_import_graph_sees_the_known_edges():
    # guards the graph builder itself: a test of no cycles over an empty graph would pass for nothing
    assert "analyzer.markers.text" in GRAPH["analyzer.markers.lexical"]
    assert "analyzer.frames" in GRAPH["analyzer.history"]
    assert "analyzer.report.plots" in GRAPH["analyzer.report.html"]


def test_no_import_cycles():
    assert _cycles() == []


# Layers, bottom up: a module may import its own layer and those below, never one above.
LAYERS = [
    {"analyzer._version", "analyzer.errors", "analyzer.model", "analyzer.resources", "analyzer.agreement",
     "analyzer.checks", "analyzer.guard", "analyzer.cleanup"},
    {"analyzer.markers.registry", "analyzer.markers.text", "analyzer.markers.base", "analyzer.markers.settings",
     "analyzer.tables", "analyzer.nlp", "analyzer.sentencizer", "analyzer.roles", "analyzer.metadata"},
]


def _layer(module: str) -> int:
    for i, layer in enumerate(LAYERS):
        if module in layer:
            return i
    if module.startswith("analyzer.markers") or module.startswith("analyzer.io"):
        return len(LAYERS)  # the marker families and the readers
    return len(LAYERS) + 1  # pipeline, skills, config, report, history, export, api, cli


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if _layer(m) <= len(LAYERS)))
def test_lower_layers_do_not_import_upwards(module):
    above = sorted(m for m in GRAPH[module] if _layer(m) > _layer(module))
    assert not above, f"{module} imports {above}"


def _functions() -> list[tuple[str, int]]:
    out = []
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                assert node.end_lineno is not None
                out.append((f"{name}.{node.name} (line {node.lineno})", node.end_lineno - node.lineno + 1))
    return out


def test_no_function_is_longer_than_a_reader_can_hold():
    functions = _functions()
    assert len(functions) > 200  # the walk found the code
    long = [f"{where}: {n} lines" for where, n in functions if n > MAX_FUNCTION_LINES]
    assert not long, "split into named steps: " + "; ".join(long)
