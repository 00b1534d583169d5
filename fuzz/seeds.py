#!/usr/bin/env python3
"""Writes the seed corpus: valid MQTT 3.1.1 packets of every type (decode), filter/topic pairs
(topic), and broker conversations (session). Run from anywhere: python3 fuzz/seeds.py"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def s(text):
    b = text.encode()
    return len(b).to_bytes(2, "big") + b


def packet(first, body):
    n, rl = len(body), b""
    while True:
        byte, n = n & 0x7F, n >> 7
        rl += bytes([byte | (0x80 if n else 0)])
        if not n:
            return bytes([first]) + rl + body


PROTO = s("MQTT") + bytes([4])
PACKETS = {
    "connect-minimal": packet(0x10, PROTO + bytes([0x02, 0, 60]) + s("nightlight-1")),
    "connect-full": packet(0x10, PROTO + bytes([0xEE, 0, 30]) + s("d") + s("d/status")
                           + s("offline") + s("user") + s("pw")),
    "connack": packet(0x20, bytes([1, 0])),
    "connack-refused": packet(0x20, bytes([0, 5])),
    "publish-qos0": packet(0x30, s("nightlight-1/telemetry") + b'{"light":412}'),
    "publish-qos1-retain-dup": packet(0x3B, s("a/b") + bytes([0, 10]) + b"payload"),
    "publish-qos2": packet(0x34, s("a/b") + bytes([1, 0]) + b"x" * 200),
    "puback": packet(0x40, bytes([0, 1])),
    "pubrec": packet(0x50, bytes([0, 2])),
    "pubrel": packet(0x62, bytes([0, 3])),
    "pubcomp": packet(0x70, bytes([0, 4])),
    "subscribe": packet(0x82, bytes([0, 5]) + s("a/+") + b"\x01" + s("b/#") + b"\x00"),
    "suback": packet(0x90, bytes([0, 5, 0x01, 0x80])),
    "unsubscribe": packet(0xA2, bytes([0, 6]) + s("a/+") + s("b/#")),
    "unsuback": packet(0xB0, bytes([0, 6])),
    "pingreq": packet(0xC0, b""),
    "pingresp": packet(0xD0, b""),
    "disconnect": packet(0xE0, b""),
}
TOPICS = {
    "plus": "+/telemetry\nnightlight-1/telemetry",
    "hash-parent": "sport/#\nsport",
    "dollar": "#\n$SYS/uptime",
    "empty-levels": "+/+\n/finance",
    "exact": "a/b/c/d/e/f/g/h\na/b/c/d/e/f/g/h",
}
# Session inputs: an op byte, then data. Ops 4..7 (mod 8) read `op / 8` broker bytes.
def read(chunk):
    out = b""
    while chunk:
        part, chunk = chunk[:31], chunk[31:]
        out += bytes([4 + 8 * len(part)]) + part
    return out


SESSIONS = {
    "publish-and-ack": b"\x00" + read(PACKETS["puback"]),
    "subscribe-and-message": b"\x01" + read(PACKETS["suback"].replace(b"\x00\x05", b"\x00\x01"))
    + read(packet(0x32, s("t/x") + bytes([0, 9]) + b"hi")),
    "ping": b"\x03" + read(PACKETS["pingresp"]),
    "oversized": read(packet(0x32, s("t/x") + bytes([0, 7]) + b"y" * 100)) + read(PACKETS["puback"]),
}


def write(kind, items):
    folder = os.path.join(HERE, "corpus", kind)
    os.makedirs(folder, exist_ok=True)
    for name, data in items.items():
        with open(os.path.join(folder, f"seed-{name}"), "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())


write("decode", PACKETS)
write("decode", {"stream": b"".join(PACKETS.values())})
write("topic", TOPICS)
write("session", SESSIONS)
print("seeds written to", os.path.join(HERE, "corpus"))
