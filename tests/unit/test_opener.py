"""Opening files whatever their container and encoding, and the file-name helpers."""

from __future__ import annotations

import gzip
import hashlib
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from election_monitor.exceptions import InvalidInputError
from election_monitor.ingest import opener
from election_monitor.ingest.opener import (
    CP1251,
    UTF8,
    UTF8_BOM,
    contract_id_from_name,
    detect_encoding,
    natural_key,
    open_sources,
    sha256_and_size,
)
from tests.fixtures_formats import write_gz, write_text, write_zip


def read_all(path: Path) -> list[tuple[str, str, list[tuple[int, str]]]]:
    """(name, encoding, numbered lines) of every source of a file."""
    return [(s.name, s.encoding, list(s.lines())) for s in open_sources(path)]


def test_plain_utf8_lines_are_numbered_from_one_without_endings(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b"first\nsecond\r\n\nlast")
    assert read_all(path) == [("a.csv", UTF8, [(1, "first"), (2, "second"), (3, ""), (4, "last")])]


def test_carriage_return_inside_a_line_does_not_split_it(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b"one\rstill one\ntwo\n")
    assert read_all(path)[0][2] == [(1, "one\rstill one"), (2, "two")]


def test_utf8_with_bom_drops_the_mark(tmp_path: Path) -> None:
    path = write_text(tmp_path / "a.csv", ["имя;1", "b"], encoding="utf-8-sig")
    assert read_all(path) == [("a.csv", UTF8_BOM, [(1, "имя;1"), (2, "b")])]


def test_windows_1251_cyrillic_is_detected(tmp_path: Path) -> None:
    path = write_text(tmp_path / "a.csv", ["Выборы депутатов;№ 5", "ёлка"], encoding="cp1251")
    assert read_all(path) == [("a.csv", CP1251, [(1, "Выборы депутатов;№ 5"), (2, "ёлка")])]


def test_windows_1251_after_a_long_ascii_head_still_decodes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The decision is made from the head (here 8 bytes); a legacy byte later is not fatal.
    monkeypatch.setattr(opener, "SNIFF_LIMIT", 8)
    monkeypatch.setattr(opener, "SNIFF_CHUNK", 4)
    path = tmp_path / "a.csv"
    path.write_bytes(b"ascii ascii ascii\n" + "Выборы".encode("cp1251") + b"\n")
    assert read_all(path) == [("a.csv", UTF8, [(1, "ascii ascii ascii"), (2, "Выборы")])]


def test_bytes_that_are_neither_encoding_still_read_as_cp1251(tmp_path: Path) -> None:
    path = tmp_path / "junk.bin"
    path.write_bytes(b"\xff\xfe\x98\x00abc\n\x81\n")
    [(_, encoding, lines)] = read_all(path)
    assert encoding == CP1251
    assert lines == [(1, "яю\ufffd\x00abc"), (2, "Ѓ")]


def test_empty_file_has_one_source_and_no_lines(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    assert read_all(path) == [("empty.csv", UTF8, [])]


def test_gzip_is_opened_by_magic_bytes(tmp_path: Path) -> None:
    path = write_gz(tmp_path / "ABC_0800.csv.gz", ["Выборы", "x"], encoding="cp1251")
    assert read_all(path) == [("ABC_0800.csv.gz", CP1251, [(1, "Выборы"), (2, "x")])]
    renamed = path.rename(tmp_path / "renamed.csv")
    assert read_all(renamed)[0][2] == [(1, "Выборы"), (2, "x")]


def test_zip_yields_each_input_member_in_natural_order(tmp_path: Path) -> None:
    path = write_zip(
        tmp_path / "ABC_dump.zip",
        {
            "ABC_10.csv": ["ten"],
            "ABC_9.csv": "девять\n".encode("cp1251"),
            "README.md": ["not input"],
            "__MACOSX/._ABC_9.csv": b"\x00\x05resource fork",
            ".hidden.csv": ["hidden"],
            "nested/part.jsonl": ["{}"],
            "notes.TXT": ["text"],
        },
    )
    assert read_all(path) == [
        ("ABC_dump.zip!ABC_9.csv", CP1251, [(1, "девять")]),
        ("ABC_dump.zip!ABC_10.csv", UTF8, [(1, "ten")]),
        ("ABC_dump.zip!nested/part.jsonl", UTF8, [(1, "{}")]),
        ("ABC_dump.zip!notes.TXT", UTF8, [(1, "text")]),
    ]


def test_zip_without_input_members_is_refused(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "x.zip", {"readme.md": ["hello"]})
    with pytest.raises(InvalidInputError, match=r"no \.csv/\.jsonl/\.txt member"):
        read_all(path)


def test_truncated_gzip_fails_with_the_line_reached(tmp_path: Path) -> None:
    # Incompressible lines, so that half the archive is well past the sniffing window.
    text = b"".join(hashlib.sha256(b"%d" % i).hexdigest().encode() + b"\n" for i in range(60_000))
    data = gzip.compress(text)
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InvalidInputError, match=r"cut\.csv\.gz: damaged file after line \d+"):
        read_all(path)


