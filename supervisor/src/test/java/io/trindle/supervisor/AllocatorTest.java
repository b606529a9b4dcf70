package io.trindle.supervisor;

import io.trindle.ipc.Allocators;
import io.trindle.ipc.ControlChannel;
import io.trindle.ipc.ControlMessage;
import io.trindle.ipc.Handle;
import io.trindle.ipc.ObjectKind;
import io.trindle.ipc.Rights;
import io.trindle.supervisor.config.PipelineConfig;
import io.trindle.supervisor.config.PipelineConfigParser;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Allocators in the supervisor: quotas refused with nothing made, bytes given back when objects are freed, child
 * allocators reserved from their parents, and pressure notices in order. The workers are played by the test over
 * real control channels.
 */
class AllocatorTest
{
    private static final long PAGE = 4096;
    private static final String CONFIG = """
        allocators:
          scratch: { quota: 40KiB }
        segments:
          charged: { size: 4KiB, allocator: scratch }
        workers:
          maker: { command: [./maker], grants: { scratch: [allocate, transfer] } }
          looker: { command: [./looker], grants: { scratch: transfer } }
        """;

    private final List<ControlChannel> ends = new ArrayList<>();
    private ObjectTable objects;
    private HandleBroker broker;
    private WorkerProcess maker;
    private WorkerProcess looker;
    private ControlChannel makerEnd;
    private ControlChannel lookerEnd;
    private long scratch;
    private long request;

    @BeforeEach
    void start() throws Exception
    {
        final PipelineConfig config = PipelineConfigParser.parse(Path.of("allocators.yaml"), CONFIG);
        objects = new ObjectTable(config);
        maker = new WorkerProcess(config.workers().get("maker"), 0);
        looker = new WorkerProcess(config.workers().get("looker"), 0);
        final PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        final Log log = new Log(out, out, Log.Format.TEXT, new LogClock(Log.Time.NONE), false, false);
        broker = new HandleBroker(objects, List.of(maker, looker), new Reporter(log), new Tally());
        makerEnd = startProcess(maker);
        lookerEnd = startProcess(looker);
        scratch = objects.allocations().all().stream().filter(a -> a.name.equals("scratch")).findFirst()
            .orElseThrow().id;
    }

    @AfterEach
    void close()
    {
        ends.forEach(ControlChannel::close);
        broker.close();
        objects.close();
    }

    @Test
    void shouldChargeTheConfigsObjectsAndRefuseWhatPassesTheQuotaWithNothingMade()
    {
        assertEquals(PAGE, used("scratch"), "the config's segment is charged to the allocator it names");
        assertTrue(used(Allocations.PIPELINE) == 0, "and nothing else to the pipeline's root here");

        final Handle first = created(createSegment(scratch, 8 * PAGE));
        assertEquals(8 * PAGE, first.size());
        assertEquals(9 * PAGE, used("scratch"));

        final ControlMessage.Handles refused = createSegment(scratch, 2 * PAGE - 100);
        assertEquals(ControlMessage.Status.OVER_QUOTA, refused.status());
        assertEquals("allocator 'scratch' (0x" + Long.toHexString(scratch) + ") cannot give 8192 bytes: quota " +
            "40960 bytes, in use 36864, asked 8192", refused.reason());
        assertEquals(List.of(), refused.handles());
        assertEquals(9 * PAGE, used("scratch"), "nothing was charged");

        final ControlMessage.Handles pipe = call(makerEnd, new ControlMessage.CreatePipe(++request, 1 << 20,
            scratch));
        assertEquals(ControlMessage.Status.OVER_QUOTA, pipe.status(), pipe.reason());
        assertTrue(pipe.reason().contains("asked " + (PAGE + (1 << 20))), pipe.reason());
        first.close();
    }

    @Test
    void shouldRefuseAWorkerWithoutAllocateOrWithoutTheAllocator()
    {
        final ControlMessage.Handles noRight = call(lookerEnd, new ControlMessage.CreateSegment(++request, scratch,
            PAGE));
        assertEquals(ControlMessage.Status.NO_ALLOCATE_RIGHT, noRight.status());
        assertTrue(noRight.reason().contains("needs ALLOCATE, but worker looker holds only TRANSFER"),
            noRight.reason());
        final ControlMessage.Handles notHeld = call(lookerEnd, new ControlMessage.CreateAllocator(++request, 12345,
            PAGE));
        assertEquals(ControlMessage.Status.NOT_HELD, notHeld.status());
        assertEquals(PAGE, used("scratch"));
    }

