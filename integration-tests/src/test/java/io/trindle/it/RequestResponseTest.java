package io.trindle.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Request-response (docs/request-response.md) between the three runtimes, run as real pipelines: a responder serving
 * two requesters, each with a pipe pair of its own, in every arrangement of Java, C and Python (the responder in one
 * language, its requesters in the other two). Each requester has 200 requests answered with up to 16 in flight, the
 * replies out of order and each matched to its own request by id; has a request time out, naming the pipe and the
 * id, and the late reply to it dropped rather than handed to the next call; and then waits on a request that the
 * responder holds when the responder is SIGKILLed with restart: never — the call fails at once with "the responder
 * of pipe … is gone", long before its timeout of 120 s. And a responder restarted after being killed holding a
 * request gets the request again from the pipe and answers it: the call completes.
 *
 * <p>The workers: {@code io.trindle.it.workers.Asker} and {@code Answerer}, native-shims'
 * {@code trindle-c-reqrep} and {@code python-reqrep.py}, which print the same lines.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class RequestResponseTest
{
    /** The test workers, as lines of a worker's mapping in the config. */
    enum Language
    {
        JAVA, C, PYTHON;

        String requester(final String requests, final String replies)
        {
            return switch (this)
            {
                case JAVA -> "java: io.trindle.it.workers.Asker " + requests + " " + replies;
                case C -> OtherLanguageWorkers.c("trindle-c-reqrep", "requester", requests, replies);
                case PYTHON -> OtherLanguageWorkers.python("python-reqrep.py", "requester", requests, replies);
            };
        }

        String responder(final String... pairs)
        {
            return switch (this)
            {
                case JAVA -> "java: io.trindle.it.workers.Answerer " + String.join(" ", pairs);
                case C -> OtherLanguageWorkers.c("trindle-c-reqrep", prepend("responder", pairs));
                case PYTHON -> OtherLanguageWorkers.python("python-reqrep.py", prepend("responder", pairs));
            };
        }

        private static String[] prepend(final String first, final String... rest)
        {
            final String[] all = new String[rest.length + 1];
            all[0] = first;
            System.arraycopy(rest, 0, all, 1, rest.length);
            return all;
        }
    }

    private static final String PIPES = """
        pipes:
          requests-a: { lane: 64KiB }
          replies-a: { lane: 64KiB }
          requests-b: { lane: 64KiB }
          replies-b: { lane: 64KiB }
        """;

    @TempDir
    Path directory;

    @ParameterizedTest
    @EnumSource(Language.class)
    void shouldMatchRepliesTimeOutAndFailAtOnceWhenTheResponderIsGone(final Language responder) throws Exception
    {
        final List<Language> requesters = List.of(Language.values()).stream().filter(l -> l != responder).toList();
        Files.writeString(directory.resolve("rr.yaml"), PIPES + """
            workers:
              answerer:
                %s
                grants: { requests-a: receive, replies-a: send, requests-b: receive, replies-b: send }
                ready-timeout: 60s
                restart: never
              asker-a:
                %s
                grants: { requests-a: send, replies-a: receive }
                ready-timeout: 60s
                restart: never
              asker-b:
                %s
                grants: { requests-b: send, replies-b: receive }
                ready-timeout: 60s
                restart: never
            """.formatted(responder.responder("requests-a=replies-a", "requests-b=replies-b"),
            requesters.get(0).requester("requests-a", "replies-a"),
            requesters.get(1).requester("requests-b", "replies-b")));
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "rr.yaml"))
        {
            // Both holds reached: each requester waits on a request the responder holds.
            trindle.awaitStdout("on 'requests-a'", "on 'requests-b'");
            final SupervisorProcess.Worker answerer = trindle.workers("rr").stream()
                .filter(worker -> worker.name().equals("answerer")).findFirst().orElseThrow();
            ProcessHandle.of(answerer.pid()).orElseThrow().destroyForcibly(); // SIGKILL, holding both requests
            trindle.awaitStdout("gone after", "is gone: its lane on 'replies-a'", "is gone: its lane on 'replies-b'");
            // The responder failed for good: the pipeline stops, and says so with its status.
            assertNotEquals(0, trindle.waitFor(Duration.ofSeconds(60)), trindle.output());
            final String out = trindle.stdout();
            for (final String side : List.of("a", "b"))
            {
                final String asker = "asker-" + side;
                final String requests = "'requests-" + side + "'";
                line(out, asker, "200 replies, each to its own request");
                final String late = line(out, asker, "sent late request (0x[0-9a-f]+)").group(1);
                line(out, asker, "timed out: .*no reply to request " + late + " on pipe " + requests +
                    " within 200 ms \\(replies come on 'replies-" + side + "'\\): it is forgotten");
                line(out, asker, "after the timeout: 7 -> 49, late replies dropped: 1");
                final String held = line(out, "answerer", "holding request (0x[0-9a-f]+) on " + requests).group(1);
                final Matcher gone = line(out, asker, "gone after (\\d+) ms: .*the responder of pipe " + requests +
                    " is gone: its lane on 'replies-" + side + "' ended, so it will not run again: request " + held +
                    " will not be answered");
                // At once, not at the call's timeout of 120 s (the kill came while the call waited).
                assertTrue(Long.parseLong(gone.group(1)) < 60_000, gone.group());
            }
        }
    }

    @Test
    void shouldAnswerAHeldRequestAgainWhenTheResponderIsRestarted() throws Exception
    {
        Files.writeString(directory.resolve("rr.yaml"), PIPES + """
            workers:
              answerer:
                %s
                grants: { requests-a: receive, replies-a: send, requests-b: receive, replies-b: send }
                ready-timeout: 60s
                restart: { policy: on-failure, backoff: 10ms..10ms, intensity: 5/10s }
              asker-a:
                %s
                grants: { requests-a: send, replies-a: receive }
                ready-timeout: 60s
                restart: never
              asker-b:
                %s
                grants: { requests-b: send, replies-b: receive }
                ready-timeout: 60s
                restart: never
            """.formatted(Language.JAVA.responder("requests-a=replies-a", "requests-b=replies-b"),
            Language.C.requester("requests-a", "replies-a"), Language.PYTHON.requester("requests-b", "replies-b")));
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "rr.yaml"))
        {
            trindle.awaitStdout("on 'requests-a'", "on 'requests-b'");
            final SupervisorProcess.Worker answerer = trindle.workers("rr").stream()
                .filter(worker -> worker.name().equals("answerer")).findFirst().orElseThrow();
            ProcessHandle.of(answerer.pid()).orElseThrow().destroyForcibly();
            // Restarted, it gets the requests it held again, unreleased in their pipes, and answers them; the
            // requesters then finish, and so does the pipeline (with a status saying a worker was restarted).
            trindle.waitFor(Duration.ofSeconds(120));
            assertTrue(trindle.stderr().contains("pipeline 'rr' finished"), trindle.output());
            final String out = trindle.stdout();
            for (final String side : List.of("a", "b"))
            {
                final String requests = "'requests-" + side + "'";
                final String held = line(out, "answerer", "holding request (0x[0-9a-f]+) on " + requests).group(1);
                line(out, "answerer", "answered the held request " + held + " on " + requests + " again");
                line(out, "asker-" + side, "answered after the restart: -2");
                line(out, "asker-" + side, "after the timeout: 7 -> 49, late replies dropped: 1");
            }
        }
    }

    /** @return the match of {@code regex} on a line of {@code worker}'s output; fails with the output if none. */
    private static Matcher line(final String out, final String worker, final String regex)
    {
        final Matcher matcher = Pattern.compile("(?m)^" + Pattern.quote(worker) + " *\\| " + regex).matcher(out);
        assertTrue(matcher.find(), "expected a line of " + worker + " matching " + regex + " in:\n" + out);
        return matcher;
    }
}
