#!/usr/bin/env python3
"""ticker — the prices sample's writer: a deterministic random walk of four symbols' prices, one tick per message on
the broadcast "prices", about ten a millisecond; then, or as soon as it is asked to stop (trindle stop, Ctrl-C), it
ends the stream, and the readers finish what they have not read yet.

    tick (little-endian, 24 bytes): 0: tick number (u64)   8: symbol (4 ASCII bytes)   12: reserved (u32)
        16: price in cents (u64)

usage: ticker.py [--ticks N]
"""

import argparse
import random
import struct
import time

import trindle

TICK = struct.Struct("<Q4s4xQ")
SYMBOLS = (b"ACME", b"BOLT", b"CRUX", b"DYNE")


def main():
    parser = argparse.ArgumentParser(description="Writes price ticks on the broadcast 'prices'.")
    parser.add_argument("--ticks", type=int, default=100_000, help="how many ticks to write (default 100000)")
    ticks = parser.parse_args().ticks
    walk = random.Random(20)
    prices = dict.fromkeys(SYMBOLS, 10_000)
    with trindle.connect() as t:
        prices_out = t.broadcast_writer("prices")
        t.ready()
        written = 0
        for tick in range(ticks):
            if tick % 1000 == 0 and t.stop_requested:
                break
            symbol = SYMBOLS[tick % len(SYMBOLS)]
            prices[symbol] = max(1, prices[symbol] + walk.randint(-25, 25))
            prices_out.send(TICK.pack(tick, symbol, prices[symbol]))
            written += 1
            if tick % 10 == 9:
                time.sleep(0.001)  # about ten ticks a millisecond, so that the readers are not all behind
        prices_out.end()
        print(f"ticker: wrote {written} ticks", flush=True)


if __name__ == "__main__":
    main()
