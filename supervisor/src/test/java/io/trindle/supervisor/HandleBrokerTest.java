package io.trindle.supervisor;

import io.trindle.ipc.ControlChannel;
import io.trindle.ipc.ControlMessage;
import io.trindle.ipc.Handle;
import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;
import io.trindle.ipc.Segment;
import io.trindle.supervisor.config.PipelineConfig;
import io.trindle.supervisor.config.PipelineConfigParser;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@link HandleBroker} answers transfers and redemptions on a control channel's reader thread, while the loop
 * thread grants and forgets processes: a request is answered only for the process being served, never for one
 * whose exit the loop has handled, and a race between the two leaves no fd behind and none sent where it was not
 * granted.
 */
class HandleBrokerTest
{
    private static final String CONFIG = """
        pipes:
          there: { lane: 4KiB }
        segments:
          token: { size: 4KiB }
        workers:
          ping: { command: [./ping], grants: { there: send, token: [read, write, transfer] } }
          pong: { command: [./pong], grants: { there: receive } }
        """;
    private static final Rights MOVED = Rights.of(Right.READ, Right.WRITE, Right.TRANSFER);

    private final ByteArrayOutputStream said = new ByteArrayOutputStream();
    /** Each worker's channel pair: the supervisor's end, then the worker's. */
    private final Map<WorkerProcess, ControlChannel[]> channels = new IdentityHashMap<>();
    private ObjectTable objects;
    private HandleBroker broker;
    private WorkerProcess ping;
    private WorkerProcess pong;
    /** The workers' ends of their control channels. */
    private ControlChannel pingEnd;
    private ControlChannel pongEnd;
    private long pipeId;
    private long segmentId;
    private long fdsBefore;

    @BeforeEach
    void start() throws Exception
    {
        // The JDK's SecureRandom (the tokens') keeps /dev/random and /dev/urandom open once used: open them first.
        new SecureRandom().nextLong();
        fdsBefore = openFds();
        final PipelineConfig config = PipelineConfigParser.parse(Path.of("broker.yaml"), CONFIG);
        objects = new ObjectTable(config);
        ping = new WorkerProcess(config.workers().get("ping"), 0);
        pong = new WorkerProcess(config.workers().get("pong"), 0);
        final PrintStream out = new PrintStream(said, true, StandardCharsets.UTF_8);
        final Log log = new Log(out, out, Log.Format.TEXT, new LogClock(Log.Time.NONE), false, false);
        broker = new HandleBroker(objects, List.of(ping, pong), new Reporter(log), new Tally());
        pipeId = objects.pipeInstances().getFirst().pipe().objectId();
        pingEnd = startProcess(ping, 1);
        pongEnd = startProcess(pong, 1);
        segmentId = 0;
        for (final ObjectTable.GrantPlan plan : objects.grantsOf(ping.config, 0))
        {
            if (plan.name().equals("token"))
            {
                segmentId = plan.handles().getFirst().objectId();
            }
        }
    }

    @AfterEach
    void close() throws Exception
    {
        for (final ControlChannel[] pair : channels.values())
        {
            pair[0].close();
            pair[1].close();
        }
        broker.close();
        objects.close();
        assertEquals(fdsBefore, openFds(), "every fd the broker sent or kept is closed");
    }

    @Test
    void shouldAnswerATransferAndItsRedemptionOnlyForTheProcessServed()
    {
        assertFalse(broker.answer(ping, 2, ping.channel, transfer()), "a process of another generation");
        assertTrue(broker.answer(ping, 1, ping.channel, transfer()));
        final ControlMessage.TransferReply reply = assertInstanceOf(ControlMessage.TransferReply.class,
            pingEnd.receive());
        assertEquals(ControlMessage.Status.OK, reply.status(), reply.reason());

        assertFalse(broker.answer(pong, 1, pong.channel, new ControlMessage.GrantsDone()), "only moves are answered");
        assertTrue(broker.answer(pong, 1, pong.channel, redeem(reply.token())));
        final ControlMessage.Handles handles = assertInstanceOf(ControlMessage.Handles.class, pongEnd.receive());
        assertEquals(ControlMessage.Status.OK, handles.status(), handles.reason());
        assertEquals(1, handles.handles().size());
        assertEquals(MOVED, handles.handles().getFirst().rights());
        handles.handles().forEach(Handle::close);

        // Refusals are answered and said as the loop's are: a token spent, a handle no longer held.
        assertTrue(broker.answer(pong, 1, pong.channel, redeem(reply.token())));
        assertEquals(ControlMessage.Status.ALREADY_REDEEMED,
            assertInstanceOf(ControlMessage.Handles.class, pongEnd.receive()).status());
        assertTrue(broker.answer(ping, 1, ping.channel, transfer()));
        assertEquals(ControlMessage.Status.NOT_HELD,
            assertInstanceOf(ControlMessage.TransferReply.class, pingEnd.receive()).status());
        final String log = said.toString(StandardCharsets.UTF_8);
        assertTrue(log.contains("already redeemed") && log.contains("refused a transfer by worker ping"), log);

        broker.close();
        assertFalse(broker.answer(pong, 1, pong.channel, redeem(reply.token())), "a closed broker answers nothing");
    }

