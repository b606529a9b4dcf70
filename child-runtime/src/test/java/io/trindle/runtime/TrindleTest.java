package io.trindle.runtime;

import io.trindle.ipc.Allocators;
import io.trindle.ipc.ControlChannel;
import io.trindle.ipc.ControlMessage;
import io.trindle.ipc.Handle;
import io.trindle.ipc.Inbox;
import io.trindle.ipc.LaneSender;
import io.trindle.ipc.ObjectKind;
import io.trindle.ipc.Pipe;
import io.trindle.ipc.PipeReceiver;
import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;
import io.trindle.ipc.Segment;
import io.trindle.ipc.WaitStrategy;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The worker runtime against a supervisor played by the test, over a real control channel. */
class TrindleTest
{
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    @Test
    void shouldConnectExchangeAndEndItsStreams() throws Exception
    {
        final Pipe wordsReplica0 = Pipe.create(4096);
        final Pipe wordsReplica1 = Pipe.create(4096);
        final Pipe lines = Pipe.create(4096);
        final ControlChannel[] pair = ControlChannel.pair();
        try (ControlChannel supervisor = pair[0];
            Handle words0 = wordsReplica0.newLane(); Handle words1 = wordsReplica1.newLane();
            Handle linesLane = lines.newLane();
            Segment dictionary = Segment.allocate(4096))
        {
            dictionary.putLong(0, 4242);
            supervisor.send(new ControlMessage.Hello("wordcount", "splitter", 1, 2));
            supervisor.send(new ControlMessage.Grant("words", Rights.of(Right.SEND), ObjectKind.PIPE,
                ControlMessage.Grant.KEY, List.of(words0.duplicate(Rights.of(Right.SEND, Right.TRANSFER)),
                    words1.duplicate(Rights.of(Right.SEND, Right.TRANSFER)))));
            supervisor.send(new ControlMessage.Grant("lines", Rights.of(Right.RECEIVE), ObjectKind.PIPE,
                ControlMessage.Grant.ROUND_ROBIN, List.of(linesLane.duplicate(Rights.of(Right.RECEIVE,
                    Right.TRANSFER)))));
            supervisor.send(new ControlMessage.Grant("dictionary", Rights.of(Right.READ), ObjectKind.SEGMENT,
                ControlMessage.Grant.ROUND_ROBIN, List.of(dictionary.duplicate(Rights.of(Right.READ,
                    Right.TRANSFER)))));
            supervisor.send(new ControlMessage.GrantsDone());

            final Trindle trindle = Trindle.connect(pair[1], WaitStrategy.DEFAULT);
            final LaneSender linesSender = LaneSender.open(linesLane.duplicate(Rights.of(Right.SEND)));
            try (Outbox outbox = new Outbox(16, 4096);
                PipeReceiver wordsReceiver = PipeReceiver.open(List.of(words0.duplicate(Rights.of(Right.RECEIVE)),
                    words1.duplicate(Rights.of(Right.RECEIVE))), null))
            {
                assertEquals("wordcount", trindle.pipeline());
                assertEquals("splitter", trindle.worker());
                assertEquals(1, trindle.replica());
                assertEquals(2, trindle.replicas());
                assertEquals(4242, trindle.segment("dictionary").getLong(0));
                assertEquals(Rights.of(Right.READ, Right.TRANSFER), trindle.segment("dictionary").rights());
                trindle.ready();
                assertEquals(new ControlMessage.Ready(), supervisor.receive());

                final IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                    () -> trindle.sender("wrods"));
                assertEquals("worker 'splitter' has no grant of a pipe to send on named 'wrods'; its grants are " +
                    "[words (send), dictionary (segment), lines (receive)]: add it under grants in the pipeline " +
                    "config", missing.getMessage());

                final PipeSender words = trindle.sender("words");
                assertEquals(2, words.replicas());
                assertTrue(words.partitionsByKey());
                // Keys decide the replica: keys 0..9 use both replicas.
                for (long key = 0; key < 10; key++)
                {
                    assertTrue(outbox.add(words, key, new byte[] {(byte)key}, 0, 1));
                }
                linesSender.trySend(new byte[] {7}, 0, 1);
                final Inbox inbox = new Inbox(8);
                assertEquals(1, trindle.exchange(outbox, inbox, 10 * SECOND));
                assertEquals("lines", trindle.inputName(inbox.get(0)));
                assertEquals(7, inbox.get(0).getByte(0));
                assertTrue(outbox.isEmpty(), "exchange sent the outbox");

                final Inbox received = new Inbox(16);
                assertEquals(10, wordsReceiver.poll(received));
                final boolean[] replicaUsed = new boolean[2];
                for (int i = 0; i < received.size(); i++)
                {
                    final int replica = received.get(i).pipeId() == wordsReplica0.objectId() ? 0 : 1;
                    replicaUsed[replica] = true;
                }
                assertTrue(replicaUsed[0] && replicaUsed[1], "keys spread over both replicas");
                received.release();

                linesSender.close(); // the end of the only input
                assertEquals(Trindle.END_OF_STREAM, trindle.exchange(outbox, inbox, 10 * SECOND));

                supervisor.send(new ControlMessage.Stop());
                final long deadline = System.nanoTime() + 10 * SECOND;
                while (!trindle.stopRequested() && System.nanoTime() < deadline)
                {
                    Thread.sleep(1);
                }
                assertTrue(trindle.stopRequested());
                trindle.close();
                assertEquals(0, wordsReceiver.receive(received, SECOND / 10),
                    "closing the runtime leaves its output streams open: a restart carries on in them, and the " +
                    "supervisor ends them when the worker exits for good");
                assertEquals(null, supervisor.receive(), "and closed the control channel");
            }
            finally
            {
                linesSender.close();
                trindle.close();
            }
        }
    }

    @Test
    void shouldPairEachRequestWithItsReplyAndReturnBouncesInItsOwnTypes() throws Exception
    {
        final Pipe own = Pipe.create(4096);
        final ControlChannel[] pair = ControlChannel.pair();
        try (ControlChannel supervisor = pair[0]; Handle lane = own.newLane();
            Segment returned = Segment.allocate(4096))
        {
            supervisor.send(new ControlMessage.Hello("mail", "alice", 0, 1));
            supervisor.send(new ControlMessage.GrantsDone());
            try (Trindle trindle = Trindle.connect(pair[1], WaitStrategy.DEFAULT))
            {
                final CompletableFuture<Handle> created = CompletableFuture.supplyAsync(() -> trindle.createPipe(4096));
                final ControlMessage.CreatePipe request =
                    assertInstanceOf(ControlMessage.CreatePipe.class, supervisor.receive());
                assertEquals(4096, request.laneCapacity());
                // A reply to another request is not this call's answer.
                supervisor.send(new ControlMessage.Handles(request.request() + 1, ControlMessage.Status.OK, "",
                    List.of()));
                supervisor.send(new ControlMessage.Handles(request.request(), ControlMessage.Status.OK, "",
                    List.of(lane.duplicate(Rights.PIPE_ALL))));
                try (Handle pipe = created.get(10, TimeUnit.SECONDS))
                {
                    assertEquals(own.objectId(), pipe.objectId());
                    assertEquals(Rights.PIPE_ALL, pipe.rights());
                }

                supervisor.send(new ControlMessage.Bounce("mail", 7, "no thanks", new byte[] {'h', 'i'},
                    List.of(returned.duplicate(Rights.of(Right.READ, Right.TRANSFER)))));
                List<Bounce> bounces = trindle.bounces();
                final long deadline = System.nanoTime() + 10 * SECOND;
                while (bounces.isEmpty() && System.nanoTime() < deadline)
                {
                    Thread.sleep(1);
                    bounces = trindle.bounces();
                }
                assertEquals(1, bounces.size());
                final Bounce bounce = bounces.getFirst();
                assertEquals("mail", bounce.pipe());
                assertEquals(7, bounce.sequence());
                assertEquals("no thanks", bounce.reason());
                assertArrayEquals(new byte[] {'h', 'i'}, bounce.head());
                assertEquals(returned.handle().objectId(), bounce.handles().getFirst().objectId());
                assertEquals(Rights.of(Right.READ, Right.TRANSFER), bounce.handles().getFirst().rights());
                assertEquals(List.of(), trindle.bounces(), "drained");

                // The returned handle is this worker's again: it may attach it.
                final Attachment attachment = Trindle.move(bounce.handles().getFirst());
                assertEquals(new Attachment(returned.handle().objectId(), Rights.of(Right.READ, Right.TRANSFER),
                    false), attachment);
                bounce.handles().getFirst().close();
            }
        }
    }

    @Test
    void shouldAskForObjectsFromAnAllocatorAndQueueNoticesInOrder() throws Exception
    {
        final ControlChannel[] pair = ControlChannel.pair();
        try (ControlChannel supervisor = pair[0]; Handle scratch = Allocators.create(40960);
            Segment given = Segment.allocate(4096))
        {
            supervisor.send(new ControlMessage.Hello("p", "maker", 0, 1));
            supervisor.send(new ControlMessage.Grant("scratch", Rights.of(Right.ALLOCATE), ObjectKind.ALLOCATOR,
                ControlMessage.Grant.ROUND_ROBIN, List.of(scratch.duplicate(Rights.of(Right.ALLOCATE)))));
            supervisor.send(new ControlMessage.GrantsDone());
            try (Trindle trindle = Trindle.connect(pair[1], WaitStrategy.DEFAULT))
            {
                final Handle allocator = trindle.allocator("scratch");
                assertEquals(ObjectKind.ALLOCATOR, allocator.kind());
                assertEquals(scratch.objectId(), allocator.objectId());

                final CompletableFuture<Segment> refused =
                    CompletableFuture.supplyAsync(() -> trindle.createSegment(allocator, 8192));
                final ControlMessage.CreateSegment request =
                    assertInstanceOf(ControlMessage.CreateSegment.class, supervisor.receive());
                assertEquals(List.of(scratch.objectId(), 8192L), List.of(request.allocatorId(), request.size()));
                supervisor.send(new ControlMessage.Handles(request.request(), ControlMessage.Status.OVER_QUOTA,
                    "allocator 'scratch' cannot give 8192 bytes: quota 40960 bytes, in use 36864, asked 8192",
                    List.of()));
                final ExecutionException e = assertThrows(ExecutionException.class,
                    () -> refused.get(10, TimeUnit.SECONDS));
                final AllocationException over = assertInstanceOf(AllocationException.class, e.getCause());
                assertEquals(ControlMessage.Status.OVER_QUOTA, over.status());
                assertEquals("createSegment(size=8192) refused: allocator 'scratch' cannot give 8192 bytes: quota " +
                    "40960 bytes, in use 36864, asked 8192", over.getMessage());

                final CompletableFuture<Handle> pipe = CompletableFuture.supplyAsync(
                    () -> trindle.createPipe(allocator, 4096));
                final ControlMessage.CreatePipe asked =
                    assertInstanceOf(ControlMessage.CreatePipe.class, supervisor.receive());
                assertEquals(scratch.objectId(), asked.allocatorId(), "the pipe names its allocator");
                supervisor.send(new ControlMessage.Handles(asked.request(), ControlMessage.Status.NO_ALLOCATE_RIGHT,
                    "no", List.of()));
                final ExecutionException noRight = assertThrows(ExecutionException.class,
                    () -> pipe.get(10, TimeUnit.SECONDS));
                assertEquals(ControlMessage.Status.NO_ALLOCATE_RIGHT,
                    assertInstanceOf(AllocationException.class, noRight.getCause()).status());

                supervisor.send(new ControlMessage.Notice(ControlMessage.Notice.PRESSURE_ABOVE, 80,
                    scratch.objectId(), 32768, 40960, "above 80", List.of()));
                supervisor.send(new ControlMessage.Notice(ControlMessage.Notice.PRESSURE_ABOVE, 95,
                    scratch.objectId(), 40960, 40960, "above 95", List.of()));
                supervisor.send(new ControlMessage.Notice(ControlMessage.Notice.GRANTED, 0, given.handle().objectId(),
                    0, 0, "yours", List.of(given.duplicate(Rights.of(Right.READ, Right.TRANSFER)))));
                final List<Notice> notices = new ArrayList<>();
                final long deadline = System.nanoTime() + 10 * SECOND;
                while (notices.size() < 3 && System.nanoTime() < deadline)
                {
                    notices.addAll(trindle.notices());
                    Thread.onSpinWait();
                }
                assertEquals(List.of(Notice.Kind.PRESSURE_ABOVE, Notice.Kind.PRESSURE_ABOVE, Notice.Kind.GRANTED),
                    notices.stream().map(Notice::kind).toList());
                assertEquals(List.of(80, 95), List.of(notices.get(0).percent(), notices.get(1).percent()));
                assertEquals(40960, notices.get(1).used());
                final Handle granted = notices.get(2).handles().getFirst();
                assertEquals(new Attachment(given.handle().objectId(), Rights.of(Right.READ, Right.TRANSFER), false),
                    Trindle.move(granted), "a granted handle is this worker's to attach");
                granted.close();
            }
        }
    }

    @Test
    void shouldRefuseToStartWithoutAHello()
    {
        final ControlChannel[] pair = ControlChannel.pair();
        try (ControlChannel supervisor = pair[0])
        {
            supervisor.send(new ControlMessage.GrantsDone());
            final IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Trindle.connect(pair[1], WaitStrategy.DEFAULT));
            assertTrue(e.getMessage().contains("not a hello: is this process running under trindle?"), e.getMessage());
        }
    }
}
