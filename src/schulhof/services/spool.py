"""The spool: where uploaded import files wait for their job, one folder per job.

`SCHULHOF_SPOOL`, else `<tempdir>/schulhof-spool`, created private (0700); a folder that
someone else owns (or a link) is refused, since in a shared temp folder another user could
have made it first. With web and worker processes on several machines it must be a
shared folder; each directory (database) needs a spool of its own. Files are never kept
in the database (a city's export is tens of MB).

Names are checked before anything is written: a plain `.csv` or `.zip` file name, no
folder part — so nothing lands outside the job's folder.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from schulhof.domain.errors import ConfigurationError, ValidationError

SPOOL_ENV = "SCHULHOF_SPOOL"
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
_CHUNK = 1 << 20
# A plain file name: no folder part, no control characters, not hidden, .csv or .zip.
_NAME = re.compile(r"(?![.\s])[^/\\\x00-\x1f\x7f]{0,200}\.(csv|zip)", re.IGNORECASE)


class UploadTooLargeError(ValidationError):
    """The upload exceeds the size limit (HTTP 413)."""


def root() -> Path:
    folder = Path(os.environ.get(SPOOL_ENV) or Path(tempfile.gettempdir()) / "schulhof-spool")
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = folder.lstat()
    except OSError as exc:
        raise ConfigurationError(f"cannot use the spool folder {folder}: {exc}") from exc
    if folder.is_symlink() or (hasattr(os, "getuid") and st.st_uid != os.getuid()):
        raise ConfigurationError(f"the spool folder {folder} is not ours: set {SPOOL_ENV}")
    return folder


def job_folder(job_id: str) -> Path:
    return root() / str(uuid.UUID(job_id))  # a UUID: never a path of its own


def remove(job_id: str) -> None:
    shutil.rmtree(job_folder(job_id), ignore_errors=True)


def check_upload_name(name: str) -> str:
    """`name` if it is a plain `.csv` or `.zip` file name; ValidationError otherwise."""
    if "/" in name or "\\" in name or name in ("", ".", ".."):
        raise ValidationError(f"{name!r}: a file name without folders is expected", field="files")
    if not _NAME.fullmatch(name):
        raise ValidationError(f"{name!r}: only .csv files or one .zip file", field="files")
    return name


def save_upload(
    job_id: str, files: Sequence[tuple[str, BinaryIO]], *, max_bytes: int | None = None
) -> list[str]:
    """Copy the uploaded files into the job's folder; returns their names.

    One `.zip`, or one or more `.csv` files, together at most `max_bytes` (default
    `MAX_UPLOAD_BYTES`). Nothing is left behind on error."""
    limit = MAX_UPLOAD_BYTES if max_bytes is None else max_bytes
    if not files:
        raise ValidationError("no files were uploaded", field="files")
    names = [check_upload_name(name) for name, _ in files]
    if len({n.lower() for n in names}) != len(names):
        raise ValidationError("the same file name twice", field="files")
    if any(n.lower().endswith(".zip") for n in names) and len(names) > 1:
        raise ValidationError("a .zip file must come alone", field="files")
    folder = job_folder(job_id)
    total = 0
    try:
        folder.mkdir(mode=0o700)
        for name, (_, stream) in zip(names, files, strict=True):
            with (folder / name).open("xb") as out:
                while chunk := stream.read(_CHUNK):
                    total += len(chunk)
                    if total > limit:
                        raise UploadTooLargeError(
                            f"the upload is larger than {limit / (1024 * 1024):g} MB",
                            field="files",
                        )
                    out.write(chunk)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return names


def input_path(job_id: str, files: Sequence[str]) -> Path:
    """What the importer reads: the uploaded zip, or the folder of CSV files."""
    folder = job_folder(job_id)
    if len(files) == 1 and files[0].lower().endswith(".zip"):
        return folder / files[0]
    return folder


def folders_older_than(cutoff: dt.datetime) -> list[str]:
    """Job ids of the folders last changed before `cutoff` (other entries are left alone)."""
    found = []
    for folder in root().iterdir():
        try:
            job_id = str(uuid.UUID(folder.name))
            changed = dt.datetime.fromtimestamp(folder.stat().st_mtime, dt.UTC)
        except (ValueError, OSError):
            continue  # not a job's folder
        if changed < cutoff:
            found.append(job_id)
    return found
