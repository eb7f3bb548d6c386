"""Profiles: how one school-office program's CSV export maps onto records, declared in TOML.

A profile names the files of one school (a glob pattern with a `{school}` placeholder for
the school number), their separator, encoding and date format, and for each kind of file
which column holds which field:

    name = "default"
    separator = ";"              # one character
    encoding = "auto"            # or a Python codec name, e.g. "cp1252", "utf-8"
    date_format = "%d.%m.%Y"     # strptime
    list_separator = ","         # between the values of a multi-value field
    staff_system = "sis-staff"   # source system of ids valid at every school

    [id_scope]                   # per role: "school" (id local to one school) or "global"
    student = "school"           # (defaults: student school, every other role global)

    [files.<kind>]               # any number of kinds, e.g. students, staff
    pattern = "schueler_{school}.csv"
    required = true              # every school needs this file (default true)
    role = "student"             # every row has this role ...
    role_column = "Funktion"     # ... or the role is in this column,
    roles = { Lehrkraft = "teacher" }  # with these values (anything else is an error)

    [files.<kind>.columns]       # field = column name; id, family_name, given_name needed
    id, family_name, given_name, birth_date, email,
    class      # the student's class (Klasse)
    homeroom   # the classes a teacher leads (Klassenleitung), a list
    school     # the school number, checked against the file name

Roles are the names of `schulhof.domain.model.Role`: student, teacher, staff,
school_admin, guardian. Anything malformed raises `ConfigurationError`.
"""

from __future__ import annotations

import codecs
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from schulhof.domain.errors import ConfigurationError
from schulhof.domain.model import Role

FIELDS = frozenset(
    {"id", "family_name", "given_name", "birth_date", "email", "class", "homeroom", "school"}
)
NEEDED_FIELDS = ("id", "family_name", "given_name")
SCOPES = frozenset({"school", "global"})
_TOP_KEYS = frozenset(
    {
        "name",
        "separator",
        "encoding",
        "date_format",
        "list_separator",
        "staff_system",
        "id_scope",
        "files",
    }
)
_FILE_KEYS = frozenset({"pattern", "required", "role", "role_column", "roles", "columns"})


@dataclass(frozen=True, slots=True)
class FileKind:
    """One kind of file of each school, e.g. the students' file."""

    name: str
    pattern: str
    regex: re.Pattern[str]  # matches a relative path; group "school"
    columns: Mapping[str, str]  # field → column name
    role: Role | None  # the role of every row, or None: see role_column
    role_column: str | None
    role_values: Mapping[str, Role]  # casefolded column value → role
    required: bool

    @property
    def header(self) -> tuple[str, ...]:
        """The columns a file of this kind must have."""
        extra = (self.role_column,) if self.role_column else ()
        return (*self.columns.values(), *extra)


@dataclass(frozen=True, slots=True)
class SisProfile:
    name: str
    separator: str
    encoding: str | None  # None: detect per file
    date_format: str
    list_separator: str
    staff_system: str
    id_scope: Mapping[Role, str]  # role → "school" or "global"
    files: tuple[FileKind, ...]


def load_profile(name_or_file: str | Path) -> SisProfile:
    """A built-in profile by name (`default`), or a profile from a TOML file."""
    if isinstance(name_or_file, Path) or name_or_file.endswith(".toml") or "/" in name_or_file:
        path = Path(name_or_file)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigurationError(f"cannot read the import profile {path}: {exc}") from exc
        return parse_profile(text, str(path))
    resource = resources.files("schulhof.importers").joinpath("profiles", f"{name_or_file}.toml")
    if not resource.is_file():
        raise ConfigurationError(f"no built-in import profile {name_or_file!r} (built in: default)")
    return parse_profile(resource.read_text(encoding="utf-8"), f"built-in profile {name_or_file!r}")


