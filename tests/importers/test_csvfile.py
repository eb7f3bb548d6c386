"""Opening CSV files: encodings, quoting, line numbers, headers, labels."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from pathlib import Path

import pytest

from schulhof.importers.csvfile import CsvTable, Inputs, open_inputs, parse_table, read_table
from schulhof.importers.records import RowError


def write(path: Path, data: str | bytes, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))
    return path


def read_one(
    tmp_path: Path,
    data: str | bytes,
    *,
    encoding: str = "utf-8",
    required: Iterable[str] = (),
    delimiter: str = ",",
    explicit: str | None = None,
) -> tuple[CsvTable | None, list[RowError]]:
    write(tmp_path / "in" / "x.csv", data, encoding)
    inputs = open_inputs(tmp_path / "in")
    assert isinstance(inputs, Inputs)
    errors: list[RowError] = []
    table = read_table(
        inputs, "x.csv", errors, required=required, delimiter=delimiter, encoding=explicit
    )
    return table, errors


def parsed(text: str, **kwargs: str) -> tuple[CsvTable, list[RowError]]:
    errors: list[RowError] = []
    table = parse_table(text, "x.csv", errors, **kwargs)
    assert table is not None, errors
    return table, errors


UMLAUTS = "Name;Ort\r\nWeiß;Köln\r\nGroß;Müßen\r\n"


@pytest.mark.parametrize(
    ("written", "detected"),
    [("utf-8-sig", "utf-8-sig"), ("utf-8", "utf-8"), ("cp1252", "cp1252"), ("utf-16", "utf-16")],
)
def test_detects_the_encoding_of_each_file(tmp_path: Path, written: str, detected: str) -> None:
    table, errors = read_one(tmp_path, UMLAUTS, encoding=written, delimiter=";")

    assert errors == []
    assert table is not None
    assert table.encoding == detected
    assert table.header == ["Name", "Ort"]  # no BOM glued to the first column
    assert table.rows == [["Weiß", "Köln"], ["Groß", "Müßen"]]


def test_an_explicit_encoding_wins_over_detection(tmp_path: Path) -> None:
    table, errors = read_one(tmp_path, "Name\nJürgen\n", explicit="cp1252")

    assert errors == []
    assert table is not None
    assert table.rows == [["JÃ¼rgen"]]  # what the profile asked for, mojibake and all


def test_an_explicit_utf8_still_drops_the_bom(tmp_path: Path) -> None:
    table, _ = read_one(tmp_path, "Name\nJürgen\n", encoding="utf-8-sig", explicit="utf-8")

    assert table is not None
    assert table.header == ["Name"]


def test_bytes_of_no_known_encoding_are_an_error_on_their_line(tmp_path: Path) -> None:
    data = b"Name\r\nok\r\nbad \x81 byte\r\n"

    table, errors = read_one(tmp_path, data)

    assert table is None
    assert [(e.file, e.line) for e in errors] == [("x.csv", 3)]
    assert "neither UTF-8 nor Windows-1252" in errors[0].message


def test_bytes_the_explicit_encoding_cannot_read_are_an_error(tmp_path: Path) -> None:
    table, errors = read_one(tmp_path, "Name\nWeiß\n", encoding="cp1252", explicit="utf-8")

    assert table is None
    assert [(e.line, e.message) for e in errors] == [(2, "not valid utf-8 (byte 0xdf)")]


def test_line_numbers_stay_right_after_a_quoted_field_with_line_breaks(tmp_path: Path) -> None:
    data = 'id,note\r\n1,"two\r\nlines"\r\n2,plain\r\n3,"three\nmore\nlines"\r\n4,end\r\n'

    table, errors = read_one(tmp_path, data)

    assert errors == []
    assert table is not None
    assert table.lines == [2, 4, 5, 8]
    assert table.rows[0] == ["1", "two\r\nlines"]
    assert table.rows[3] == ["4", "end"]


def test_blank_lines_are_no_rows_but_count_as_lines() -> None:
    table, errors = parsed("\na,b\n1,2\n\n3,4\n")

    assert errors == []
    assert table.header_line == 2
    assert table.lines == [3, 5]


def test_a_missing_required_column_is_one_error_on_line_1_naming_it(tmp_path: Path) -> None:
    table, errors = read_one(tmp_path, "id,given,extra\n1,Anna,x\n", required=("id", "family"))

    assert table is None
    assert errors == [RowError("x.csv", 1, "family", "required column 'family' is missing")]


def test_unknown_extra_columns_are_tolerated(tmp_path: Path) -> None:
    table, errors = read_one(tmp_path, "id,extra\n1,x\n", required=("id",))

    assert errors == []
    assert table is not None
    assert table.columns == {"id": 0, "extra": 1}


def test_a_row_with_the_wrong_number_of_fields_is_reported_and_left_out() -> None:
    table, errors = parsed("a,b\n1,2\n3\n4,5,6\n7,8\n")

    assert table.rows == [["1", "2"], ["7", "8"]]
    assert [(e.line, e.message) for e in errors] == [
        (3, "1 fields, but the header has 2"),
        (4, "3 fields, but the header has 2"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        " id , name \n 1 ,  Anna Lena \n",  # spaces, no quotes: the fast path
        'id,name\n1,"  Anna Lena  "\n',  # inside quotes
        "id,name\n1,\tAnna Lena\u00a0\n",  # tab and no-break space
        'id,name\n1, "Anna Lena"\n',  # a space before the opening quote
    ],
)
def test_values_lose_the_whitespace_around_them(text: str) -> None:
    table, errors = parsed(text)

    assert errors == []
    assert table.header == ["id", "name"]
    assert table.rows == [["1", "Anna Lena"]]


def test_inner_whitespace_stays() -> None:
    table, _ = parsed("id,name\n1,von der Heide\n")

    assert table.rows == [["1", "von der Heide"]]


def test_quoted_and_unquoted_files_read_alike() -> None:
    plain, _ = parsed("a;b\r\n1;x,y\r\n2;\r\n", delimiter=";")
    quoted, _ = parsed('"a";"b"\r\n"1";"x,y"\r\n"2";""\r\n', delimiter=";")

    assert plain.rows == quoted.rows == [["1", "x,y"], ["2", ""]]
    assert plain.lines == quoted.lines == [2, 3]


def test_a_quote_left_open_is_an_error_rather_than_eating_the_file() -> None:
    errors: list[RowError] = []

    table = parse_table('a,b\n1,"open\n2,3\n', "x.csv", errors)

    assert table is not None
    assert table.rows == []
    assert [(e.line, e.message) for e in errors] == [(2, "malformed CSV: unexpected end of data")]


def test_a_stray_quote_spoils_its_record_only() -> None:
    errors: list[RowError] = []

    table = parse_table('a,b\n1,"x"y\n3,4\n', "x.csv", errors)

    assert table is not None
    assert table.rows == [["3", "4"]]
    assert table.lines == [3]
    assert [e.line for e in errors] == [2]


def test_an_empty_file_has_no_header(tmp_path: Path) -> None:
    table, errors = read_one(tmp_path, "")

    assert table is None
    assert [(e.line, e.message) for e in errors] == [(1, "file is empty: no header line")]


def test_a_column_named_twice_is_an_error() -> None:
    errors: list[RowError] = []

    parse_table("id,id\n1,2\n", "x.csv", errors)

    assert [(e.line, e.field) for e in errors] == [(1, "id")]


def test_dicts_pair_columns_and_values() -> None:
    table, _ = parsed("id,name\n1,Anna\n2,Ben\n")

    assert list(table.dicts()) == [
        (2, {"id": "1", "name": "Anna"}),
        (3, {"id": "2", "name": "Ben"}),
    ]


def test_files_in_a_folder_are_named_relative_to_it(tmp_path: Path) -> None:
    write(tmp_path / "root" / "sub" / "users.csv", "id\n")
    write(tmp_path / "root" / ".hidden" / "x.csv", "id\n")
    write(tmp_path / "root" / ".DS_Store", "junk")

    inputs = open_inputs(tmp_path / "root")

    assert isinstance(inputs, Inputs)
    assert inputs.names == ["sub/users.csv"]
    assert inputs.label("sub/users.csv") == "sub/users.csv"
    assert not inputs.single


def test_a_single_file_is_named_by_its_file_name(tmp_path: Path) -> None:
    path = write(tmp_path / "deep" / "users.csv", "id\n1\n")

    inputs = open_inputs(path)

    assert isinstance(inputs, Inputs)
    assert inputs.single
    assert inputs.names == ["users.csv"]
    assert inputs.read("users.csv") == b"id\n1\n"


def test_files_in_a_zip_are_named_archive_colon_member(tmp_path: Path) -> None:
    archive = tmp_path / "archive.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("users.csv", "id,name\n1\n")
    inputs = open_inputs(archive)
    assert isinstance(inputs, Inputs)
    errors: list[RowError] = []

    read_table(inputs, "users.csv", errors)

    assert inputs.names == ["users.csv"]
    assert [(e.file, e.line) for e in errors] == [("archive.zip:users.csv", 2)]


def test_a_zipped_folder_is_opened_at_its_top_folder(tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("export/users.csv", "id\n1\n")
        z.writestr("export/orgs.csv", "id\n1\n")
        z.writestr("__MACOSX/export/._users.csv", "junk")

    inputs = open_inputs(archive)

    assert isinstance(inputs, Inputs)
    assert inputs.names == ["orgs.csv", "users.csv"]
    assert inputs.label("users.csv") == "export.zip:export/users.csv"
    assert inputs.read("users.csv") == b"id\n1\n"


def test_a_path_that_is_not_there_is_an_error(tmp_path: Path) -> None:
    result = open_inputs(tmp_path / "nothing")

    assert result == RowError("nothing", 0, "", "no such file or folder")
