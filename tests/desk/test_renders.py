"""The desk log's render queue: every chart rendered once, by either side, and images kept in order."""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

import pytest

from cryptodesk.charts.spec import Chart
from cryptodesk.desk.renders import RenderQueue


class Recorder:
    """A render function that records who rendered which chart (``delay`` seconds each)."""

    def __init__(self, who: str, delay: float) -> None:
        self.who, self.delay = who, delay
        self.calls: Counter[int] = Counter()
        self.lock = threading.Lock()

    def __call__(self, spec: Chart) -> bytes:
        key = cast(Any, spec)
        time.sleep(self.delay)
        with self.lock:
            self.calls[key] += 1
        return f"{self.who}:{key}".encode()


@pytest.mark.parametrize(("charts", "remote_delay", "local_delay"), [(1, 0.0, 0.0), (12, 0.01, 0.0), (25, 0.0, 0.01)])
def test_every_chart_rendered_exactly_once(charts: int, remote_delay: float, local_delay: float) -> None:
    remote, local = Recorder("remote", remote_delay), Recorder("local", local_delay)
    with ThreadPoolExecutor(max_workers=1) as pool:
        queue = RenderQueue(pool, remote, local)
        slots = [queue.add(cast(Chart, i)) for i in range(charts)]
        images = [queue.image(slot) for slot in slots]
    done = remote.calls + local.calls
    assert done == Counter(range(charts))
    for i, image in enumerate(images):
        assert image.decode().endswith(f":{i}")
        assert image.decode().split(":")[0] in {"remote", "local"}


def test_caller_takes_charts_from_the_back_while_it_waits() -> None:
    release = threading.Event()

    def slow(spec: Chart) -> bytes:
        release.wait(5)
        return b"remote"

    local = Recorder("local", 0.0)
    with ThreadPoolExecutor(max_workers=1) as pool:
        queue = RenderQueue(pool, slow, local, depth=1)
        slots = [queue.add(cast(Chart, i)) for i in range(4)]
        # chart 0 is held by the worker; the caller, waiting for chart 3, renders 3 first (the back of the queue)
        assert queue.image(slots[3]) == b"local:3"
        assert set(local.calls) == {3}
        release.set()
        assert queue.image(slots[0]) == b"remote"
        rest = [queue.image(s) for s in slots[1:3]]
    assert all(image in {b"remote", b"local:1", b"local:2"} for image in rest)


def test_a_failed_render_raises_its_error() -> None:
    def broken(spec: Chart) -> bytes:
        raise ValueError("no ink")

    with ThreadPoolExecutor(max_workers=1) as pool:
        queue = RenderQueue(pool, broken, Recorder("local", 0.0), depth=1)
        slot = queue.add(cast(Chart, 0))
        with pytest.raises(ValueError, match="no ink"):
            queue.image(slot)
