#!/usr/bin/env python3
"""A hostile Python worker for ReadOnlyGrantTest: takes its grants over the control channel, then tries to
write the segment it was granted read-only, behind any library's back, and prints what the kernel said."""

import ctypes
import mmap
import os
import socket
import struct

MAGIC = 0x4C544354
HEADER = struct.Struct("<IHHIHH")
GRANTS_DONE = 3

channel = socket.socket(fileno=int(os.environ.get("TRINDLE_CONTROL_FD", "3")))
fds = []
while True:
    data, ancillary, _flags, _address = channel.recvmsg(65536, socket.CMSG_SPACE(64 * 4))
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.extend(struct.unpack("%di" % (len(payload) // 4), payload[: len(payload) // 4 * 4]))
    if HEADER.unpack_from(data)[2] == GRANTS_DONE:
        break
fd = fds[0]
readable = mmap.mmap(fd, 4096, mmap.MAP_SHARED, mmap.PROT_READ)
print("read", readable[:11].decode(), flush=True)
try:
    mmap.mmap(fd, 4096, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
    print("mmap_write_errno=0")
except OSError as refused:
    print("mmap_write_errno=%d" % refused.errno)
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
address = libc.mmap(None, 4096, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
result = libc.mprotect(ctypes.c_void_p(address), 4096, mmap.PROT_READ | mmap.PROT_WRITE)
print("mprotect_write_errno=%d" % (0 if result == 0 else ctypes.get_errno()), flush=True)
