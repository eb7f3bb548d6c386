"""Opening the CSV files of one import: a folder, a zip archive or a single file.

A file is decoded on its own (UTF-8 with or without BOM, UTF-16 with BOM, otherwise
Windows-1252, as German school offices write it; an encoding named by the caller wins),
parsed as RFC 4180 CSV and handed out as rows that know their physical line (the header is
line 1; a quoted field spanning lines moves the lines after it). Everything wrong becomes a
`RowError`; nothing here raises for bad input. Line 0 means the file as a whole.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from schulhof.importers.records import RowError

# A roster larger than this is a mistake or a zip bomb, not a school district.
MAX_FILE_BYTES = 1 << 30

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))  # fmt: skip
# Whitespace that str.strip() removes, other than space, CR and LF.
_ODD_SPACE = re.compile(r"[^\S \r\n]")
_ODD_ASCII_SPACE = ("\t", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f")
# Line breaks of str.splitlines() that are no line breaks in CSV, and NUL (csv rejects it).
_ODD_BREAKS = ("\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\x00")


class Inputs:
    """The files of one import, named as the user will recognise them in errors."""

    def __init__(self, kind: str, root: Path, names: list[str], prefix: str = "") -> None:
        self.kind = kind  # "dir", "zip" or "file"
        self.root = root
        self.names = names  # relative, "/"-separated, sorted
        self._prefix = prefix  # a zip's single top folder, stripped from `names`

    @property
    def single(self) -> bool:
        """True when the user named one CSV file rather than a folder or an archive."""
        return self.kind == "file"

    def label(self, name: str) -> str:
        if self.kind == "zip":
            return f"{self.root.name}:{self._prefix}{name}"
        return name

    def read(self, name: str) -> bytes:
        """The file's bytes; raises OSError, zipfile.BadZipFile or ValueError."""
        if self.kind == "zip":
            with zipfile.ZipFile(self.root) as archive, archive.open(self._prefix + name) as f:
                data = f.read(MAX_FILE_BYTES + 1)
        else:
            path = self.root if self.kind == "file" else self.root / name
            with path.open("rb") as f:
                data = f.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise ValueError(f"larger than {MAX_FILE_BYTES >> 20} MiB")
        return data


