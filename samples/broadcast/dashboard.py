#!/usr/bin/env python3
"""dashboard — the prices sample's slow reader: keeps the last price of each symbol and prints the board every
--every ticks, taking its time (a millisecond every four ticks) as a screen would. The broadcast's policy is lap, so the
ticker never waits for it: the ticks written over before it read them are skipped, and it is told exactly how many.

usage: dashboard.py [--every N]
"""

import argparse
import struct
import time

import trindle

TICK = struct.Struct("<Q4s4xQ")


def main():
    parser = argparse.ArgumentParser(description="Shows the last prices from the broadcast 'prices', slowly.")
    parser.add_argument("--every", type=int, default=20_000, help="print the board every N ticks (default 20000)")
    every = parser.parse_args().every
    with trindle.connect() as t:
        prices = t.broadcast_reader("prices")
        t.ready()
        prices.join(from_oldest=True)
        board = {}
        shown = 0
        first = None
        next_board = every
        try:
            for _sequence, data in prices:
                tick, symbol, cents = TICK.unpack(data)
                first = tick if first is None else first
                board[symbol.decode()] = cents
                shown += 1
                if tick >= next_board:
                    next_board += every
                    line = "  ".join(f"{s} {c / 100:8.2f}" for s, c in sorted(board.items()))
                    print(f"dashboard: tick {tick:6d}  {line}", flush=True)
                if shown % 4 == 0:
                    time.sleep(0.001)
        except trindle.BroadcastWriterGone:
            print("dashboard: the ticker is gone without ending its stream", flush=True)
        print(
            f"dashboard: read {shown} ticks from tick {first}; {prices.lost} were written over before it could read "
            "them (policy lap: the ticker never waits for it)",
            flush=True,
        )


if __name__ == "__main__":
    main()