    @Test
    void shouldRefuseEveryMoveOfARevokedSegmentAndCancelATransferBoundForItsFormerHolder()
    {
        // A message on its way to a process whose handle is then revoked is cancelled: its token is refused.
        assertTrue(broker.answer(ping, 1, ping.channel, transfer()));
        final long token = assertInstanceOf(ControlMessage.TransferReply.class, pingEnd.receive()).token();
        broker.revoke(pong, segmentId);
        assertTrue(broker.answer(pong, 1, pong.channel, redeem(token)));
        final ControlMessage.Handles cancelled = assertInstanceOf(ControlMessage.Handles.class, pongEnd.receive());
        assertEquals(ControlMessage.Status.ALREADY_REDEEMED, cancelled.status());
        assertTrue(cancelled.reason().contains("cancelled: it carried a segment revoked from pong"),
            cancelled.reason());
        assertTrue(cancelled.handles().isEmpty());
    }

    @Test
    void shouldForgetARevokedHandleAndMoveTheOtherHoldersToTheCopy() throws Exception
    {
        final Segment old = objects.segment("token");
        try (Segment copy = Segment.allocate(old.handle().rights(), old.size()))
        {
            // The remaining holder is told, with a handle to the copy and exactly the rights it held.
            assertEquals(List.of(ping), broker.rehome(old.handle(), copy.handle(), "token"));
            final ControlMessage.Rehome rehome = assertInstanceOf(ControlMessage.Rehome.class, pingEnd.receive());
            assertEquals(segmentId, rehome.oldObjectId());
            assertEquals(copy.handle().objectId(), rehome.handles().getFirst().objectId());
            assertEquals(MOVED, rehome.handles().getFirst().rights());
            rehome.handles().forEach(Handle::close);
            assertFalse(broker.holds(ping, segmentId));
            assertTrue(broker.holds(ping, copy.handle().objectId()));

            // Revoked, it may move the copy no more: the table refuses it.
            broker.revoke(ping, copy.handle().objectId());
            assertFalse(broker.holds(ping, copy.handle().objectId()));
            assertTrue(broker.answer(ping, 1, ping.channel, new ControlMessage.Transfer(1, pipeId, 0,
                List.of(new ControlMessage.Attachment(copy.handle().objectId(), MOVED, false)))));
            assertEquals(ControlMessage.Status.NOT_HELD,
                assertInstanceOf(ControlMessage.TransferReply.class, pingEnd.receive()).status());
        }
    }

