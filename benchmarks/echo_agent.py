"""A media_stream agent for load benchmarks, in a process of its own (so its CPU is not the
edge's): it answers `start` with one frame of silence (an agent that has started) and sends
every frame of the caller's audio straight back, so each call streams both ways for as long as
it lasts. It prints one JSON line when a stream starts and one when it stops (the stream, frames
received and sent).

    python benchmarks/echo_agent.py --port 0   # prints "listening ws://127.0.0.1:PORT/" first
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import sys

import websockets

SILENCE = base64.b64encode(b"\xff" * 160).decode()


async def echo(ws) -> None:
    stream_sid, received, sent = None, 0, 0
    try:
        async for raw in ws:
            message = json.loads(raw)
            event = message.get("event")
            if event == "start":
                stream_sid = message["streamSid"]
                print(json.dumps({"started": stream_sid}), flush=True)
                await ws.send(json.dumps({"event": "media", "streamSid": stream_sid,
                                          "media": {"payload": SILENCE}}))
                sent += 1
            elif event == "media":
                received += 1
                await ws.send(json.dumps({"event": "media", "streamSid": stream_sid,
                                          "media": {"payload": message["media"]["payload"]}}))
                sent += 1
            elif event == "stop":
                break
    except websockets.ConnectionClosed:
        pass
    print(json.dumps({"stream": stream_sid, "received": received, "sent": sent}), flush=True)


async def main(port: int) -> None:
    async with websockets.serve(echo, "127.0.0.1", port) as server:
        bound = server.sockets[0].getsockname()[1]
        print(f"listening ws://127.0.0.1:{bound}/", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    try:
        asyncio.run(main(parser.parse_args().port))
    except KeyboardInterrupt:
        sys.exit(0)