def open_inputs(path: Path) -> Inputs | RowError:
    """The folder, zip archive or single file at `path`, or why it cannot be read."""
    try:
        if path.is_dir():
            names = sorted(
                p.relative_to(path).as_posix()
                for p in path.rglob("*")
                if p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            return Inputs("dir", path, names)
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                members = [
                    i.filename
                    for i in archive.infolist()
                    if not i.is_dir() and not i.filename.startswith("__MACOSX/")
                ]
            prefix = _common_folder(members)
            return Inputs("zip", path, sorted(m[len(prefix) :] for m in members), prefix)
        if path.is_file():
            return Inputs("file", path, [path.name])
    except (OSError, zipfile.BadZipFile) as exc:
        return RowError(path.name, 0, "", f"cannot open: {exc}")
    return RowError(path.name, 0, "", "no such file or folder")


def _common_folder(members: list[str]) -> str:
    """'export/' when every member sits in that one top folder (someone zipped a folder)."""
    tops = {m.split("/", 1)[0] for m in members}
    if len(tops) == 1 and all("/" in m for m in members):
        return next(iter(tops)) + "/"
    return ""


def decode(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """Text and the codec used; `encoding` None detects. Raises UnicodeDecodeError."""
    if encoding is None:
        for bom, codec in _BOMS:
            if data.startswith(bom):
                return data.decode(codec), codec
        try:
            return data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            return data.decode("cp1252"), "cp1252"
    if codecs.lookup(encoding).name == "utf-8" and data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"  # a BOM is never part of the first column's name
    return data.decode(encoding), encoding


@dataclass(slots=True)
class CsvTable:
    """A parsed CSV file: the header and the well-formed rows with their first line."""

    name: str  # as shown in errors
    encoding: str
    header: list[str]
    header_line: int
    columns: dict[str, int]  # column name → index
    rows: list[list[str]]
    lines: list[int]  # the physical line each row starts on

    def records(self) -> Iterator[tuple[int, list[str]]]:
        return zip(self.lines, self.rows, strict=True)

    def dicts(self) -> Iterator[tuple[int, dict[str, str]]]:
        header = self.header
        for line, row in zip(self.lines, self.rows, strict=True):
            yield line, dict(zip(header, row, strict=True))


def read_table(
    inputs: Inputs,
    name: str,
    errors: list[RowError],
    *,
    required: Iterable[str] = (),
    delimiter: str = ",",
    encoding: str | None = None,
) -> CsvTable | None:
    """Read one file; None when it is unusable (unreadable, undecodable, a required
    column missing). Rows with the wrong number of fields are reported and left out."""
    label = inputs.label(name)
    try:
        data = inputs.read(name)
    except (OSError, zipfile.BadZipFile, ValueError, RuntimeError) as exc:
        errors.append(RowError(label, 0, "", f"cannot read: {exc}"))
        return None
    try:
        text, codec = decode(data, encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        what = "neither UTF-8 nor Windows-1252" if encoding is None else f"not valid {encoding}"
        errors.append(RowError(label, line, "", f"{what} (byte {data[exc.start]:#04x})"))
        return None
    return parse_table(text, label, errors, required=required, delimiter=delimiter, encoding=codec)


def parse_table(
    text: str,
    label: str,
    errors: list[RowError],
    *,
    required: Iterable[str] = (),
    delimiter: str = ",",
    encoding: str = "utf-8",
) -> CsvTable | None:
    """`read_table` for text already decoded."""
    rows, lines, broken = _parse(text, delimiter)
    errors.extend(RowError(label, line, "", f"malformed CSV: {why}") for line, why in broken)
    while rows and rows[0] in ([], [""]):  # blank lines before the header
        del rows[0], lines[0]
    if not rows:
        if not broken:
            errors.append(RowError(label, 1, "", "file is empty: no header line"))
        return None
    header = [h.strip() for h in rows[0]]
    header_line = lines[0]
    columns: dict[str, int] = {}
    for i, column in enumerate(header):
        if column in columns:
            errors.append(RowError(label, header_line, column, f"column {column!r} appears twice"))
        else:
            columns.setdefault(column, i)
    if not _has_columns(label, header_line, columns, required, errors):
        return None
    del rows[0], lines[0]
    width = len(header)
    if any(len(row) != width for row in rows):
        kept_rows: list[list[str]] = []
        kept_lines: list[int] = []
        for line, row in zip(lines, rows, strict=True):
            if len(row) == width:
                kept_rows.append(row)
                kept_lines.append(line)
            elif row and row != [""]:  # a blank line is no row
                errors.append(
                    RowError(label, line, "", f"{len(row)} fields, but the header has {width}")
                )
        rows, lines = kept_rows, kept_lines
    if _needs_strip(text, delimiter):
        rows = [[v.strip() for v in row] for row in rows]
    return CsvTable(label, encoding, header, header_line, columns, rows, lines)


def check_columns(table: CsvTable, required: Iterable[str], errors: list[RowError]) -> bool:
    """Whether `table` has every required column; an error on the header line for each
    one missing."""
    return _has_columns(table.name, table.header_line, table.columns, required, errors)


def _has_columns(
    label: str, line: int, columns: dict[str, int], required: Iterable[str], errors: list[RowError]
) -> bool:
    missing = [c for c in required if c not in columns]
    for column in missing:
        errors.append(RowError(label, line, column, f"required column {column!r} is missing"))
    return not missing


def _parse(text: str, delimiter: str) -> tuple[list[list[str]], list[int], list[tuple[int, str]]]:
    """All rows (header first) with their first physical line, and the malformed records
    (line, why). Strict: a quote left open would otherwise swallow the rest of the file."""
    if '"' not in text and not any(c in text for c in _ODD_BREAKS):
        # Without quotes a record is a line and a field is what lies between delimiters;
        # splitting is several times faster than the csv module.
        split = [line.split(delimiter) for line in text.splitlines()]
        return split, list(range(1, len(split) + 1)), []
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=delimiter, strict=True, skipinitialspace=True
    )
    parsed: list[list[str]] | None
    try:
        parsed = list(reader)
    except csv.Error:
        parsed = None
    if parsed is not None and reader.line_num == len(parsed):
        # No record spans lines: row i is on line i + 1.
        return parsed, list(range(1, len(parsed) + 1)), []
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=delimiter, strict=True, skipinitialspace=True
    )
    rows: list[list[str]] = []
    lines: list[int] = []
    broken: list[tuple[int, str]] = []
    end = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return rows, lines, broken
        except csv.Error as exc:  # the reader goes on with the next line
            broken.append((end + 1, str(exc)))
            if reader.line_num == end:  # no progress: give up rather than loop
                return rows, lines, broken
        else:
            rows.append(row)
            lines.append(end + 1)
        end = reader.line_num


def _needs_strip(text: str, delimiter: str) -> bool:
    """Whether any field may have whitespace around it. A whole-text check, so that the
    usual export (no such field) is not stripped value by value; false alarms only cost
    time. Each step is a fast scan for a rare character before the slower ones."""
    if text.isascii():
        if any(c in text for c in _ODD_ASCII_SPACE):
            return True
    elif _ODD_SPACE.search(text):
        return True
    # A quoted field that starts or ends with a line break.
    if '"' in text and any(edge in text for edge in ('"\n', '\n"', '"\r', '\r"')):
        return True
    if " " not in text:
        return False
    if text.startswith(" ") or text.endswith(" "):
        return True
    return any(edge + " " in text or " " + edge in text for edge in (delimiter, '"', "\n", "\r"))
