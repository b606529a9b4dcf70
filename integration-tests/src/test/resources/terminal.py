#!/usr/bin/env python3
"""Runs a command in a pseudo-terminal, as a terminal emulator does, for the tests of what a user at a terminal
sees: the command leads a new session whose controlling terminal is the pty, in its foreground process group,
with the terminal's default modes (so ^C is SIGINT to that whole group).

usage: terminal.py [--keys KEYS] -- COMMAND [ARGUMENT]...

Everything the command writes to the terminal (stdout and stderr, as a terminal mixes them) is copied to this
program's stdout. SIGUSR1 to this program types ^C (byte 0x03) into the terminal, as a user pressing Ctrl-C does.
SIGUSR2 types the next of KEYS, as a user typing them one by one does.
The exit status is the command's (128 + N if signal N killed it).
"""

import os
import pty
import select
import signal
import sys

CTRL_C = b"\x03"


def main():
    arguments = sys.argv[1:]
    keys = []
    if arguments[:1] == ["--keys"] and len(arguments) > 1:
        keys = list(arguments[1].encode())
        arguments = arguments[2:]
    if len(arguments) < 2 or arguments[0] != "--":
        sys.exit(__doc__)
    command = arguments[1:]
    pid, terminal = pty.fork()
    if pid == 0:
        # As a terminal emulator starts its shell: whatever this program was started ignoring (SIGINT, say, when
        # a shell ran it in the background), the command starts with every signal's default.
        for number in (signal.SIGINT, signal.SIGQUIT, signal.SIGHUP, signal.SIGTERM):
            signal.signal(number, signal.SIG_DFL)
        try:
            os.execvp(command[0], command)
        except OSError as e:
            sys.stderr.write("terminal.py: cannot run %s: %s\n" % (command[0], e))
            os._exit(127)
    signal.signal(signal.SIGUSR1, lambda _number, _frame: os.write(terminal, CTRL_C))
    signal.signal(signal.SIGUSR2, lambda _number, _frame: os.write(terminal, bytes([keys.pop(0)]) if keys else b""))
    out = sys.stdout.buffer
    while True:
        try:
            select.select([terminal], [], [])
        except InterruptedError:
            continue
        try:
            data = os.read(terminal, 65536)
        except OSError:
            data = b""  # EIO: every process holding the terminal's other side has exited
        if not data:
            break
        out.write(data)
        out.flush()
    _, status = os.waitpid(pid, 0)
    sys.exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))


if __name__ == "__main__":
    main()
