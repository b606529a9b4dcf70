"""Tables from Python (docs/table-format.md): puts, gets, deletes and items; exactly one of two conflicting
transactions commits, and ``write`` runs its function again; a full table raises TableFull and changes nothing; a
read-only mapping reads and cannot write; and the table tools (native-shims' trindle-table-tool and
python-table-tool.py) share a table with this process: each reads what the other wrote, and C and Python processes
moving money between accounts at once, one of them SIGKILLed, never change the sum.
"""

import contextlib
import fcntl
import mmap
import os
import signal
import subprocess
import sys
import unittest

from support import ROOT, load_trindle

C_TOOL = ROOT / "native-shims" / "target" / "bin" / "trindle-table-tool"
PYTHON_TOOL = ROOT / "native-shims" / "src" / "test" / "python" / "python-table-tool.py"


def tool(language, table_argument, *arguments):
    """The command line of the C or Python table tool."""
    if language == "c":
        if not C_TOOL.is_file():
            raise AssertionError(f"{C_TOOL} is missing: build it first with ./mvnw -B -q test-compile -pl native-shims")
        return [str(C_TOOL), table_argument, *arguments]
    return [sys.executable, str(PYTHON_TOOL), table_argument, *arguments]


@contextlib.contextmanager
def fresh(table, mode):
    """An open file description of the table's own for a child process (docs/table-format.md §6: never the fd of a
    writer of this process, whose lock the child would share), closed here once the child has its copy."""
    fd = os.open(f"/proc/self/fd/{table.fd}", os.O_RDWR if mode == "w" else os.O_RDONLY)
    try:
        yield fd
    finally:
        os.close(fd)


