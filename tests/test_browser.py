"""Render a session report and the run index in headless Chromium.

Checks what only a browser can tell: the page loads, every image decodes and
is laid out (naturalWidth > 0), and nothing overflows a 1280 px laptop
window.  A copy of each page gets a small inline probe script (the shipped
pages have none) that writes its findings into a <pre id="probe">, read back
from ``--dump-dom``.  Skipped where Chromium is not installed
(``apt-get install chromium``).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")) if p), None)

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium not on PATH; install it with `apt-get install -y chromium` (Debian/Ubuntu)",
)

PROBE = """
<script>
window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  var out = {
    images: imgs.length,
    rendered: imgs.filter(function (i) { return i.complete && i.naturalWidth > 0 && i.getBoundingClientRect().width > 0; }).length,
    maxImgRight: Math.max.apply(null, [0].concat(imgs.map(function (i) { return i.getBoundingClientRect().right; }))),
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    turns: document.querySelectorAll('[id^="turn-"]').length,
    title: document.title
  };
  var pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = 'PROBE' + JSON.stringify(out) + 'PROBE';
  document.body.appendChild(pre);
});
</script>
"""

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


def _chromium(args: list[str], tmp_path: Path, width: int = 1280) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / "chromium-profile"
    profile.mkdir(exist_ok=True)
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--window-size={width},900", f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def _probe(page: Path, tmp_path: Path, width: int = 1280) -> dict:
    """Load a copy of ``page`` with the probe injected; return what the probe saw."""
    html = page.read_text(encoding="utf-8")
    assert "<script" not in html.lower(), "shipped pages carry no script"
    probed = page.with_name(page.stem + ".probe.html")
    probed.write_text(html.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    proc = _chromium(["--virtual-time-budget=10000", "--dump-dom", probed.as_uri()], tmp_path, width)
    probed.unlink()
    m = re.search(r"PROBE(\{.*?\})PROBE", proc.stdout)
    assert m, f"probe output missing; chromium rc={proc.returncode} stderr tail: {proc.stderr[-800:]}"
    return json.loads(m.group(1))


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """A timed and an untimed report and the index, written to a temp output folder."""
    from test_report import UNTIMED_WITH_SCRIPT, _timed_transcript, _untimed_transcript

    from analyzer.nlp import build_nlp
    from analyzer.pipeline import analyze_transcript
    from analyzer.report import report_filename, write_index, write_session_report

    nlp = build_nlp()

    def build(tr):
        return analyze_transcript(tr, nlp)

    out = tmp_path_factory.mktemp("run")
    # The third session stresses layout: a very long id and an unbroken 400-character "word".
    long = _untimed_transcript("clinic/" + "long_session_id_" * 10, UNTIMED_WITH_SCRIPT + ["Client: " + "z" * 400])
    results = [build(_timed_transcript()), build(_untimed_transcript()), build(long)]
    reports = {r.session_id: report_filename(r.session_id) for r in results}
    paths = [write_session_report(r, out) for r in results]
    index = write_index([r.session for r in results], reports, out)
    return results, paths, index


@needs_chromium
def test_session_reports_render_in_chromium(written, tmp_path):
    results, paths, _ = written
    for result, path in zip(results, paths):
        seen = _probe(path, tmp_path)
        assert seen["images"] >= 3
        assert seen["rendered"] == seen["images"], seen
        assert seen["scrollWidth"] <= seen["innerWidth"], f"horizontal overflow at 1280 px: {seen}"
        assert seen["maxImgRight"] <= seen["innerWidth"], seen
        assert seen["turns"] == len(result.markers.turns)
        assert result.session_id in seen["title"]


@needs_chromium
def test_session_reports_fit_a_printed_page_width(written, tmp_path):
    # A4 with 12 mm side margins leaves about 700 CSS px, the narrower of A4 and Letter.
    _, paths, _ = written
    for path in paths:
        seen = _probe(path, tmp_path, width=700)
        assert seen["scrollWidth"] <= seen["innerWidth"], f"overflow at 700 px: {seen}"
        assert seen["rendered"] == seen["images"]


@needs_chromium
def test_print_to_pdf(written, tmp_path):
    _, paths, _ = written
    pdf = tmp_path / "report.pdf"
    proc = _chromium(["--no-pdf-header-footer", f"--print-to-pdf={pdf}", paths[0].as_uri()], tmp_path)
    assert pdf.is_file() and pdf.read_bytes().startswith(b"%PDF"), proc.stderr[-800:]


@needs_chromium
def test_index_renders_in_chromium(written, tmp_path):
    _, _, index = written
    seen = _probe(index, tmp_path)
    assert seen["scrollWidth"] <= seen["innerWidth"], seen
    assert "run index" in seen["title"]


@needs_chromium
def test_screenshot_of_a_report(written, tmp_path):
    _, paths, _ = written
    shot = tmp_path / "report.png"
    proc = _chromium([f"--screenshot={shot}", "--virtual-time-budget=10000", paths[0].as_uri()], tmp_path)
    assert shot.is_file(), proc.stderr[-800:]
    assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert shot.stat().st_size > 10_000  # a blank page compresses to far less
