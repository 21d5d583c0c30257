"""A second, non-Node HTTP/2 peer for RFC 8441: Python's hyper-h2 (Debian's python3-h2).

Usage: python_h2_client.py PORT PATH MESSAGE...

Connects over TLS (ALPN h2, certificate not checked: the test certificate), waits for the
server's SETTINGS and checks SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 (RFC 8441 §3), opens a
WebSocket as an extended CONNECT stream (§4-§5), sends every MESSAGE as a masked text frame
(RFC 6455 §5.3) and reads its echo, then closes with 1000 and ends the stream. Prints one JSON
line per event for the test to check.
"""
import json
import os
import socket
import ssl
import struct
import sys

import h2.config
import h2.connection
import h2.events
import h2.settings


def say(**event):
    print(json.dumps(event), flush=True)


def frame(opcode, payload):
    """A masked client frame, FIN set."""
    mask = os.urandom(4)
    length = len(payload)
    if length < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
    elif length < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return head + mask + masked


def parse_frames(buffer):
    """Unmasked server frames from buffer: (frames, rest)."""
    frames = []
    while len(buffer) >= 2:
        opcode = buffer[0] & 0x0F
        length = buffer[1] & 0x7F
        offset = 2
        if length == 126:
            if len(buffer) < 4:
                break
            length = struct.unpack("!H", buffer[2:4])[0]
            offset = 4
        elif length == 127:
            if len(buffer) < 10:
                break
            length = struct.unpack("!Q", buffer[2:10])[0]
            offset = 10
        if buffer[1] & 0x80:
            raise ValueError("the server masked a frame (RFC 6455 §5.1)")
        if len(buffer) < offset + length:
            break
        frames.append((opcode, buffer[offset : offset + length]))
        buffer = buffer[offset + length :]
    return frames, buffer


def main():
    port, path, messages = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["h2"])
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock = context.wrap_socket(raw, server_hostname="localhost")
    say(event="alpn", protocol=sock.selected_alpn_protocol())

    connection = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    connection.initiate_connection()
    sock.sendall(connection.data_to_send())

    stream_id = None
    data = b""
    pending = list(messages)
    closed = False
    while not closed:
        chunk = sock.recv(65536)
        if not chunk:
            say(event="eof")
            break
        for event in connection.receive_data(chunk):
            if isinstance(event, h2.events.RemoteSettingsChanged) and stream_id is None:
                setting = event.changed_settings.get(h2.settings.SettingCodes.ENABLE_CONNECT_PROTOCOL)
                enabled = setting is not None and setting.new_value == 1
                say(event="settings", enableConnectProtocol=enabled)
                if not enabled:
                    return
                stream_id = connection.get_next_available_stream_id()
                connection.send_headers(
                    stream_id,
                    [
                        (":method", "CONNECT"),
                        (":protocol", "websocket"),
                        (":scheme", "https"),
                        (":authority", "127.0.0.1:%d" % port),
                        (":path", path),
                        ("sec-websocket-version", "13"),
                        ("sec-websocket-protocol", "chat"),
                    ],
                )
            elif isinstance(event, h2.events.ResponseReceived):
                headers = {name.decode(): value.decode() for name, value in event.headers}
                say(event="response", status=headers.get(":status"), protocol=headers.get("sec-websocket-protocol"))
                if headers.get(":status") != "200":
                    closed = True
                    break
                if pending:
                    connection.send_data(stream_id, frame(1, pending.pop(0).encode()))
            elif isinstance(event, h2.events.DataReceived):
                connection.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                data += event.data
                frames, data = parse_frames(data)
                for opcode, payload in frames:
                    if opcode == 1:
                        say(event="message", text=payload.decode())
                        if pending:
                            connection.send_data(stream_id, frame(1, pending.pop(0).encode()))
                        else:
                            connection.send_data(stream_id, frame(8, struct.pack("!H", 1000) + b"done"))
                    elif opcode == 8:
                        code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                        say(event="close", code=code, reason=payload[2:].decode())
                        # RFC 8441 §5: after the closing handshake, END_STREAM.
                        connection.end_stream(stream_id)
            elif isinstance(event, h2.events.StreamEnded):
                say(event="stream-ended")
                closed = True
            elif isinstance(event, h2.events.StreamReset):
                say(event="stream-reset", code=int(event.error_code))
                closed = True
        sock.sendall(connection.data_to_send())
    connection.close_connection()
    sock.sendall(connection.data_to_send())
    sock.close()


if __name__ == "__main__":
    main()
