"""One asyncio event loop per worker, in a background thread, for the agents' WebSockets.

The pjsua2 thread never awaits anything: it hands work to this loop with
`call_soon_threadsafe` and reads results from a queue in its own pump loop.
"""

from __future__ import annotations

import asyncio
import threading


class LoopThread:
    def __init__(self):
        self.loop = asyncio.new_event_loop()
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