def environment():
    env = {k: v for k, v in os.environ.items() if k not in ("TRINDLE_LIBRARY", "LD_LIBRARY_PATH")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run_tool(language, where, *arguments, table=None):
    """Runs a tool to its end on ``where``: a path, or with ``table``, "w" or "r" for a fresh fd of it."""
    if table is None:
        return _run(tool(language, where, *arguments), ())
    with fresh(table, where) as fd:
        return _run(tool(language, f"{fd}{where}", *arguments), (fd,))


def _run(command, fds):
    done = subprocess.run(
        command, pass_fds=fds, env=environment(), capture_output=True, text=True, timeout=120, check=False
    )
    if done.returncode != 0:
        raise AssertionError(f"{command} exited with {done.returncode}: {done.stderr}")
    return done.stdout.splitlines()


class TablesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.trindle = load_trindle()

    def table(self, size=0, **limits):
        table = self.trindle.Table.create(size, **limits)
        self.addCleanup(table.close)
        return table

    def test_put_get_delete_and_items(self):
        table = self.table(key_max=16, value_max=32, writer_count=4)
        self.assertEqual((table.key_max, table.value_max, table.writer_count, table.writer), (16, 32, 4, 0))
        self.assertIsNone(table.get("apple"))
        table.put("apple", "red")
        table.put(b"pear", bytearray(b"green"))
        table.put("empty", b"")
        self.assertEqual(table.get(b"apple"), b"red")
        self.assertEqual(table.get("empty"), b"")

        def update(txn):
            txn.put("apple", "yellow")
            txn.delete("pear")
            self.assertEqual(txn.get("apple"), b"yellow")  # its own writes
            self.assertIsNone(txn.get("pear"))
            self.assertEqual(sorted(txn.items()), [(b"apple", b"red"), (b"empty", b""), (b"pear", b"green")])
            return "done"

        self.assertEqual(table.write(update), "done")
        self.assertEqual(
            table.read(lambda snapshot: sorted(snapshot.items())), [(b"apple", b"yellow"), (b"empty", b"")]
        )
        with table.snapshot() as snapshot:
            self.assertIn("apple", snapshot)
            self.assertNotIn("pear", snapshot)
        with self.assertRaises(self.trindle.TrindleError) as raised:
            table.put("k" * 17, "v")
        self.assertEqual(raised.exception.name, "TRINDLE_E_INVALID")
        with self.assertRaises(self.trindle.TrindleError):
            table.put("k", "v" * 33)

    def test_read_many_reads_every_key_from_one_snapshot_in_one_call(self):
        table = self.table(key_max=16, value_max=8, writer_count=2)
        table.write(lambda txn: [txn.put(f"a{n}", f"{n}") for n in range(16)])
        table.delete("a3")
        keys = [f"a{n}" for n in range(16)] + ["nobody"]
        expected = [None if n == 3 else f"{n}".encode() for n in range(16)] + [None]
        self.assertEqual(table.read_many(keys), expected)
        self.assertEqual(table.read_many([]), [])
        with self.assertRaises(self.trindle.TrindleError) as raised:
            table.read_many(["k" * 17])
        self.assertEqual(raised.exception.name, "TRINDLE_E_INVALID")

    def test_exactly_one_of_two_conflicting_transactions_commits(self):
        table = self.table()
        table.put("n", "0")
        with table.transaction() as a, table.transaction() as b:
            self.assertEqual((a.get("n"), b.get("n")), (b"0", b"0"))
            a.put("n", "a")
            b.put("n", "b")
            a.commit()
            with self.assertRaises(self.trindle.TableConflict) as raised:
                b.commit()
            self.assertEqual(raised.exception.code, -15)
            self.assertEqual(raised.exception.name, "TRINDLE_E_CONFLICT")
        self.assertEqual(table.get("n"), b"a")

        # write runs its function again after a conflict: here another commit between its read and its commit.
        table.put("n", "0")
        seen = []

        def increment(txn):
            value = txn.get("n")
            if not seen:
                table.put("n", "100")
            seen.append(value)
            txn.put("n", str(int(value) + 1))

        table.write(increment)
        self.assertEqual(seen, [b"0", b"100"])
        self.assertEqual(table.get("n"), b"101")

    def test_a_full_table_raises_table_full_and_changes_nothing(self):
        # Entries of 576 bytes, 4 writers: the least table, 8 entries, holds 7 keys.
        table = self.table(40960 + 8192, key_max=16, value_max=480, writer_count=4)
        self.assertEqual(table.entry_count, 8)
        for i in range(7):
            table.put(f"k{i}", "v")

        def too_many(txn):
            txn.put("k0", "changed")
            txn.put("k7", "new")

        with self.assertRaises(self.trindle.TableFull) as raised:
            table.write(too_many)
        self.assertIsInstance(raised.exception, self.trindle.Full)
        self.assertIn("is full: 7 keys in use of its key limit 7", raised.exception.detail)
        self.assertEqual(table.get("k0"), b"v")
        self.assertIsNone(table.get("k7"))
        self.assertEqual(len(table.read(lambda snapshot: list(snapshot.items()))), 7)

    def test_a_read_only_mapping_reads_and_cannot_write(self):
        table = self.table()
        table.put("kept", "safe")
        reader = self.trindle.Table.map(os.open(f"/proc/self/fd/{table.fd}", os.O_RDONLY | os.O_CLOEXEC), False)
        self.addCleanup(reader.close)
        self.assertFalse(reader.writable)
        self.assertEqual(reader.get("kept"), b"safe")
        with self.assertRaises(self.trindle.AccessDenied):
            reader.put("kept", "changed")
        with self.assertRaises(self.trindle.AccessDenied):
            reader.recover()
        with self.assertRaises(PermissionError):
            mmap.mmap(reader.fd, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE)
        table.put("kept", "still safe")
        self.assertEqual(reader.get("kept"), b"still safe")
        with self.assertRaises(self.trindle.TrindleError) as raised:
            self.trindle.Table.map(os.open(f"/proc/self/fd/{table.fd}", os.O_RDONLY | os.O_CLOEXEC), True)
        self.assertEqual(raised.exception.name, "TRINDLE_E_ACCESS")

    def test_refuses_what_is_not_a_table(self):
        fd = os.memfd_create("not-a-table", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
        os.ftruncate(fd, 8192)
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK)
        with self.assertRaises(self.trindle.TrindleError) as raised:
            self.trindle.Table.map(fd, False)
        self.assertEqual(raised.exception.name, "TRINDLE_E_FORMAT")
        self.assertIn("magic", raised.exception.detail)

    def test_the_tools_read_what_the_other_wrote(self):
        table = self.table()
        run_tool("c", "w", "put", "from-c", "1", table=table)
        run_tool("python", "w", "put", "from-python", "2", table=table)
        self.assertEqual(table.get("from-c"), b"1")
        self.assertEqual(run_tool("python", "r", "get", "from-c", table=table), ["1"])
        self.assertEqual(run_tool("c", "r", "get", "from-python", table=table), ["2"])
        self.assertEqual(run_tool("c", f"/proc/{os.getpid()}/fd/{table.fd}:r", "get", "nothing"), ["absent"])
        self.assertEqual(run_tool("python", f"/proc/{os.getpid()}/fd/{table.fd}", "get", "nothing"), ["absent"])

    def test_transfers_in_c_and_python_keep_the_sum_when_one_is_killed(self):
        table = self.table(writer_count=8)
        accounts = 16
        table.write(lambda txn: [txn.put(f"a{i}", "1000") for i in range(accounts)])

        def start(language, count):
            with fresh(table, "w") as fd:
                return subprocess.Popen(
                    tool(language, f"{fd}w", "transfer-loop", str(count), str(accounts)),
                    pass_fds=(fd,),
                    env=environment(),
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )

        # The victim goes on until it is killed, once all the others run (the Python ones start last).
        victim = start("c", 100_000_000)
        counts = (20_000, 20_000, 1000, 1000)
        loops = [start(language, count) for language, count in zip(("c", "c", "python", "python"), counts, strict=True)]
        for process in (victim, loops[2], loops[3]):
            self.assertEqual(
                process.stdout.readline(), "commits 100\n", process.stderr.read() if process.poll() else ""
            )
        victim.send_signal(signal.SIGKILL)
        victim.communicate(timeout=60)
        self.assertEqual(victim.returncode, -signal.SIGKILL)
        for loop, count in zip(loops, counts, strict=True):
            out, err = loop.communicate(timeout=120)
            self.assertEqual(loop.returncode, 0, err)
            self.assertEqual(out.splitlines()[-1], f"commits {count}", out)
        total = 1000 * accounts
        self.assertEqual(run_tool("c", "w", "sum", str(accounts), table=table), [str(total)])
        self.assertEqual(run_tool("python", "r", "sum", str(accounts), table=table), [str(total)])
        self.assertEqual(sum(int(table.get(f"a{i}")) for i in range(accounts)), total)
        self.assertGreaterEqual(table.recover(), 0)


if __name__ == "__main__":
    unittest.main()
