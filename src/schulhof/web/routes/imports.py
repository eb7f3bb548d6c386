"""Imports over HTTP: upload → plan (a dry run) → approve → applied by a background worker.

The upload is read only after the caller is authenticated and allowed to import, and
only up to the size limit (the `Content-Length` is checked before the body is parsed).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.datastructures import UploadFile

from schulhof.domain.errors import ValidationError
from schulhof.importers import jobs as import_jobs
from schulhof.services import jobs, spool
from schulhof.web import pagination, problems
from schulhof.web.auth import ActorDep, ServicesDep

router = APIRouter(prefix="/imports", tags=["imports"])

MAX_FILES = 200  # a city's school-office folder: two files per school
_MULTIPART_SLACK = 1024 * 1024  # headers and boundaries around the files

_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["source", "files"],
                    "properties": {
                        "source": {"type": "string", "enum": list(import_jobs.SOURCES)},
                        "profile": {
                            "type": "string",
                            "description": "A built-in school-office profile (sis only).",
                        },
                        "files": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "description": "One OneRoster/school-office .zip, or .csv files.",
                        },
                    },
                }
            }
        },
    }
}


class Approval(BaseModel):
    approve_guard: bool = False


def _too_large() -> JSONResponse:
    limit = spool.MAX_UPLOAD_BYTES / (1024 * 1024)
    return problems.problem(413, "payload-too-large", f"the upload is larger than {limit:g} MB")


def _text(value: object, field: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise ValidationError(f"{field} must be a text field", field=field)


@router.post(
    "",
    status_code=201,
    response_model=None,
    openapi_extra=_UPLOAD_BODY,
    responses={413: {"description": "The upload is too large."}},
)
async def upload(
    request: Request, svc: ServicesDep, actor: ActorDep, response: Response
) -> dict[str, Any] | JSONResponse:
    """Upload export files and get the plan (nothing is written yet).

    Status `planned`, `held` (approve with `approve_guard`) or `invalid` (the errors are
    in `summary.errors`; such a job cannot be approved)."""
    jobs.require_import_rights(actor)
    length = request.headers.get("content-length")
    if length is None or not length.isdigit():
        raise HTTPException(411, "a Content-Length is required")
    if int(length) > spool.MAX_UPLOAD_BYTES + _MULTIPART_SLACK:
        return _too_large()
    async with request.form(max_files=MAX_FILES, max_fields=20) as form:
        source = _text(form.get("source"), "source")
        profile = _text(form.get("profile"), "profile")
        uploads = form.getlist("files")
        if not all(isinstance(u, UploadFile) for u in uploads):
            raise ValidationError("files must be file parts", field="files")
        if source is None:
            raise ValidationError("source is required", field="source")
        files = [(u.filename or "", u.file) for u in uploads if isinstance(u, UploadFile)]
        try:
            job = await run_in_threadpool(
                import_jobs.plan_upload,
                svc,
                actor,
                source=source,
                files=files,
                profile=profile,
            )
        except spool.UploadTooLargeError:
            return _too_large()
    response.headers["Location"] = f"{request.url.path}/{job.id}"
    return {"id": job.id, "status": job.status.value, "summary": job.plan}


@router.get("")
def list_imports(
    svc: ServicesDep,
    actor: ActorDep,
    limit: Annotated[int, Query(ge=1, le=pagination.MAX_LIMIT)] = pagination.DEFAULT_LIMIT,
    cursor: str | None = None,
) -> dict[str, Any]:
    """Import jobs the caller may see, newest first."""
    key = pagination.decode(cursor)
    before = None
    if key is not None:
        try:
            before = (dt.datetime.fromisoformat(str(key["t"])), str(key["i"]))
        except (KeyError, ValueError) as exc:
            raise ValidationError("the cursor is not valid", field="cursor") from exc
    found = jobs.list_jobs(svc, actor, limit=limit, before=before)
    next_key = None
    if found.next_key is not None:
        next_key = {"t": found.next_key[0].isoformat(), "i": found.next_key[1]}
    return pagination.page([j.as_dict() for j in found.items], next_key)


@router.get("/{job_id}")
def get_import(svc: ServicesDep, actor: ActorDep, job_id: str) -> dict[str, Any]:
    return jobs.get_job(svc, actor, job_id).as_dict()


@router.post("/{job_id}/approve", status_code=202)
def approve_import(
    svc: ServicesDep, actor: ActorDep, job_id: str, body: Approval | None = None
) -> dict[str, Any]:
    """Queue the plan for the worker. A held plan needs `approve_guard: true`."""
    approval = body or Approval()
    return jobs.approve_job(svc, actor, job_id, approve_guard=approval.approve_guard).as_dict()


@router.delete("/{job_id}", status_code=204)
def discard_import(svc: ServicesDep, actor: ActorDep, job_id: str) -> Response:
    """Discard a job that has not started; its files are deleted."""
    jobs.discard_job(svc, actor, job_id)
    return Response(status_code=204)
