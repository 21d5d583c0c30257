"""A scripted WebSocket client in Python's `websockets` (Debian's python3-websockets 10.4),
driven by the Node test over stdin/stdout with one JSON object per line.

Commands (stdin):  {"op": "connect", "id": 1, "url": ..., "protocols": [...], "headers": {...}}
                   {"op": "send", "id": 1, "text": "..."} or {"op": "send", "id": 1, "base64": "..."}
                   {"op": "close", "id": 1, "code": 4001, "reason": "bye"}
Events (stdout):   {"id": 1, "event": "open", "protocol": ..., "extensions": [...], "headers": {...}}
                   {"id": 1, "event": "rejected", "status": 401, "headers": {...}}
                   {"id": 1, "event": "message", "text": ...} or {..., "base64": ...}
                   {"id": 1, "event": "close", "code": ..., "reason": ...}
"""

import asyncio
import base64
import json
import sys

import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatusCode

connections = {}


def emit(payload):
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


async def reader(ident, ws):
    try:
        async for message in ws:
            if isinstance(message, str):
                emit({"id": ident, "event": "message", "text": message})
            else:
                emit({"id": ident, "event": "message", "base64": base64.b64encode(message).decode()})
    except ConnectionClosed:
        pass
    emit({"id": ident, "event": "close", "code": ws.close_code, "reason": ws.close_reason})


async def connect(command):
    ident = command["id"]
    try:
        ws = await websockets.connect(
            command["url"],
            subprotocols=command.get("protocols") or None,
            extra_headers=command.get("headers") or {},
            origin=command.get("origin"),
            compression=None,
            max_size=None,
            ping_interval=None,
        )
    except InvalidStatusCode as error:
        headers = {key.lower(): value for key, value in error.headers.raw_items()} if error.headers else {}
        emit({"id": ident, "event": "rejected", "status": error.status_code, "headers": headers})
        return
    except Exception as error:  # noqa: BLE001 - reported to the test, which decides
        emit({"id": ident, "event": "error", "message": repr(error)})
        return
    connections[ident] = ws
    emit({
        "id": ident,
        "event": "open",
        "protocol": ws.subprotocol or "",
        "extensions": [extension.name for extension in ws.extensions],
        "headers": {key.lower(): value for key, value in ws.response_headers.raw_items()},
    })
    asyncio.ensure_future(reader(ident, ws))


async def handle(command):
    op = command["op"]
    if op == "connect":
        await connect(command)
    elif op == "send":
        ws = connections[command["id"]]
        if "text" in command:
            await ws.send(command["text"])
        else:
            await ws.send(base64.b64decode(command["base64"]))
    elif op == "close":
        await connections[command["id"]].close(code=command.get("code", 1000), reason=command.get("reason", ""))


async def main():
    loop = asyncio.get_running_loop()
    # Commands carry whole messages (a 1 MiB one is ~1.4 MB of base64): lift the 64 KiB line limit.
    stream = asyncio.StreamReader(limit=64 * 1024 * 1024)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stream), sys.stdin)
    emit({"event": "ready", "version": websockets.__version__})
    while True:
        line = await stream.readline()
        if not line:
            break
        asyncio.ensure_future(handle(json.loads(line)))
    for ws in list(connections.values()):
        await ws.close()


asyncio.run(main())
