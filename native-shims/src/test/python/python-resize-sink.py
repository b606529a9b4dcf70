"""python-resize-sink — the receiver of ResizeTest written in Python (as the Java worker ResizeSink): receives
``work`` from several sources and checks, lane by lane, that every message comes once and in order (numbered from
0, each with its value), counting them into the checksum ResizeSource keeps. After RESIZE_AFTER messages it resizes
its input itself (``resize_pipe``) to RESIZE_TO bytes a lane; at the end it prints each lane's count and checksum.

A message is 16 bytes, little-endian: i64 number, i64 mix(number) (ChecksumSource.mix, SplitMix64's finaliser); a
lane's checksum is c = rotl(c, 5) * 31 + value over its values in order, in 64-bit wrapping arithmetic.

usage: python3 python-resize-sink.py RESIZE_AFTER RESIZE_TO   (RESIZE_AFTER < 0: never resize)
prints: "resized work to SIZE after N messages (a sequence was S)" once it did; at the end of every stream
"lane ID: received N messages, in order: true|false, checksum 0x…" per lane.
exit status: 0 every input ended, 1 failure, 2 usage, 70 the supervisor is gone.
"""

import struct
import sys
from collections import defaultdict

import trindle

MASK = (1 << 64) - 1
MESSAGE = struct.Struct("<QQ")


def mix(i):
    z = (i + 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def checksum(total, value):
    return ((((total << 5) | (total >> 59)) & MASK) * 31 + value) & MASK


def main(resize_after, resize_to):
    received = defaultdict(int)
    checksums = defaultdict(int)
    in_order = defaultdict(lambda: True)
    total = 0
    sequence = -1
    with trindle.connect() as t:
        t.ready()
        for batch in t.batches():
            for message in batch:
                lane = message.lane_id
                data = message.data
                if len(data) == MESSAGE.size:
                    number, value = MESSAGE.unpack(data)
                    in_order[lane] = in_order[lane] and number == received[lane] and value == mix(number)
                else:
                    value = 0
                    in_order[lane] = False
                checksums[lane] = checksum(checksums[lane], value)
                received[lane] += 1
                total += 1
                sequence = message.sequence
            if 0 <= resize_after <= total:
                t.resize_pipe("work", resize_to)
                print(f"resized work to {resize_to} after {total} messages (a sequence was {sequence})", flush=True)
                resize_after = -1
        for lane in range(max(received, default=-1) + 1):
            print(
                f"lane {lane}: received {received[lane]} messages, in order: {str(in_order[lane]).lower()}, "
                f"checksum 0x{checksums[lane]:016x}"
            )


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print("usage: python3 python-resize-sink.py RESIZE_AFTER RESIZE_TO", file=sys.stderr)
        sys.exit(2)
    try:
        main(int(sys.argv[1]), int(sys.argv[2]))
    except trindle.SupervisorGone as e:
        print("python-resize-sink:", e, file=sys.stderr)
        sys.exit(trindle.SUPERVISOR_GONE_EXIT)