    @Test
    void shouldGiveTheBytesOfAFreedObjectBack()
    {
        final Handle segment = created(createSegment(scratch, 3 * PAGE));
        final Handle pipe = created(call(makerEnd, new ControlMessage.CreatePipe(++request, 4096, scratch)));
        assertEquals(ObjectKind.PIPE, pipe.kind());
        assertEquals(PAGE + 3 * PAGE + 2 * PAGE, used("scratch"), "a lane file is 4 KiB of header and its ring");

        final ControlMessage.Handles released = call(makerEnd, new ControlMessage.Release(++request,
            segment.objectId()));
        assertEquals(ControlMessage.Status.OK, released.status(), released.reason());
        assertEquals(3 * PAGE, used("scratch"));

        final ControlMessage.Handles again = call(makerEnd, new ControlMessage.Release(++request,
            segment.objectId()));
        assertEquals(ControlMessage.Status.NOT_HELD, again.status());

        broker.forget(maker); // the holder exited
        assertEquals(PAGE, used("scratch"), "the pipe no one holds is freed");
        segment.close();
        pipe.close();
    }

    @Test
    void shouldChargeTheFirstFormOfCreatePipeToThePipelinesRoot()
    {
        final Handle pipe = created(call(lookerEnd, new ControlMessage.CreatePipe(++request, 4096)));
        assertEquals(2 * PAGE, used(Allocations.PIPELINE));
        assertEquals(PAGE, used("scratch"));
        pipe.close();
    }

    @Test
    void shouldReserveAChildsQuotaFromItsParentAndReturnItWhenTheChildIsClosed()
    {
        final Handle child = created(call(makerEnd, new ControlMessage.CreateAllocator(++request, scratch,
            6 * PAGE)));
        assertEquals(ObjectKind.ALLOCATOR, child.kind());
        assertEquals(Rights.ALLOCATOR_ALL, child.rights());
        assertEquals(7 * PAGE, used("scratch"));

        final ControlMessage.Handles tooMuch = call(makerEnd, new ControlMessage.CreateAllocator(++request, scratch,
            34 * PAGE));
        assertEquals(ControlMessage.Status.OVER_QUOTA, tooMuch.status(), "a child never exceeds its parent");
        final ControlMessage.Handles overChild = createSegment(child.objectId(), 7 * PAGE);
        assertEquals(ControlMessage.Status.OVER_QUOTA, overChild.status());
        assertTrue(overChild.reason().contains("quota 24576 bytes, in use 0, asked 28672"), overChild.reason());

        final Handle segment = created(createSegment(child.objectId(), 4 * PAGE));
        assertEquals(7 * PAGE, used("scratch"), "the child's use is within what it reserved");
        final Handle grandchild = created(call(makerEnd, new ControlMessage.CreateAllocator(++request,
            child.objectId(), 2 * PAGE)));
        assertEquals(6 * PAGE, objects.allocations().get(child.objectId()).used());

        final ControlMessage.Handles closed = call(makerEnd, new ControlMessage.Release(++request,
            child.objectId()));
        assertEquals(ControlMessage.Status.OK, closed.status(), closed.reason());
        assertEquals(PAGE + 4 * PAGE + 2 * PAGE, used("scratch"),
            "the child's quota came back; its segment and its own child are the parent's now");
        call(makerEnd, new ControlMessage.Release(++request, segment.objectId()));
        call(makerEnd, new ControlMessage.Release(++request, grandchild.objectId()));
        assertEquals(PAGE, used("scratch"));
        child.close();
        segment.close();
        grandchild.close();
    }

    @Test
    void shouldFreeAChildAllocatorWhoseOnlyHolderExitedWithWhatWasChargedToIt()
    {
        final Handle child = created(call(makerEnd, new ControlMessage.CreateAllocator(++request, scratch,
            5 * PAGE)));
        final Handle segment = created(createSegment(child.objectId(), 3 * PAGE));
        assertEquals(6 * PAGE, used("scratch"));
        broker.forget(maker);
        assertEquals(PAGE, used("scratch"), "the child and its segment, held by no one, are freed");
        assertEquals(List.of("pipeline", "scratch"), objects.allocations().all().stream().map(a -> a.name).toList());
        child.close();
        segment.close();
    }

    @Test
    void shouldNotifyEveryHolderAsTheUseCrosses80And95PercentAndBackInOrder()
    {
        // 40 KiB: 80 % is 8 pages, 95 % 9.5 pages. The config's segment holds 1.
        final Handle seven = created(createSegment(scratch, 7 * PAGE));
        assertPressure(makerEnd, ControlMessage.Notice.PRESSURE_ABOVE, 80, 8 * PAGE);
        assertPressure(lookerEnd, ControlMessage.Notice.PRESSURE_ABOVE, 80, 8 * PAGE);
        final Handle two = created(createSegment(scratch, 2 * PAGE));
        assertPressure(makerEnd, ControlMessage.Notice.PRESSURE_ABOVE, 95, 10 * PAGE);
        call(makerEnd, new ControlMessage.Release(++request, seven.objectId()));
        assertPressure(makerEnd, ControlMessage.Notice.PRESSURE_BELOW, 95, 3 * PAGE);
        assertPressure(makerEnd, ControlMessage.Notice.PRESSURE_BELOW, 80, 3 * PAGE);
        assertPressure(lookerEnd, ControlMessage.Notice.PRESSURE_ABOVE, 95, 10 * PAGE);
        assertPressure(lookerEnd, ControlMessage.Notice.PRESSURE_BELOW, 95, 3 * PAGE);
        assertPressure(lookerEnd, ControlMessage.Notice.PRESSURE_BELOW, 80, 3 * PAGE);
        seven.close();
        two.close();
    }

