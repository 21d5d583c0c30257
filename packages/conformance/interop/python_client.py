"""Interop client: Python websockets (Debian's python3-websockets 10.x) against a wskit echo
server, on any runtime.

Usage: python3 python_client.py <ws-base-url> <plain|deflate>

Three parts, each on its own connection(s), every check done here:
  1. /scripted: text and bytes from 0 B to 4 MiB around every length encoding, unicode,
     fragmented messages (RFC 6455 §5.4), a ping (§5.5.2), then a close with 4001 and a reason.
  2. /close-<code>: one message, then a close with that code and a reason (§7.4); the server
     must echo both.
  3. /concurrent-<n>: 50 clients at once, 20 messages each of mixed sizes and types, each
     echo checked, then a close with 1000.
Prints one JSON line on stdout; exits 0 when every check passed, 1 otherwise.
"""

import asyncio
import json
import os
import sys

import websockets

MIB = 1 << 20
SCRIPTED_CLOSE = (4001, "python says bye ✓")
CLOSE_CODES = [1000, 1001, 1003, 1008, 1011, 3000, 4999]
CLIENTS = 50
MESSAGES_PER_CLIENT = 20


def cases():
    return [
        ("ascii text", "Hello from Python"),
        ("unicode text", "héllo wörld · ✓ 日本語 · 𝄞 🎉"),
        ("empty text", ""),
        ("bytes 0..255", bytes(range(256))),
        ("empty bytes", b""),
        ("bytes 125", os.urandom(125)),
        ("bytes 126", os.urandom(126)),
        ("bytes 65535", os.urandom(65535)),
        ("bytes 65536", os.urandom(65536)),
        ("random bytes 1 MiB", os.urandom(MIB)),
        ("compressible bytes 1 MiB", b"wskit interop " * (MIB // 14)),
        ("unicode text 1 MiB", "ü✓" * (MIB // 5)),
        ("random bytes 4 MiB", os.urandom(4 * MIB)),
        ("unicode text 4 MiB", "ü✓" * (4 * MIB // 5)),
    ]


def describe(value):
    kind = "text" if isinstance(value, str) else "binary"
    size = len(value.encode("utf-8")) if isinstance(value, str) else len(value)
    return {"type": kind, "bytes": size}


def connect(url, compression):
    return websockets.connect(url, compression=compression, max_size=None, ping_interval=None)


async def round_trip(ws, name, sent, expected, failures):
    await ws.send(sent)
    echo = await asyncio.wait_for(ws.recv(), 20)
    if type(echo) is not type(expected) or echo != expected:
        failures.append({"case": name, "sent": describe(expected), "echo": describe(echo)})


async def scripted(base, compression, failures):
    checked = []
    ws = await connect(f"{base}/scripted", compression)
    extensions = [extension.name for extension in ws.extensions]
    for name, payload in cases():
        await round_trip(ws, name, payload, payload, failures)
        checked.append(name)
    # A list is sent as one fragmented message (RFC 6455 §5.4), one frame per item.
    await round_trip(ws, "fragmented text", ["frag", "mént", "ed ✓"], "fragménted ✓", failures)
    checked.append("fragmented text")
    parts = [os.urandom(40000), b"z" * 70000, b""]
    await round_trip(ws, "fragmented bytes", parts, b"".join(parts), failures)
    checked.append("fragmented bytes")
    await round_trip(ws, "empty fragments", [b"", b"", b""], b"", failures)
    checked.append("empty fragments")

    pong = await ws.ping(b"python ping")
    await asyncio.wait_for(pong, 5)
    checked.append("ping")

    await ws.close(code=SCRIPTED_CLOSE[0], reason=SCRIPTED_CLOSE[1])
    # The close frame the server answered with (RFC 6455 §5.5.1: usually an echo).
    return extensions, checked, {"code": ws.close_code, "reason": ws.close_reason}


async def close_with(base, compression, code):
    reason = f"closing with {code} ✓"
    ws = await connect(f"{base}/close-{code}", compression)
    await ws.send("before close")
    await asyncio.wait_for(ws.recv(), 5)
    await ws.close(code=code, reason=reason)
    return {"sent": code, "code": ws.close_code, "reason": ws.close_reason, "expected": reason}


async def concurrent_client(base, compression, index, failures):
    ws = await connect(f"{base}/concurrent-{index}", compression)
    for number in range(MESSAGES_PER_CLIENT):
        size = [0, 1, 125, 126, 4096, 65536][(index + number) % 6]
        if number % 2 == 0:
            payload = ("c%d-%d " % (index, number) * size)[:size]
        else:
            payload = os.urandom(size)
        await round_trip(ws, f"client {index} message {number}", payload, payload, failures)
    await ws.close(code=1000, reason="")
    return ws.close_code


async def main(base, mode):
    compression = "deflate" if mode == "deflate" else None
    failures = []
    extensions, checked, scripted_close = await scripted(base, compression, failures)
    closes = [await close_with(base, compression, code) for code in CLOSE_CODES]
    concurrent_closes = await asyncio.gather(
        *(concurrent_client(base, compression, index, failures) for index in range(CLIENTS))
    )
    result = {
        "ok": not failures,
        "mode": mode,
        "extensions": extensions,
        "checked": checked,
        "failures": failures[:10],
        "scripted_close": scripted_close,
        "closes": closes,
        "concurrent": {
            "clients": len(concurrent_closes),
            "close_codes": sorted(set(concurrent_closes)),
        },
    }
    print(json.dumps(result, ensure_ascii=False), flush=True)
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1].rstrip("/"), sys.argv[2])))
