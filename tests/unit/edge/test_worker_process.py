"""The worker child as the supervisor sees it (edge/supervisor.py WorkerProcess): a thin
wrapper; what a worker is sent and when is the Placement's (test_placement.py)."""

import os

from edge.protocol import Shutdown
from edge.supervisor import WorkerProcess
from edge.worker import WorkerSettings


class RecordingConn:
    """A worker's pipe as the supervisor sees it: what it was sent; nothing ever to read (its
    fileno is a pipe nobody writes to, for the loop's wait)."""

    def __init__(self):
        self.sent = []
        self._read, self._write = os.pipe()

    def send(self, message):
        self.sent.append(message)

    def fileno(self) -> int:
        return self._read

    def poll(self) -> bool:
        return False

    def __del__(self):
        for fd in (self._read, self._write):
            try:
                os.close(fd)
            except OSError:
                pass


class ClosedConn:
    def send(self, message):
        raise BrokenPipeError("the worker died")


def test_a_message_to_a_worker_whose_pipe_closed_is_dropped_not_raised():
    """A worker that died while the edge drains: a Shutdown sent to it once raised and crashed
    the edge's stop. Its replacement gets what it needs from the Placement."""
    w = WorkerProcess(0, WorkerSettings(index=0))
    w.send(Shutdown(0.0))  # no pipe at all
    w.conn = ClosedConn()
    w.send(Shutdown(0.0))
