"""python-revokee — a holder of the segment "board" (4 KiB), for RevokeTest, as trindle-c-revokee does.
Each role waits for files the test makes in its working directory (a state, never a time), looking at the control
channel meanwhile (stop_requested), as a worker's loop does: that is when the package follows a revoke or a rehome.

usage: python3 python-revokee.py keeper|leaver
  keeper: writes "v1" at 0; on "write-v2", says what the memoryview it took before the move sees at 0 and whether
          the segment still has that address, then writes "v2" at 0 and reads it back; on "check", says what it sees
          at 0 and at 64; exits on "finish".
  leaver: maps the segment's fd itself too (against the rules); waits to see "v1", then until the segment is
          revoked (memory raises Revoked), and says how the package refuses it, what the memoryview it kept does, and
          how a read through the segment's address ends (in a child); on "leak", writes "leaked" at 64 of its own
          mapping; on "check", says what its own mapping shows at 0; exits on "finish".
"""

import ctypes
import mmap
import os
import signal
import sys
import time

import trindle


def say(line):
    print(line, flush=True)


def turn(t):
    """Looks at the control channel (exiting if asked to stop), then pauses 1 ms: one turn of a worker's loop."""
    if t.stop_requested:
        sys.exit(0)
    time.sleep(0.001)


def await_file(t, name):
    while not os.path.exists(name):
        turn(t)


def text(view, offset):
    return bytes(view[offset : offset + 32]).split(b"\0")[0].decode()


def put(view, offset, value):
    data = value.encode() + b"\0"
    view[offset : offset + len(data)] = data


def keeper(t, board):
    view = board.memory
    address = board.address
    put(view, 0, "v1")
    say("wrote v1")
    await_file(t, "write-v2")
    same = "has the same address" if board.address == address else "moved"
    say(f"sees '{text(view, 0)}' at 0 through the view it kept; the segment {same}")
    put(board.memory, 0, "v2")
    say(f"wrote v2, reads back '{text(board.memory, 0)}'")
    await_file(t, "check")
    say(f"sees '{text(board.memory, 0)}' at 0 and '{text(board.memory, 64)}' at 64")
    await_file(t, "finish")


def leaver(t, board):
    own = mmap.mmap(board.fd, board.size)  # a mapping of its own, against the rules (mmap dups the fd)
    kept = board.memory
    while text(kept, 0) != "v1":
        turn(t)  # waiting for the keeper's write
    say("sees 'v1'")
    while True:
        try:
            text(board.memory, 0)
        except trindle.Revoked as e:
            refused = e
            break
        turn(t)  # waiting for the revocation
    say(f"its mapping of board is revoked: memory raised {type(refused).__name__}: {refused.detail}")
    try:
        t.segment("board")
        say("t.segment('board') still gave it")
    except trindle.Revoked as e:
        say(f"t.segment('board') raised {type(e).__name__} ({e.name})")
    try:
        kept[0]
        say("the view it kept still reads")
    except ValueError as e:
        say(f"the view it kept raised ValueError: {e}")
    child = os.fork()
    if child == 0:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # the fault is expected: no core file
        ctypes.string_at(board.address, 1)
        os._exit(0)
    _, status = os.waitpid(child, 0)
    faulted = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGSEGV
    say(f"a read through its address {'died of SIGSEGV' if faulted else 'did NOT fault'}")
    await_file(t, "leak")  # made once the revocation has completed: what is written before may be in the copy
    put(own, 64, "leaked")
    say("wrote 'leaked' at 64 of its own mapping")
    await_file(t, "check")
    say(f"its own mapping shows '{text(own, 0)}' at 0")
    await_file(t, "finish")
    own.close()


with trindle.connect() as t:
    t.ready()
    segment = t.segment("board")
    (keeper if sys.argv[1] == "keeper" else leaver)(t, segment)
