"""Growing delays for repeated failed authentication from one address (per process).

After `FREE` failures in the window, each further attempt from that address must wait
2, 4, 8 … seconds (capped); a success does not reset an attacker's count, the window does.
Behind a load balancer each worker counts on its own: the limit is per worker, which is
still a hard ceiling on guessing (a token secret has 256 bits; this protects the logs and
the database, not the secret).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

FREE = 5
WINDOW = 300.0
MAX_DELAY = 300


class Throttle:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: dict[str, list[float]] = {}

    def retry_after(self, key: str) -> int:
        """Seconds the caller must still wait (0: go ahead)."""
        now = self._clock()
        with self._lock:
            recent = [t for t in self._failures.get(key, ()) if now - t < WINDOW]
            if recent:
                self._failures[key] = recent
            else:
                self._failures.pop(key, None)
            if len(recent) < FREE:
                return 0
            delay = min(MAX_DELAY, 2 ** (len(recent) - FREE + 1))
            wait = recent[-1] + delay - now
            return max(0, int(wait + 0.999))

    def failed(self, key: str) -> None:
        with self._lock:
            if len(self._failures) > 100_000:
                self._failures.clear()  # bounded memory under a distributed attack
            self._failures.setdefault(key, []).append(self._clock())
