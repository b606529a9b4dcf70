"""python-table-tool — trindle-table-tool's twin (src/test/c/trindle-table-tool.c) over the trindle package: reads and
writes a table (docs/table-format.md), for tests that run it beside Java and C holders of the same table.

usage: python-table-tool.py TABLE COMMAND [ARGUMENT...]
  TABLE  an inherited fd and how to map it: 3w (writable: the fd must be read-write) or 3r (read-only); or a path to
         open, e.g. /proc/PID/fd/N, with :w or :r after it (writable when neither is given); or, run as a worker,
         grant:NAME: the table granted under NAME (writable if granted write), after connecting to the supervisor (the
         worker says ready once it has the table, and ends once the command is done)
         An fd given must be an open file description of this process's own (docs/table-format.md §6): the parent
         reopens the table for it (Java's Handle.duplicate does), never passes the fd of a writer of its own.
  put KEY VALUE          puts VALUE under KEY in one transaction
  get KEY                prints the value of KEY, or "absent"
  transfer-loop N ACCOUNTS
                         N transactions, each moving a random amount (1 … 50, at most the balance) between two random
                         accounts "a0" … "a{ACCOUNTS-1}" whose values are decimal integers (absent: 0), again on a
                         conflict; prints "commits C" after every 100 commits and after the last one
  sum ACCOUNTS           prints the sum of the accounts, read in one snapshot
  recover                recovers the slots of dead writers; prints how many

exit: 0 done; 1 a call failed (stderr says which and why); 2 a bad command line.
"""

import os
import random
import re
import sys
from pathlib import Path

# The package, from the repository (python/trindle), unless PYTHONPATH already has it.
sys.path.append(str(Path(__file__).resolve().parents[4] / "python"))

import trindle  # noqa: E402

USAGE = (
    "usage: python-table-tool.py FD{w|r}|PATH[:w|:r]|grant:NAME put KEY VALUE | get KEY | transfer-loop N ACCOUNTS | "
    "sum ACCOUNTS | recover"
)


def usage(why):
    print(f"python-table-tool: {why}\n{USAGE}", file=sys.stderr)
    return 2


def open_table(argument, worker):
    """The table the first argument names, or None if it names none; a worker's connection goes into ``worker``."""
    if argument.startswith("grant:"):
        connection = trindle.connect()
        worker.append(connection)
        table = connection.table(argument[len("grant:") :])
        connection.ready()
        return table
    if argument.startswith("/"):
        path, writable = argument, True
        if re.search(r":[wr]$", argument):
            path, writable = argument[:-2], argument[-1] == "w"
        try:
            fd = os.open(path, (os.O_RDWR if writable else os.O_RDONLY) | os.O_CLOEXEC)
        except OSError as e:
            print(f"python-table-tool: {path}: {e}", file=sys.stderr)
            return None
        return trindle.Table.map(fd, writable)
    match = re.fullmatch(r"(\d+)([wr])", argument)
    if match is None:
        return None
    return trindle.Table.map(int(match.group(1)), match.group(2) == "w")


def balance(txn, account):
    value = txn.get(f"a{account}")
    return 0 if value is None else int(value)


def transfer(txn, source, target, seed):
    have = balance(txn, source)
    amount = 1 + seed % min(have, 50) if have > 0 else 0
    to = balance(txn, target)
    txn.put(f"a{source}", str(have - amount))
    txn.put(f"a{target}", str(to + amount))


def count(text):
    return int(text) if text.isdigit() else -1


def run(table, command, arguments):
    if command == "put" and len(arguments) == 2:
        table.write(lambda txn: txn.put(arguments[0], arguments[1]))
    elif command == "get" and len(arguments) == 1:
        value = table.read(lambda snapshot: snapshot.get(arguments[0]))
        print("absent" if value is None else value.decode("utf-8", "replace"))
    elif command == "transfer-loop" and len(arguments) == 2:
        n, accounts = count(arguments[0]), count(arguments[1])
        if n < 0 or accounts < 2:
            return usage("transfer-loop N ACCOUNTS: N at least 0, ACCOUNTS at least 2")
        for i in range(1, n + 1):
            source = random.randrange(accounts)
            target = (source + 1 + random.randrange(accounts - 1)) % accounts
            seed = random.getrandbits(32)
            table.write(lambda txn, s=source, t=target, r=seed: transfer(txn, s, t, r))
            if i % 100 == 0 or i == n:
                print(f"commits {i}", flush=True)
    elif command == "sum" and len(arguments) == 1:
        accounts = count(arguments[0])
        if accounts < 0:
            return usage("sum ACCOUNTS: a count")
        print(table.read(lambda snapshot: sum(balance(snapshot, i) for i in range(accounts))))
    elif command == "recover" and not arguments:
        print(table.recover())
    else:
        return usage("unknown command or wrong number of arguments")
    return 0


def main(argv):
    if len(argv) < 3:
        return usage("too few arguments")
    worker = []
    try:
        table = open_table(argv[1], worker)
        if table is None:
            return usage("TABLE is an fd with w or r after it (3w), a path (with :w or :r after it), or grant:NAME")
        with table:
            return run(table, argv[2], argv[3:])
    except trindle.TrindleError as e:
        print(f"python-table-tool: {argv[2]}: {e}", file=sys.stderr)
        return 1
    finally:
        for connection in worker:
            connection.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
