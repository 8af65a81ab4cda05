"""A media_stream agent served by the test itself: records what the edge sends and follows a
script (stream audio back, ask for a transfer), so tests can check the protocol end to end."""

from __future__ import annotations

import base64
import json
import queue
import threading
from dataclasses import dataclass, field

from websockets.sync.server import serve

TONE = base64.b64encode(bytes([0x00, 0x80] * 80)).decode()  # 20 ms of a loud μ-law square wave


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
        stream_sid = None
        for raw in ws:
            message = json.loads(raw)
            self.received.put(message)
            event = message.get("event")
            if event == "start":
                stream_sid = message["streamSid"]
                for _ in range(self.audio_frames):
                    ws.send(json.dumps({"event": "media", "streamSid": stream_sid,
                                        "media": {"payload": TONE}}))
                ws.send(json.dumps({"event": "mark", "streamSid": stream_sid,
                                    "mark": {"name": "greeting-done"}}))
                if self.hang_up_after_greeting:
                    ws.send(json.dumps({"event": "hangup"}))
            elif event == "mark" and self.transfer_to:
                ws.send(json.dumps({"event": "transfer",
                                    "transfer": {"target": self.transfer_to}}))
            elif event == "transfer" and message["transfer"]["status"] == "failed" \
                    and self.hang_up_after_transfer_failure:
                ws.send(json.dumps({"event": "hangup"}))

    def messages_until(self, event: str, timeout: float = 10, **match) -> list[dict]:
        """Everything received up to and including the first `event` matching `match`."""
        seen = []
        while True:
            message = self.received.get(timeout=timeout)
            seen.append(message)
            body = message.get(event, {}) if isinstance(message.get(event), dict) else {}
            if message.get("event") == event and all(body.get(k) == v for k, v in match.items()):
                return seen
