"""Charts rendered by worker processes and by this one, sharing one queue (the desk log's render scheduler).

Charts are queued in the order their pages need them. The worker processes are kept fed from the front of the
queue, a couple of charts each at a time; when this process waits for a chart it takes the chart at the back of
the queue (the one needed last) and renders it itself instead of idling. Every chart is rendered exactly once,
by the same function, so the images are the same whoever renders them.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, Future
from functools import partial

from cryptodesk.charts.spec import Chart

Render = Callable[[Chart], bytes]


class Slot:
    """One queued chart and, once rendered, its image."""

    __slots__ = ("done", "future", "image", "spec")

    def __init__(self, spec: Chart) -> None:
        self.spec = spec
        self.future: Future[bytes] | None = None
        self.image: bytes | None = None
        self.done = threading.Event()


class RenderQueue:
    """A queue of charts served by ``pool`` (``remote`` runs in its processes) and by the caller (``local``)."""

    def __init__(self, pool: Executor, remote: Render, local: Render, *, depth: int = 2) -> None:
        self._pool, self._remote, self._local, self._depth = pool, remote, local, depth
        self._queue: deque[Slot] = deque()
        self._in_flight = 0
        self._lock = threading.Lock()

    def add(self, spec: Chart) -> Slot:
        """Queue a chart; its image comes from :meth:`image`."""
        slot = Slot(spec)
        with self._lock:
            self._queue.append(slot)
        self._feed()
        return slot

    def image(self, slot: Slot) -> bytes:
        """The slot's image; while it is not ready, render the last queued charts here."""
        while not slot.done.is_set():
            with self._lock:
                mine = self._queue.pop() if self._queue else None
            if mine is None:
                slot.done.wait()
                break
            self._store(mine, self._local(mine.spec))
        if slot.image is None:  # the render process failed: its exception
            assert slot.future is not None
            slot.future.result()
            raise RuntimeError("a chart render finished without an image")
        return slot.image

    def _feed(self) -> None:
        while True:
            with self._lock:
                if self._in_flight >= self._depth or not self._queue:
                    return
                slot = self._queue.popleft()
                self._in_flight += 1
            slot.future = self._pool.submit(self._remote, slot.spec)
            slot.future.add_done_callback(partial(self._remote_done, slot))

    def _remote_done(self, slot: Slot, future: Future[bytes]) -> None:
        with self._lock:
            self._in_flight -= 1
        if not future.cancelled() and future.exception() is None:
            self._store(slot, future.result())
        else:
            slot.done.set()
        self._feed()

    @staticmethod
    def _store(slot: Slot, image: bytes) -> None:
        slot.image = image
        slot.done.set()
