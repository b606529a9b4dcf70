package io.trindle.shims;

import io.trindle.ipc.Handle;
import io.trindle.ipc.Inbox;
import io.trindle.ipc.LaneSender;
import io.trindle.ipc.ObjectKind;
import io.trindle.ipc.Pipe;
import io.trindle.ipc.PipeReceiver;
import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The workers of docs/workers-in-c-and-python.md, in C (src/test/c/upcase.c) and in Python
 * (python/examples/upcase.py): the guide shows exactly these files, and each works as the guide says, between a
 * Java sender and a Java receiver.
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class UpcaseExampleTest
{
    private static final Path GUIDE = Path.of("..", "docs", "workers-in-c-and-python.md");

    /** The example in {@code language}: the file, its path as the guide names it, and the guide's code fence. */
    private record Example(Path file, String named, String fence)
    {
        static Example of(final Language language)
        {
            return switch (language)
            {
                case C -> new Example(Path.of("src", "test", "c", "upcase.c"), "native-shims/src/test/c/upcase.c",
                    "c");
                case PYTHON -> new Example(Path.of("..", "python", "examples", "upcase.py"),
                    "python/examples/upcase.py", "python");
            };
        }
    }

    @ParameterizedTest
    @EnumSource(Language.class)
    void shouldShowTheExampleVerbatimInTheGuide(final Language language) throws Exception
    {
        final Example example = Example.of(language);
        // The guide names the file just before its code block, so this test finds the copy.
        final Matcher copy = Pattern.compile("<!-- example: " + Pattern.quote(example.named()) + " -->\\s*```" +
            example.fence() + "\\n(.*?)```", Pattern.DOTALL).matcher(Files.readString(GUIDE));
        assertTrue(copy.find(), "the guide has no block after <!-- example: " + example.named() + " -->");
        assertEquals(Files.readString(example.file()), copy.group(1), "the guide's copy of " + example.file() +
            " differs: paste the file again");
    }

    @ParameterizedTest
    @EnumSource(Language.class)
    void shouldShoutEveryLineAndEndItsOutputWhenItsInputEnds(final Language language) throws Exception
    {
        final Rights send = Rights.of(Right.SEND, Right.TRANSFER);
        final Rights receive = Rights.of(Right.RECEIVE, Right.TRANSFER);
        final Pipe lines = Pipe.create(1 << 16);
        final Pipe shouts = Pipe.create(1 << 16);
        try (Handle linesLane = lines.newLane(); Handle shoutsLane = shouts.newLane();
             PipeReceiver output = PipeReceiver.open(List.of(shoutsLane.duplicate(receive)),
                 (pipeId, laneId, reason) -> fail(reason));
             CWorker upcase = switch (language)
             {
                 case C -> CWorker.start("upcase", "upcase", List.of());
                 case PYTHON -> PythonWorker.start("python-upcase", Example.of(language).file(), List.of());
             })
        {
            upcase.setUp(
                CWorker.grant("lines", Rights.of(Right.RECEIVE), ObjectKind.PIPE, List.of(linesLane.duplicate(
                    receive))),
                CWorker.grant("shouts", Rights.of(Right.SEND), ObjectKind.PIPE, List.of(shoutsLane.duplicate(send))));
            upcase.awaitReady(Duration.ofSeconds(30));

            // Sent from another thread while this one drains the output: the worker holds on to its input
            // while its output lane is full, as it should.
            final List<String> sent = new ArrayList<>();
            for (int i = 0; i < 20_000; i++)
            {
                sent.add("line " + i + ": the quick brown fox, façade");
            }
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final LaneSender input = LaneSender.open(linesLane.duplicate(send));
            final Thread sender = Thread.ofPlatform().name("lines-sender").start(() ->
            {
                try (input)
                {
                    for (final String line : sent)
                    {
                        final byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
                        assertTrue(input.send(bytes, 0, bytes.length, 10_000_000_000L), "lines full for 10 s");
                    }
                    input.endStream();
                }
                catch (final Throwable e)
                {
                    failure.set(e);
                }
            });
            final List<String> received = new ArrayList<>();
            final Inbox inbox = new Inbox(128);
            int count;
            while ((count = output.receive(inbox, 10_000_000_000L)) != PipeReceiver.END_OF_STREAM)
            {
                assertTrue(count > 0, "nothing for 10 s after " + received.size() + " lines. " + upcase.logs());
                for (int i = 0; i < count; i++)
                {
                    received.add(new String(inbox.get(i).toByteArray(), StandardCharsets.UTF_8));
                }
                inbox.release();
            }
            sender.join();
            assertNull(failure.get(), () -> "sending failed: " + failure.get());
            upcase.assertExits(0, Duration.ofSeconds(30));
            // toupper in the C locale and bytes.upper() change ASCII letters only: "façade" becomes "FAçADE".
            assertEquals(sent.stream().map(UpcaseExampleTest::asciiUpperCase).toList(), received);
        }
    }

    private static String asciiUpperCase(final String text)
    {
        final StringBuilder upper = new StringBuilder(text.length());
        text.chars().forEach(c -> upper.append(c < 128 ? (char)Character.toUpperCase(c) : (char)c));
        return upper.toString();
    }
}
