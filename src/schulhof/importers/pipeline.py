"""The import pipeline end to end: read → map → plan → guard → apply → report.

Faces (CLI, HTTP) call `import_path` or `import_feed`; nothing here prints.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from schulhof.access.actors import Actor
from schulhof.domain.errors import ValidationError
from schulhof.importers.oneroster import read_oneroster
from schulhof.importers.plan import plan_import
from schulhof.importers.records import Feed
from schulhof.importers.report import ImportPlan, ImportReport
from schulhof.importers.sis import read_sis
from schulhof.importers.sis_profile import load_profile
from schulhof.services import schools as school_service
from schulhof.services.imports import run_import
from schulhof.services.runtime import Services

Progress = Callable[[str], None]


def read_feed(
    services: Services,
    source: str,
    path: Path,
    *,
    profile: str | Path | None = None,
) -> Feed:
    """Read `path` as `source` ("oneroster" or "sis")."""
    if source == "oneroster":
        known = {
            link.source_id: s.number
            for s in school_service.list_schools(services)
            for link in s.sources
            if link.system == "oneroster"
        }
        return read_oneroster(
            path, keep_usernames=services.settings.keep_source_usernames, known_schools=known
        )
    if source == "sis":
        return read_sis(path, profile=load_profile(profile or "default"))
    raise ValidationError(f"unknown import source {source!r}", field="source")


def import_feed(
    services: Services,
    actor: Actor,
    feed: Feed,
    *,
    dry_run: bool = False,
    approve: bool = False,
    skip_invalid: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Plan the feed against the directory and apply it unless told or forced not to.

    Any invalid row stops the import (nothing written) unless `skip_invalid`; then the
    valid rows are applied but nobody is removed, since a skipped row may be someone
    who is still there.
    """
    seconds: dict[str, float] = {}
    if feed.errors and not skip_invalid:
        return ImportReport(
            ImportPlan(feed.source, feed.mode.value),
            feed.errors,
            applied=False,
            held=False,
            held_reasons=[],
            dry_run=dry_run,
        )
    started = time.perf_counter()

    def planner(snap, now):  # type: ignore[no-untyped-def]
        seconds["load"] = time.perf_counter() - started
        if progress:
            progress("plan")
        t = time.perf_counter()
        result = plan_import(feed, snap, now, services.settings, allow_removals=not feed.errors)
        seconds["plan"] = time.perf_counter() - t
        if progress:
            progress("apply")
        return result

    t0 = time.perf_counter()
    outcome = run_import(services, actor, planner, dry_run=dry_run, approve=approve)
    seconds["total"] = time.perf_counter() - t0
    seconds["apply"] = max(0.0, seconds["total"] - seconds.get("plan", 0) - seconds.get("load", 0))
    return ImportReport(
        outcome.plan,
        feed.errors,
        applied=outcome.applied,
        held=outcome.held,
        held_reasons=[f.message() for f in outcome.findings],
        dry_run=dry_run,
        last_seq=outcome.last_seq,
        seconds=seconds,
    )


def import_path(
    services: Services,
    actor: Actor,
    source: str,
    path: Path,
    *,
    profile: str | Path | None = None,
    dry_run: bool = False,
    approve: bool = False,
    skip_invalid: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    t = time.perf_counter()
    if progress:
        progress("read")
    feed = read_feed(services, source, path, profile=profile)
    read_seconds = time.perf_counter() - t
    report = import_feed(
        services,
        actor,
        feed,
        dry_run=dry_run,
        approve=approve,
        skip_invalid=skip_invalid,
        progress=progress,
    )
    report.seconds["read"] = read_seconds
    return report