def parse_profile(text: str, source: str) -> SisProfile:
    """The profile in `text`; `source` names it in error messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{source}: not valid TOML: {exc}") from exc
    return _Builder(source).profile(data)


class _Builder:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, message: str) -> ConfigurationError:
        return ConfigurationError(f"{self.source}: {message}")

    def profile(self, data: dict[str, Any]) -> SisProfile:
        self.unknown(data, _TOP_KEYS, "")
        separator = self.string(data, "separator", ";")
        if len(separator) != 1:
            raise self.fail(f"separator must be one character, not {separator!r}")
        encoding: str | None = self.string(data, "encoding", "auto")
        if encoding == "auto":
            encoding = None
        else:
            try:
                codecs.lookup(str(encoding))
            except LookupError:
                raise self.fail(f"unknown encoding {encoding!r}") from None
        date_format = self.string(data, "date_format", "%d.%m.%Y")
        if "%" not in date_format:
            raise self.fail(f"date_format {date_format!r} has no strptime directive such as %d")
        list_separator = self.string(data, "list_separator", ",")
        if not list_separator or list_separator == separator:
            raise self.fail("list_separator must be set and differ from separator")
        files = data.get("files")
        if not isinstance(files, dict) or not files:
            raise self.fail("[files.<kind>] is missing: name at least one kind of file")
        kinds = tuple(self.file_kind(kind, spec) for kind, spec in files.items())
        return SisProfile(
            name=self.string(data, "name", self.source),
            separator=separator,
            encoding=encoding,
            date_format=date_format,
            list_separator=list_separator,
            staff_system=self.string(data, "staff_system", "sis-staff"),
            id_scope=self.id_scope(data.get("id_scope", {})),
            files=kinds,
        )

    def file_kind(self, kind: str, spec: object) -> FileKind:
        where = f"files.{kind}"
        if not isinstance(spec, dict):
            raise self.fail(f"[{where}] must be a table")
        self.unknown(spec, _FILE_KEYS, where)
        pattern = self.string(spec, "pattern", None, where)
        if pattern.count("{school}") != 1:
            raise self.fail(f"{where}.pattern must contain {{school}} once: {pattern!r}")
        columns = spec.get("columns")
        if not isinstance(columns, dict):
            raise self.fail(f"[{where}.columns] is missing")
        self.unknown(columns, FIELDS, f"{where}.columns")
        for field in NEEDED_FIELDS:
            if field not in columns:
                raise self.fail(f"{where}.columns.{field} is missing")
        for field, column in columns.items():
            if not isinstance(column, str) or not column.strip():
                raise self.fail(f"{where}.columns.{field} must be a column name")
        role: Role | None = None
        role_column: str | None = None
        values: dict[str, Role] = {}
        if ("role" in spec) == ("role_column" in spec):
            raise self.fail(f"{where}: give either role or role_column (with roles)")
        if "role" in spec:
            role = self.role(spec["role"], f"{where}.role")
        else:
            role_column = self.string(spec, "role_column", None, where)
            raw = spec.get("roles")
            if not isinstance(raw, dict) or not raw:
                raise self.fail(f"[{where}.roles] must map the values of {role_column!r} to roles")
            values = {str(k).casefold(): self.role(v, f"{where}.roles.{k}") for k, v in raw.items()}
        required = spec.get("required", True)
        if not isinstance(required, bool):
            raise self.fail(f"{where}.required must be true or false")
        return FileKind(
            name=kind,
            pattern=pattern,
            regex=_pattern_regex(pattern),
            columns={field: column.strip() for field, column in columns.items()},
            role=role,
            role_column=role_column,
            role_values=values,
            required=required,
        )

    def id_scope(self, raw: object) -> dict[Role, str]:
        if not isinstance(raw, dict):
            raise self.fail("[id_scope] must be a table")
        scope = {role: "school" if role is Role.STUDENT else "global" for role in Role}
        for name, value in raw.items():
            role = self.role(name, f"id_scope.{name}")
            if value not in SCOPES:
                raise self.fail(f"id_scope.{name} must be 'school' or 'global', not {value!r}")
            scope[role] = value
        return scope

    def role(self, value: object, where: str) -> Role:
        try:
            return Role(str(value))
        except ValueError:
            known = ", ".join(r.value for r in Role)
            raise self.fail(f"{where}: unknown role {value!r} (known: {known})") from None

    def string(self, data: dict[str, Any], key: str, default: str | None, where: str = "") -> str:
        value = data.get(key, default)
        if value is None:
            raise self.fail(f"{where + '.' if where else ''}{key} is missing")
        if not isinstance(value, str):
            raise self.fail(f"{where + '.' if where else ''}{key} must be a string")
        return value

    def unknown(self, data: dict[str, Any], known: frozenset[str], where: str) -> None:
        extra = sorted(set(data) - known)
        if extra:
            raise self.fail(f"unknown key {extra[0]!r} in [{where or 'top level'}]")


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """`schueler_{school}.csv` → a regex over relative paths, case-insensitive (offices
    on Windows write `Schueler_91000.CSV`); `*` and `?` as in a glob, within a folder."""
    out = []
    for part in re.split(r"(\{school\}|\*|\?)", pattern):
        if part == "{school}":
            out.append(r"(?P<school>[^/]+?)")
        elif part == "*":
            out.append(r"[^/]*")
        elif part == "?":
            out.append(r"[^/]")
        else:
            out.append(re.escape(part))
    return re.compile("".join(out), re.IGNORECASE)
