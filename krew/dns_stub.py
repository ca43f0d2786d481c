"""A loopback DNS responder for krew/prove.sh's NSS check: every A query is answered with
127.0.0.1, every other type with an empty NOERROR. Binds 127.0.0.1 only.

Usage: dns_stub.py [PORT]
"""
import socket
import struct
import sys


def answer(query: bytes) -> bytes | None:
    if len(query) < 12:
        return None
    ident, flags, questions = struct.unpack(">HHH", query[:6])
    if questions != 1:
        return None
    end = 12
    while end < len(query) and query[end] != 0:
        end += 1 + query[end]
    if end + 5 > len(query):
        return None
    qtype = struct.unpack(">H", query[end + 1:end + 3])[0]
    question = query[12:end + 5]
    records = b""
    if qtype == 1:  # A: a pointer to the question's name, IN, TTL 60, 127.0.0.1
        records = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + socket.inet_aton("127.0.0.1")
    header = struct.pack(">HHHHHH", ident, 0x8180 | (flags & 0x0100), 1, 1 if records else 0, 0, 0)
    return header + question + records


def main() -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 53))
    while True:
        data, peer = sock.recvfrom(512)
        reply = answer(data)
        if reply is not None:
            sock.sendto(reply, peer)
            print("answered", peer, len(reply), flush=True)


if __name__ == "__main__":
    main()
