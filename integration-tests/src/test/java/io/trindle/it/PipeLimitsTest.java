package io.trindle.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A pipe at its limits runs end to end: 64 sending processes (the receiver's grant is one control frame of 64
 * lanes, the most a frame carries), and a receiving worker of 64 replicas (each sender's grant is 64 lanes).
 * One more of either is refused by {@code validate} (supervisor's {@code bad/too-many-senders.yaml} and
 * {@code bad/too-many-receiver-replicas.yaml}). The workers are the C test workers, which check every message.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class PipeLimitsTest
{
    private static final Path BIN = Path.of("..", "native-shims", "target", "bin").toAbsolutePath().normalize();
    private static final Pattern RECEIVED =
        Pattern.compile("\\| lane (\\d+) received (\\d+) bad (\\d+) state (\\w+)");
    private static final int MESSAGES = 1000;

    @TempDir
    Path directory;

    @Test
    void shouldCarryEveryMessageOfSixtyFourSenders() throws Exception
    {
        Files.writeString(directory.resolve("senders.yaml"), """
            pipes:
              numbers: { lane: 64KiB }
            workers:
              sender:
                command: [%s, "%d"]
                replicas: 64
                grants: { numbers: send }
                restart: never
              receiver:
                command: [%s]
                grants: { numbers: receive }
                restart: never
            """.formatted(BIN.resolve("trindle-c-sender"), MESSAGES, BIN.resolve("trindle-c-receiver")));
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "senders.yaml"))
        {
            assertEquals(0, trindle.waitFor(Duration.ofMinutes(4)), trindle.output());
            final String out = trindle.stdout();
            // One line per lane: 64 lanes, ids 0 to 63, each with every message, none bad, each stream ended.
            final Matcher lane = RECEIVED.matcher(out);
            int lanes = 0;
            while (lane.find())
            {
                assertEquals(lanes, Integer.parseInt(lane.group(1)), out);
                assertEquals(MESSAGES, Integer.parseInt(lane.group(2)), out);
                assertEquals("0", lane.group(3), out);
                assertEquals("ended", lane.group(4), out);
                lanes++;
            }
            assertEquals(64, lanes, out);
            assertTrue(out.contains("| end-of-stream"), out);
        }
    }

    @Test
    void shouldServeSixtyFourReceivingReplicas() throws Exception
    {
        Files.writeString(directory.resolve("receivers.yaml"), """
            pipes:
              numbers: { lane: 64KiB }
            workers:
              sender:
                command: [%s, "%d"]
                grants: { numbers: send }
                restart: never
              receiver:
                command: [%s]
                replicas: 64
                grants: { numbers: receive }
                restart: never
            """.formatted(BIN.resolve("trindle-c-sender"), 64 * MESSAGES, BIN.resolve("trindle-c-receiver")));
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "receivers.yaml"))
        {
            assertEquals(0, trindle.waitFor(Duration.ofMinutes(4)), trindle.output());
            final String out = trindle.stdout();
            // Each replica has a pipe of its own with the sender's one lane, id 0, and the sender sends to them in
            // turn: every replica received its share and saw its stream end. (Whether a message is "bad" is not
            // asked: the C test sender numbers its messages per lane id, and here all 64 lanes have id 0, so each
            // replica sees every 64th number, which the receiver's check counts as out of order.)
            final Matcher lane = RECEIVED.matcher(out);
            int replicas = 0;
            while (lane.find())
            {
                assertEquals(MESSAGES, Integer.parseInt(lane.group(2)), out);
                assertEquals("ended", lane.group(4), out);
                replicas++;
            }
            assertEquals(64, replicas, out);
        }
    }
}
