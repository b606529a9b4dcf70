package io.trindle.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Hostile workers under the supervisor, sandboxed, beside a well-behaved pipeline (issue 7, "Done means" 1 and 2).
 *
 * <p>One run: a Java source sends numbered, checksummed messages through the pipe {@code work} to a Java sink,
 * which also writes the segment {@code table} (so it is not sealed) with its own pid and the supervisor's. Beside
 * them, holding SEND on {@code work} and READ on {@code table}, run hostile workers: the C program
 * {@code trindle-hostile-worker} as three replicas under {@code strict} (pid namespace: the supervisor is out of
 * sight) and two under {@code standard} (no pid namespace: its parent is the supervisor itself), each with a
 * 256 MiB address space and 16 processes; and the Java worker {@code Hostile} under {@code standard}. Each prints
 * one line per attempt, and the test asserts every one was refused, with the exact errno or capability-table
 * status: opening files, reopening the read-only segment writable through {@code /proc}, mapping or mprotecting
 * it writable, tracing and killing the sink, the supervisor and everyone, network sockets, the supervisor's status
 * socket, a fork bomb past the process limit, allocation past the memory limit, forged, stolen and replayed
 * tokens, transfers of what it does not hold, garbage in its own lane, and a malformed control frame (a different
 * one from each process, since the supervisor stops reading a channel after the first).
 *
 * <p>And, in the same run: the sink reports each hostile lane broken and reads the source's to the end, with
 * exactly the count and checksum the source sent; the supervisor logs every forged, replayed and malformed
 * attempt naming the worker; it is alive and answers status once every hostile process is done, stops on
 * request (SIGTERM) with status 3, and leaves no process of the pipeline behind. Every check is made and every
 * failure reported together, so that one run shows every hole there is, not just the first.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class HostileWorkerTest
{
    private static final List<String> STRICT = List.of("mallory-strict.0", "mallory-strict.1", "mallory-strict.2");
    private static final List<String> STANDARD = List.of("mallory-standard.0", "mallory-standard.1");
    private static final String JAVA = "mallory-java";
    /** The malformed frame each C replica sends last, in replica order (see the config's arguments). */
    private static final Map<String, String> MALFORMED = Map.of(
        "mallory-strict.0", "version", "mallory-strict.1", "truncated", "mallory-strict.2", "oversize",
        "mallory-standard.0", "kind", "mallory-standard.1", "length");
    /** How the supervisor words its refusal of each malformed frame. */
    private static final Map<String, String> MALFORMED_LOGGED = Map.of(
        "version", "control protocol version mismatch: peer=2, app=1",
        "truncated", "control frame too short: length=10",
        "oversize", "message longer than the buffer; it was discarded",
        "kind", "control frame has unknown kind=99",
        "length", "body length=4294967280 disagree with frame length=52",
        "fds", "handle entry 0 (object 0x0) has unknown kind=0");
    private static final String FORGED = "token 0x5eedf00ddeadbeef was never issued: a forged message";
    private static final String HEX = "0x[0-9a-f]+";

    @TempDir
    Path directory;

    @Test
    void shouldRefuseEveryHostileAttemptWhileAWellBehavedPipelineBesideItCompletes() throws Exception
    {
        final Path hostile = Path.of("..", "native-shims", "target", "bin", "trindle-hostile-worker")
            .toAbsolutePath().normalize();
        final String name = "hostile-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
        // The workers run as nobody: the directory and the config must be theirs to read, so that only the
        // sandbox, not the file modes, refuses them the config file in their working directory.
        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxr-xr-x"));
        final Path config = directory.resolve("hostile.yaml");
        Files.writeString(config, """
            name: %s
            pipes:
              work: { lane: 64KiB }
            segments:
              table: { size: 4KiB }
            workers:
              source:
                java: io.trindle.it.workers.ChecksumSource
                grants: { work: send }
                restart: never
                ready-timeout: 600s
              sink:
                java: io.trindle.it.workers.ChecksumSink
                grants: { work: receive, table: [read, write] }
                restart: never
                ready-timeout: 600s
              mallory-strict:
                command: [%s, work, table, hostile.yaml, "version,truncated,oversize"]
                replicas: 3
                grants: { work: send, table: read }
                sandbox: { profile: strict, memory: 256MiB, processes: 16 }
                restart: never
                ready-timeout: 600s
              mallory-standard:
                command: [%s, work, table, hostile.yaml, "kind,length"]
                replicas: 2
                grants: { work: send, table: read }
                sandbox: { profile: standard, memory: 256MiB, processes: 16 }
                restart: never
                ready-timeout: 600s
              mallory-java:
                java: io.trindle.it.workers.Hostile work table hostile.yaml fds
                grants: { work: send, table: read }
                sandbox: standard
                restart: never
                ready-timeout: 600s
            """.formatted(name, hostile, hostile));
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-r--r--"));
        final List<String> hostiles = new ArrayList<>(STRICT);
        hostiles.addAll(STANDARD);
        hostiles.add(JAVA);

        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "hostile.yaml"))
        {
            // Every hostile process ends with "done" once it has made every attempt; the class's @Timeout
            // bounds the wait.
            while (!linesOf(trindle.stdout(), hostiles).values().stream().allMatch(l -> l.contains("done")))
            {
                assertTrue(trindle.isAlive(), "the supervisor died while the hostile workers were at work\n" +
                    trindle.output());
                Thread.sleep(50);
            }
            // The supervisor must be up and answer status while the hostile workers exit on their own and the
            // pipeline beside goes on. What it answered (or that it died) is judged below, with everything else,
            // so that one run reports every hole at once.
            final List<String> states = new ArrayList<>();
            boolean answered = false;
            while (trindle.isAlive() && !answered)
            {
                final List<SupervisorProcess.Worker> workers = workersOrNone(trindle, name);
                states.clear();
                workers.forEach(w -> states.add(w.name() + "." + w.replica() + "=" + w.state()));
                answered = !workers.isEmpty() && workers.stream().filter(w -> w.name().startsWith("mallory-"))
                    .allMatch(w -> w.state().equals("exited"));
                Thread.sleep(answered ? 0 : 50);
            }
            final boolean aliveAfterHostiles = trindle.isAlive();
            final boolean statusAnswered = answered;
            // The lanes the hostile workers scribbled over are counted as broken, not a reason to fail the answer.
            String pipes = "";
            try
            {
                pipes = trindle.ask(name, "status --json");
            }
            catch (final IOException e)
            {
                pipes = "no answer: " + e;
            }
            final String pipeStatus = pipes;
            // Stopped as Ctrl-C stops it (`trindle stop` run here would write over the run's captured output).
            ProcessHandle.of(trindle.pid()).ifPresent(ProcessHandle::destroy);
            final int status = trindle.waitFor(Duration.ofMinutes(5));

            final String out = trindle.stdout();
            final String err = trindle.stderr();
            final Map<String, List<String>> lines = linesOf(out, hostiles);
            final List<Executable> checks = new ArrayList<>();
            checks.add(() -> assertTrue(aliveAfterHostiles && statusAnswered,
                "the supervisor stays up and answers status " +
                "once every hostile process is done; it answered " + states + " and is " +
                (aliveAfterHostiles ? "alive" : "dead") + "\n" + err));
            checks.add(() -> assertTrue(states.containsAll(List.of("source.0=running", "sink.0=running")),
                "the pipeline beside runs on: " + states));
            checks.add(() -> assertEquals(3, status, "status 3: stopped on request\n" + err));
            checks.add(() -> assertTrue(Pattern.compile("\"name\":\"work\",[^}]*\"brokenLanes\":[1-9]")
                .matcher(pipeStatus).find(), "the status counts the scribbled lanes as broken: " + pipeStatus));
            for (final String worker : hostiles)
            {
                checks.add(() -> assertEquals(List.of(), lines.get(worker).stream()
                    .filter(l -> l.startsWith("ALLOWED") || l.startsWith("FAILED")).toList(),
                    worker + " was allowed (or failed to try) something:\n" + String.join("\n", lines.get(worker))));
            }
            for (final String worker : STRICT)
            {
                checks.add(() -> assertRefusedInC(worker, lines.get(worker), err));
                checks.add(() -> expect(lines.get(worker), worker,
                    "refused kill-worker errno=3 (ESRCH)",
                    "refused kill-supervisor errno=3 (ESRCH)",
                    "parent is outside this pid namespace (getppid()=0)",
                    "refused kill-all errno=3 (ESRCH)"));
            }
            for (final String worker : STANDARD)
            {
                checks.add(() -> assertRefusedInC(worker, lines.get(worker), err));
                checks.add(() -> expect(lines.get(worker), worker,
                    "refused kill-worker errno=1 (EPERM)",
                    "refused kill-supervisor errno=1 (EPERM)",
                    "parent is the supervisor: yes",
                    "refused kill-parent errno=1 (EPERM)",
                    // Its result proves nothing (see the C program); that the rest lived on does.
                    "kill-all returned 0, as it does when every process it found refused the signal"));
            }
            checks.add(() -> assertRefusedInJava(lines.get(JAVA), err));
            checks.add(() -> assertPipelineBesideCompleted(out, err, hostiles.size()));
            assertAll(checks);
        }
        assertNoProcessLeft(name);
    }

    /** What every C replica must have been refused, with the exact errno or status, and what the supervisor logged. */
    private static void assertRefusedInC(final String worker, final List<String> own, final String err)
    {
        expect(own, worker,
            "refused open-file errno=13 (EACCES)",
            "refused open-cwd-file errno=13 (EACCES)",
            "refused create-tmp-file errno=13 (EACCES)",
            "refused proc-reopen-segment errno=2 (ENOENT)",
            "refused mmap-segment-writable errno=13 (EACCES)",
            "refused mprotect-segment-writable errno=13 (EACCES)",
            "refused ptrace-worker errno=1 (EPERM)",
            "refused ptrace-supervisor errno=1 (EPERM)",
            "refused process-vm-readv-worker errno=1 (EPERM)",
            "refused socket-inet errno=1 (EPERM)",
            "refused socket-inet6 errno=1 (EPERM)",
            "refused socket-netlink errno=1 (EPERM)",
            "refused connect-status-socket errno=13 (EACCES)",
            "refused malloc-past-limit errno=12 (ENOMEM)",
            "refused exec-shell errno=13 (EACCES)",
            "refused allocate-1gib errno=12 (ENOMEM)",
            "refused redeem-forged status=5: " + FORGED,
            "issued a token for its own pipe",
            "sent malformed-" + MALFORMED.get(worker) + "; the supervisor no longer answers on this channel",
            "done");
        // The fork bomb stops short of the limit (the launcher counts, and, under strict, the sandbox's own
        // launcher too), and every child it made is reaped.
        final Matcher fork = find(own, worker,
            "refused fork errno=11 \\(EAGAIN\\) after (\\d+) children \\(limit 16 processes\\)");
        final int children = Integer.parseInt(fork.group(1));
        assertTrue(children > 0 && children < 16, worker + " forked " + children);
        find(own, worker, "reaped " + children + " children");
        final Matcher memory = find(own, worker,
            "refused allocate errno=12 \\(ENOMEM\\) after (\\d+) MiB \\(limit 256 MiB\\)");
        assertTrue(Integer.parseInt(memory.group(1)) < 256, worker + " allocated " + memory.group(1) + " MiB");
        // The capability table: nothing it does not hold, no lane not its own, no wider rights, no second move,
        // no token issued to another, no token twice.
        final String label = Pattern.quote(worker);
        find(own, worker, "refused transfer-forged-object status=1: worker " + label +
            " holds no handle to object 0xbadc0ffee0dd .*");
        find(own, worker, "refused transfer-other-lane status=8: lane \\d+ of pipe " + HEX +
            " is not a lane worker " + label + " sends on");
        find(own, worker, "refused transfer-widening status=4: worker " + label + " asked to give " +
            "READ\\|SEND\\|RECEIVE\\|DUPLICATE\\|TRANSFER on object " + HEX + " but holds only " +
            "SEND\\|RECEIVE\\|DUPLICATE\\|TRANSFER \\(would add READ\\); rights can only be reduced");
        find(own, worker, "refused transfer-moved-again status=1: worker " + label + " holds no handle to object " +
            HEX + " .*");
        find(own, worker, "refused redeem-stolen status=7: token " + HEX + " was issued to worker sink for lane \\d+ " +
            "of pipe " + HEX + ", not to " + label + " .*");
        find(own, worker, "refused redeem-replayed status=6: token " + HEX + " was already redeemed \\(by sink\\): " +
            "a replayed message");
        find(own, worker, "scribbled over lane \\d+ of pipe " + HEX + " \\(\\d+ bytes\\)");

        // The supervisor's log names the worker for each.
        final String presented = "trindle: worker " + label
            + " presented a bad token in the message at sequence \\d+ " +
            "on lane \\d+ of pipe " + HEX + " \\(sent by worker [^)]+\\): ";
        logged(err, presented + Pattern.quote(FORGED));
        logged(err, presented + "token " + HEX + " was issued to worker sink .*");
        logged(err, presented + "token " + HEX + " was already redeemed \\(by sink\\): a replayed message");
        logged(err, "trindle: refused a transfer by worker " + label + ": worker " + label +
            " holds no handle to object 0xbadc0ffee0dd .*");
        logged(err, "trindle: refused a transfer by worker " + label + ": lane \\d+ of pipe " + HEX
            + " is not a lane .*");
        logged(err, "trindle: worker " + label + " sent a bad control message: .*" +
            Pattern.quote(MALFORMED_LOGGED.get(MALFORMED.get(worker))) + ".*");
    }

    /** What the Java hostile worker must have been refused, and what the supervisor logged of its tokens and frame. */
    private static void assertRefusedInJava(final List<String> own, final String err)
    {
        expect(own, JAVA,
            "refused open-file errno=13 (EACCES)",
            "refused open-cwd-file errno=13 (EACCES)",
            "refused create-tmp-file errno=13 (EACCES)",
            "refused read-file-nio (AccessDeniedException)",
            "refused proc-reopen-segment errno=2 (ENOENT)",
            "refused mmap-segment-writable errno=13 (EACCES)",
            "refused mprotect-segment-writable errno=13 (EACCES)",
            "refused write-segment-api (RightsException)",
            "refused ptrace-worker errno=1 (EPERM)",
            "refused kill-worker errno=1 (EPERM)",
            "refused ptrace-supervisor errno=1 (EPERM)",
            "refused kill-supervisor errno=1 (EPERM)",
            "parent is the supervisor: yes",
            "refused socket-inet errno=1 (EPERM)",
            "refused socket-inet6 errno=1 (EPERM)",
            "refused java-net-socket (SocketException: Operation not permitted)",
            "forged a message with token 0x5eedf00ddeadbeef",
            "replayed the token of its real message",
            "sent malformed-fds",
            "the supervisor no longer answers on this channel",
            "done");
        find(own, JAVA, "refused destroy-parent \\(ProcessHandle .*\\)");
        find(own, JAVA, "refused destroy-supervisor \\(ProcessHandle .*\\)");
        find(own, JAVA, "refused transfer-without-right: the supervisor refused to attach handles to a message on " +
            "'work': moving object " + HEX + " needs TRANSFER, but worker mallory-java holds only READ");
        find(own, JAVA, "refused duplicate-widening: the supervisor refused to attach handles to a message on " +
            "'work': attaching a duplicate of object " + HEX
                + " needs DUPLICATE, but worker mallory-java holds only READ");
        find(own, JAVA, "scribbled a garbage record on lane \\d+");

        // Its tokens reach the capability table through the receiver, which names it as the sender.
        final String presented = "trindle: worker sink presented a bad token in the message at sequence \\d+ on lane " +
            "\\d+ of pipe " + HEX + " \\(sent by worker mallory-java\\): ";
        logged(err, presented + Pattern.quote(FORGED));
        logged(err, presented + "token " + HEX + " was already redeemed \\(by sink\\): a replayed message");
        logged(err, "trindle: refused a transfer by worker mallory-java: moving object " + HEX + " needs TRANSFER.*");
        logged(err, "trindle: refused a transfer by worker mallory-java: attaching a duplicate of object " + HEX +
            " needs DUPLICATE.*");
        logged(err, "trindle: worker mallory-java sent a bad control message: " +
            Pattern.quote(MALFORMED_LOGGED.get("fds")));
    }

    /**
     * The pipeline beside the hostile workers: the sink read every message the source sent, in order, with the same
     * checksum; took the one handle each hostile process really sent it, was refused the forged and replayed ones;
     * and reported each hostile lane broken — and no other.
     */
    private static void assertPipelineBesideCompleted(final String out, final String err, final int hostileProcesses)
    {
        final Matcher sent = Pattern.compile("(?m)^source +\\| sent (\\d+) messages, checksum (" + HEX
            + ")$").matcher(out);
        final Matcher received = Pattern.compile("(?m)^sink +\\| received (\\d+) messages, in order: (\\w+), " +
            "checksum (" + HEX + ")$").matcher(out);
        assertTrue(sent.find(), "the source said what it sent\n" + out);
        assertTrue(received.find(), "the sink saw the end of every lane and said what it received\n" + out);
        assertTrue(Long.parseLong(sent.group(1)) > 0, out);
        assertEquals(sent.group(1) + " " + sent.group(2), received.group(1) + " " + received.group(3),
            "the sink received exactly what the source sent");
        assertEquals("true", received.group(2), "in order");
        assertEquals(hostileProcesses, count(out, "(?m)^sink +\\| took 1 handle\\(s\\) \\(PIPE\\) from lane \\d+$"),
            out);
        assertEquals(1, count(out, "(?m)^sink +\\| refused the handles of a message on lane \\d+: .*" +
            Pattern.quote(FORGED) + "$"), out);
        assertEquals(1, count(out, "(?m)^sink +\\| refused the handles of a message on lane \\d+: .*was already " +
            "redeemed \\(by sink\\): a replayed message$"), out);
        assertTrue(!out.contains("ignored a message"), out);
        final Set<String> broken = new TreeSet<>();
        final Matcher lane = Pattern.compile(
            "(?m)^sink +\\| trindle: input 'work' lane (\\d+) is broken and no longer " +
            "read: ").matcher(err);
        while (lane.find())
        {
            broken.add(lane.group(1));
        }
        assertEquals(hostileProcesses, broken.size(), "each hostile lane, and only those, reported broken: " + broken +
            "\n" + err);
    }

    /** @return the workers as {@code trindle status} shows them, or none if the supervisor does not answer. */
    private static List<SupervisorProcess.Worker> workersOrNone(final SupervisorProcess trindle, final String name)
    {
        try
        {
            return trindle.workers(name);
        }
        catch (final IOException notAnswering)
        {
            return List.of();
        }
    }

    /** No process of the pipeline is left: no worker, launcher or fork-bomb child has its TRINDLE_PIPELINE. */
    private static void assertNoProcessLeft(final String pipeline) throws IOException
    {
        final byte[] marker = ("TRINDLE_PIPELINE=" + pipeline + "\0").getBytes(StandardCharsets.UTF_8);
        final List<String> left = new ArrayList<>();
        try (Stream<Path> processes = Files.list(Path.of("/proc")))
        {
            for (final Path process : processes.filter(p -> p.getFileName().toString().matches("[0-9]+")).toList())
            {
                try
                {
                    final byte[] environment = Files.readAllBytes(process.resolve("environ"));
                    if (indexOf(environment, marker) >= 0 && SupervisorProcess.alive(
                        Long.parseLong(process.getFileName().toString())))
                    {
                        left.add(process.getFileName() + " " + new String(Files.readAllBytes(process.resolve(
                            "cmdline")),
                            StandardCharsets.UTF_8).replace('\0', ' '));
                    }
                }
                catch (final IOException gone)
                {
                    // It ended while we looked, or is not ours to read.
                }
            }
        }
        assertEquals(List.of(), left, "processes of pipeline " + pipeline + " left behind");
    }

    /** @return each worker's lines of the supervisor's output, without the label, in order. */
    private static Map<String, List<String>> linesOf(final String out, final List<String> workers)
    {
        final Map<String, List<String>> lines = new LinkedHashMap<>();
        workers.forEach(worker -> lines.put(worker, new ArrayList<>()));
        for (final String line : out.lines().toList())
        {
            final int bar = line.indexOf(" | ");
            if (bar > 0 && lines.containsKey(line.substring(0, bar).strip()))
            {
                lines.get(line.substring(0, bar).strip()).add(line.substring(bar + 3));
            }
        }
        return lines;
    }

    private static void expect(final List<String> own, final String worker, final String... expected)
    {
        for (final String line : expected)
        {
            assertTrue(own.contains(line), worker + " should have printed\n  " + line + "\nbut printed:\n" +
                String.join("\n", own));
        }
    }

    private static Matcher find(final List<String> own, final String worker, final String regex)
    {
        final Pattern pattern = Pattern.compile(regex);
        for (final String line : own)
        {
            final Matcher matcher = pattern.matcher(line);
            if (matcher.matches())
            {
                return matcher;
            }
        }
        fail(worker + " printed no line matching\n  " + regex + "\nbut:\n" + String.join("\n", own));
        return null;
    }

    private static void logged(final String err, final String regex)
    {
        assertTrue(Pattern.compile("(?m)^" + regex + "$").matcher(err).find(),
            "the supervisor should have logged a line matching\n  " + regex + "\nin:\n" + err);
    }

    private static int count(final String text, final String regex)
    {
        final Matcher matcher = Pattern.compile(regex).matcher(text);
        int count = 0;
        while (matcher.find())
        {
            count++;
        }
        return count;
    }

    private static int indexOf(final byte[] haystack, final byte[] needle)
    {
        for (int i = 0; i + needle.length <= haystack.length; i++)
        {
            int j = 0;
            while (j < needle.length && haystack[i + j] == needle[j])
            {
                j++;
            }
            if (j == needle.length)
            {
                return i;
            }
        }
        return -1;
    }
}
