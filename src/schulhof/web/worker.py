"""The job worker inside the web process: a daemon thread that runs queued jobs.

Started and stopped with the app (`create_app(..., worker=True)`). Any number of web
processes, and `schulhof jobs run` workers, may run side by side: claiming is safe
(store/jobs.py). A job that is running when the process stops is finished first if it
ends within the stop timeout; otherwise it stays `running` (see docs/import.md).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from schulhof.importers import jobs as import_jobs
from schulhof.protocols.oidc import logout as oidc_logout
from schulhof.services import jobs, oidc_grants, sessions
from schulhof.services.runtime import Services

log = logging.getLogger(__name__)

INTERVAL = 1.0  # seconds between looks at the queue when it is empty
EXPIRE_EVERY = 3600.0  # seconds between sweeps for stale plans and spool folders
STOP_TIMEOUT = 30.0
# What this worker runs, by job kind: imports, and back-channel logouts to OIDC clients.
RUNNERS: dict[str, jobs.JobRunner] = {**import_jobs.RUNNERS, **oidc_logout.RUNNERS}


def run_next_job(services: Services) -> bool:
    return jobs.run_next_job(services, RUNNERS)


class JobWorker:
    def __init__(
        self,
        services: Services,
        run_next: Callable[[Services], bool] = run_next_job,
        *,
        interval: float = INTERVAL,
    ) -> None:
        self._services = services
        self._run_next = run_next
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="schulhof-jobs", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("the job worker did not stop within %s s", timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        next_sweep = time.monotonic()
        while not self._stop.is_set():
            try:
                if time.monotonic() >= next_sweep:
                    jobs.expire_jobs(self._services)
                    oidc_grants.purge(self._services)  # expired OIDC codes, refresh tokens
                    sessions.housekeeping(self._services)  # old sessions, failure counts
                    next_sweep = time.monotonic() + EXPIRE_EVERY
                while not self._stop.is_set() and self._run_next(self._services):
                    pass
            except Exception:
                # The database may be away for a moment: log, wait, try again.
                log.exception("the job worker failed; trying again")
            self._stop.wait(self._interval)


def lifespan(services: Services) -> Callable[[Any], Any]:
    """A FastAPI lifespan that runs a `JobWorker` while the app runs."""

    @asynccontextmanager
    async def run(_app: Any) -> AsyncIterator[None]:
        worker = JobWorker(services)
        worker.start()
        try:
            yield
        finally:
            worker.stop()

    return run