    @Test
    void shouldCrossSeveralThresholdsInOneChangeInOrder()
    {
        final Allocations allocations = new Allocations();
        try (Handle master = Allocators.create(100 * PAGE))
        {
            final Allocations.Allocator root = allocations.root("r", 100, master);
            allocations.charge(root, 1, 96);
            allocations.free(1);
            assertEquals(List.of(new Allocations.Crossing(root, 80, true, 96, 100),
                new Allocations.Crossing(root, 95, true, 96, 100), new Allocations.Crossing(root, 95, false, 0, 100),
                new Allocations.Crossing(root, 80, false, 0, 100)), allocations.drainCrossings());
            assertTrue(Allocations.atOrAbove(Long.MAX_VALUE / 10 * 8, Long.MAX_VALUE / 10 * 10, 80));
        }
    }

    @Test
    void shouldShowEachAllocatorsQuotaUseAndHoldersInStatus() throws Exception
    {
        final Handle segment = created(createSegment(scratch, 2 * PAGE));
        final Snapshot snapshot = new Observer(objectsConfig(), List.of(maker, looker), objects, new Tally(), broker)
            .snapshot();
        final String table = Status.render(snapshot, new HashMap<>(), false);
        assertTrue(table.contains(String.format("%-24s %14s %14d %5s  %s%n", "scratch", "40960", 3 * PAGE, "30.0%",
            "looker,maker")), table);
        assertTrue(table.contains(String.format("%-24s %14s %14d %5s  %s%n", "pipeline", "unlimited", 0, "-",
            "-")), table);
        final String json = Status.render(snapshot, new HashMap<>(), true);
        assertTrue(json.contains("{\"name\":\"scratch\",\"id\":" + scratch + ",\"parent\":\"\",\"quota\":40960," +
            "\"used\":12288,\"charged\":12288,\"reserved\":0,\"usePercent\":30.0,\"holders\":[\"looker\",\"maker\"]}"),
            json);
        segment.close();
    }

    private PipelineConfig objectsConfig() throws Exception
    {
        return PipelineConfigParser.parse(Path.of("allocators.yaml"), CONFIG);
    }

    private void assertPressure(final ControlChannel end, final int notice, final int percent, final long used)
    {
        ControlMessage message;
        do
        {
            message = end.receive();
        }
        while (message instanceof ControlMessage.Handles);
        final ControlMessage.Notice got = assertInstanceOf(ControlMessage.Notice.class, message);
        assertEquals(List.of(notice, percent, scratch, used, 40960L), List.of(got.notice(), got.percent(),
            got.objectId(), got.used(), got.quota()), got.details());
    }

    private long used(final String name)
    {
        return objects.allocations().all().stream().filter(a -> a.name.equals(name)).findFirst().orElseThrow()
            .used();
    }

    private ControlMessage.Handles createSegment(final long allocator, final long size)
    {
        return call(makerEnd, new ControlMessage.CreateSegment(++request, allocator, size));
    }

    /** Hands the request to the broker as the loop does, and reads its answer, passing over earlier notices. */
    private ControlMessage.Handles call(final ControlChannel end, final ControlMessage.Request message)
    {
        final WorkerProcess worker = end == makerEnd ? maker : looker;
        switch (message)
        {
            case ControlMessage.CreateSegment create -> broker.onCreateSegment(worker, create);
            case ControlMessage.CreateAllocator create -> broker.onCreateAllocator(worker, create);
            case ControlMessage.CreatePipe create -> broker.onCreatePipe(worker, create);
            case ControlMessage.Release release -> broker.onRelease(worker, release);
            default -> throw new IllegalArgumentException(message.toString());
        }
        while (true)
        {
            // The answer comes before the notices it causes, so a test that reads those finds them after it.
            final ControlMessage reply = end.receive();
            if (reply instanceof ControlMessage.Handles handles && handles.request() == message.request())
            {
                return handles;
            }
        }
    }

    private static Handle created(final ControlMessage.Handles reply)
    {
        assertEquals(ControlMessage.Status.OK, reply.status(), reply.reason());
        return reply.handles().getFirst();
    }

    private ControlChannel startProcess(final WorkerProcess worker)
    {
        final ControlChannel[] pair = ControlChannel.pair();
        ends.add(pair[0]);
        ends.add(pair[1]);
        worker.channel = pair[0];
        worker.generation = 1;
        worker.state = WorkerProcess.State.RUNNING;
        broker.grant(worker, 1);
        ControlMessage message;
        do
        {
            message = pair[1].receive();
            message.handles().forEach(Handle::close);
        }
        while (!(message instanceof ControlMessage.GrantsDone));
        return pair[1];
    }
}
