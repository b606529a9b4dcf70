"""python-allocator-pipe — a test worker that makes pipes from an allocator, as trindle-c-allocator-pipe does: a
pipe of one lane of 4096 bytes (a lane file of 8192 bytes, charged to the allocator), through which it sends itself
a message; then one of 8192, which its quota (16 KiB) cannot hold; then, once the file "go" exists (the test
creates it when it has seen the status), it exits.

usage: python3 python-allocator-pipe.py ALLOCATOR
prints: "pipe of N bytes", "through it: TEXT", "refused CODE_NAME: REASON", "waiting".
"""

import os
import sys
import time

import trindle

with trindle.connect() as t:
    scratch = t.allocator(sys.argv[1])
    t.ready()
    pipe = t.create_pipe(4096, allocator=scratch)
    print(f"pipe of {pipe.size} bytes", flush=True)
    # The pipe works: its lane carries a message from this worker's sender to its receiver.
    with trindle.LaneSender.open(os.dup(pipe.fd)) as sender:
        sender.send(b"made from an allocator")
    receiver = trindle.PipeReceiver.open([os.dup(pipe.fd)])
    inbox = trindle.Inbox(4)
    if receiver.poll(inbox) != 1:
        sys.exit("the message sent through the pipe did not arrive")
    print(f"through it: {bytes(inbox[0].data).decode()}", flush=True)
    inbox.release()
    receiver.close()
    try:
        t.create_pipe(8192, allocator=scratch)
        print("a pipe over the quota was ALLOWED", flush=True)
    except trindle.OverQuota as refused:
        print(f"refused {refused.name}: {refused.detail}", flush=True)
    print("waiting", flush=True)
    while not os.path.exists("go"):
        time.sleep(0.01)  # the test looks at the status meanwhile
    pipe.close()
