"""Interop client: Python websockets against a wskit echo server.

Usage: python3 python_client.py <ws-url> <plain|deflate>

Sends a scripted list of messages (text, bytes, large, unicode, fragmented), checks every
echo itself (type and exact content), pings, then closes with 4001 and a reason. Prints one
JSON line on stdout; exits 0 when every check passed, 1 otherwise.
"""

import asyncio
import json
import os
import sys

import websockets

CLOSE_CODE = 4001
CLOSE_REASON = "python says bye ✓"


def cases():
    return [
        ("ascii text", "Hello from Python"),
        ("unicode text", "héllo wörld · ✓ 日本語 · 𝄞 🎉"),
        ("empty text", ""),
        ("bytes 0..255", bytes(range(256))),
        ("empty bytes", b""),
        ("bytes 125", os.urandom(125)),
        ("bytes 126", os.urandom(126)),
        ("bytes 65536", os.urandom(65536)),
        ("random bytes 1 MiB", os.urandom(1 << 20)),
        ("compressible bytes 1 MiB", b"wskit interop " * ((1 << 20) // 14)),
        ("unicode text 1 MiB", "ü✓" * ((1 << 20) // 5)),
    ]


def describe(value):
    kind = "text" if isinstance(value, str) else "binary"
    size = len(value.encode("utf-8")) if isinstance(value, str) else len(value)
    return {"type": kind, "bytes": size}


async def main(url, mode):
    compression = "deflate" if mode == "deflate" else None
    failures = []
    checked = []
    ws = await websockets.connect(url, compression=compression, max_size=None, ping_interval=None)
    extensions = [extension.name for extension in ws.extensions]

    async def round_trip(name, sent, expected):
        await ws.send(sent)
        echo = await asyncio.wait_for(ws.recv(), 10)
        if type(echo) is not type(expected) or echo != expected:
            failures.append({"case": name, "sent": describe(expected), "echo": describe(echo)})
        checked.append(name)

    for name, payload in cases():
        await round_trip(name, payload, payload)
    # A list is sent as one fragmented message (RFC 6455 §5.4), one frame per item.
    await round_trip("fragmented text", ["frag", "mént", "ed ✓"], "fragménted ✓")
    parts = [os.urandom(40000), b"z" * 70000, b""]
    await round_trip("fragmented bytes", parts, b"".join(parts))

    pong = await ws.ping(b"python ping")
    await asyncio.wait_for(pong, 5)
    checked.append("ping")

    await ws.close(code=CLOSE_CODE, reason=CLOSE_REASON)
    result = {
        "ok": not failures,
        "mode": mode,
        "extensions": extensions,
        "checked": checked,
        "failures": failures,
        # The close frame the server answered with (its echo).
        "close_code": ws.close_code,
        "close_reason": ws.close_reason,
    }
    print(json.dumps(result), flush=True)
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1], sys.argv[2])))
