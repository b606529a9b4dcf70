package io.trindle.supervisor;

import io.trindle.ipc.Handle;
import io.trindle.ipc.LaneDescriptor;
import io.trindle.supervisor.config.PipelineConfig;
import io.trindle.supervisor.config.PipelineConfigParser;
import io.trindle.supervisor.config.WorkerConfig;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What {@code trindle status} renders from the supervisor's tables: lanes whose header a sender damaged count as
 * broken, in the table and in JSON, and only those; workers not spawned yet show as pending.
 */
class StatusTest
{
    private static final String CONFIG = """
        pipes:
          p: { lane: 4KiB }
        workers:
          source:
            command: [./source]
            replicas: 6
            grants: { p: send }
          sink:
            command: [./sink]
            grants: { p: receive }
        """;

    @Test
    void shouldCountEveryLaneWithADamagedHeaderAsBrokenAndNoOther() throws Exception
    {
        final PipelineConfig config = PipelineConfigParser.parse(Path.of("status.yaml"), CONFIG);
        try (ObjectTable objects = new ObjectTable(config))
        {
            final List<ObjectTable.Lane> lanes = objects.pipeInstances().getFirst().lanes();
            assertEquals(6, lanes.size());
            final String honest = render(config, workers(config), objects, true);
            assertTrue(honest.contains("{\"name\":\"p\",\"queued\":0,\"bytes\":0,\"released\":0," +
                "\"messagesPerSecond\":0,\"brokenLanes\":0,\"capacity\":24576,\"fillPercent\":0.0,"), honest);

            // What a sender can do to its own lane's header; the sixth lane is left alone.
            putLong(lanes.get(0).handle(), LaneDescriptor.TAIL_OFFSET, 0x0123_4567_89ab_cdefL); // a garbage tail
            putLong(lanes.get(1).handle(), LaneDescriptor.TAIL_OFFSET, 8 * 1024);               // past the capacity
            putLong(lanes.get(2).handle(), LaneDescriptor.HEAD_OFFSET, 48);                     // head past the tail
            putLong(lanes.get(3).handle(), LaneDescriptor.HEAD_OFFSET, 8);                      // head not aligned
            // A committed record of a type no receiver knows. (Damage to the magic after the lane was mapped is not
            // counted: the supervisor, like a receiver, checked the header once and keeps what it read.)
            putLong(lanes.get(4).handle(), LaneDescriptor.TAIL_OFFSET, LaneDescriptor.RECORD_ALIGNMENT);
            putLong(lanes.get(4).handle(), LaneDescriptor.HEADER_LENGTH + LaneDescriptor.RECORD_STAMP_OFFSET, 1);
            putInt(lanes.get(4).handle(), LaneDescriptor.HEADER_LENGTH + LaneDescriptor.RECORD_TYPE_OFFSET, 99);

            final String json = render(config, workers(config), objects, true);
            assertTrue(json.contains("\"name\":\"p\",\"queued\":0,\"bytes\":0,\"released\":0,\"messagesPerSecond\":0," +
                "\"brokenLanes\":5,\"capacity\":24576,\"fillPercent\":0.0,"), json);
            assertEquals(5, json.split("\"broken\":true", -1).length - 1, json);
            final String table = render(config, workers(config), objects, false);
            assertTrue(table.contains("\np                       0            0        24576   0.0%            0  " +
                "5 broken lane(s)\n"),
                table);
        }
    }

    @Test
    void shouldShowAWorkerNotSpawnedYetAsPendingWithoutAPid() throws Exception
    {
        final PipelineConfig config = PipelineConfigParser.parse(Path.of("status.yaml"), CONFIG);
        try (ObjectTable objects = new ObjectTable(config))
        {
            final List<WorkerProcess> workers = workers(config);
            final String table = render(config, workers, objects, false);
            assertTrue(table.contains(String.format("%n%-16s %8s  %-8s %8d %9ds %9s %9s  %n", "sink", "-", "pending",
                0, 0, "-", "-")),
                table);
            final String json = render(config, workers, objects, true);
            assertTrue(json.contains("{\"name\":\"sink\",\"replica\":0,\"pid\":0,\"state\":\"pending\",\"restarts\":0"),
                json);
        }
    }

    private static String render(final PipelineConfig config, final List<WorkerProcess> workers,
        final ObjectTable objects, final boolean json)
    {
        return Status.render(new Observer(config, workers, objects, new Tally()).snapshot(), new HashMap<>(), json);
    }

    private static List<WorkerProcess> workers(final PipelineConfig config)
    {
        final List<WorkerProcess> workers = new ArrayList<>();
        for (final WorkerConfig worker : config.workers().values())
        {
            for (int replica = 0; replica < worker.replicas(); replica++)
            {
                workers.add(new WorkerProcess(worker, replica));
            }
        }
        return workers;
    }

    private static void putLong(final Handle lane, final long offset, final long value) throws IOException
    {
        write(lane, offset, ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN).putLong(0, value));
    }

    private static void putInt(final Handle lane, final long offset, final int value) throws IOException
    {
        write(lane, offset, ByteBuffer.allocate(Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN).putInt(0, value));
    }

    /** Writes over the lane's file as its sender could, through another open file of the same memfd. */
    private static void write(final Handle lane, final long offset, final ByteBuffer bytes) throws IOException
    {
        try (FileChannel file = FileChannel.open(Path.of("/proc/self/fd/" + lane.fd()), StandardOpenOption.WRITE))
        {
            file.write(bytes, lane.offset() + offset);
        }
    }
}
