"""python-allocator — a test worker that fills an allocator, as trindle-c-allocator does: two segments bring it
to 80 % and then 100 % of its quota (of 40 KiB), a third is refused; once the file "go" exists (the test creates
it when it has seen the status), it gives both back and prints the four pressure notices in the order they came;
then it makes a child allocator of 16 KiB, is refused a segment of 20 KiB from it and releases it.

usage: python3 python-allocator.py ALLOCATOR
prints: "quota N", "refused CODE_NAME: REASON", "full", "notice KIND PERCENT% used USED of QUOTA: DETAILS" four
times, "child quota 16384", "child refused CODE_NAME: REASON", "child released".
"""

import os
import select
import sys
import time

import trindle

PAGE = 4096

with trindle.connect() as t:
    scratch = t.allocator(sys.argv[1])
    t.ready()
    print(f"quota {scratch.quota}", flush=True)
    eight = t.create_segment(scratch, 8 * PAGE)
    two = t.create_segment(scratch, 2 * PAGE)
    eight.memory[:4] = b"full"
    try:
        t.create_segment(scratch, 1)
        print("a segment over the quota was ALLOWED", flush=True)
    except trindle.OverQuota as refused:
        print(f"refused {refused.name}: {refused.detail}", flush=True)
    print("full", flush=True)
    while not os.path.exists("go"):
        time.sleep(0.01)  # the test looks at the status meanwhile
    t.release(eight)
    t.release(two)
    notices: list[trindle.Notice] = []
    while len(notices) < 4:
        taken = t.notices()
        if not taken:
            select.select([t.control_fd], [], [])  # sleep until the channel has something to read
        notices.extend(taken)
    for notice in notices:
        print(f"notice {notice.kind.name} {notice.percent}% used {notice.used} of {notice.quota}: {notice.details}")
    child = t.create_allocator(scratch, 4 * PAGE)
    print(f"child quota {child.quota}", flush=True)
    try:
        t.create_segment(child, 5 * PAGE)
        print("a segment over the child's quota was ALLOWED", flush=True)
    except trindle.OverQuota as refused:
        print(f"child refused {refused.name}: {refused.detail}", flush=True)
    t.release(child)
    print("child released", flush=True)
