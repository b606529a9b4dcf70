"""python-reqrep — the requester and the responder of RequestResponseTest in Python, over the package's
request-response (the Java workers Asker and Answerer, and trindle-c-reqrep, print the same lines).

usage: python3 python-reqrep.py requester REQUEST_PIPE REPLY_PIPE
       python3 python-reqrep.py responder REQUEST_PIPE=REPLY_PIPE...

Each request and reply is one little-endian i64. The responder squares a number — a batch's requests answered last
first, so replies come out of order — but holds its answer to -1 until the next request on its pipe, and holds -2
unanswered and unreleased ("holding request 0xID on 'PIPE'"), unless the file held-PIPE says it did so before this
start: then it answers -2 ("answered the held request 0xID on 'PIPE' again").

The requester sends 1 to 200 with up to 16 in flight and checks each reply is its own request's square ("200
replies, each to its own request"); sends -1 with a timeout of 200 ms ("sent late request 0xID", "timed out:
MESSAGE"); calls with 7 ("after the timeout: 7 -> 49, late replies dropped: 1"); then calls with -2 and a timeout of
120 s: "gone after N ms: MESSAGE" if the responder dies for good, "answered after the restart: -2" if it is
restarted and answers the request delivered again.
"""

import os
import struct
import sys
import time

import trindle

COUNT = 200
WINDOW = 16
NUMBER = struct.Struct("<q")


def requester(t, request_pipe, reply_pipe):
    asker = trindle.Requester(t, request_pipe, reply_pipe, max_in_flight=WINDOW)
    t.ready()
    answered = set()
    first = None
    sent = 0
    while len(answered) < COUNT:
        while sent < COUNT and asker.in_flight < WINDOW:
            sent += 1
            id = asker.send(NUMBER.pack(sent), timeout=30)
            first = id if first is None else first
        reply = asker.receive()
        n = reply.id - first + 1
        value = NUMBER.unpack(reply.data)[0]
        if not 1 <= n <= COUNT or n in answered or value != n * n:
            sys.exit(f"wrong reply {reply.id:#x}: {value} (first id {first:#x})")
        answered.add(n)
    print(f"{len(answered)} replies, each to its own request", flush=True)

    late = asker.send(NUMBER.pack(-1), timeout=0.2)
    print(f"sent late request {late:#x}", flush=True)
    try:
        print(f"not timed out: {asker.receive()}", flush=True)
    except trindle.RequestTimeout as e:
        print(f"timed out: {e.detail}", flush=True)
    seven = asker.call(NUMBER.pack(7), timeout=30)
    print(f"after the timeout: 7 -> {NUMBER.unpack(seven.data)[0]}, late replies dropped: {asker.dropped}", flush=True)

    start = time.monotonic()
    try:
        held = asker.call(NUMBER.pack(-2), timeout=120)
        print(f"answered after the restart: {NUMBER.unpack(held.data)[0]}", flush=True)
    except trindle.ResponderGone as e:
        print(f"gone after {int((time.monotonic() - start) * 1000)} ms: {e.detail}", flush=True)
    asker.close()


def held_before(pipe):
    """Whether a request on ``pipe`` was held before this start; marks it held if not."""
    try:
        os.close(os.open(f"held-{pipe}", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
        return False
    except FileExistsError:
        return True


def responder(t, pairs):
    answerer = trindle.Responder(t)
    for pair in pairs:
        request_pipe, reply_pipe = pair.split("=")
        answerer.pair(request_pipe, reply_pipe)
    t.ready()
    late = {}
    inbox = t.inbox(64)
    while t.exchange(None, inbox) != trindle.END_OF_STREAM:
        hold = False
        for request in reversed(list(inbox)):
            pipe = t.input_name(request)
            id = answerer.request_id(request)
            n = NUMBER.unpack(trindle.Responder.payload(request))[0]
            if pipe in late:
                answerer.reply_to(pipe, late.pop(pipe), NUMBER.pack(-1))
            if n == -1:
                late[pipe] = id
            elif n == -2 and not held_before(pipe):
                print(f"holding request {id:#x} on '{pipe}'", flush=True)
                hold = True
            else:
                answerer.reply(request, NUMBER.pack(-2 if n == -2 else n * n))
                if n == -2:
                    print(f"answered the held request {id:#x} on '{pipe}' again", flush=True)
        if hold:
            inbox = t.inbox(64)  # the batch holding it is never released: a restart gets it again
    answerer.close()


def main():
    with trindle.connect() as t:
        if sys.argv[1] == "requester":
            requester(t, sys.argv[2], sys.argv[3])
        else:
            responder(t, sys.argv[2:])


if __name__ == "__main__":
    try:
        main()
    except trindle.SupervisorGone:
        sys.exit(trindle.SUPERVISOR_GONE_EXIT)
