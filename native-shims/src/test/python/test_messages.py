"""The test messages of the cross-language pipe tests (TestMessages.java, test-support.h), for Python workers:

    0: index (i64)   8: crc32 of bytes 12.. (u32)   12..length: bytes

with length 12 + (index * 37 + lane * 11) % 500. A check reads the index, the length and the CRC-32 (zlib's is
java.util.zip.CRC32's); the bytes Python writes are slices of one random pool, which is enough for a checksum and
cheap in Python (Java and C derive theirs from (lane, index) with xorshift).
"""

import os
import struct
import sys
import zlib
from pathlib import Path

# The package, from the repository (python/trindle), unless PYTHONPATH already has it.
sys.path.append(str(Path(__file__).resolve().parents[4] / "python"))

_HEADER = struct.Struct("<qI")
_POOL = os.urandom(1 << 16)


def length(lane, index):
    return 12 + (index * 37 + lane * 11) % 500


def make(lane, index):
    """Message ``index`` of ``lane`` as bytes."""
    body = _POOL[index % 60000 : index % 60000 + length(lane, index) - 12]
    return _HEADER.pack(index, zlib.crc32(body)) + body


def fill(buffer, lane, index):
    """Writes message ``index`` of ``lane`` into the writable memoryview ``buffer`` (exactly its length)."""
    body = _POOL[index % 60000 : index % 60000 + length(lane, index) - 12]
    _HEADER.pack_into(buffer, 0, index, zlib.crc32(body))
    buffer[12:] = body


def check(data, lane, expected):
    """None if ``data`` (a memoryview) is message ``expected`` of ``lane``, intact; else what is wrong."""
    if len(data) < 12:
        return f"lane {lane}: length={len(data)} is too short"
    index, crc = _HEADER.unpack_from(data)
    if index != expected:
        return f"lane {lane}: index={index}, expected={expected}"
    if len(data) != length(lane, index):
        return f"lane {lane} index {index}: length={len(data)}, expected={length(lane, index)}"
    if zlib.crc32(data[12:]) != crc:
        return f"lane {lane} index {index}: checksum mismatch"
    return None


def open_fds():
    """This process's open fds, as text: "0 1 2" once everything is closed."""

    def is_open(fd):
        try:
            os.fstat(fd)
            return True
        except OSError:
            return False

    return " ".join(str(fd) for fd in sorted(map(int, os.listdir("/proc/self/fd"))) if is_open(fd))


def memfd_mappings():
    """How many memfd mappings this process has."""
    with open("/proc/self/maps") as maps:
        return sum(1 for line in maps if "/memfd:" in line)
