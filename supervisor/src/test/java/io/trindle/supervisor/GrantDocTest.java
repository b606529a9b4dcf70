package io.trindle.supervisor;

import io.trindle.ipc.ControlMessage;
import io.trindle.ipc.Handle;
import io.trindle.ipc.LaneDescriptor;
import io.trindle.ipc.ObjectKind;
import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;
import io.trindle.supervisor.config.PipelineConfig;
import io.trindle.supervisor.config.PipelineConfigParser;
import io.trindle.supervisor.config.WorkerConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * docs/control-protocol.md §3 says what handles each grant carries, and which lane belongs to which sender; this is
 * what {@link ObjectTable} grants: exactly the granted rights, lanes in the documented order, and each lane's
 * handle entry (object id, offset, size) as the doc gives it.
 */
class GrantDocTest
{
    /** The doc's example of lane order, with the pipe and the segment it needs. */
    private static final String CONFIG = """
        pipes:
          lines: { lane: 4KiB }
          words: { lane: 8KiB }
        segments:
          table: { size: 4KiB }
        workers:
          reader:   { java: io.example.Reader, replicas: 2, grants: { lines: send, table: [read, duplicate] } }
          replayer: { command: [./replayer], grants: { lines: send, table: [read, write, transfer] } }
          splitter: { command: [./splitter], replicas: 3, grants: { lines: receive, words: send } }
          counter:  { command: [./counter], grants: { words: receive } }
        """;

    @Test
    void shouldStateTheRightsAndTheLaneOrderTheSupervisorGrants() throws Exception
    {
        final String doc = Files.readString(Path.of("..", "docs", "control-protocol.md")).replaceAll("\\s+", " ");
        assertTrue(doc.contains("| one: the segment, with exactly the granted rights (TRANSFER and DUPLICATE only if " +
            "granted); a grant without `write` is a read-only fd |"), "segment row");
        assertTrue(doc.contains("the i-th handle is the sender's lane in the pipe of receiving replica i " +
            "(see `docs/pipe-format.md`), with exactly SEND |"), "send row");
        assertTrue(doc.contains("| one lane per sending process, with exactly RECEIVE, in lane order: the i-th " +
            "handle is lane i."), "receive row");
        assertTrue(doc.contains("the splitter's lane 0 is `reader` replica 0, lane 1 `reader` replica 1, and lane 2 " +
            "`replayer`"), "lane order example");
        assertTrue(doc.contains("offset 0, and the size of the whole lane file, `4096 + capacity`"), "lane entry");

        final PipelineConfig config = PipelineConfigParser.parse(Path.of("grants.yaml"), CONFIG);
        try (ObjectTable objects = new ObjectTable(config))
        {
            // A segment: exactly the granted rights, TRANSFER and DUPLICATE only where granted.
            assertEquals(Rights.of(Right.READ, Right.DUPLICATE), grant(objects, config, "reader", 0, "table").rights());
            assertEquals(Rights.of(Right.READ, Right.WRITE, Right.TRANSFER),
                grant(objects, config, "replayer", 0, "table").rights());

            // Senders: one lane per receiving replica, in replica order, with exactly SEND.
            final List<ObjectTable.PipeInstance> lines = instances(objects, "lines");
            assertEquals(3, lines.size());
            for (int sender = 0; sender < 2; sender++)
            {
                final List<Handle> handles = handles(objects, config, "reader", sender, "lines");
                assertEquals(3, handles.size());
                for (int replica = 0; replica < 3; replica++)
                {
                    final Handle lane = handles.get(replica);
                    assertEquals(Rights.of(Right.SEND), lane.rights());
                    assertEquals(lines.get(replica).pipe().objectId(), lane.objectId(), "the pipe of replica i");
                    assertEquals(sender, laneId(lane), "reader replica " + sender + " is lane " + sender);
                }
            }
            assertEquals(2, laneId(handles(objects, config, "replayer", 0, "lines").getFirst()), "replayer is lane 2");

            // Receivers: one lane per sending process, in lane order, with exactly RECEIVE; the doc's handle entry.
            for (int replica = 0; replica < 3; replica++)
            {
                final List<Handle> handles = handles(objects, config, "splitter", replica, "lines");
                assertEquals(3, handles.size());
                for (int i = 0; i < handles.size(); i++)
                {
                    final Handle lane = handles.get(i);
                    assertEquals(Rights.of(Right.RECEIVE), lane.rights());
                    assertEquals(ObjectKind.PIPE, lane.kind());
                    assertEquals(i, laneId(lane), "the i-th handle is lane i");
                    assertEquals(lines.get(replica).pipe().objectId(), lane.objectId());
                    assertEquals(lane.objectId(), pipeId(lane), "the entry's object id is the header's pipe id");
                    assertEquals(0, lane.offset());
                    assertEquals(LaneDescriptor.HEADER_LENGTH + 4096, lane.size());
                }
            }
            assertEquals(LaneDescriptor.HEADER_LENGTH + 8192,
                handles(objects, config, "counter", 0, "words").getFirst().size());
        }
    }

    /** Every handle a grant made here: duplicates with fds of their own, closed after each test. */
    private final List<Handle> duplicates = new ArrayList<>();

    @AfterEach
    void closeDuplicates()
    {
        duplicates.forEach(Handle::close);
    }

    private static List<ObjectTable.PipeInstance> instances(final ObjectTable objects, final String pipe)
    {
        return objects.pipeInstances().stream().filter(instance -> instance.name().equals(pipe)).toList();
    }

    private ControlMessage.Grant grant(final ObjectTable objects, final PipelineConfig config,
        final String worker, final int replica, final String name)
    {
        final WorkerConfig workerConfig = config.workers().get(worker);
        for (final ObjectTable.GrantPlan plan : objects.grantsOf(workerConfig, replica))
        {
            if (plan.name().equals(name))
            {
                final ControlMessage.Grant grant = plan.toMessage();
                duplicates.addAll(grant.handles());
                for (final Handle handle : grant.handles())
                {
                    assertEquals(grant.rights(), handle.rights(), "every handle carries exactly the grant's rights");
                }
                return grant;
            }
        }
        throw new AssertionError(worker + " has no grant " + name);
    }

    /** @return the handles of a grant, as the supervisor would send them. */
    private List<Handle> handles(final ObjectTable objects, final PipelineConfig config, final String worker,
        final int replica, final String name)
    {
        return grant(objects, config, worker, replica, name).handles();
    }

    private static int laneId(final Handle lane) throws IOException
    {
        return header(lane).getInt(LaneDescriptor.LANE_ID_OFFSET);
    }

    private static long pipeId(final Handle lane) throws IOException
    {
        return header(lane).getLong(LaneDescriptor.PIPE_ID_OFFSET);
    }

    private static ByteBuffer header(final Handle lane) throws IOException
    {
        try (FileChannel file = FileChannel.open(Path.of("/proc/self/fd/" + lane.fd()), StandardOpenOption.READ))
        {
            final ByteBuffer header = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
            file.read(header, 0);
            return header;
        }
    }
}
