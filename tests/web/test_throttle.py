"""Growing delays after repeated failures from one address."""

from __future__ import annotations

from schulhof.web.throttle import FREE, WINDOW, Throttle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_delays_grow_and_the_window_forgets() -> None:
    clock = Clock()
    t = Throttle(clock)
    for _ in range(FREE - 1):
        t.failed("10.0.0.1")
    assert t.retry_after("10.0.0.1") == 0
    t.failed("10.0.0.1")
    assert t.retry_after("10.0.0.1") == 2
    t.failed("10.0.0.1")
    assert t.retry_after("10.0.0.1") == 4
    assert t.retry_after("10.0.0.2") == 0  # per address
    clock.now += 4
    assert t.retry_after("10.0.0.1") == 0
    clock.now += WINDOW
    assert t.retry_after("10.0.0.1") == 0
    t.failed("10.0.0.1")
    assert t.retry_after("10.0.0.1") == 0  # old failures fell out of the window
