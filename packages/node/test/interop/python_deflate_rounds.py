"""Interop client: rounds of compressed messages over several Python websockets connections.

Usage: python3 python_deflate_rounds.py <url> <connections> <takeover|no-takeover>

Opens the connections (permessage-deflate, with or without context takeover), then reads
commands on stdin, one JSON object a line, and answers on stdout:
  {"round": N, "kind": "fresh"|"repeat", "mode": "sequential"|"fragmented"|"burst"}
      "fresh": every connection gets a new message (its own random text), "repeat": the one
      it sent last, again. "sequential": connection after connection, each waiting for its
      echo; "fragmented": the same with the message sent in three fragments; "burst": all
      connections send at once, then wait.
      Answer: {"event": "round", "round": N, "payload": <bytes sent>, "mismatches": [...]}
  {"quit": true}  closes the connections and exits.
First line out: {"event": "open", "extensions": [...]} once all are open.
"""

import asyncio
import base64
import json
import random
import sys

import websockets
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory


def report(**event):
    print(json.dumps(event), flush=True)


async def exchange(ws, message, fragmented):
    if fragmented:
        third = len(message) // 3
        await ws.send([message[:third], message[third : 2 * third], message[2 * third :]])
    else:
        await ws.send(message)
    return await ws.recv()


async def main(url, count, takeover):
    no_takeover = takeover == "no-takeover"
    factory = ClientPerMessageDeflateFactory(
        server_no_context_takeover=no_takeover,
        client_no_context_takeover=no_takeover,
        client_max_window_bits=True,
    )
    sockets = [
        await websockets.connect(url, extensions=[factory], compression=None, max_size=None)
        for _ in range(count)
    ]
    report(event="open", extensions=[[str(e) for e in ws.extensions] for ws in sockets])
    rng = random.Random(17)
    last = [None] * count
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            break
        command = json.loads(line)
        if command.get("quit"):
            break
        if command["kind"] == "fresh":
            # Random bytes as base64: text that compresses only to about 3/4 on its own.
            last = [base64.b64encode(rng.randbytes(2250)).decode() for _ in range(count)]
        mismatches = []
        if command["mode"] == "burst":
            replies = await asyncio.gather(
                *(exchange(ws, last[i], False) for i, ws in enumerate(sockets))
            )
        else:
            fragmented = command["mode"] == "fragmented"
            replies = [await exchange(ws, last[i], fragmented) for i, ws in enumerate(sockets)]
        for i, reply in enumerate(replies):
            if reply != last[i]:
                mismatches.append(i)
        report(
            event="round",
            round=command["round"],
            payload=sum(len(m) for m in last),
            mismatches=mismatches,
        )
    for ws in sockets:
        await ws.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3]))
