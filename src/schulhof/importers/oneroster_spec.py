"""The OneRoster CSV binding as this reader understands it: files, columns, vocabularies,
and the manifest.

OneRoster 1.1 CSV tables (1EdTech, "OneRoster v1.1 CSV Tables", section 3): every file
carries all of its columns in the header, optional ones included; the order is not
checked here and extra columns are tolerated. OneRoster 1.2 moves a user's roles and
schools out of `users.csv` into `roles.csv`; the other files keep their 1.1 columns.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from schulhof.domain.model import GroupKind, MemberRole, Role
from schulhof.importers.csvfile import CsvTable
from schulhof.importers.records import FeedMode, RecordStatus, RowError

# In the order they are read: each file refers only to files before it (or to itself).
FILES = (
    "orgs", "academicSessions", "courses", "classes", "users", "roles", "demographics",
    "enrollments",
)  # fmt: skip

COMMON = ("sourcedId", "status", "dateLastModified")

COLUMNS_11: dict[str, tuple[str, ...]] = {
    "orgs": (*COMMON, "name", "type", "identifier", "parentSourcedId"),
    "academicSessions": (
        *COMMON, "title", "type", "startDate", "endDate", "parentSourcedId", "schoolYear",
    ),
    "courses": (
        *COMMON, "schoolYearSourcedId", "title", "courseCode", "grades", "orgSourcedId",
        "subjects", "subjectCodes",
    ),
    "classes": (
        *COMMON, "title", "grades", "courseSourcedId", "classCode", "classType", "location",
        "schoolSourcedId", "termSourcedIds", "subjects", "subjectCodes", "periods",
    ),
    "users": (
        *COMMON, "enabledUser", "orgSourcedIds", "role", "username", "userIds", "givenName",
        "familyName", "middleName", "identifier", "email", "sms", "phone", "agentSourcedIds",
        "grades", "password",
    ),
    "enrollments": (
        *COMMON, "classSourcedId", "schoolSourcedId", "userSourcedId", "role", "primary",
        "beginDate", "endDate",
    ),
    "demographics": (
        *COMMON, "birthDate", "sex", "americanIndianOrAlaskaNative", "asian",
        "blackOrAfricanAmerican", "nativeHawaiianOrOtherPacificIslander", "white",
        "demographicRaceTwoOrMoreRaces", "hispanicOrLatinoEthnicity", "countryOfBirthCode",
        "stateOfBirthAbbreviation", "cityOfBirth", "publicSchoolResidenceStatus",
    ),
}  # fmt: skip

COLUMNS_12: dict[str, tuple[str, ...]] = {
    **COLUMNS_11,
    "users": (
        *COMMON, "enabledUser", "username", "userIds", "givenName", "familyName", "middleName",
        "identifier", "email", "sms", "phone", "agentSourcedIds", "grades", "password",
        "userMasterIdentifier", "resourceSourcedIds", "preferredGivenName",
        "preferredMiddleName", "preferredFamilyName", "primaryOrgSourcedId", "pronouns",
    ),
    "roles": (
        *COMMON, "userSourcedId", "roleType", "role", "beginDate", "endDate", "orgSourcedId",
        "userProfileSourcedId",
    ),
}  # fmt: skip

VERSIONS = ("1.0", "1.1", "1.2")

ORG_TYPES = frozenset({"school", "district", "department", "local", "state", "national"})
SESSION_TYPES = frozenset({"gradingPeriod", "semester", "schoolYear", "term"})
CLASS_KINDS = {"homeroom": GroupKind.CLASS, "scheduled": GroupKind.COURSE}

STATUSES = {
    "": RecordStatus.ACTIVE,  # bulk files leave status empty, as the spec asks
    "active": RecordStatus.ACTIVE,
    "tobedeleted": RecordStatus.TO_BE_DELETED,
    "inactive": RecordStatus.TO_BE_DELETED,  # OneRoster 1.0
}

# OneRoster role → role at the school, keyed in lower case (roles are matched without
# regard to case). Administrative roles become STAFF: a roster feed never hands out
# admin rights in the directory; those are granted in Schulhof itself.
USER_ROLES = {
    "student": Role.STUDENT,
    "teacher": Role.TEACHER,
    "administrator": Role.STAFF,
    "aide": Role.STAFF,
    "proctor": Role.STAFF,
    "counselor": Role.STAFF,
    "principal": Role.STAFF,
    "siteadministrator": Role.STAFF,
    "districtadministrator": Role.STAFF,
    "systemadministrator": Role.STAFF,
    "parent": Role.GUARDIAN,
    "guardian": Role.GUARDIAN,
    "relative": Role.GUARDIAN,
}

# Enrollment role → role in the group. None: a known role with no place in a group of
# ours (a proctor in a class must not see the class as its teacher does): left out.
ENROLLMENT_ROLES: dict[str, MemberRole | None] = {
    "student": MemberRole.STUDENT,
    "teacher": MemberRole.TEACHER,
    "administrator": None,
    "proctor": None,
    "aide": None,
    "guardian": None,
    "parent": None,
    "relative": None,
}

ROLE_TYPES = frozenset({"primary", "secondary"})


class FileMode(enum.StrEnum):
    BULK = "bulk"
    DELTA = "delta"
    ABSENT = "absent"


@dataclass(slots=True)
class Manifest:
    version: str | None = None  # oneroster.version, None when missing or unknown
    files: dict[str, FileMode] = field(default_factory=dict)  # file.<name> → mode


def read_manifest(table: CsvTable, errors: list[RowError]) -> Manifest:
    """`manifest.csv`: `propertyName,value` pairs (OneRoster 1.1 CSV, section 2.1)."""
    manifest = Manifest()
    name_at, value_at = table.columns["propertyName"], table.columns["value"]
    for line, row in table.records():
        prop, value = row[name_at], row[value_at]
        if prop == "oneroster.version":
            if value in VERSIONS:
                manifest.version = value
            else:
                errors.append(
                    RowError(table.name, line, "value", f"unknown OneRoster version {value!r}")
                )
        elif prop.startswith("file."):
            try:
                manifest.files[prop[5:]] = FileMode(value.lower())
            except ValueError:
                errors.append(
                    RowError(
                        table.name,
                        line,
                        "value",
                        f"{prop} must be bulk, delta or absent, not {value!r}",
                    )
                )
    return manifest


def file_modes(
    manifest: Manifest | None,
    present: Collection[str],
    version: str | None,
    label: Callable[[str], str],
) -> tuple[dict[str, FileMode], FeedMode, list[RowError]]:
    """Each file's mode, the feed's mode, and what is wrong with them.

    The feed is FULL only when users, classes and enrollments (and roles, in 1.2) are all
    bulk: a snapshot of fewer files cannot tell who has left. Without a manifest every
    file present is a delta. `present` holds the lower-cased file names.
    """
    errors: list[RowError] = []
    modes: dict[str, FileMode] = {}
    for name in FILES:
        here = f"{name.lower()}.csv" in present
        if manifest is None:
            modes[name] = FileMode.DELTA if here else FileMode.ABSENT
            continue
        modes[name] = mode = manifest.files.get(name, FileMode.ABSENT)
        if mode is not FileMode.ABSENT and not here:
            message = f"the manifest lists {name}.csv as {mode}, but the file is missing"
            errors.append(RowError(label(f"{name}.csv"), 0, "", message))
    core = ["users", "classes", "enrollments", *(["roles"] if version == "1.2" else [])]
    if all(modes[n] is FileMode.BULK for n in core):
        return modes, FeedMode.FULL, errors
    if {modes[n] for n in core} >= {FileMode.BULK, FileMode.DELTA}:
        listed = ", ".join(f"{n}={modes[n]}" for n in core)
        errors.append(
            RowError(label("manifest.csv"), 0, "", f"bulk and delta files mixed: {listed}")
        )
    return modes, FeedMode.DELTA, errors
