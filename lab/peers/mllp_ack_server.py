#!/usr/bin/python3
"""HL7 v2 MLLP listener that answers every message with an ACK (MSA|AA).

Stands in for the interface engine, the pharmacy system, the RIS, the lobby
kiosk and the clearinghouse. It logs only message metadata (type, control id,
applications), never segment contents: the messages carry synthetic PHI.

usage: mllp_ack_server.py HOST PORT LOGFILE APP FACILITY
"""
import asyncio
import signal
import sys
from hl7.mllp import start_hl7_server

host, port, logf, app, fac = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
count = 0


def log(line):
    with open(logf, "a") as f:
        f.write(line + "\n")


async def handle(reader, writer):
    global count
    peer = writer.get_extra_info("peername")
    try:
        while not writer.is_closing():
            msg = await reader.readmessage()
            count += 1
            msh = msg.segment("MSH")
            log("%s:%s msg#%d type=%s ctrl=%s from=%s^%s to=%s^%s" % (
                peer[0], peer[1], count, msh[9], msh[10], msh[3], msh[4], msh[5], msh[6]))
            writer.writemessage(msg.create_ack("AA", message_id="ACK%s%05d" % (app[:4], count),
                                               application=app, facility=fac))
            await writer.drain()
    except asyncio.IncompleteReadError:
        pass  # the sender closed the connection: normal end of a batch
    except Exception as e:  # a broken message must not stop the listener
        log("%s error %r" % (peer, e))
    finally:
        writer.close()


async def main():
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    server = await start_hl7_server(handle, host, port, encoding="utf-8")
    log("listening on %s:%d as %s^%s" % (host, port, app, fac))
    async with server:
        await stop.wait()
    log("stopped after %d messages" % count)


asyncio.run(main())
