#!/usr/bin/python3
"""A tiny authoritative-style DNS responder (UDP) for dns-resolver.

Answers A queries for the names in its table, NXDOMAIN for other names,
NOTIMP for other types. Enough for the lab's lookups; not a resolver.
usage: dns_server.py HOST PORT NAME=IP [NAME=IP ...]
"""
import signal
import socket
import struct
import sys


def parse_qname(msg, off):
    labels = []
    while off < len(msg):
        n = msg[off]
        off += 1
        if n == 0:
            return ".".join(labels).lower(), off
        if n & 0xC0 or off + n > len(msg):
            raise ValueError("compressed or truncated qname")
        labels.append(msg[off:off + n].decode("ascii", "replace"))
        off += n
    raise ValueError("qname runs past the end")


def answer(msg, table):
    if len(msg) < 12:
        return None
    qid, flags, qd = struct.unpack("!HHH", msg[:6])
    if flags & 0x8000 or qd != 1:
        return None
    try:
        name, off = parse_qname(msg, 12)
    except ValueError:
        return None
    if off + 4 > len(msg):
        return None
    qtype, qclass = struct.unpack("!HH", msg[off:off + 4])
    question = msg[12:off + 4]
    rd = flags & 0x0100
    ip = table.get(name)
    if qtype == 1 and qclass == 1 and ip:
        hdr = struct.pack("!HHHHHH", qid, 0x8400 | rd, 1, 1, 0, 0)
        rr = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) + socket.inet_aton(ip)
        return hdr + question + rr
    rcode = 3 if ip is None else 0  # NXDOMAIN, or NOERROR/no data (e.g. AAAA)
    if qtype not in (1, 28):
        rcode = 4
    return struct.pack("!HHHHHH", qid, 0x8400 | rd | rcode, 1, 0, 0, 0) + question


def stop(*_):
    raise KeyboardInterrupt


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    table = dict(a.split("=", 1) for a in sys.argv[3:])
    table = {k.lower().rstrip("."): v for k, v in table.items()}
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((host, port))
    signal.signal(signal.SIGTERM, stop)
    try:
        while True:
            msg, peer = sock.recvfrom(4096)
            resp = answer(msg, table)
            if resp:
                sock.sendto(resp, peer)
                print("query from %s" % peer[0], flush=True)
    except KeyboardInterrupt:
        pass
    sock.close()


if __name__ == "__main__":
    main()
