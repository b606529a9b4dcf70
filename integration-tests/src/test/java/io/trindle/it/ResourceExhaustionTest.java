package io.trindle.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The supervisor out of a resource, for real (its limits lowered with {@code prlimit} while it runs): it says so
 * in one line, stops the pipeline in order and exits with status 1, and leaves no worker running. No stack
 * trace, no dead supervisor over live workers.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ResourceExhaustionTest
{
    @TempDir
    Path directory;

    @Test
    void shouldStopInOrderWhenTheSupervisorRunsOutOfDescriptors() throws Exception
    {
        // A worker asks for a pipe when the test says, by a line on a FIFO, after the supervisor's descriptor
        // limit has been lowered to its lowest free descriptor: making the pipe's memfd fails with EMFILE in
        // the middle of handling the request, an exception no handler expects.
        mkfifo(directory.resolve("go"));
        Files.writeString(directory.resolve("descriptors.yaml"), """
            workers:
              asker:
                java: io.trindle.it.workers.PipeAsker go
                restart: never
                stop-timeout: 1s
              sleeper:
                command: [sleep, "600"]
                stop-timeout: 100ms
                ready-timeout: 1h
            """);
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "descriptors.yaml"))
        {
            final List<SupervisorProcess.Worker> workers =
                awaitStates(trindle, "descriptors", Map.of("asker", "running", "sleeper", "starting"));
            // And its journal open (it opens in the background): the limit is for what the supervisor does next.
            awaitJournalOpen(directory, "descriptors");
            // The status connection just served is closed before its client reads the end: the numbers are still.
            final int lowestFree = lowestFreeDescriptor(trindle.pid());
            prlimit(List.of(), trindle.pid(), "--nofile=" + lowestFree);
            assertEquals(lowestFree, lowestFreeDescriptor(trindle.pid()));
            Files.writeString(directory.resolve("go"), "go\n");

            assertEquals(1, trindle.waitFor(Duration.ofSeconds(90)), trindle.output());
            final String err = trindle.stderr();
            assertEquals(1, err.lines().filter(line -> line.startsWith("trindle: internal error")).count(), err);
            assertTrue(err.lines().anyMatch(line -> line.startsWith("trindle: internal error handling a CreatePipe " +
                "message from worker asker: SystemCallException: memfd_create") && line.contains("EMFILE")), err);
            assertTrue(err.contains("trindle: stopping: the supervisor met an internal error"), err);
            assertTrue(err.endsWith("trindle: pipeline 'descriptors' stopped after an internal error\n"), err);
            assertNoStackTrace(trindle);
            assertTrue(trindle.stdout().contains("asker   | asking for a pipe"), trindle.output());
            workers.forEach(worker -> assertFalse(SupervisorProcess.alive(worker.pid()), worker + " still runs"));
        }
    }

    @Test
    void shouldCountAWorkerItCannotMakeThreadsForAsAFailedStart() throws Exception
    {
        // RLIMIT_NPROC counts every process and thread of a user, and does not bind root at all: the supervisor
        // runs as a user of its own, so that the count is this test's alone.
        assumeTrue((Integer)Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0,
            "needs root, to run the supervisor as a user of its own (setpriv)");
        final int uid = 1_900_000_000 + (int)(ProcessHandle.current().pid() % 100_000);
        Files.setAttribute(directory, "unix:uid", uid);
        Files.setAttribute(directory, "unix:gid", uid);
        final String classPath = readableClassPath(directory.resolve("lib"));
        mkfifo(directory.resolve("go"));
        // The flaky worker exits with status 1 when the test writes a line to 'go', and is restarted 200 ms
        // later; by then the four threads that served it have ended, and the limit leaves room for two of the
        // five tasks a start makes (the process, then its threads): the spawn succeeds, a thread cannot be made.
        // The workers are plain programs that never report ready: they stay 'starting', which is all this needs.
        Files.writeString(directory.resolve("threads.yaml"), """
            workers:
              sleeper:
                command: [sleep, "600"]
                replicas: 2
                stop-timeout: 100ms
                ready-timeout: 1h
              flaky:
                command: [sh, -c, "read line < go; exit 1"]
                restart: { policy: on-failure, backoff: 200ms..200ms, intensity: 1/1h }
                stop-timeout: 100ms
                ready-timeout: 1h
            """);
        // A serial collector and a fixed number of compiler threads: the JVM's own threads stay as they are.
        final List<String> asUser = List.of("setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups");
        final List<String> wrapper = new ArrayList<>(List.of("env", "JAVA_TOOL_OPTIONS=-XX:+UseSerialGC " +
            "-XX:-UseDynamicNumberOfCompilerThreads"));
        wrapper.addAll(asUser);
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, wrapper, classPath, "run", "threads.yaml"))
        {
            final List<SupervisorProcess.Worker> workers =
                awaitStates(trindle, "threads", Map.of("sleeper", "starting", "flaky", "starting"));
            // Set as the same user: root may lack CAP_SYS_RESOURCE, which setting another user's limits needs.
            prlimit(asUser, trindle.pid(), "--nproc=" + (tasksOf(uid) - 2));
            Files.writeString(directory.resolve("go"), "go\n");

            assertEquals(1, trindle.waitFor(Duration.ofSeconds(90)), trindle.output());
            final String err = trindle.stderr();
            assertEquals(1, err.lines().filter(line -> line.startsWith("trindle: cannot start worker flaky: unable " +
                "to create native thread")).count(), err);
            assertTrue(err.contains("trindle: stopping: worker flaky was restarted 1 times within 1h"), err);
            assertNoStackTrace(trindle);
            workers.forEach(worker -> assertFalse(SupervisorProcess.alive(worker.pid()), worker + " still runs"));
        }
    }

    /**
     * Waits until every worker process of {@code pipeline} is spawned and in the state given for its worker.
     *
     * @return the worker processes.
     */
    private static List<SupervisorProcess.Worker> awaitStates(final SupervisorProcess trindle, final String pipeline,
        final Map<String, String> states) throws Exception
    {
        final long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline && trindle.isAlive())
        {
            try
            {
                final List<SupervisorProcess.Worker> workers = trindle.workers(pipeline);
                if (!workers.isEmpty() && workers.stream()
                    .allMatch(worker -> worker.pid() > 0 && worker.state().equals(states.get(worker.name()))))
                {
                    return workers;
                }
            }
            catch (final IOException notYet)
            {
                // the socket is not bound yet
            }
            Thread.sleep(20);
        }
        fail("the workers did not reach " + states + "\n" + trindle.output());
        return List.of();
    }

    /** Waits until {@code trindle journal NAME} shows the pipeline's start: its journal is open and written. */
    private static void awaitJournalOpen(final Path directory, final String name) throws Exception
    {
        final long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline)
        {
            final Path output = Files.createTempDirectory(directory, "journal");
            final SupervisorProcess journal = SupervisorProcess.start(directory, output, "journal", name);
            journal.waitFor(Duration.ofSeconds(60));
            if (journal.stdout().contains("starting pipeline '" + name + "'"))
            {
                return;
            }
        }
        fail("the journal of " + name + " never showed its start");
    }

    private static void assertNoStackTrace(final SupervisorProcess trindle)
    {
        assertFalse(trindle.stderr().contains("\tat ") || trindle.stderr().contains("Exception in thread"),
            trindle.output());
    }

    private static int lowestFreeDescriptor(final long pid) throws IOException
    {
        final Set<Integer> open = new TreeSet<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd")))
        {
            fds.forEach(fd -> open.add(Integer.parseInt(fd.getFileName().toString())));
        }
        int free = 0;
        while (open.contains(free))
        {
            free++;
        }
        return free;
    }

    /** @return the tasks (processes and threads) whose real user is {@code uid}: what RLIMIT_NPROC counts. */
    private static int tasksOf(final int uid) throws IOException
    {
        int tasks = 0;
        try (Stream<Path> processes = Files.list(Path.of("/proc")))
        {
            for (final Path process : processes.filter(p -> p.getFileName().toString().matches("[0-9]+")).toList())
            {
                try
                {
                    final List<String> status = Files.readAllLines(process.resolve("status"));
                    final boolean mine = status.stream().anyMatch(line -> line.matches("Uid:\\s+" + uid + "\\s.*"));
                    tasks += mine ? status.stream().filter(line -> line.startsWith("Threads:"))
                        .mapToInt(line -> Integer.parseInt(line.substring("Threads:".length()).strip())).sum() : 0;
                }
                catch (final IOException gone)
                {
                    // it ended while we looked
                }
            }
        }
        return tasks;
    }

    /**
     * @return the test class path with each jar copied into {@code lib} (readable by all), so that a user with
     *         no access to the build's Maven repository can run the supervisor from it.
     */
    private static String readableClassPath(final Path lib) throws IOException
    {
        Files.createDirectories(lib);
        final List<String> entries = new ArrayList<>();
        int index = 0;
        for (final String entry : SupervisorProcess.classPath().split(java.io.File.pathSeparator))
        {
            if (entry.endsWith(".jar"))
            {
                final Path copy = lib.resolve(index++ + "-" + Path.of(entry).getFileName());
                Files.copy(Path.of(entry), copy);
                Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rw-r--r--"));
                entries.add(copy.toString());
            }
            else
            {
                entries.add(entry);
            }
        }
        Files.setPosixFilePermissions(lib, PosixFilePermissions.fromString("rwxr-xr-x"));
        return String.join(java.io.File.pathSeparator, entries);
    }

    private static void mkfifo(final Path path) throws Exception
    {
        final Process mkfifo = new ProcessBuilder("mkfifo", "-m", "644", path.toString()).inheritIO().start();
        assertEquals(0, mkfifo.waitFor());
    }

    /** Sets a limit of a running process with {@code prlimit}, run under {@code wrapper}. */
    private static void prlimit(final List<String> wrapper, final long pid, final String limit) throws Exception
    {
        final List<String> command = new ArrayList<>(wrapper);
        command.addAll(List.of("prlimit", "--pid", Long.toString(pid), limit));
        final Process prlimit = new ProcessBuilder(command).inheritIO().start();
        assertEquals(0, prlimit.waitFor(), String.join(" ", command));
    }
}
