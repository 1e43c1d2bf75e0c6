"""Limits on hostile input: each bound rejects one row, or refuses the container, with a code."""

from __future__ import annotations

import gzip
import stat
import zipfile
from pathlib import Path

import pytest

from election_monitor.config import get_settings
from election_monitor.exceptions import InvalidInputError
from election_monitor.ingest import jsontext
from election_monitor.ingest.limits import BoundError, Limits, current_limits, parse_uint
from election_monitor.ingest.readers import read
from election_monitor.ingest.records import ChainRecord, ReadStats, RowError
from tests.fixtures_formats import T0, export_line, vote

SMALL = Limits(
    max_line_chars=2000,
    max_field_chars=500,
    max_json_depth=8,
    max_archive_members=3,
    max_compression_ratio=20,
    ratio_floor_bytes=10_000,
)


def good_lines(n: int = 2) -> list[str]:
    return [export_line(vote(f"V{i}", sender=f"K{i}", ts=T0 + i)) for i in range(n)]


def rows_of(path: Path, limits: Limits = SMALL) -> tuple[list[ChainRecord], list[RowError]]:
    stats = ReadStats()
    rows = list(read(path, "deg-export", stats=stats, limits=limits))
    records = [r for r in rows if isinstance(r, ChainRecord)]
    errors = [r for r in rows if isinstance(r, RowError)]
    assert stats.records + stats.errors + stats.skipped == stats.lines
    return records, errors


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_an_overlong_line_is_one_rejected_row_and_the_next_line_reads(tmp_path: Path) -> None:
    first, second = good_lines()
    path = write(tmp_path / "C_dump.csv", [first, "x" * 50_000, second])
    records, [error] = rows_of(path)
    assert [r.tx_id for r in records] == ["V0", "V1"]
    assert error.line == 2
    assert error.reason == "line_too_long: longer than 2,000 characters"
    assert len(error.text) == 2000


def test_an_overlong_line_without_an_end_does_not_fill_memory(tmp_path: Path) -> None:
    [first] = good_lines(1)
    path = tmp_path / "C_dump.csv"
    path.write_text(first + "\n" + "y" * 3_000_000, encoding="utf-8")
    records, [error] = rows_of(path)
    assert len(records) == 1
    assert error.reason.startswith("line_too_long")


def test_a_field_over_the_limit_rejects_its_row(tmp_path: Path) -> None:
    first, second = good_lines()
    fields = second.split(";")
    fields[2] = "S" * 600  # the signature
    path = write(tmp_path / "C_dump.csv", [first, ";".join(fields)])
    records, [error] = rows_of(path)
    assert len(records) == 1
    assert error.reason == "field_too_long: signature has 600 characters (limit 500)"


def test_json_nested_past_the_limit_rejects_its_row(tmp_path: Path) -> None:
    first, second = good_lines()
    fields = second.split(";")
    fields[10] = '{"a":' + "[" * 20 + "]" * 20 + "}"  # extra
    path = write(tmp_path / "C_dump.csv", [first, ";".join(fields)])
    records, [error] = rows_of(path)
    assert len(records) == 1
    assert error.reason == "json_too_deep: nested deeper than 8 levels"


def test_brackets_inside_json_strings_do_not_count_as_depth() -> None:
    text = '{"a": "' + "[" * 100 + '", "b": [[1]]}'
    assert jsontext.loads(text, max_depth=3) == {"a": "[" * 100, "b": [[1]]}
    with pytest.raises(BoundError, match="json_too_deep"):
        jsontext.loads("[" * 5 + "]" * 5, max_depth=4)


def test_big_numbers_in_json_stay_exact_as_text() -> None:
    assert jsontext.loads(
        "[18446744073709551616, 1e999, -9223372036854775809, 7]", max_depth=4
    ) == [
        "18446744073709551616",
        "1e999",
        "-9223372036854775809",
        7,
    ]
    assert jsontext.loads("[" + "9" * 5000 + "]", max_depth=4) == ["9" * 5000]
    with pytest.raises(jsontext.JSONDecodeError):
        jsontext.loads('["\\ud800", 12345678901234567890123]', max_depth=4)


def test_parse_uint_bounds_at_64_bits() -> None:
    assert parse_uint(str(2**63 - 1), "ts") == 2**63 - 1
    assert parse_uint("12a", "ts") is None
    for text in (str(2**63), "9" * 5000):
        with pytest.raises(BoundError, match="number_out_of_range"):
            parse_uint(text, "ts")


def zip_of(path: Path, members: dict[str, str], *, symlink: str | None = None) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
        if symlink is not None:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc/passwd")
    return path


@pytest.mark.parametrize(
    ("members", "symlink", "message"),
    [
        (
            {"/abs/C.csv": "x"},
            None,
            "archive_member_name: member '/abs/C.csv' has an absolute path",
        ),
        ({"../C.csv": "x"}, None, "archive_member_name: member '../C.csv' climbs out"),
        ({"a/../../C.csv": "x"}, None, "climbs out of the archive"),
        ({"C:/win/C.csv": "x"}, None, "has an absolute path"),
        ({"C.csv": "x"}, "link.csv", "archive_member_name: member 'link.csv' is a symbolic link"),
        ({f"C{i}.csv": "x" for i in range(4)}, None, "archive_too_many_members: 4 members"),
        ({"C.csv": "0" * 500_000}, None, "compression_ratio: member 'C.csv' inflates"),
    ],
)
def test_an_archive_breaking_a_limit_is_refused_as_a_whole(
    tmp_path: Path, members: dict[str, str], symlink: str | None, message: str
) -> None:
    path = zip_of(tmp_path / "C_dump.zip", members, symlink=symlink)
    with pytest.raises(InvalidInputError, match=message.replace("(", r"\(")):
        rows_of(path)


def test_a_gzip_bomb_stops_once_it_inflates_past_the_ratio(tmp_path: Path) -> None:
    path = tmp_path / "C_dump.csv.gz"
    path.write_bytes(gzip.compress(("\n".join(good_lines()) + "\n" + "0" * 2_000_000).encode()))
    with pytest.raises(InvalidInputError, match="compression_ratio: inflates"):
        rows_of(path)


def test_an_ordinary_archive_within_the_limits_reads(tmp_path: Path) -> None:
    path = zip_of(tmp_path / "C_dump.zip", {"C.csv": "\n".join(good_lines()) + "\n"})
    records, errors = rows_of(path)
    assert len(records) == 2
    assert errors == []


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"%PDF-1.7\n", "a PDF document"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "a PNG image"),
        (b"SQLite format 3\x00", "an SQLite database"),
        ("12;104;x\n".encode("utf-16"), "UTF-16/UTF-32 text"),
    ],
)
def test_a_file_that_is_not_text_is_refused_with_one_line(
    tmp_path: Path, head: bytes, kind: str
) -> None:
    path = tmp_path / "C_dump.csv"
    path.write_bytes(head + b"\x00" * 64)
    with pytest.raises(InvalidInputError, match=f"not_text: the file is {kind}"):
        rows_of(path)


def test_limits_come_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ELMON_INGEST_MAX_LINE_CHARS", "4096")
    monkeypatch.setenv("ELMON_INGEST_MAX_ARCHIVE_MEMBERS", "7")
    get_settings.cache_clear()
    limits = current_limits()
    assert limits.max_line_chars == 4096
    assert limits.max_archive_members == 7
