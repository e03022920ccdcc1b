#!/usr/bin/python3
"""Send one DNS A query over UDP and print the answer (a minimal 'dig').

usage: dns_query.py SERVER NAME [QID]   -> prints the IPv4 address, exit 1 if none
"""
import socket
import struct
import sys

server, name = sys.argv[1], sys.argv[2]
qid = int(sys.argv[3]) if len(sys.argv) > 3 else 0x5742
q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(p)]) + p.encode() for p in name.rstrip(".").split(".")) + b"\x00"
q += struct.pack("!HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(q, (server, 53))
resp, _ = s.recvfrom(4096)
an = struct.unpack("!H", resp[6:8])[0]
if an < 1 or resp[3] & 0x0F:
    print("no answer (rcode %d)" % (resp[3] & 0x0F))
    sys.exit(1)
print(socket.inet_ntoa(resp[-4:]))
