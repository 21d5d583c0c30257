"""Interop server: a Python websockets echo server for the wskit client.

Usage: python3 python_server.py <plain|deflate>

Listens on 127.0.0.1 port 0 and reports on stdout, one JSON object a line:
  {"event": "listening", "port": N}
  {"event": "open", "path": "/...", "extensions": [...]}
  {"event": "closed", "path": "/...", "code": N, "reason": "..."}  (the close frame received)
Echoes every message with its type. Text messages starting with "__command__ " are commands:
  "__command__ close <code> <reason>"   the server starts the closing handshake
  "__command__ fragments"               sends fragmented text and binary messages
  "__command__ ping"                    pings with a payload, then sends "pong <payload>"
Exits when stdin closes.
"""

import asyncio
import json
import sys

import websockets

COMMAND = "__command__ "


def report(**event):
    print(json.dumps(event), flush=True)


async def handler(ws, path=None):
    report(event="open", path=ws.path, extensions=[e.name for e in ws.extensions])
    try:
        async for message in ws:
            if isinstance(message, str) and message.startswith(COMMAND):
                await command(ws, message[len(COMMAND):])
            else:
                await ws.send(message)
    except websockets.ConnectionClosed:
        pass
    await ws.wait_closed()
    report(event="closed", path=ws.path, code=ws.close_code, reason=ws.close_reason)


async def command(ws, line):
    name, _, argument = line.partition(" ")
    if name == "close":
        code, _, reason = argument.partition(" ")
        await ws.close(code=int(code), reason=reason)
    elif name == "fragments":
        await ws.send(["frag", "mént", "ed ✓"])
        await ws.send([b"\x00\x01", b"", b"\xfe\xff" * 40000])
    elif name == "ping":
        pong = await ws.ping(b"python server ping")
        await asyncio.wait_for(pong, 5)
        await ws.send("pong python server ping")
    else:
        await ws.send("unknown command " + name)


async def main(mode):
    compression = "deflate" if mode == "deflate" else None
    async with websockets.serve(
        handler, "127.0.0.1", 0, compression=compression, max_size=None, ping_interval=None
    ) as server:
        port = server.sockets[0].getsockname()[1]
        report(event="listening", port=port)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
