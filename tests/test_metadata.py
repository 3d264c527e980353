"""Manifest parsing, metadata precedence and the file-name pattern (analyzer/metadata.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.errors import AnalyzerError
from analyzer.metadata import (
    MetadataError,
    from_file_name,
    load_manifest,
    load_manifests,
    metadata_for,
)


def write(p: Path, text: str) -> Path:
    p.write_text(text, encoding="utf-8")
    return p


def test_manifest_good_with_extra_columns_and_csv_sessions(tmp_path):
    write(tmp_path / "manifest.csv",
          "file,clinician,date,client,site\n"
          "a.vtt,CL-A,2026-09-03,P-1,North\n"
          "clinic.csv/S01,CL-B,2026-09-08,P-2,South\n")
    m = load_manifest(tmp_path)
    assert len(m) == 2
    a = metadata_for("a", tmp_path / "a.vtt", m)
    assert a == {"clinician": "CL-A", "session_date": "2026-09-03", "client": "P-1", "site": "North",
                 "metadata_source": "manifest"}
    s1 = metadata_for("clinic/S01", tmp_path / "clinic.csv", m)
    assert (s1["clinician"], s1["session_date"], s1["metadata_source"]) == ("CL-B", "2026-09-08", "manifest")
    # another session of the same CSV is not in the manifest
    assert metadata_for("clinic/S02", tmp_path / "clinic.csv", m)["metadata_source"] == "none"


def test_manifest_keyed_by_session_id_and_bom(tmp_path):
    (tmp_path / "manifest.csv").write_bytes("\ufeffsession_id,clinician,date\nx,CL-C,2026-01-31\n".encode("utf-8"))
    m = load_manifest(tmp_path / "manifest.csv")
    got = metadata_for("x", tmp_path / "elsewhere" / "x.txt", m)
    assert got["clinician"] == "CL-C" and got["client"] == "" and got["metadata_source"] == "manifest"


def test_sample_manifest_covers_every_sample(samples):
    m = load_manifest(samples)
    assert len(m) == 10
    got = metadata_for("clinic_utterances/S03", samples / "clinic_utterances.csv", m)
    assert (got["clinician"], got["session_date"], got["client"]) == ("CL-B", "2026-11-17", "P-059")


def test_absent_manifest_is_empty_but_named_missing_file_is_an_error(tmp_path):
    assert load_manifest(tmp_path) == {}
    assert load_manifests([tmp_path]) == {}
    with pytest.raises(MetadataError, match="not found"):
        load_manifest(tmp_path / "nope.csv")


def test_manifest_without_key_column(tmp_path):
    write(tmp_path / "manifest.csv", "name,clinician,date\na.vtt,CL-A,2026-09-03\n")
    with pytest.raises(MetadataError) as ei:
        load_manifest(tmp_path)
    msg = str(ei.value)
    assert "key column" in msg and "manifest.csv:1" in msg and "name, clinician, date" in msg
    assert isinstance(ei.value, AnalyzerError)


def test_manifest_without_any_metadata_column(tmp_path):
    write(tmp_path / "manifest.csv", "file,notes\na.vtt,x\n")
    with pytest.raises(MetadataError, match="clinician, date, client"):
        load_manifest(tmp_path)


@pytest.mark.parametrize("bad", ["03/09/2026", "2026-9-3", "2026-02-30", "Sept 3"])
def test_bad_date_names_file_and_line(tmp_path, bad):
    write(tmp_path / "manifest.csv",
          "file,clinician,date,client\na.vtt,CL-A,2026-09-03,P-1\n\nb.vtt,CL-A," + bad + ",P-2\n")
    with pytest.raises(MetadataError) as ei:
        load_manifest(tmp_path)
    assert ei.value.path == str(tmp_path / "manifest.csv")
    assert ei.value.line == 4  # a blank line sits between the rows
    assert "manifest.csv:4" in str(ei.value) and bad in str(ei.value)


def test_duplicate_row_is_an_error(tmp_path):
    write(tmp_path / "manifest.csv", "file,clinician\na.vtt,CL-A\n./a.vtt,CL-B\n")
    with pytest.raises(MetadataError, match="listed twice.*line 2"):
        load_manifest(tmp_path)


def test_precedence_manifest_over_csv_over_file_name(tmp_path):
    src = tmp_path / "CL-Z_2026-05-01_P-9.csv"
    write(tmp_path / "manifest.csv", f"file,clinician,date\n{src.name}/S1,CL-M,2026-06-01\n")
    m = load_manifest(tmp_path)
    csv_meta = {"clinician": "CL-C", "date": "2026-07-01", "client": "P-C"}
    assert metadata_for("x/S1", src, m, csv_meta)["clinician"] == "CL-M"
    got = metadata_for("x/S2", src, m, csv_meta)
    assert (got["clinician"], got["session_date"], got["metadata_source"]) == ("CL-C", "2026-07-01", "csv")
    got = metadata_for("x/S2", src, m, {})
    assert got == {"clinician": "CL-Z", "session_date": "2026-05-01", "client": "P-9", "metadata_source": "file name"}
    with pytest.raises(MetadataError, match="not an ISO date"):
        metadata_for("x/S2", src, {}, {"clinician": "CL-C", "date": "01/07/2026"})


@pytest.mark.parametrize(
    "name, expected",
    [
        ("CL-A_2026-09-03_P-017.vtt", ("CL-A", "2026-09-03", "P-017")),
        ("CL-A_2026-09-03_P-017_part2.srt", ("CL-A", "2026-09-03", "P-017")),
        ("dr1_2025-12-31_c9.txt", ("dr1", "2025-12-31", "c9")),
        ("CL-A_2026-13-03_P-017.vtt", None),  # no month 13
        ("CL-A_03-09-2026_P-017.vtt", None),  # not ISO
        ("CL_A_2026-09-03_P-017.vtt", None),  # underscore inside the clinician code
        ("teams_checkin.vtt", None),
        ("CL-A_2026-09-03.vtt", None),  # no client
        # what copying and saving add to a name ends the client code
        ("CL-A_2026-09-03_P-017(2).txt", ("CL-A", "2026-09-03", "P-017")),
        ("CL-A_2026-09-03_P-017 (2).txt", ("CL-A", "2026-09-03", "P-017")),
        ("CL-A_2026-09-03_P-017~1.txt", ("CL-A", "2026-09-03", "P-017")),
        ("CL-A_2026-09-03_P-017[final].vtt", ("CL-A", "2026-09-03", "P-017")),
        ("CL-A_2026-09-03_P-017 [final] (3).json", ("CL-A", "2026-09-03", "P-017")),
    ],
)
def test_file_name_pattern(name, expected):
    got = from_file_name(Path("/x") / name)
    assert (None if got is None else (got["clinician"], got["session_date"], got["client"])) == expected
    meta = metadata_for("s", Path("/x") / name, None)
    assert meta["metadata_source"] == ("file name" if expected else "none")
    if not expected:
        assert (meta["clinician"], meta["session_date"], meta["client"]) == ("", "", "")
