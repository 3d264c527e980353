"""The data under models/ ships inside the built wheel and loads from it."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_contains_models_and_loads_them(tmp_path):
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    wheel = next(tmp_path.glob("session_analyzer-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {n.split("analyzer/models/", 1)[1] for n in names if n.startswith("analyzer/models/")}
    in_tree = {str(p.relative_to(ROOT / "models")) for p in (ROOT / "models").rglob("*")
               if p.is_file() and "__pycache__" not in p.parts}
    assert in_tree <= shipped, f"not in the wheel: {sorted(in_tree - shipped)}"
    unpacked = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(unpacked)
    # Import the package from the unpacked wheel (not the source tree) and load every kind of data file.
    code = (
        "import analyzer, sys; assert analyzer.__file__.startswith(sys.argv[1]), analyzer.__file__;"
        "from analyzer.skills import load_skill_map; from analyzer.markers.settings import load_settings;"
        "from analyzer.roles import load_role_labels; load_skill_map(); load_settings(); load_role_labels();"
        "from analyzer.io import read_text; from analyzer.pipeline import analyze_transcript;"
        "t = read_text('Therapist: How are you?\\nClient: Not great.\\n', 'text')[0];"
        "print(analyze_transcript(t).session['n_questions'])"
    )
    run = subprocess.run([sys.executable, "-c", code, str(unpacked)], capture_output=True, text=True,
                         cwd=tmp_path, env={"PYTHONPATH": str(unpacked), "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "1"
