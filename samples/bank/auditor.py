#!/usr/bin/env python3
"""auditor — the bank sample's reader, in Python: sums every account of the table "accounts" in one snapshot, over
and over, while the tellers (Java) move money between them, until every teller has said it is done. It holds the
table read-only: its handle is a read-only fd, so it could not change a balance if it tried. Every sum must be the
opening total — a snapshot never sees half a transfer; it exits 1 if one is not.

Balances are little-endian 64-bit integers under "account-N"; the first teller writes "opened" when it opens the
accounts, and teller N writes "done-N" when it has made its transfers.

usage: auditor.py [--accounts N] [--tellers T]
"""

import argparse
import struct
import sys

import trindle

BALANCE = struct.Struct("<q")
OPENING_BALANCE = 1000


def main() -> int:
    parser = argparse.ArgumentParser(description="sums the accounts in snapshots while the tellers work")
    parser.add_argument("--accounts", type=int, default=16)
    parser.add_argument("--tellers", type=int, default=2)
    options = parser.parse_args()
    total = options.accounts * OPENING_BALANCE
    accounts = [f"account-{n}".encode() for n in range(options.accounts)]
    done = [f"done-{n}".encode() for n in range(options.tellers)]

    keys = [b"opened", *accounts, *done]

    audits = 0
    wrong = 0
    with trindle.connect() as worker:
        table = worker.table("accounts")
        worker.ready()
        finished = 0
        while finished < options.tellers and not worker.stop_requested:
            # One snapshot of every key, read in one libtrindle call: a transfer landing in the middle of it makes it
            # start again, and a call is short enough that busy tellers rarely do.
            values = table.read_many(keys, attempts=1_000_000)
            finished = sum(value is not None for value in values[1 + len(accounts) :])
            if values[0] is None:
                continue
            seen = sum(BALANCE.unpack(value)[0] for value in values[1 : 1 + len(accounts)] if value is not None)
            audits += 1
            if seen != total:
                wrong += 1
                print(f"audit {audits}: the accounts sum to {seen}, not {total}", flush=True)
    verdict = f"every sum was {total} ({options.accounts} accounts)" if wrong == 0 else f"{wrong} WRONG"
    print(f"{audits} audits while {options.tellers} tellers worked (in Python): {verdict}", flush=True)
    return 0 if wrong == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
