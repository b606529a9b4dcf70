"""summer — a Trindle worker in Python, run from a virtual environment where only the trindle wheel was installed:
sums the numbers (8 bytes, little-endian) it receives on the pipe granted as "squares", and prints the sum once
every input has ended."""

import struct
import sys

import trindle


def main():
    count = total = 0
    with trindle.connect() as t:
        t.ready()
        for batch in t.batches():
            for message in batch:
                (value,) = struct.unpack_from("<q", message.data)
                count += 1
                total += value
    print(f"{count} squares, sum {total}", flush=True)


if __name__ == "__main__":
    try:
        main()
    except trindle.SupervisorGone:
        sys.exit(trindle.SUPERVISOR_GONE_EXIT)
