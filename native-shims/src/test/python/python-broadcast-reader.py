"""python-broadcast-reader — a test worker: joins the broadcast granted to it under BROADCAST (from "now" or from the
"oldest" message in the ring) and reads it to the end of the stream, checking every message (broadcast_messages.py);
with SLOW_EVERY = N > 0 it pauses 1 ms after every N messages, so that it falls behind.

usage: python3 python-broadcast-reader.py BROADCAST now|oldest SLOW_EVERY
prints: "broadcast NAME: joined" once joined, then "broadcast NAME: delivered=D lost=L first=F last=X bad=B".
exit status: 0 every message intact and the gaps seen equal to the lost count, 1 otherwise or a failure, 70 the
supervisor is gone, 100 usage.
"""

import sys
import time

import broadcast_messages
import trindle


def main(name, start, slow_every):
    with trindle.connect() as t:
        reader = t.broadcast_reader(name)
        t.ready()
        reader.join(from_oldest=start == "oldest")
        print(f"broadcast {name}: joined", flush=True)
        delivered = bad = gaps = 0
        first = last = -1
        good = broadcast_messages.good
        failure = None
        try:
            for sequence, data in reader:
                if not good(data, sequence) or sequence <= last:
                    bad += 1
                    if bad <= 5:
                        print(
                            f"python-broadcast-reader: bad message: sequence={sequence}, length={len(data)}, "
                            f"after {last}",
                            file=sys.stderr,
                        )
                elif last >= 0:
                    gaps += sequence - last - 1
                if first < 0:
                    first = sequence
                last = sequence
                delivered += 1
                if slow_every > 0 and delivered % slow_every == 0:
                    time.sleep(0.001)
        except trindle.TrindleError as e:
            failure = e
        lost = reader.lost
        print(f"broadcast {name}: delivered={delivered} lost={lost} first={first} last={last} bad={bad}", flush=True)
        if failure is not None:
            print("python-broadcast-reader: read:", failure, file=sys.stderr)
            return 1
        if gaps != lost:
            print(
                f"python-broadcast-reader: the gaps seen sum to {gaps}, the library counts lost={lost}", file=sys.stderr
            )
        return 1 if bad > 0 or gaps != lost else 0


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[2] not in ("now", "oldest"):
        print("usage: python3 python-broadcast-reader.py BROADCAST now|oldest SLOW_EVERY", file=sys.stderr)
        sys.exit(100)
    try:
        sys.exit(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
    except trindle.SupervisorGone as e:
        print("python-broadcast-reader:", e, file=sys.stderr)
        sys.exit(trindle.SUPERVISOR_GONE_EXIT)
    except trindle.TrindleError as e:
        print("python-broadcast-reader:", e, file=sys.stderr)
        sys.exit(1)