def test_truncated_gzip_within_the_sniffing_window_is_refused(tmp_path: Path) -> None:
    data = gzip.compress(b"line\n" * 1000)
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(data[:-12])
    with pytest.raises(InvalidInputError, match=r"cut\.csv\.gz: damaged file: Compressed file"):
        read_all(path)


def test_corrupt_zip_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.zip"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    with pytest.raises(InvalidInputError, match="not a readable zip archive"):
        read_all(path)


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="cannot open"):
        read_all(tmp_path / "nope.csv")


def test_sources_are_closed_when_the_consumer_moves_on(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "a.zip", {"a.csv": ["1"], "b.csv": ["2"]})
    sources = open_sources(path)
    first = next(sources)
    next(sources)
    assert first.file.closed


@pytest.mark.parametrize(
    ("name", "contract"),
    [
        ("ABC_dump.zip", "ABC"),
        ("ABC_dump.zip!ABC.csv", "ABC"),
        ("XYZ_dump.zip!ABC_2.csv", "ABC"),
        ("ABC_20240915_0800-0900.csv.gz", "ABC"),
        ("ABC.csv", "ABC"),
        ("archive.zip!dir/ABC_1.csv", "ABC"),
    ],
)
def test_contract_id_from_name(name: str, contract: str) -> None:
    assert contract_id_from_name(name) == contract


def test_natural_key_orders_numbers_by_value() -> None:
    names = ["10001-11000.jsonl", "1-1000.jsonl", "2001-3000.jsonl", "1001-2000.jsonl", "b", "a"]
    assert sorted(names, key=natural_key) == [
        "1-1000.jsonl",
        "1001-2000.jsonl",
        "2001-3000.jsonl",
        "10001-11000.jsonl",
        "a",
        "b",
    ]


def test_sha256_and_size_match_the_stored_bytes(tmp_path: Path) -> None:
    data = bytes(range(256)) * 5000
    path = tmp_path / "f.zip"
    path.write_bytes(data)
    assert sha256_and_size(path, chunk_size=4096) == (hashlib.sha256(data).hexdigest(), len(data))


def test_detect_encoding_from_a_head_cut_inside_a_character() -> None:
    head = "ВЫБОРЫ".encode()[:-1]
    assert detect_encoding(head, complete=False) == UTF8
    assert detect_encoding(head, complete=True) == CP1251


_TEXT = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\n\r\ufeff"), max_size=30
)
# Upper and lower-case Cyrillic without Ё/ё: in Windows-1251 these never form valid UTF-8.
_CYRILLIC = st.text(
    st.sampled_from("абвгдежзийклмнопрстуфхцчшщъыьэюяАБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ 0123;:"),
    min_size=1,
    max_size=30,
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(_TEXT, max_size=5), bom=st.booleans(), container=st.sampled_from("pgz"))
def test_any_utf8_text_round_trips(
    tmp_path: Path, lines: list[str], bom: bool, container: str
) -> None:
    encoding = "utf-8-sig" if bom else "utf-8"
    if container == "p":
        path = write_text(tmp_path / "t.csv", lines, encoding=encoding)
    elif container == "g":
        path = write_gz(tmp_path / "t.csv.gz", lines, encoding=encoding)
    else:
        data = "".join(line + "\n" for line in lines).encode(encoding)
        path = write_zip(tmp_path / "t.zip", {"t.csv": data})
    [(_, _, numbered)] = read_all(path)
    assert numbered == list(enumerate(lines, 1))


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(_CYRILLIC, min_size=1, max_size=5))
def test_any_cp1251_cyrillic_text_round_trips(tmp_path: Path, lines: list[str]) -> None:
    if not any(ch.isalpha() for line in lines for ch in line):
        lines = [*lines, "я"]
    path = write_text(tmp_path / "t.csv", lines, encoding="cp1251")
    [(_, encoding, numbered)] = read_all(path)
    assert encoding == CP1251
    assert numbered == list(enumerate(lines, 1))


def test_zip_member_names_keep_their_directory(tmp_path: Path) -> None:
    path = tmp_path / "d.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("dir/", b"")
        archive.writestr("dir/a.csv", b"x\n")
    assert read_all(path) == [("d.zip!dir/a.csv", UTF8, [(1, "x")])]