    @Test
    void shouldNeverAnswerARedemptionOnceTheLoopHandledTheReceiversExit() throws Exception
    {
        for (long generation = 1; generation <= 200; generation++)
        {
            // Fresh processes of both: ping holds its segment again, pong is served.
            broker.forget(ping);
            broker.forget(pong);
            pingEnd = startProcess(ping, generation);
            pongEnd = startProcess(pong, generation);
            assertTrue(broker.answer(ping, generation, ping.channel, transfer()));
            final ControlMessage.TransferReply reply = assertInstanceOf(ControlMessage.TransferReply.class,
                pingEnd.receive());
            assertEquals(ControlMessage.Status.OK, reply.status(), reply.reason());

            // The reader redeems while the loop handles the receiver's exit, both let go at once.
            final CyclicBarrier both = new CyclicBarrier(2);
            final AtomicBoolean wasAnswered = new AtomicBoolean();
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final long served = generation;
            final Thread reader = Thread.ofPlatform().start(() ->
            {
                try
                {
                    both.await();
                    wasAnswered.set(broker.answer(pong, served, pong.channel, redeem(reply.token())));
                }
                catch (final Exception | Error e)
                {
                    failure.set(e);
                }
            });
            both.await();
            broker.forget(pong);
            pong.state = WorkerProcess.State.EXITED;
            reader.join();
            assertNull(failure.get());
            assertFalse(broker.answer(pong, generation, pong.channel, redeem(reply.token())),
                "never answered after its exit was handled");

            // What the receiver's end holds: the redemption's answer with the handle, or nothing at all.
            pong.channel.send(new ControlMessage.GrantsDone());
            final ControlMessage first = pongEnd.receive();
            if (wasAnswered.get())
            {
                final ControlMessage.Handles handles = assertInstanceOf(ControlMessage.Handles.class, first);
                assertEquals(ControlMessage.Status.OK, handles.status(), handles.reason());
                assertEquals(1, handles.handles().size());
                handles.handles().forEach(Handle::close);
                assertInstanceOf(ControlMessage.GrantsDone.class, pongEnd.receive());
            }
            else
            {
                assertInstanceOf(ControlMessage.GrantsDone.class, first, "no fd went to a process that is gone");
            }
            // Either outcome may come, as the scheduler has it; what may not is an answer after the exit, which
            // would leave the segment in the table of a process that is gone, for its successor to use.
            pongEnd = startProcess(pong, generation + 1_000);
            broker.onCreateBundle(pong, new ControlMessage.CreateBundle(3, List.of(new ControlMessage.Attachment(
                segmentId, MOVED, false)), new byte[0]));
            assertEquals(ControlMessage.Status.NOT_HELD,
                assertInstanceOf(ControlMessage.Handles.class, pongEnd.receive()).status(),
                "the next process of pong holds nothing it was not granted");
        }
    }

    @Test
    void shouldRefuseATransferOnceTheLoopHandledTheSendersExit() throws Exception
    {
        for (long generation = 1; generation <= 200; generation++)
        {
            broker.forget(ping);
            pingEnd = startProcess(ping, generation);
            final CyclicBarrier both = new CyclicBarrier(2);
            final AtomicBoolean wasAnswered = new AtomicBoolean();
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final long served = generation;
            final Thread reader = Thread.ofPlatform().start(() ->
            {
                try
                {
                    both.await();
                    wasAnswered.set(broker.answer(ping, served, ping.channel, transfer()));
                }
                catch (final Exception | Error e)
                {
                    failure.set(e);
                }
            });
            both.await();
            broker.forget(ping);
            ping.state = WorkerProcess.State.EXITED;
            reader.join();
            assertNull(failure.get());
            // Forgotten: even a late transfer that slipped past the generation check would find nothing held.
            ping.state = WorkerProcess.State.RUNNING;
            assertFalse(broker.answer(ping, generation, ping.channel, transfer()), "never after the exit");
            ping.channel.send(new ControlMessage.GrantsDone());
            final ControlMessage first = pingEnd.receive();
            if (wasAnswered.get())
            {
                assertEquals(ControlMessage.Status.OK,
                    assertInstanceOf(ControlMessage.TransferReply.class, first).status());
                assertInstanceOf(ControlMessage.GrantsDone.class, pingEnd.receive());
            }
            else
            {
                assertInstanceOf(ControlMessage.GrantsDone.class, first);
            }
        }
    }

    /**
     * Grants a process of {@code worker}, as the loop does at its start, and drains its grants; the channel of its
     * previous process is closed.
     */
    private ControlChannel startProcess(final WorkerProcess worker, final long generation) throws Exception
    {
        final ControlChannel[] pair = ControlChannel.pair();
        final ControlChannel[] previous = channels.put(worker, pair);
        if (previous != null)
        {
            previous[0].close();
            previous[1].close();
        }
        worker.channel = pair[0];
        worker.generation = generation;
        worker.state = WorkerProcess.State.RUNNING;
        broker.grant(worker, generation);
        ControlMessage message;
        do
        {
            message = pair[1].receive();
            message.handles().forEach(Handle::close);
        }
        while (!(message instanceof ControlMessage.GrantsDone));
        return pair[1];
    }

    private ControlMessage.Transfer transfer()
    {
        return new ControlMessage.Transfer(1, pipeId, 0, List.of(new ControlMessage.Attachment(segmentId, MOVED,
            false)));
    }

    private ControlMessage.Redeem redeem(final long token)
    {
        return new ControlMessage.Redeem(2, token, pipeId, 0, 0);
    }

    private static long openFds() throws IOException
    {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd")))
        {
            return fds.count();
        }
    }
}
