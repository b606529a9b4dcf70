package io.trindle.it;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Events (docs/events.md) under the supervisor, with the workers in Java (EventWorker), C (trindle-c-events) and
 * Python (python-events.py), which print the same lines: a notifier in each language wakes a listener in each
 * language, every count exact; a listener is seen asleep in the kernel ({@code futex(word, FUTEX_WAIT)} in
 * {@code /proc/PID/task/TID/syscall}, state S) before every round that wakes it. A worker granted the segment
 * {@code read} is refused a notifier, a writable mapping and an mprotect; the raw FUTEX_WAKE it may still make wakes
 * the listeners, who find no signal and sleep again. A notifier SIGKILLed while its listeners wait leaves them a
 * timeout, and they can tell nothing more came.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class EventTest
{
    private static final List<String> LISTENERS = List.of("java", "c", "python");
    private static final Pattern WAITING = Pattern.compile(
        "waiting at (\\d+) pid=(\\d+) tid=(\\d+) word=0x([0-9a-f]+)");

    @TempDir
    Path directory;

    /** The languages of the event test workers, and how a config starts each. */
    enum Language
    {
        JAVA, C, PYTHON;

        String worker(final String role, final String... arguments)
        {
            final String[] all = new String[arguments.length + 1];
            all[0] = role;
            System.arraycopy(arguments, 0, all, 1, arguments.length);
            return switch (this)
            {
                case JAVA -> "java: io.trindle.it.workers.EventWorker " + String.join(" ", all);
                case C -> OtherLanguageWorkers.c("trindle-c-events", all);
                case PYTHON -> OtherLanguageWorkers.python("python-events.py", all);
            };
        }
    }

    /** A listener as it said it waits: its process, its thread and the count word's address in it. */
    private record Sleeper(long pid, long tid, String word)
    {
    }

    @ParameterizedTest
    @EnumSource(Language.class)
    void shouldWakeAListenerInEachLanguageWithExactCounts(final Language notifier) throws Exception
    {
        write(notifier.worker("notifier", directory.toString(), "1", "1000"), "", "listener", "1", "1000");
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "events.yaml"))
        {
            // Round 1: one signal, to listeners seen asleep; round 2: a thousand at once, to listeners seen asleep.
            for (final int round : List.of(1, 2))
            {
                final long signalsSoFar = round == 1 ? 0 : 1;
                for (final String listener : LISTENERS)
                {
                    awaitAsleep(trindle, listener, signalsSoFar);
                }
                Files.createFile(directory.resolve("go-" + round));
            }
            assertEquals(0, trindle.waitFor(Duration.ofSeconds(120)), trindle.output());
            final String out = trindle.stdout();
            assertTrue(said(out, "notifier", "signalled 1, count=1"), out);
            assertTrue(said(out, "notifier", "signalled 1000, count=1001"), out);
            for (final String listener : LISTENERS)
            {
                assertTrue(said(out, listener, "received 1001 signals; then poll=0"), listener + ": " + out);
            }
            assertFalse(out.contains("too many"), out);
        }
    }

    @ParameterizedTest
    @EnumSource(Language.class)
    void shouldRefuseAListenerEveryWayToSignalAndLetItsRawWakeChangeNothing(final Language intruder) throws Exception
    {
        final Language notifier = intruder == Language.C ? Language.PYTHON : Language.C;
        write(notifier.worker("notifier", directory.toString(), "1"), """
              intruder:
                %s
                grants: { ready: read }
                ready-timeout: 600s
                restart: never
            """.formatted(intruder.worker("intruder", directory.toString())), "listener", "1");
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "events.yaml"))
        {
            final List<Sleeper> sleepers = new ArrayList<>();
            for (final String listener : LISTENERS)
            {
                sleepers.add(awaitAsleep(trindle, listener, 0));
            }
            awaitSaid(trindle, "intruder", "mprotect to write refused: errno=13");
            final String refusals = trindle.stdout();
            assertTrue(said(refusals, "intruder", "writable mapping refused: errno=13"), refusals);
            assertTrue(Pattern.compile("intruder \\| notifier refused: .*segment 0x[0-9a-f]+ .*without WRITE.*" +
                "offset=64.*granted \\[read, write\\]").matcher(refusals).find(), refusals);

            // The raw wake reaches the three listeners asleep on the word: they wake, find the count unchanged and
            // sleep again, saying nothing.
            Files.createFile(directory.resolve("intrude"));
            awaitSaid(trindle, "intruder", "raw futex wake woke 3");
            awaitSaid(trindle, "intruder", "count still 0");
            for (final Sleeper sleeper : sleepers)
            {
                awaitAsleep(sleeper);
            }
            assertFalse(trindle.stdout().contains("received"), trindle.stdout());

            Files.createFile(directory.resolve("go-1"));
            assertEquals(0, trindle.waitFor(Duration.ofSeconds(120)), trindle.output());
            final String out = trindle.stdout();
            for (final String listener : LISTENERS)
            {
                assertTrue(said(out, listener, "received 1 signals; then poll=0"), listener + ": " + out);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Language.class)
    void shouldLeaveListenersATimeoutWhenTheNotifierDies(final Language notifier) throws Exception
    {
        write(notifier.worker("notifier", directory.toString(), "5", "1"), "", "outlive", "5", "3000");
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "events.yaml"))
        {
            for (final String listener : LISTENERS)
            {
                awaitSaid(trindle, listener, "waiting at 0 ");
            }
            Files.createFile(directory.resolve("go-1"));
            awaitSaid(trindle, "notifier", "signalled 5, count=5");
            for (final String listener : LISTENERS)
            {
                awaitAsleep(trindle, listener, 5);
            }
            // The notifier waits for a second round that never comes: it dies there, mid-run.
            final long pid = trindle.workers("events").stream().filter(w -> w.name().equals("notifier"))
                .findFirst().orElseThrow().pid();
            ProcessHandle.of(pid).orElseThrow().destroyForcibly(); // SIGKILL
            awaitSaid(trindle, "python", "no signal within 3000 ms after 5: poll=0, seen=5");
            awaitSaid(trindle, "java", "no signal within 3000 ms after 5: poll=0, seen=5");
            awaitSaid(trindle, "c", "no signal within 3000 ms after 5: poll=0, seen=5");
            // The supervisor stops the pipeline for the notifier's death (restart: never); the listeners, which never
            // look for a stop request, have their minute of stop-timeout to finish their wait.
            trindle.awaitStderr("trindle: stopping: worker notifier was killed by SIGKILL");
        }
    }

    /**
     * Writes events.yaml: the notifier (its command line given), {@code others} (workers as the config writes them),
     * and a listener in each language, with {@code listenerArguments}.
     */
    private void write(final String notifier, final String others, final String... listenerArguments)
        throws IOException
    {
        final StringBuilder config = new StringBuilder("""
            segments:
              ready: { size: 4KiB }
            workers:
              notifier:
                %s
                grants: { ready: [read, write] }
                ready-timeout: 600s
                restart: never
            """.formatted(notifier)).append(others);
        for (final String listener : LISTENERS)
        {
            final Language language = Language.valueOf(listener.toUpperCase(Locale.ROOT));
            final String[] rest = Arrays.copyOfRange(listenerArguments, 1, listenerArguments.length);
            config.append("""
                  %s:
                    %s
                    grants: { ready: read }
                    ready-timeout: 600s
                    stop-timeout: 60s
                    restart: never
                """.formatted(listener, language.worker(listenerArguments[0], rest)));
        }
        Files.writeString(directory.resolve("events.yaml"), config.toString());
    }

    /** @return whether worker {@code name} printed the line {@code text}. */
    private static boolean said(final String out, final String name, final String text)
    {
        return Pattern.compile("(?m)^" + Pattern.quote(name) + " +\\| " + Pattern.quote(text) + "$").matcher(out)
            .find();
    }

    /** Waits until worker {@code name} printed a line that starts with {@code text}. */
    private static String awaitSaid(final SupervisorProcess trindle, final String name, final String text)
        throws InterruptedException
    {
        final Pattern line = Pattern.compile("(?m)^" + Pattern.quote(name) + " +\\| (" + Pattern.quote(text) + ".*)$");
        final long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (System.nanoTime() < deadline)
        {
            final Matcher matcher = line.matcher(trindle.stdout());
            if (matcher.find())
            {
                return matcher.group(1);
            }
            if (!trindle.isAlive())
            {
                break;
            }
            Thread.sleep(20);
        }
        fail(name + " never said '" + text + "'\n" + trindle.output());
        return null;
    }

    /** Waits until listener {@code name} says it waits at {@code count}, then until it is asleep on the word. */
    private static Sleeper awaitAsleep(final SupervisorProcess trindle, final String name, final long count)
        throws Exception
    {
        final Matcher waiting = WAITING.matcher(awaitSaid(trindle, name, "waiting at " + count + " "));
        assertTrue(waiting.matches(), waiting.toString());
        final Sleeper sleeper = new Sleeper(Long.parseLong(waiting.group(2)), Long.parseLong(waiting.group(3)),
            waiting.group(4));
        awaitAsleep(sleeper);
        return sleeper;
    }

    /**
     * Waits until the listener's thread sleeps (state S) in {@code futex(word, FUTEX_WAIT, …)}, as
     * {@code /proc/PID/task/TID/syscall} shows it: system call 202, the word's address, operation 0 (shared).
     */
    private static void awaitAsleep(final Sleeper sleeper) throws Exception
    {
        final Path task = Path.of("/proc", Long.toString(sleeper.pid()), "task", Long.toString(sleeper.tid()));
        final String expected = "202 0x" + sleeper.word() + " 0x0 ";
        final long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        String syscall = "";
        String state = "";
        while (System.nanoTime() < deadline)
        {
            syscall = Files.readString(task.resolve("syscall"));
            final String stat = Files.readString(task.resolve("stat"));
            state = stat.substring(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
            if (syscall.startsWith(expected) && state.equals("S"))
            {
                return;
            }
            Thread.sleep(5);
        }
        fail("listener " + sleeper + " never slept on its event: syscall=" + syscall + " state=" + state);
    }
}
