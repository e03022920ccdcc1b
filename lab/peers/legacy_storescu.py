#!/usr/bin/python3
"""C-STORE from a modality with an outdated DICOM stack (us-cart-03).

The ultrasound cart in the sample hospital still runs a DICOM library from
2005. DCMTK's storescu cannot pretend to be an old version, so this client
speaks the DICOM upper layer itself and announces the implementation class
UID and version name of DCMTK 3.5.4 in its A-ASSOCIATE-RQ, which is what a
passive inventory sees of such a device. Implicit VR Little Endian only, as
old carts do.

usage: legacy_storescu.py HOST PORT CALLING_AE CALLED_AE FILE.dcm
exit 0 when the store succeeded (status 0x0000), 1 otherwise.
"""
import io
import socket
import struct
import sys

import pydicom
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset

IMPL_UID = b"1.2.276.0.7230010.3.0.3.5.4"     # OFFIS DCMTK 3.5.4
IMPL_VERSION = b"OFFIS_DCMTK_354"
APP_CONTEXT = b"1.2.840.10008.3.1.1.1"
IMPLICIT_LE = b"1.2.840.10008.1.2"
MAX_PDU = 16384


def item(kind, body):
    return struct.pack("!BBH", kind, 0, len(body)) + body


def ae(title):
    return title.encode().ljust(16)[:16]


def associate_rq(calling, called, sop_class):
    pc = struct.pack("!BBBB", 1, 0, 0, 0) + item(0x30, sop_class) + item(0x40, IMPLICIT_LE)
    user = item(0x51, struct.pack("!I", MAX_PDU)) + item(0x52, IMPL_UID) + item(0x55, IMPL_VERSION)
    body = struct.pack("!HH", 1, 0) + ae(called) + ae(calling) + bytes(32)
    body += item(0x10, APP_CONTEXT) + item(0x20, pc) + item(0x50, user)
    return struct.pack("!BBI", 1, 0, len(body)) + body


def read_pdu(sock):
    hdr = recv_exact(sock, 6)
    kind, _, length = struct.unpack("!BBI", hdr)
    return kind, recv_exact(sock, length)


def recv_exact(sock, n):
    buf = io.BytesIO()
    while buf.tell() < n:
        chunk = sock.recv(n - buf.tell())
        if not chunk:
            raise ConnectionError("peer closed the connection")
        buf.write(chunk)
    return buf.getvalue()


def elem(group, el, value):
    if len(value) % 2:
        value += b"\0"
    return struct.pack("<HHI", group, el, len(value)) + value


def store_command(sop_class, sop_instance, msg_id):
    body = (elem(0, 0x0002, sop_class) + elem(0, 0x0100, struct.pack("<H", 0x0001))
            + elem(0, 0x0110, struct.pack("<H", msg_id)) + elem(0, 0x0700, struct.pack("<H", 0))
            + elem(0, 0x0800, struct.pack("<H", 0)) + elem(0, 0x1000, sop_instance))
    return elem(0, 0x0000, struct.pack("<I", len(body))) + body


def p_data(pc_id, payload, is_command, max_pdu):
    """Yield P-DATA-TF PDUs carrying payload in fragments that fit max_pdu."""
    room = max_pdu - 6
    off = 0
    while True:
        chunk = payload[off:off + room]
        off += len(chunk)
        last = off >= len(payload)
        ctrl = (1 if is_command else 0) | (2 if last else 0)
        pdv = struct.pack("!IBB", len(chunk) + 2, pc_id, ctrl) + chunk
        yield struct.pack("!BBI", 4, 0, len(pdv)) + pdv
        if last:
            return


def peer_max_pdu(ac_body):
    off = 68
    while off + 4 <= len(ac_body):
        kind, _, length = struct.unpack("!BBH", ac_body[off:off + 4])
        if kind == 0x50:
            sub = off + 4
            while sub + 4 <= off + 4 + length:
                sk, _, sl = struct.unpack("!BBH", ac_body[sub:sub + 4])
                if sk == 0x51 and sl == 4:
                    value = struct.unpack("!I", ac_body[sub + 4:sub + 8])[0]
                    return value or 1 << 20
                sub += 4 + sl
        off += 4 + length
    return MAX_PDU


def main():
    host, port, calling, called, path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
    ds = pydicom.dcmread(path)
    sop_class = ds.SOPClassUID.encode()
    sop_instance = ds.SOPInstanceUID.encode()
    ds.is_little_endian = True
    ds.is_implicit_VR = True
    fp = DicomBytesIO()
    fp.is_little_endian = True
    fp.is_implicit_VR = True
    write_dataset(fp, ds)
    dataset = fp.getvalue()

    sock = socket.create_connection((host, port), timeout=10)
    try:
        sock.sendall(associate_rq(calling, called, sop_class))
        kind, body = read_pdu(sock)
        if kind != 2:
            print("association not accepted (PDU type %d)" % kind)
            return 1
        max_pdu = min(peer_max_pdu(body), MAX_PDU)
        for pdu in p_data(1, store_command(sop_class, sop_instance, 1), True, max_pdu):
            sock.sendall(pdu)
        for pdu in p_data(1, dataset, False, max_pdu):
            sock.sendall(pdu)
        kind, body = read_pdu(sock)
        status = None
        if kind == 4:
            # the status element (0000,0900) in the implicit-VR command set
            at = body.find(struct.pack("<HHI", 0, 0x0900, 2))
            if at >= 0:
                status = struct.unpack("<H", body[at + 8:at + 10])[0]
        print("C-STORE-RSP status %s" % ("0x%04x" % status if status is not None else "missing"))
        sock.sendall(struct.pack("!BBI", 5, 0, 4) + bytes(4))
        read_pdu(sock)  # A-RELEASE-RP
        return 0 if status == 0 else 1
    finally:
        sock.close()


if __name__ == "__main__":
    sys.exit(main())
