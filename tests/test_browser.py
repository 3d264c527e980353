"""Render a session report and the run index in headless Chromium.

Checks what only a browser can tell: the page loads, every inline SVG chart
is laid out, nothing overflows a 1280 px laptop window, the summary (the
four skill scores, strengths and growth areas) is on the first 1280×800
screen and on printed page 1, and a 50-minute session prints on at most six
pages.  A copy of each page gets a small inline probe script (the reports
have none; the index has a few lines for sorting) that writes its findings
into a <pre id="probe">, read back from ``--dump-dom``.  Skipped where Chromium is not installed
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
  var charts = Array.prototype.slice.call(document.querySelectorAll('svg.chart'));
  var box = function (sel) { var e = document.querySelector(sel); return e ? e.getBoundingClientRect() : null; };
  var tiles = Array.prototype.slice.call(document.querySelectorAll('.tile'));
  var points = box('.pointcols'), rest = box('.rest');
  var out = {
    images: document.images.length,
    charts: charts.length,
    rendered: charts.filter(function (c) { var r = c.getBoundingClientRect(); return r.width > 100 && r.height > 40; }).length,
    maxChartRight: Math.max.apply(null, [0].concat(charts.map(function (c) { return c.getBoundingClientRect().right; }))),
    tiles: tiles.length,
    tilesBottom: Math.max.apply(null, [0].concat(tiles.map(function (t) { return t.getBoundingClientRect().bottom; }))),
    pointsBottom: points ? points.bottom : null,
    restTop: rest ? rest.top : null,
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    innerHeight: window.innerHeight,
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


def _chromium(args: list[str], tmp_path: Path, width: int = 1280, height: int = 800) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / "chromium-profile"
    profile.mkdir(exist_ok=True)
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--window-size={width},{height}", f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def _probe(page: Path, tmp_path: Path, width: int = 1280, print_css: bool = False) -> dict:
    """Load a copy of ``page`` with the probe injected; return what the probe saw.

    ``print_css`` applies the page's print rules on screen, to measure where printed page 1 ends.
    """
    html = page.read_text(encoding="utf-8")
    if page.name != "index.html":
        assert "<script" not in html.lower(), "reports carry no script"
    if print_css:
        html = html.replace("@media print {", "@media all {")
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
    from analyzer import io as readers

    sample = readers.read(Path(__file__).resolve().parent.parent / "sample_transcripts" / "patient_validating.vtt")[0]
    results = [build(_timed_transcript()), build(_untimed_transcript()), build(long), build(sample)]
    reports = {r.session_id: report_filename(r.session_id) for r in results}
    paths = [write_session_report(r, out) for r in results]
    index = write_index([r.session for r in results], reports, out)
    return results, paths, index


@needs_chromium
def test_session_reports_render_in_chromium(written, tmp_path):
    results, paths, _ = written
    for result, path in zip(results, paths):
        seen = _probe(path, tmp_path)
        assert seen["images"] == 0 and seen["charts"] >= 3
        assert seen["rendered"] == seen["charts"], seen
        assert seen["scrollWidth"] <= seen["innerWidth"], f"horizontal overflow at 1280 px: {seen}"
        assert seen["maxChartRight"] <= seen["innerWidth"], seen
        assert seen["turns"] == len(result.markers.turns)
        assert result.session_id in seen["title"]


@needs_chromium
def test_session_reports_fit_a_printed_page_width(written, tmp_path):
    # A4 with 12 mm side margins leaves about 700 CSS px, the narrower of A4 and Letter.
    _, paths, _ = written
    for path in paths:
        seen = _probe(path, tmp_path, width=700)
        assert seen["scrollWidth"] <= seen["innerWidth"], f"overflow at 700 px: {seen}"
        assert seen["rendered"] == seen["charts"]


SCREEN_PX = 800  # a 1280×800 laptop screen


@needs_chromium
def test_summary_is_on_the_first_screen(written, tmp_path):
    results, paths, _ = written
    for result, path in zip(results, paths):
        seen = _probe(path, tmp_path)  # positions from the top of the page, before any scrolling
        assert seen["tiles"] == len(result.skills.skills) + 1  # each skill and the overall score
        assert 0 < seen["tilesBottom"] <= SCREEN_PX, seen
        if result.skills.overall is not None:
            assert seen["pointsBottom"] <= SCREEN_PX, f"strengths and growth areas below the fold: {seen}"


# Printed page 1 ends where the next page starts: Letter (the shorter of A4 and Letter) less the 14 mm
# top and bottom margins is about 950 CSS px; A4 less 12 mm side margins is about 700 px wide.
PAGE_1_PX = 950


def _pdf_pages(pdf: Path) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))


@needs_chromium
def test_printed_page_one_holds_the_summary(written, tmp_path):
    results, paths, _ = written
    for result, path in zip(results, paths):
        seen = _probe(path, tmp_path, width=700, print_css=True)
        assert seen["tiles"] == len(result.skills.skills) + 1
        assert seen["restTop"] is not None and seen["restTop"] <= PAGE_1_PX, f"summary spills past page 1: {seen}"
        assert seen["tilesBottom"] <= seen["restTop"]


@needs_chromium
def test_fifty_minute_session_prints_on_six_pages(written, tmp_path):
    results, paths, _ = written
    sample, path = results[-1], paths[-1]
    assert sample.session["duration_s"] > 45 * 60  # the sample is a 49-minute session
    pdf = tmp_path / "report.pdf"
    # Chromium prints on Letter, the shorter of Letter and A4, so this bounds A4 too.
    proc = _chromium(["--no-pdf-header-footer", f"--print-to-pdf={pdf}", path.as_uri()], tmp_path)
    assert pdf.is_file() and pdf.read_bytes().startswith(b"%PDF"), proc.stderr[-800:]
    assert 2 <= _pdf_pages(pdf) <= 6, f"{_pdf_pages(pdf)} printed pages"


@needs_chromium
def test_index_renders_in_chromium(written, tmp_path):
    _, _, index = written
    seen = _probe(index, tmp_path)
    assert seen["scrollWidth"] <= seen["innerWidth"], seen
    assert "run index" in seen["title"]


@needs_chromium
def test_printing_the_transcript_adds_pages(written, tmp_path):
    from analyzer.report import session_report_html

    results, _, _ = written
    counts = []
    for printed in (False, True):
        page = tmp_path / f"t{printed}.html"
        page.write_text(session_report_html(results[-1], print_transcript=printed), encoding="utf-8")
        pdf = tmp_path / f"t{printed}.pdf"
        _chromium(["--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri()], tmp_path)
        counts.append(_pdf_pages(pdf))
    assert counts[1] > counts[0] + 5, counts


@needs_chromium
def test_screenshot_of_a_report(written, tmp_path):
    _, paths, _ = written
    shot = tmp_path / "report.png"
    proc = _chromium([f"--screenshot={shot}", "--virtual-time-budget=10000", paths[0].as_uri()], tmp_path)
    assert shot.is_file(), proc.stderr[-800:]
    assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert shot.stat().st_size > 10_000  # a blank page compresses to far less


SORT_PROBE = """
<script>
window.addEventListener('load', function () {
  var heads = Array.prototype.slice.call(document.querySelectorAll('table.sessions th[data-col]'));
  var overall = heads.filter(function (h) { return h.textContent === 'Overall'; })[0];
  var col = +overall.dataset.col;
  var read = function () {
    return Array.prototype.slice.call(document.querySelectorAll('table.sessions tbody')).map(function (tb) {
      return Array.prototype.slice.call(tb.querySelectorAll('tr.srow')).map(function (r) { return r.cells[col].dataset.v; });
    });
  };
  overall.click();
  var asc = read();
  overall.click();
  var desc = read();
  var pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = 'PROBE' + JSON.stringify({asc: asc, desc: desc}) + 'PROBE';
  document.body.appendChild(pre);
});
</script>
"""


@needs_chromium
def test_index_sorts_by_a_column_within_each_group(tmp_path):
    from analyzer.run import run_analysis

    out = tmp_path / "run"
    summary = run_analysis([Path(__file__).resolve().parent.parent / "sample_transcripts"], out, history=False)
    page = (out / "index.html").read_text(encoding="utf-8")
    assert page.count("<script") == 1 and "src=" not in page.split("<script", 1)[1].split(">", 1)[0]
    probed = out / "index.probe.html"
    probed.write_text(page.replace("</body>", SORT_PROBE + "</body>"), encoding="utf-8")
    proc = _chromium(["--virtual-time-budget=10000", "--dump-dom", probed.as_uri()], tmp_path)
    m = re.search(r"PROBE(\{.*?\})PROBE", proc.stdout)
    assert m, proc.stderr[-800:]
    seen = json.loads(m.group(1))
    assert len(seen["asc"]) == 2  # one group per clinician
    assert sum(len(g) for g in seen["asc"]) == summary.sessions
    for asc, desc in zip(seen["asc"], seen["desc"]):
        values = [float(v) for v in asc if v]
        assert values == sorted(values) and values
        assert [float(v) for v in desc if v] == sorted(values, reverse=True)
