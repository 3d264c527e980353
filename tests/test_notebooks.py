"""The notebooks run top to bottom (nbclient) with this venv's Python as the kernel.

The kernel is a kernelspec written into a temporary JUPYTER_PATH that names
``sys.executable``, so the run never depends on which ``python3`` kernelspec
(if any) happens to be installed on the machine.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
KERNEL = "session-analyzer-tests"
TIMEOUT_S = 300


@pytest.fixture
def kernel_env(tmp_path, monkeypatch):
    spec_dir = tmp_path / "jupyter" / "kernels" / KERNEL
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "session-analyzer tests",
        "language": "python",
    }), encoding="utf-8")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter") + os.pathsep + os.environ.get("JUPYTER_PATH", ""))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    work = tmp_path / "work"
    work.mkdir()
    return work


def execute(name: str, workdir: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(nb, timeout=TIMEOUT_S, kernel_name=KERNEL, resources={"metadata": {"path": str(workdir)}})
    client.execute()  # raises CellExecutionError on the first failing cell
    return nb


def stdout_of(nb: nbformat.NotebookNode) -> str:
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "stream")


@pytest.mark.parametrize("name", ["quick_tour.ipynb", "agreement_annomi.ipynb"])
def test_stored_without_outputs(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.outputs == [] and c.execution_count is None for c in code)


def test_quick_tour_runs(kernel_env):
    nb = execute("quick_tour.ipynb", kernel_env)
    out = stdout_of(nb)
    assert "<Analysis: 10 sessions, 0 errors>" in out
    assert "added again: 10" in out and "sessions in history: 10" in out
    pngs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(pngs) >= 2
    assert not list(kernel_env.iterdir())  # nothing written into the working folder


def test_agreement_notebook_without_data_ends_normally(kernel_env, monkeypatch, tmp_path):
    monkeypatch.setenv("SESSION_ANALYZER_SHARED_DATA", str(tmp_path / "absent"))
    nb = execute("agreement_annomi.ipynb", kernel_env)
    out = stdout_of(nb)
    assert "expert-coded data: not found" in out and out.rstrip().endswith("done")


@pytest.mark.shared
def test_agreement_notebook_with_data(kernel_env, monkeypatch, shared_data):
    monkeypatch.setenv("SESSION_ANALYZER_SHARED_DATA", str(shared_data))
    nb = execute("agreement_annomi.ipynb", kernel_env)
    out = stdout_of(nb)
    assert "133 sessions" in out and out.rstrip().endswith("done")
    html = "".join(o.get("data", {}).get("text/html", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    for word in ("precision", "recall", "kappa", "question", "reflection", "auc", "empathy_score", "rho"):
        assert word in html
