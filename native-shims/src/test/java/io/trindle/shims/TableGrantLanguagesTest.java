package io.trindle.shims;

import io.trindle.ipc.Handle;
import io.trindle.ipc.ObjectKind;
import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;
import io.trindle.ipc.Table;
import io.trindle.ipc.TableShape;
import io.trindle.ipc.linux.Processes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A table made by Java, in C and Python workers and tools (src/test/c/trindle-table-tool.c,
 * src/test/python/python-table-tool.py): a table grant (object kind 5) is taken and found by its name, writable with
 * WRITE and read-only without; a tool on a read-only fd is refused a transaction; and Java, C and Python processes
 * move money between 16 accounts at once while Java snapshots sum them and a C mover is SIGKILLed, and the sum never
 * changes. Each process is given an open file description of its own (docs/table-format.md §6).
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class TableGrantLanguagesTest
{
    private static final int ACCOUNTS = 16;
    private static final long TOTAL = 1000L * ACCOUNTS;

    /** A table tool with the table as its fd 3 (a description of its own), its output in target/c-logs. */
    private static final class Tool implements AutoCloseable
    {
        private final String name;
        private final int pid;
        private final Path stdout;
        private final Path stderr;
        private int status = Processes.STILL_RUNNING;

        private Tool(final String name, final int pid, final Path stdout, final Path stderr)
        {
            this.name = name;
            this.pid = pid;
            this.stdout = stdout;
            this.stderr = stderr;
        }

        /**
         * Starts the {@code language}'s tool on {@code table}, writable or not, given a duplicate of the table's
         * handle as fd 3 ("3w" or "3r"), closed here once the child has it, so that the tool's writer lock dies with
         * the tool.
         */
        static Tool start(final String name, final Language language, final Table table, final boolean write,
            final String... arguments) throws IOException
        {
            final Path logs = Files.createDirectories(Path.of("target", "c-logs"));
            final Path stdout = logs.resolve("table-grants-" + name + ".out");
            final Path stderr = logs.resolve("table-grants-" + name + ".err");
            Files.deleteIfExists(stdout);
            Files.deleteIfExists(stderr);
            final List<String> argv = new ArrayList<>();
            final List<String> environment = new ArrayList<>(List.of("PATH=/usr/local/bin:/usr/bin:/bin"));
            if (language == Language.C)
            {
                argv.add(CWorker.BIN.resolve("trindle-table-tool").toString());
            }
            else
            {
                argv.addAll(List.of(PythonWorker.PYTHON, "-u", PythonWorker.SCRIPTS.resolve("python-table-tool.py")
                    .toString()));
                environment.addAll(List.of("PYTHONPATH=" + PythonWorker.PACKAGE, "TRINDLE_LIBRARY=" +
                    PythonWorker.LIBRARY, "PYTHONDONTWRITEBYTECODE=1"));
            }
            argv.add(write ? "3w" : "3r");
            argv.addAll(List.of(arguments));
            try (Handle own = write ? writable(table) : readOnly(table))
            {
                final int pid = Processes.spawn(argv.toArray(String[]::new), environment.toArray(String[]::new),
                    stdout.toString(), stderr.toString(), new int[] {own.fd()});
                return new Tool(name, pid, stdout, stderr);
            }
        }

        /** Runs the tool to its end; it must exit with 0. @return its output lines. */
        static List<String> run(final String name, final Language language, final Table table, final boolean write,
            final String... arguments) throws Exception
        {
            try (Tool tool = start(name, language, table, write, arguments))
            {
                tool.assertExits(0);
                return tool.lines();
            }
        }

        boolean hasExited()
        {
            if (status == Processes.STILL_RUNNING)
            {
                status = Processes.tryWaitpid(pid);
            }
            return status != Processes.STILL_RUNNING;
        }

        void assertExits(final int exitCode) throws InterruptedException
        {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (!hasExited())
            {
                if (System.nanoTime() - deadline > 0)
                {
                    fail(name + " still running. " + logs());
                }
                Thread.sleep(2);
            }
            assertEquals(exitCode, Processes.exitCode(status), name + " ended with wait status " + status + ". " +
                logs());
        }

        /** Waits until the tool has printed {@code line}. */
        void awaitLine(final String line) throws InterruptedException
        {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!lines().contains(line))
            {
                if (hasExited() && !lines().contains(line) || System.nanoTime() - deadline > 0)
                {
                    fail(name + " printed no '" + line + "'. " + logs());
                }
                Thread.sleep(1);
            }
        }

        void kill()
        {
            if (!hasExited())
            {
                Processes.kill(pid, Processes.SIGKILL);
                status = Processes.waitpid(pid);
            }
        }

        List<String> lines()
        {
            return read(stdout).lines().toList();
        }

        String logs()
        {
            return "stderr of " + name + ":\n" + read(stderr) + "\nstdout:\n" + read(stdout);
        }

        private static String read(final Path path)
        {
            try
            {
                return Files.exists(path) ? Files.readString(path) : "";
            }
            catch (final IOException e)
            {
                return "(unreadable: " + e + ")";
            }
        }

        @Override
        public void close()
        {
            kill();
        }
    }

    private static Table create()
    {
        return Table.create(TableShape.of(1 << 20, 0, 0, 8));
    }

    /** @return a handle of the table for another process: an open file description of its own, read-write. */
    private static Handle writable(final Table table)
    {
        return table.handle().duplicate(Rights.of(Right.READ, Right.WRITE));
    }

    /** @return a handle of the table for another process: an open file description of its own, read-only. */
    private static Handle readOnly(final Table table)
    {
        return table.handle().duplicate(Rights.of(Right.READ));
    }

    private static CWorker worker(final String name, final Language language, final List<String> arguments)
    {
        return language == Language.C ? CWorker.start(name, "trindle-table-tool", arguments) :
            PythonWorker.startTest(name, "python-table-tool.py", arguments);
    }

    @Test
    void shouldTakeATableGrantByItsNameWritableOnlyWithWrite() throws Exception
    {
        try (Table table = create())
        {
            for (final Language language : Language.values())
            {
                final String key = "from-" + language.name().toLowerCase(Locale.ROOT);
                try (CWorker writer = worker("table-grant-" + language, language,
                    List.of("grant:accounts", "put", key, "granted")))
                {
                    // Closed once sent: the description is the worker's alone, and its lock dies with it.
                    try (Handle granted = writable(table))
                    {
                        writer.setUp(CWorker.grant("accounts", Rights.of(Right.READ, Right.WRITE), ObjectKind.TABLE,
                            List.of(granted)));
                    }
                    writer.awaitReady(Duration.ofSeconds(30));
                    writer.assertExits(0, Duration.ofSeconds(30));
                }
                assertEquals("granted", table.read(s -> s.getString(key)));
                try (CWorker reader = worker("table-grant-read-" + language, language,
                    List.of("grant:accounts", "get", key)))
                {
                    try (Handle granted = readOnly(table))
                    {
                        reader.setUp(CWorker.grant("accounts", Rights.of(Right.READ), ObjectKind.TABLE,
                            List.of(granted)));
                    }
                    reader.awaitReady(Duration.ofSeconds(30));
                    reader.assertExits(0, Duration.ofSeconds(30));
                    assertEquals(List.of("granted"), reader.stdoutLines(), reader.logs());
                }
                try (CWorker refused = worker("table-grant-refused-" + language, language,
                    List.of("grant:accounts", "put", key, "changed")))
                {
                    try (Handle granted = readOnly(table))
                    {
                        refused.setUp(CWorker.grant("accounts", Rights.of(Right.READ), ObjectKind.TABLE,
                            List.of(granted)));
                    }
                    refused.awaitReady(Duration.ofSeconds(30));
                    refused.assertExits(1, Duration.ofSeconds(30));
                    assertTrue(refused.stderr().contains("TRINDLE_E_ACCESS"), refused.logs());
                }
                try (CWorker missing = worker("table-grant-missing-" + language, language,
                    List.of("grant:nothing", "get", key)))
                {
                    try (Handle granted = readOnly(table))
                    {
                        missing.setUp(CWorker.grant("accounts", Rights.of(Right.READ), ObjectKind.TABLE,
                            List.of(granted)));
                    }
                    missing.assertExits(1, Duration.ofSeconds(30));
                    assertTrue(missing.stderr().contains("its grants are [accounts (table)]"), missing.logs());
                }
                assertEquals("granted", table.read(s -> s.getString(key)));
            }
        }
    }

    @Test
    void shouldRefuseATransactionOnAReadOnlyFd() throws Exception
    {
        try (Table table = create())
        {
            table.write(tx -> tx.putString("kept", "1"));
            for (final Language language : Language.values())
            {
                assertEquals(List.of("1"), Tool.run("read-" + language, language, table, false, "get", "kept"));
                try (Tool refused = Tool.start("put-read-only-" + language, language, table, false, "put", "kept",
                    "2"))
                {
                    refused.assertExits(1);
                    assertTrue(refused.logs().contains("TRINDLE_E_ACCESS"), refused.logs());
                }
            }
            assertEquals("1", table.read(s -> s.getString("kept")));
            assertNull(table.read(s -> s.getString("changed")));
        }
    }

    @Test
    void shouldKeepTheSumWhileJavaCAndPythonMoveMoneyAndCIsKilled() throws Exception
    {
        try (Table table = create())
        {
            table.write(tx ->
            {
                for (int i = 0; i < ACCOUNTS; i++)
                {
                    tx.putString("a" + i, "1000");
                }
            });
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final AtomicBoolean stop = new AtomicBoolean();
            final Thread transfers = Thread.ofPlatform().name("java-transfers").start(() -> guard(failure, () ->
                transfers(table, 2000)));
            final Thread audits = Thread.ofPlatform().name("java-audits").start(() -> guard(failure, () ->
            {
                while (!stop.get())
                {
                    assertEquals(TOTAL, sum(table), "a snapshot's sum");
                }
            }));
            try (Tool victim = Tool.start("c-victim", Language.C, table, true, "transfer-loop", "100000000", "16");
                 Tool c = Tool.start("c-transfers", Language.C, table, true, "transfer-loop", "20000", "16");
                 Tool python = Tool.start("python-transfers", Language.PYTHON, table, true, "transfer-loop", "1000",
                     "16"))
            {
                victim.awaitLine("commits 100");
                python.awaitLine("commits 100");
                victim.kill();
                c.assertExits(0);
                python.assertExits(0);
                assertEquals("commits 20000", c.lines().getLast());
                assertEquals("commits 1000", python.lines().getLast());
            }
            finally
            {
                transfers.join();
                stop.set(true);
                audits.join();
            }
            if (failure.get() != null)
            {
                throw new AssertionError(failure.get());
            }
            assertEquals(TOTAL, sum(table));
            table.recoverDeadWriters();
            assertEquals(List.of(Long.toString(TOTAL)), Tool.run("c-sum", Language.C, table, false, "sum", "16"));
            assertEquals(List.of(Long.toString(TOTAL)), Tool.run("python-sum", Language.PYTHON, table, false, "sum",
                "16"));
        }
    }

    private static long sum(final Table table)
    {
        return table.read(s ->
        {
            long sum = 0;
            for (int i = 0; i < ACCOUNTS; i++)
            {
                sum += Long.parseLong(s.getString("a" + i));
            }
            return sum;
        });
    }

    /** What the tools' transfer-loop does, in Java: a random amount between two random accounts. */
    private static void transfers(final Table table, final int count)
    {
        final ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int n = 0; n < count; n++)
        {
            final int from = random.nextInt(ACCOUNTS);
            final int to = (from + 1 + random.nextInt(ACCOUNTS - 1)) % ACCOUNTS;
            final int seed = random.nextInt(1 << 20);
            table.write(tx ->
            {
                final long have = Long.parseLong(tx.getString("a" + from));
                final long amount = have > 0 ? 1 + seed % Math.min(have, 50) : 0;
                final long their = Long.parseLong(tx.getString("a" + to));
                tx.putString("a" + from, Long.toString(have - amount));
                tx.putString("a" + to, Long.toString(their + amount));
            });
        }
    }

    private static void guard(final AtomicReference<Throwable> failure, final Runnable body)
    {
        try
        {
            body.run();
        }
        catch (final Throwable t)
        {
            failure.compareAndSet(null, t);
        }
    }
}
