"""python-broadcast-writer — a test worker: writes COUNT test messages (broadcast_messages.py), numbered 0 … COUNT − 1,
on the broadcast granted to it under BROADCAST, then ends the stream.

usage: python3 python-broadcast-writer.py BROADCAST COUNT
prints: "broadcast NAME: sent=COUNT".
exit status: 0 done, 1 failure, 70 the supervisor is gone, 100 usage.
"""

import sys

import broadcast_messages
import trindle


def main(name, count):
    with trindle.connect() as t:
        writer = t.broadcast_writer(name)
        t.ready()
        make = broadcast_messages.make
        send = writer.send
        for i in range(count):
            sequence = send(make(i))
            if sequence != i:
                print(
                    f"python-broadcast-writer: message {i} went out as sequence {sequence}: the broadcast was "
                    "written before; give each test a new one",
                    file=sys.stderr,
                )
                return 1
        writer.end()
        print(f"broadcast {name}: sent={count}", flush=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print("usage: python3 python-broadcast-writer.py BROADCAST COUNT", file=sys.stderr)
        sys.exit(100)
    try:
        sys.exit(main(sys.argv[1], int(sys.argv[2])))
    except trindle.SupervisorGone as e:
        print("python-broadcast-writer:", e, file=sys.stderr)
        sys.exit(trindle.SUPERVISOR_GONE_EXIT)
    except trindle.TrindleError as e:
        print("python-broadcast-writer:", e, file=sys.stderr)
        sys.exit(1)
