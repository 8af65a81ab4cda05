"""One asyncio event loop per worker, in a background thread, for the agents' WebSockets.

The pjsua2 thread never awaits anything: it hands work to this loop with
`call_soon_threadsafe` and reads results from a queue in its own pump loop. Audio does not go
that way: the loop's `MediaPump` takes every call's caller audio from its port on one 20 ms
tick (edge/media/port.py), so a call costs no thread hand-off per frame.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Protocol

TICK_SECONDS = 0.020  # one frame of audio


class Pumped(Protocol):
    def pump(self) -> None:
        """Move what the port holds (caller audio, played marks) to the agent."""


class MediaPump:
    """Calls `pump()` on every open stream each 20 ms, on the loop thread; idle when none is
    open (an edge without calls spends nothing here). Ticks are scheduled against the monotonic
    clock, so a late tick does not delay the ones after it; after a stall it starts afresh
    rather than firing a burst of catch-up ticks."""

    def __init__(self, loop: asyncio.AbstractEventLoop, tick: float = TICK_SECONDS):
        self._loop, self._tick_seconds = loop, tick
        self._streams: set[Pumped] = set()
        self._handle: asyncio.TimerHandle | None = None
        self._due = 0.0

    def add(self, stream: Pumped) -> None:
        """Loop thread."""
        self._streams.add(stream)
        if self._handle is None:
            self._due = self._loop.time()
            self._schedule()

    def discard(self, stream: Pumped) -> None:
        """Loop thread."""
        self._streams.discard(stream)

    def _schedule(self) -> None:
        self._due += self._tick_seconds
        now = self._loop.time()
        if self._due < now - self._tick_seconds:
            self._due = now + self._tick_seconds
        self._handle = self._loop.call_at(self._due, self._run)

    def _run(self) -> None:
        self._handle = None
        for stream in list(self._streams):
            stream.pump()
        if self._streams:
            self._schedule()


class LoopThread:
    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.media = MediaPump(self.loop)
        self._thread = threading.Thread(target=self._run, name="agent-streams", daemon=True)

    def start(self) -> "LoopThread":
        self._thread.start()
        return self

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def submit(self, coro) -> "asyncio.Future":
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def call(self, fn, *args) -> None:
        self.loop.call_soon_threadsafe(fn, *args)

    def stop(self, grace: float = 2.0) -> None:
        """Stop once the streams have finished what they were sending (an ended call's `stop`
        and close), waiting at most `grace` seconds for them."""
        async def drain() -> None:
            others = asyncio.all_tasks() - {asyncio.current_task()}
            if others:
                await asyncio.wait(others, timeout=grace)
            self.loop.stop()

        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(drain(), self.loop)
            self._thread.join(grace + 3)
