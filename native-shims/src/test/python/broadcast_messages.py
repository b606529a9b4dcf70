"""The broadcast test programs' messages (broadcast-messages.h, the integration tests'): message i, from 0, is
16 + i % 49 bytes: i (u64 little-endian), i * 0x9E3779B97F4A7C15 mod 2**64 (u64 little-endian), then byte k =
(i + k) & 0xff for 16 <= k < length."""

import struct
import sys
from pathlib import Path

# The package, from the repository (python/trindle), unless PYTHONPATH already has it.
sys.path.append(str(Path(__file__).resolve().parents[4] / "python"))

_HEAD = struct.Struct("<QQ")
_TAIL = bytes(range(256)) * 2


def make(i):
    """Message ``i`` as bytes."""
    length = 16 + i % 49
    start = (i + 16) & 0xFF
    return _HEAD.pack(i, (i * 0x9E3779B97F4A7C15) & 0xFFFF_FFFF_FFFF_FFFF) + _TAIL[start : start + length - 16]


def good(data, i):
    """Whether ``data`` is message ``i``, intact."""
    return data == make(i)
