"""Prompt audio out to the edge: 20 ms media messages paced in real time, and marks."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable

from smartalex.domain import agent_protocol as protocol

from .audio import FRAME_BYTES, FRAME_MS


class Player:
    """Sends prompt audio to the edge in 20 ms media messages, paced in real time (a little
    ahead, never a flood), each prompt followed by its mark. Time is the event loop's clock
    (time.monotonic on a standard loop), so tests can run it on a virtual one."""

    def __init__(self, send: Callable[[protocol.AgentMessage], Awaitable[None]], stream_sid: str,
                 on_mark_overdue: Callable[[str], None], lead: float = 0.06,
                 mark_grace: float = 3.0):
        self._send = send
        self._sid = stream_sid
        self._on_overdue = on_mark_overdue
        self._lead = lead
        self._grace = mark_grace   # a mark not back this long after its audio ended is overdue
        self._queue: deque[bytes | str] = deque()   # audio frames, or a mark name
        self._wake = asyncio.Event()
        self._next = 0.0                              # when the edge runs out of queued audio
        self._marks: dict[str, float] = {}            # sent, not yet echoed: name -> overdue at

    def play(self, audio: bytes, mark: str) -> None:
        for start in range(0, len(audio), FRAME_BYTES):
            self._queue.append(audio[start:start + FRAME_BYTES])
        self._queue.append(mark)
        self._wake.set()

    async def clear(self) -> None:
        self._queue.clear()
        self._marks.clear()   # the edge echoes cleared marks; the conversation ignores them
        self._next = _now()
        await self._send(protocol.Clear(self._sid))

    def echoed(self, mark: str) -> None:
        self._marks.pop(mark, None)

    def check_overdue(self, now: float) -> None:
        for name, due in list(self._marks.items()):
            if now >= due:
                del self._marks[name]
                self._on_overdue(name)

    async def run(self) -> None:
        while True:
            if not self._queue:
                self._wake.clear()
                await self._wake.wait()
                continue
            item = self._queue[0]
            if isinstance(item, str):
                self._queue.popleft()
                self._marks[item] = max(self._next, _now()) + self._grace
                await self._send(protocol.Mark(item, self._sid))
                continue
            now = _now()
            self._next = max(self._next, now)
            delay = self._next - self._lead - now
            if delay > 0:
                await asyncio.sleep(delay)
                continue   # the queue may have been cleared meanwhile
            self._queue.popleft()
            self._next += FRAME_MS / 1000
            await self._send(protocol.Media(item, self._sid))


def _now() -> float:
    return asyncio.get_running_loop().time()
