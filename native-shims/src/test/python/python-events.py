"""python-events — a test worker for events (docs/events.md) on the segment granted as "ready", count word at
offset 64: the twin of trindle-c-events.c (and of io.trindle.it.workers.EventWorker), printing the same lines.

usage: python-events.py notifier DIR ROUNDS... | listener ROUNDS... | outlive K MILLIS | intruder DIR
(each role as trindle-c-events.c describes it).
"""

import ctypes
import mmap
import os
import sys
import threading
import time

import trindle

WORD_OFFSET = 64
FUTEX_WAKE = 1
SYS_FUTEX = 202
INT_MAX = 2**31 - 1


def await_file(directory, name):
    """Waits until the file directory/name exists: the test creates it once it has seen what it waits for."""
    path = os.path.join(directory, name)
    while not os.path.exists(path):
        time.sleep(0.01)


def print_waiting(listener, total):
    print(
        f"waiting at {total} pid={os.getpid()} tid={threading.get_native_id()} word={hex(listener.address)}",
        flush=True,
    )


def notifier(segment, directory, rounds):
    with trindle.Notifier(segment, WORD_OFFSET) as event:
        for number, signals in enumerate(rounds, start=1):
            await_file(directory, f"go-{number}")
            count = 0
            for _ in range(signals):
                count = event.signal()
            print(f"signalled {signals}, count={count}", flush=True)


def listener(segment, rounds):
    with trindle.Listener(segment, WORD_OFFSET) as event:
        total = 0
        for signals in rounds:
            target = total + signals
            print_waiting(event, total)
            while total < target:
                total += event.wait()
            if total != target:
                print(f"too many: {total} signals where {target} were sent")
        print(f"received {total} signals; then poll={event.poll()}", flush=True)


def outlive(segment, expected, millis):
    with trindle.Listener(segment, WORD_OFFSET) as event:
        total = 0
        print_waiting(event, total)
        while total < expected:
            total += event.wait()
        print_waiting(event, total)
        signals = event.wait(millis / 1000)
        if signals != 0:
            sys.exit(f"expected a timeout, got {signals} signals")
        print(f"no signal within {millis} ms after {total}: poll={event.poll()}, seen={event.seen}", flush=True)


def intruder(segment, directory):
    try:
        trindle.Notifier(segment, WORD_OFFSET)
        sys.exit("notifier opened on a read-only segment")
    except trindle.AccessDenied as refused:
        print(f"notifier refused: {refused.detail}")
    try:
        mmap.mmap(segment.fd, segment.size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        print("writable mapping refused: errno=0")
    except OSError as refused:
        print(f"writable mapping refused: errno={refused.errno}")
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    result = libc.mprotect(ctypes.c_void_p(segment.address), segment.size, mmap.PROT_READ | mmap.PROT_WRITE)
    print(f"mprotect to write refused: errno={0 if result == 0 else ctypes.get_errno()}", flush=True)

    await_file(directory, "intrude")
    # FUTEX_WAKE needs only a readable word: a reader can wake the sleepers, though it cannot change the count.
    libc.syscall.restype = ctypes.c_long
    word = segment.address + WORD_OFFSET
    woken = libc.syscall(ctypes.c_long(SYS_FUTEX), ctypes.c_void_p(word), FUTEX_WAKE, INT_MAX, None, None, 0)
    print(f"raw futex wake woke {woken}")
    count = int.from_bytes(segment.memory[WORD_OFFSET : WORD_OFFSET + 4], "little")
    print(f"count still {count}", flush=True)


def main():
    role, arguments = sys.argv[1], sys.argv[2:]
    with trindle.connect() as t:
        segment = t.segment("ready")
        t.ready()
        if role == "notifier":
            notifier(segment, arguments[0], [int(n) for n in arguments[1:]])
        elif role == "listener":
            listener(segment, [int(n) for n in arguments])
        elif role == "outlive":
            outlive(segment, int(arguments[0]), int(arguments[1]))
        elif role == "intruder":
            intruder(segment, arguments[0])
        else:
            sys.exit(f"python-events: unknown role {role}")


if __name__ == "__main__":
    main()
