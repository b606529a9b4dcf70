"""upcase — a Trindle worker in Python: receives lines on the pipe granted as "lines", sends each in upper case on
the pipe granted as "shouts", and exits when every input has ended.

Config:
    upcase: { command: [python3, upcase.py], env: { PYTHONPATH: python },
              grants: { lines: receive, shouts: send } }
"""

import sys

import trindle

BATCH = 64
LONGEST_LINE = 4096


def main():
    # 1. Connect: read the hello and the grants from the control channel (fd 3) and map every lane.
    with trindle.connect() as t:
        shouts = t.sender("shouts")
        # An outbox big enough for everything one batch can produce, so adding never finds it full.
        outbox = t.outbox(max_messages=BATCH, max_bytes=BATCH * LONGEST_LINE)

        # 2. Ready: the supervisor kills a worker that does not say so within its ready-timeout.
        t.ready()

        # 3. Work. Each step sends what the last batch produced, releases that batch, then waits for the next:
        #    in that order, so a worker killed in between repeats its output rather than losing it.
        for batch in t.batches(outbox=outbox, capacity=BATCH):
            for message in batch:
                # message.data is a read-only memoryview into the lane, valid until the batch is released.
                line = message.data[:LONGEST_LINE]
                outbox.add(shouts, line.tobytes().upper())

    # 4. Every input ended: leaving the block closes, which ends "shouts" so the workers downstream finish too.
    #    (Leaving it by an exception does not: a failing worker exits non-zero and is restarted.)


if __name__ == "__main__":
    try:
        main()
    except trindle.SupervisorGone:
        sys.exit(trindle.SUPERVISOR_GONE_EXIT)  # the supervisor is gone: exit at once, with status 70
    except trindle.TrindleError as e:
        sys.exit(f"upcase: {e}")
