"""media_stream agents served by the test itself, speaking smartalex.domain.agent_protocol.

`ScriptedAgent` follows a script (stream audio back, ask for a transfer) and records what the
edge sends as it arrived on the wire, so tests can check the protocol end to end.
`RemoteAgent` does nothing by itself: the test sends what it wants when it wants (or nothing),
and sees each message with the time it arrived.
"""

from __future__ import annotations

import json
import queue
import socket
import threading
import time
from dataclasses import dataclass, field

from websockets.exceptions import ConnectionClosedError
from websockets.sync.server import serve

from smartalex.domain import agent_protocol as protocol

TONE = bytes([0x00, 0x80] * 80)  # 20 ms of a loud μ-law square wave


def tone(seconds: float) -> bytes:
    return TONE * round(seconds * 50)


def never_accepting_url() -> tuple[str, socket.socket]:
    """A URL whose server takes the TCP connection and never answers the WebSocket upgrade
    (the kernel accepts into the backlog; nobody reads). Keep the socket until the test ends."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    return f"ws://127.0.0.1:{sock.getsockname()[1]}/agent", sock


@dataclass
class ScriptedAgent:
    """On `start`: send `audio_frames` of audio and a mark, then `transfer_to` if set."""

    transfer_to: str | None = None
    audio_frames: int = 25
    hang_up_after_transfer_failure: bool = False
    hang_up_after_greeting: bool = False  # the AI ends the call itself
    received: "queue.Queue[dict]" = field(default_factory=queue.Queue)
    connections: int = 0
    handshakes: list = field(default_factory=list)  # each connection's request headers
    closed: threading.Event = field(default_factory=threading.Event)  # a stream ended

    def start(self) -> "ScriptedAgent":
        self._server = serve(self._handle, "127.0.0.1", 0)
        self.url = f"ws://127.0.0.1:{self._server.socket.getsockname()[1]}/agent"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()

    def _handle(self, ws) -> None:
        self.connections += 1
        self.handshakes.append(dict(ws.request.headers))
        try:
            self._converse(ws)
        except ConnectionClosedError:
            pass  # the edge's process died mid-call (test_worker_death.py)
        finally:
            self.closed.set()

    def _converse(self, ws) -> None:
        stream_sid = ""
        for raw in ws:
            self.received.put(json.loads(raw))
            message = protocol.parse_edge_message(raw)
            if isinstance(message, protocol.Start):
                stream_sid = message.stream_sid
                for _ in range(self.audio_frames):
                    ws.send(protocol.dumps(protocol.Media(TONE, stream_sid)))
                ws.send(protocol.dumps(protocol.Mark("greeting-done", stream_sid)))
                if self.hang_up_after_greeting:
                    ws.send(protocol.dumps(protocol.Hangup()))
            elif isinstance(message, protocol.MarkPlayed) and self.transfer_to:
                ws.send(protocol.dumps(protocol.Transfer(self.transfer_to)))
            elif isinstance(message, protocol.TransferOutcome) \
                    and message.status is protocol.TransferStatus.FAILED \
                    and self.hang_up_after_transfer_failure:
                ws.send(protocol.dumps(protocol.Hangup()))

    def messages_until(self, event: str, timeout: float = 10, **match) -> list[dict]:
        """Everything received up to and including the first `event` matching `match`."""
        seen = []
        while True:
            message = self.received.get(timeout=timeout)
            seen.append(message)
            body = message.get(event, {}) if isinstance(message.get(event), dict) else {}
            if message.get("event") == event and all(body.get(k) == v for k, v in match.items()):
                return seen


@dataclass(frozen=True)
class Arrival:
    at: float                      # time.monotonic() when it arrived
    message: protocol.EdgeMessage


class RemoteAgent:
    """An agent the test drives: it accepts one call at a time and only records (parsed, with
    arrival times) until the test sends something or closes the socket. `closed_by_edge` is set
    with the close code when the edge closes the socket."""

    def __init__(self):
        self.arrivals: "queue.Queue[Arrival | None]" = queue.Queue()
        self.seen: list[Arrival] = []
        self.connected = threading.Event()
        self.close_code: int | None = None
        self._ws = None

    def start(self) -> "RemoteAgent":
        self._server = serve(self._handle, "127.0.0.1", 0)
        self.url = f"ws://127.0.0.1:{self._server.socket.getsockname()[1]}/agent"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()

    def _handle(self, ws) -> None:
        self._ws = ws
        self.connected.set()
        for raw in ws:
            self.arrivals.put(Arrival(time.monotonic(), protocol.parse_edge_message(raw)))
        self.close_code = ws.close_code
        self.arrivals.put(None)

    def send(self, *messages: protocol.AgentMessage) -> None:
        assert self.connected.wait(10), "the edge never connected"
        for message in messages:
            self._ws.send(protocol.dumps(message))

    def close(self) -> None:
        self._ws.close()

    def next(self, kind: type, timeout: float = 10) -> Arrival:
        """The next message of `kind` (earlier ones of other kinds are kept in `seen`)."""
        deadline = time.monotonic() + timeout
        while True:
            arrival = self.arrivals.get(timeout=max(deadline - time.monotonic(), 0.001))
            if arrival is None:
                raise EOFError(f"the socket closed before a {kind.__name__}; saw "
                               f"{[type(a.message).__name__ for a in self.seen][-10:]}")
            self.seen.append(arrival)
            if isinstance(arrival.message, kind):
                return arrival

    def until_closed(self, timeout: float = 10) -> list[Arrival]:
        """Everything until the socket closes."""
        deadline = time.monotonic() + timeout
        rest = []
        while (arrival := self.arrivals.get(
                timeout=max(deadline - time.monotonic(), 0.001))) is not None:
            self.seen.append(arrival)
            rest.append(arrival)
        return rest
