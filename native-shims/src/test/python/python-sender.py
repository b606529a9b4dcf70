"""python-sender — a test worker: sends test messages on the pipe granted as "numbers", spread over its lanes
round-robin: most with PipeSender.send (copied in), every 7th zero-copy (lane, claim, write in place, commit).
Then closes, which ends every lane's stream. With "fill", it sends on its first lane without waiting until the
lane has no room left, then closes: a lane left full to the brim must end all the same.

usage: python3 python-sender.py MESSAGES    (0: send until the supervisor asks to stop; "fill": fill the lane)
prints: "lane ID sent N" per lane, then the fds left after close.
exit status: 0 done, 1 failure, 70 the supervisor is gone.
"""

import itertools
import sys

import test_messages
import trindle


def fill(t):
    numbers = t.sender("numbers")
    t.ready()
    lane = numbers.lane()
    sent = 0
    while lane.try_send(test_messages.make(lane.lane_id, sent)):
        sent += 1
    print(f"lane {lane.lane_id} sent {sent}")


def main(messages):
    with trindle.connect() as t:
        if messages == "fill":
            fill(t)
            return
        messages = int(messages)
        numbers = t.sender("numbers")
        t.ready()
        # Round-robin: the turn goes through the lanes in this order, and is back at the start after a cycle.
        order = [numbers.lane().lane_id for _ in range(numbers.replicas)]
        sent = dict.fromkeys(order, 0)
        make = test_messages.make
        for i in itertools.count() if messages == 0 else range(messages):
            if messages == 0 and i % 256 == 0 and t.stop_requested:
                break
            lane = order[i % len(order)]
            index = sent[lane]
            if i % 7 == 0:
                with numbers.lane().claim(test_messages.length(lane, index)) as claim:
                    test_messages.fill(claim.payload, lane, index)
            else:
                numbers.send(make(lane, index))
            sent[lane] = index + 1
        for lane in order:
            print(f"lane {lane} sent {sent[lane]}")
    print("after close fds:", test_messages.open_fds())
    print("after close memfd mappings:", test_messages.memfd_mappings())


if __name__ == "__main__":
    try:
        main(sys.argv[1])
    except trindle.SupervisorGone as e:
        print("python-sender:", e, file=sys.stderr)
        sys.exit(trindle.SUPERVISOR_GONE_EXIT)
