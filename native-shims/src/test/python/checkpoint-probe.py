"""checkpoint-probe — a receiver keeping a checkpoint, for CheckpointLanguagesTest, as the C probe
(trindle-checkpoint-probe.c) does: restores the checkpoint in the segment granted as "state", handles batches
(skip what the checkpoint holds, commit the new state with the batch, the next exchange releases it) until NEW new
messages came, and exits without releasing the last batch. It also decodes the region in pure Python
(trindle.checkpoint.read) before and after, which must agree with the library.

usage: python3 checkpoint-probe.py NEW NAME
prints: "restored generation=G lanes=L state=S", "read generation=G lanes=L state=S", "new PAYLOAD" or
"skip PAYLOAD" per message, "committed generation=G state=S", then "read generation=G lanes=L state=S" again.
"""

import sys

import trindle
from trindle import checkpoint as layout


def show_read(segment, replica, replicas):
    committed = layout.read(segment.memory, replica, replicas)
    lanes = ";".join(f"{pipe:#x}/{lane}/{sequence}" for pipe, lane, sequence in committed.lanes)
    print(f"read generation={committed.generation} lanes={lanes} state={committed.state.decode()}")


def main():
    wanted, name = int(sys.argv[1]), sys.argv[2]
    with trindle.connect() as t:
        segment = t.segment("state")
        with t.checkpoint("state") as checkpoint:
            state = checkpoint.state.decode()
            print(f"restored generation={checkpoint.generation} lanes={checkpoint.lane_count} state={state}")
            show_read(segment, t.replica, t.replicas)
            state += f"|{name}:"
            fresh = []
            t.ready()
            inbox = t.inbox(16)
            while len(fresh) < wanted:
                if t.exchange(None, inbox, 5) <= 0:
                    print("FAIL no message within 5 s")
                    return 1
                for message in inbox:
                    payload = message.bytes().decode()
                    if checkpoint.is_new(message):
                        fresh.append(payload)
                        print("new", payload)
                    else:
                        print("skip", payload)
                checkpoint.commit((state + ",".join(fresh)).encode(), inbox)
            print(f"committed generation={checkpoint.generation} state={state + ','.join(fresh)}")
            show_read(segment, t.replica, t.replicas)
    return 0


if __name__ == "__main__":
    sys.exit(main())
