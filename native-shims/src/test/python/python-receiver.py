"""python-receiver — a test worker: receives every pipe it was granted through exchange (t.batches), checks each
message (index in order per lane, length, CRC-32, and the attachments of a message with handles) and reports
broken lanes as it is told of them.

usage: python3 python-receiver.py
prints: "fault REASON" per broken lane; at the end "lane ID received N bad B state STATE" per lane (and "lane ID
with handles N" if some came with handles), "end-of-stream", then the fds left after close.
exit status: 0 every input ended, 1 failure, 70 the supervisor is gone.
"""

import sys
from collections import defaultdict

import test_messages
import trindle


def attachments_problem(message, index):
    """What Java's PipeLanguagesTest.sendWithHandles writes: token index + 1, 1 + index % 3 entries of kind 1 + i % 2,
    rights 0x41 + i, size 4096 * (i + 1)."""
    expected = [trindle.Attachment(1 + i % 2, 0x41 + i, 4096 * (i + 1)) for i in range(1 + index % 3)]
    if message.attachment_token != index + 1 or message.attachments != expected:
        return f"index {index}: token={message.attachment_token} attachments={message.attachments}"
    return None


def main():
    received = defaultdict(int)
    bad = defaultdict(int)
    with_handles = defaultdict(int)
    with trindle.connect() as t:
        receiver = t.receiver()
        t.ready()
        check = test_messages.check
        for batch in t.batches(on_corrupt=lambda e: print("fault", e.detail, flush=True)):
            for message in batch:
                lane = message.lane_id
                index = received[lane]
                problem = check(message.data, lane, index)
                if problem is None and message.attachment_count > 0:
                    with_handles[lane] += 1
                    problem = attachments_problem(message, index)
                if problem is not None:
                    bad[lane] += 1
                    if bad[lane] <= 10:
                        print("python-receiver:", problem, file=sys.stderr)
                received[lane] = index + 1
        states = {trindle.LANE_OPEN: "open", trindle.LANE_ENDED: "ended", trindle.LANE_CORRUPT: "corrupt"}
        for lane in receiver.lanes:
            print(
                f"lane {lane.lane_id} received {received[lane.lane_id]} bad {bad[lane.lane_id]} "
                f"state {states[lane.state]}"
            )
            if with_handles[lane.lane_id]:
                print(f"lane {lane.lane_id} with handles {with_handles[lane.lane_id]}")
        print("end-of-stream")
    print("after close fds:", test_messages.open_fds())
    print("after close memfd mappings:", test_messages.memfd_mappings())


if __name__ == "__main__":
    try:
        main()
    except trindle.SupervisorGone as e:
        print("python-receiver:", e, file=sys.stderr)
        sys.exit(trindle.SUPERVISOR_GONE_EXIT)
