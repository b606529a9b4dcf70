package io.trindle.shims;

import io.trindle.ipc.Handle;
import io.trindle.ipc.LaneDescriptor;
import io.trindle.ipc.LaneSender;
import io.trindle.ipc.ObjectKind;
import io.trindle.ipc.Pipe;
import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;
import io.trindle.ipc.Segment;
import io.trindle.ipc.Source;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Python workers on the trindle module, with this test as their supervisor: a segment granted read-only stays
 * read-only whatever the worker tries, one granted read-write is written through its memoryview, a missing
 * grant is a NotFound naming the grants there are, and broken lanes are reported while the good one is read to
 * its end.
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class PythonWorkerTest
{
    private static final Duration DEADLINE = Duration.ofSeconds(30);
    private static final Rights SEND = Rights.of(Right.SEND, Right.TRANSFER);
    private static final Rights RECEIVE = Rights.of(Right.RECEIVE, Right.TRANSFER);

    @Test
    void shouldReportCorruptLanesToAPythonWorkerAndKeepReadingTheGoodOne() throws Exception
    {
        final Pipe pipe = Pipe.create(1 << 16);
        try (Handle good = pipe.newLane(); Handle badTail = pipe.newLane(); Handle badRecord = pipe.newLane();
             LaneView tailView = new LaneView(badTail); LaneView recordView = new LaneView(badRecord);
             CWorker receiver = PythonWorker.startTest("python-corrupt-receiver", "python-receiver.py", List.of()))
        {
            receiver.setUp(CWorker.grant("numbers", Rights.of(Right.RECEIVE), ObjectKind.PIPE,
                List.of(good.duplicate(RECEIVE), badTail.duplicate(RECEIVE), badRecord.duplicate(RECEIVE))));
            receiver.awaitReady(DEADLINE);
            final byte[] buffer = new byte[TestMessages.MAX_LENGTH];
            try (LaneSender sender0 = LaneSender.open(good.duplicate(SEND));
                 LaneSender sender1 = LaneSender.open(badTail.duplicate(SEND));
                 LaneSender sender2 = LaneSender.open(badRecord.duplicate(SEND)))
            {
                for (int i = 0; i < 1000; i++)
                {
                    assertTrue(sender1.send(buffer, 0, TestMessages.fill(buffer, 1, i), 10_000_000_000L));
                    assertTrue(sender2.send(buffer, 0, TestMessages.fill(buffer, 2, i), 10_000_000_000L));
                }
                // Once the worker has read and released everything, scribble as CWorkerTest does: a tail that is no
                // record boundary on lane 1, a "committed" record far longer than a message may be on lane 2.
                awaitReleased(tailView, receiver);
                awaitReleased(recordView, receiver);
                tailView.setTail(tailView.tail() + 8);
                final long position = recordView.tail();
                recordView.writeRecord(position, 0x7fff_0000, LaneDescriptor.TYPE_MESSAGE);
                recordView.setTail(position + 4096);

                for (int i = 0; i < 100_000; i++)
                {
                    assertTrue(sender0.send(buffer, 0, TestMessages.fill(buffer, 0, i), 10_000_000_000L));
                }
                sender0.endStream();
                receiver.assertExits(0, DEADLINE);
            }
            final List<String> lines = receiver.stdoutLines();
            final String faults = String.join("\n", lines.subList(0, 2));
            assertTrue(faults.matches("(?s).*fault lane 1 of pipe 0x[0-9a-f]+ is corrupt: tail=\\d+ is impossible: " +
                "read position=\\d+, released=\\d+, capacity=65536.*"), receiver.logs());
            assertTrue(faults.matches("(?s).*fault lane 2 of pipe 0x[0-9a-f]+ is corrupt: record at position=\\d+ " +
                "of type=1: length=2147418112 exceeds its limit=8176.*"), receiver.logs());
            assertEquals(List.of(
                "lane 0 received 100000 bad 0 state ended",
                "lane 1 received 1000 bad 0 state corrupt",
                "lane 2 received 1000 bad 0 state corrupt",
                "end-of-stream",
                "after close fds: 0 1 2",
                "after close memfd mappings: 0"), lines.subList(2, lines.size()), receiver.logs());
        }
    }

    private static void awaitReleased(final LaneView lane, final CWorker receiver) throws InterruptedException
    {
        final long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (lane.head() != lane.tail())
        {
            if (System.nanoTime() - deadline > 0)
            {
                fail("the Python receiver did not release its lane: head=" + lane.head() + ", tail=" + lane.tail() +
                    ". " + receiver.logs());
            }
            Thread.sleep(1);
        }
    }

    @Test
    void shouldKeepAReadOnlySegmentReadOnlyWhateverThePythonWorkerTries() throws Exception
    {
        final byte[] words = "the\nand\nof\nto\na\nin\n".repeat(500).getBytes(StandardCharsets.US_ASCII);
        try (Segment stopwords = Segment.allocate(0, Source.bytes(words));
             Segment scratch = Segment.allocate(4096);
             CWorker probe = PythonWorker.startTest("python-probe", "python-probe.py", List.of("stopwords", "scratch")))
        {
            probe.setUp(
                CWorker.grant("stopwords", Rights.of(Right.READ), ObjectKind.SEGMENT,
                    List.of(stopwords.duplicate(Rights.of(Right.READ, Right.TRANSFER)))),
                CWorker.grant("scratch", Rights.of(Right.READ, Right.WRITE), ObjectKind.SEGMENT,
                    List.of(scratch.duplicate(Rights.of(Right.READ, Right.WRITE, Right.TRANSFER)))));
            probe.awaitReady(DEADLINE);
            probe.assertExits(0, DEADLINE);

            final byte[] contents = new byte[(int)stopwords.size()];
            stopwords.getBytes(0, contents, 0, contents.length);
            final CRC32 crc = new CRC32();
            crc.update(contents);
            final CRC32 zeros = new CRC32();
            zeros.update(new byte[4096]);
            assertEquals(List.of(
                "hello pipeline=test worker=python-probe replica=0 replicas=1",
                "segment stopwords rights=0x41 size=" + contents.length + " crc=" + crc.getValue() + " readonly=True",
                "memoryview write: cannot modify read-only memory",
                "mmap_write_errno=EACCES",
                "mprotect_write_errno=EACCES",
                "segment scratch rights=0x43 size=4096 crc=" + zeros.getValue() + " readonly=False",
                "wrote scratch",
                "missing TRINDLE_E_NOT_FOUND -12: trindle_segment: worker 'python-probe' has no grant of a segment " +
                    "named 'never-granted'; its grants are [stopwords (segment), scratch (segment)]: add it under " +
                    "grants in the pipeline config",
                "after close fds: 0 1 2",
                "after close memfd mappings: 0"), probe.stdoutLines(), probe.logs());
            final byte[] written = new byte[17];
            scratch.getBytes(0, written, 0, written.length);
            assertEquals("written by Python", new String(written, StandardCharsets.US_ASCII));
            assertEquals(words[0], stopwords.getByte(0), "the read-only segment is unchanged");
        }
    }
}
