#!/usr/bin/env python3
"""A minimal Trindle worker for the fd-table test: speaks just enough of the control protocol
(docs/control-protocol.md) to take its grants, keeping their fds open, and to say it is ready; then it
waits to be looked at from outside."""

import os
import socket
import struct
import sys
import time

MAGIC = 0x4C544354
HEADER = struct.Struct("<IHHIHH")  # magic, version, kind, body length, handle count, reserved
GRANTS_DONE, READY = 3, 4

channel = socket.socket(fileno=int(os.environ.get("TRINDLE_CONTROL_FD", "3")))
held = []
while True:
    data, ancillary, _flags, _address = channel.recvmsg(65536, socket.CMSG_SPACE(64 * 4))
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            held.extend(struct.unpack("%di" % (len(payload) // 4), payload[: len(payload) // 4 * 4]))
    magic, version, kind, _body, _count, _reserved = HEADER.unpack_from(data)
    if magic != MAGIC or version != 1:
        sys.exit("not a Trindle control frame: magic=%#x version=%d" % (magic, version))
    if kind == GRANTS_DONE:
        break
channel.sendmsg([HEADER.pack(MAGIC, 1, READY, 0, 0, 0)])
print("ready, holding fds", held, flush=True)
time.sleep(120)
