package io.trindle.shims;

import io.trindle.ipc.Handle;
import io.trindle.ipc.Inbox;
import io.trindle.ipc.LaneDescriptor;
import io.trindle.ipc.LaneSender;
import io.trindle.ipc.LaneState;
import io.trindle.ipc.Message;
import io.trindle.ipc.ObjectKind;
import io.trindle.ipc.Pipe;
import io.trindle.ipc.PipeReceiver;
import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;
import io.trindle.ipc.TestMessages;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A hostile sender damages its own lane — any field of the header, or the ring — and exits, beside an honest
 * sender's lane; a Java, C or Python receiver reads both. The damage comes before the receiver opens the lane (a
 * receiver restarted after it) or while it reads. Whatever the damage: the receiver neither crashes nor hangs;
 * every honest message arrives once, intact and in order; nothing false is delivered from the damaged lane; the
 * damaged lane ends or is reported broken; and once both senders are gone (the honest one ended its stream, the
 * supervisor ended the hostile one's as it does for a sender that exited) the receiver sees the end of the stream.
 */
class LaneHeaderFuzzTest
{
    private static final int CAPACITY = 1 << 16;
    private static final int BEFORE_MESSAGES = 40;
    private static final int AFTER_MESSAGES = 400;
    private static final int SEEDS = 2;
    private static final Rights SEND = Rights.of(Right.SEND, Right.TRANSFER);
    private static final Rights RECEIVE = Rights.of(Right.RECEIVE, Right.TRANSFER);
    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final Pattern LANE_LINE = Pattern.compile("lane (\\d+) received (\\d+) bad (\\d+) state (\\w+)");

    /** What a hostile sender overwrites: a header field (offset and width) or the ring. */
    enum Damage
    {
        MAGIC(LaneDescriptor.MAGIC_OFFSET, 4, true),
        VERSION(LaneDescriptor.VERSION_OFFSET, 2, true),
        CAPACITY(LaneDescriptor.CAPACITY_OFFSET, 4, true),
        MAX_PAYLOAD_LENGTH(LaneDescriptor.MAX_PAYLOAD_LENGTH_OFFSET, 4, true),
        READY(LaneDescriptor.READY_OFFSET, 4, true),
        PIPE_ID(LaneDescriptor.PIPE_ID_OFFSET, 8, false),
        LANE_ID(LaneDescriptor.LANE_ID_OFFSET, 4, true),
        TAIL(LaneDescriptor.TAIL_OFFSET, 8, false),
        HEAD(LaneDescriptor.HEAD_OFFSET, 8, false),
        RELEASED_COUNT(LaneDescriptor.RELEASED_COUNT_OFFSET, 8, false),
        RECEIVER_SLEEPING(LaneDescriptor.RECEIVER_SLEEPING_OFFSET, 4, false),
        SENDER_SLEEPING(LaneDescriptor.SENDER_SLEEPING_OFFSET, 4, false),
        ENDED(LaneDescriptor.ENDED_OFFSET, 4, false),
        TAP_HEAD(LaneDescriptor.TAP_HEAD_OFFSET, 8, false),
        RING(-1, 0, false);

        final int offset;
        final int width;
        /** Damage to this field before open must set the lane aside: it is checked at open (§3.2). */
        final boolean checkedAtOpen;

        Damage(final int offset, final int width, final boolean checkedAtOpen)
        {
            this.offset = offset;
            this.width = width;
            this.checkedAtOpen = checkedAtOpen;
        }
    }

    enum Receiver
    {
        JAVA, C, PYTHON
    }

    static Stream<Arguments> cases()
    {
        final List<Arguments> cases = new ArrayList<>();
        for (final Receiver receiver : Receiver.values())
        {
            for (final Damage damage : Damage.values())
            {
                for (final boolean beforeOpen : new boolean[] {true, false})
                {
                    for (int seed = 0; seed < SEEDS; seed++)
                    {
                        cases.add(Arguments.of(receiver, damage, beforeOpen, seed));
                    }
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} receiver, {1} damaged {2}, seed {3}")
    @MethodSource("cases")
    void shouldContainAnyDamageToALaneAndEndThePipe(final Receiver receiver, final Damage damage,
        final boolean beforeOpen, final int seed) throws Exception
    {
        final String label = receiver + " receiver, " + damage + (beforeOpen ? " before open" : " while reading") +
            ", seed " + seed;
        final Random random = new Random(seed * 31L + damage.ordinal());
        final Pipe pipe = Pipe.create(CAPACITY);
        try (Handle honest = pipe.newLane(); Handle hostile = pipe.newLane();
            LaneSender honestSender = LaneSender.open(honest.duplicate(SEND));
            LaneSender hostileSender = LaneSender.open(hostile.duplicate(SEND)))
        {
            final byte[] buffer = new byte[TestMessages.MAX_LENGTH];
            final int honestId = honestSender.laneId();
            final int hostileId = hostileSender.laneId();
            for (int i = 0; i < BEFORE_MESSAGES; i++)
            {
                assertTrue(honestSender.trySend(buffer, 0, TestMessages.fill(buffer, honestId, i)), label);
                assertTrue(hostileSender.trySend(buffer, 0, TestMessages.fill(buffer, hostileId, i)), label);
            }
            if (beforeOpen)
            {
                damage(hostile, damage, random);
            }
            final Reading reading = start(receiver, label, List.of(honest, hostile));
            if (!beforeOpen)
            {
                damage(hostile, damage, random);
            }
            for (int i = BEFORE_MESSAGES; i < BEFORE_MESSAGES + AFTER_MESSAGES; i++)
            {
                assertTrue(honestSender.send(buffer, 0, TestMessages.fill(buffer, honestId, i),
                    DEADLINE.toNanos()), label + ": the honest lane stayed full");
            }
            honestSender.endStream();
            // The hostile sender exits; the supervisor, which sees it, ends its lane without trusting a byte of it.
            Pipe.endLane(hostile);

            final Map<Integer, LaneResult> lanes = reading.finish();
            final LaneResult good = lanes.get(honestId);
            assertNotNull(good, label + ": " + lanes);
            assertEquals(new LaneResult(BEFORE_MESSAGES + AFTER_MESSAGES, 0, "ended"), good,
                label + ": every honest message, once, intact, in order, then the end");
            final LaneResult bad = lanes.getOrDefault(hostileId, lanes.get(UNKNOWN_LANE));
            assertNotNull(bad, label + ": " + lanes);
            assertTrue(bad.state.equals("ended") || bad.state.equals("corrupt"), label + ": " + bad);
            if (damage != Damage.RING && damage != Damage.HEAD)
            {
                // Header damage cannot make a message out of nothing: stamps still have to match. (A head moved
                // forward skips messages, a ring scribbled over changes payloads: the lane's own, and only those.)
                assertEquals(0, bad.bad, label + ": " + bad);
            }
            if (beforeOpen && damage.checkedAtOpen)
            {
                assertEquals("corrupt", bad.state, label + ": set aside at open");
            }
            assertEquals(bad.state.equals("corrupt") ? 1 : 0, reading.faults(), label +
                ": a broken lane is reported once, a sound one never: " + reading.output());
        }
    }

    /** The lane id a C receiver prints for a lane it set aside at open (TRINDLE_LANE_ID_UNKNOWN). */
    private static final int UNKNOWN_LANE = -1;

    /** Overwrites what {@code damage} names with values a hostile sender might choose, never the value there. */
    private static void damage(final Handle lane, final Damage damage, final Random random) throws IOException
    {
        try (Arena arena = Arena.ofConfined();
            FileChannel file = FileChannel.open(Path.of("/proc/self/fd/" + lane.fd()), StandardOpenOption.READ,
                StandardOpenOption.WRITE))
        {
            final MemorySegment memory = file.map(FileChannel.MapMode.READ_WRITE, 0, lane.size(), arena);
            if (damage == Damage.RING)
            {
                final MemorySegment ring = memory.asSlice(LaneDescriptor.HEADER_LENGTH);
                for (int i = 0; i < 20_000; i++)
                {
                    ring.set(ValueLayout.JAVA_BYTE, random.nextInt((int)ring.byteSize()), (byte)random.nextInt());
                }
                return;
            }
            final long[] choices = {0, -1, 1, 0xdeadbeefL, Long.MIN_VALUE, 16, random.nextLong(),
                random.nextLong() & -16L, random.nextInt(1 << 20) * 16L};
            long value;
            do
            {
                value = choices[random.nextInt(choices.length)];
            }
            while (truncated(value, damage.width) == read(memory, damage));
            switch (damage.width)
            {
                case 2 -> memory.set(ValueLayout.JAVA_SHORT, damage.offset, (short)value);
                case 4 -> memory.set(ValueLayout.JAVA_INT, damage.offset, (int)value);
                default -> memory.set(ValueLayout.JAVA_LONG, damage.offset, value);
            }
        }
    }

    private static long truncated(final long value, final int width)
    {
        return width == 2 ? (short)value : width == 4 ? (int)value : value;
    }

    private static long read(final MemorySegment memory, final Damage damage)
    {
        return switch (damage.width)
        {
            case 2 -> memory.get(ValueLayout.JAVA_SHORT, damage.offset);
            case 4 -> memory.get(ValueLayout.JAVA_INT, damage.offset);
            default -> memory.get(ValueLayout.JAVA_LONG, damage.offset);
        };
    }

    record LaneResult(long received, long bad, String state)
    {
    }

    /** A receiver at work: in this JVM, or a C or Python worker given the lanes as a supervisor would. */
    private interface Reading
    {
        /** Waits for the end of the stream; fails the test on a hang or a crash. @return each lane's result. */
        Map<Integer, LaneResult> finish() throws Exception;

        int faults();

        String output();
    }

    private static Reading start(final Receiver receiver, final String label, final List<Handle> lanes)
        throws InterruptedException
    {
        if (receiver == Receiver.JAVA)
        {
            return new JavaReading(label, lanes);
        }
        final String name = "fuzz-" + receiver.name().toLowerCase() + "-receiver";
        final CWorker worker = receiver == Receiver.C ? CWorker.start(name, "trindle-c-receiver", List.of()) :
            PythonWorker.startTest(name, "python-receiver.py", List.of());
        final List<Handle> granted = new ArrayList<>();
        lanes.forEach(lane -> granted.add(lane.duplicate(RECEIVE)));
        worker.setUp(CWorker.grant("numbers", Rights.of(Right.RECEIVE), ObjectKind.PIPE, granted));
        worker.awaitReady(DEADLINE);
        return new Reading()
        {
            @Override
            public Map<Integer, LaneResult> finish() throws InterruptedException
            {
                try (worker)
                {
                    worker.assertExits(0, DEADLINE);
                    final Map<Integer, LaneResult> results = new HashMap<>();
                    for (final String line : worker.stdoutLines())
                    {
                        final Matcher matcher = LANE_LINE.matcher(line);
                        if (matcher.matches())
                        {
                            final long id = Long.parseLong(matcher.group(1));
                            results.put(id == 0xffff_ffffL ? UNKNOWN_LANE : (int)id, new LaneResult(
                                Long.parseLong(matcher.group(2)), Long.parseLong(matcher.group(3)), matcher.group(4)));
                        }
                    }
                    assertTrue(worker.stdoutLines().contains("end-of-stream"), label + ": " + worker.logs());
                    return results;
                }
            }

            @Override
            public int faults()
            {
                return (int)worker.stdoutLines().stream().filter(line -> line.startsWith("fault ")).count();
            }

            @Override
            public String output()
            {
                return worker.logs();
            }
        };
    }

    /** The Java receiver, reading on a thread of its own until the end of the stream. */
    private static final class JavaReading implements Reading
    {
        private final List<String> faults = new ArrayList<>();
        private final Map<Integer, long[]> counts = new HashMap<>();
        private final PipeReceiver receiver;
        private final Thread thread;
        private final String label;
        private volatile Throwable failure;

        JavaReading(final String label, final List<Handle> lanes)
        {
            this.label = label;
            receiver = PipeReceiver.open(List.of(), (pipeId, laneId, reason) ->
            {
                synchronized (faults)
                {
                    faults.add(reason);
                }
            });
            // As the runtime adds a receive grant's lanes: the i-th handle is lane i.
            for (int laneId = 0; laneId < lanes.size(); laneId++)
            {
                receiver.addLane(lanes.get(laneId).duplicate(RECEIVE), laneId);
            }
            thread = Thread.ofPlatform().name("fuzz-java-receiver").start(this::read);
        }

        private void read()
        {
            try
            {
                final Inbox inbox = new Inbox(64);
                final byte[] scratch = new byte[TestMessages.MAX_LENGTH];
                int count;
                while ((count = receiver.receive(inbox, DEADLINE.toNanos())) != PipeReceiver.END_OF_STREAM)
                {
                    if (count == 0)
                    {
                        throw new AssertionError(label + ": nothing and no end of stream for " + DEADLINE);
                    }
                    for (int i = 0; i < count; i++)
                    {
                        final Message message = inbox.get(i);
                        final long[] lane = counts.computeIfAbsent(message.laneId(), id -> new long[2]);
                        if (TestMessages.check(message, message.laneId(), lane[0], scratch) != null)
                        {
                            lane[1]++;
                        }
                        lane[0]++;
                    }
                    inbox.release();
                }
            }
            catch (final Throwable e)
            {
                failure = e;
            }
        }

        @Override
        public Map<Integer, LaneResult> finish() throws InterruptedException
        {
            try (receiver)
            {
                thread.join(DEADLINE.toMillis());
                if (thread.isAlive())
                {
                    fail(label + ": the Java receiver hung");
                }
                if (failure != null)
                {
                    throw new AssertionError(label + ": the Java receiver failed", failure);
                }
                final Map<Integer, LaneResult> results = new HashMap<>();
                for (final int lane : new int[] {0, 1, UNKNOWN_LANE})
                {
                    final LaneState state = stateOf(lane);
                    final long[] count = counts.getOrDefault(lane, new long[2]);
                    if (state != null)
                    {
                        results.put(lane, new LaneResult(count[0], count[1], state.name().toLowerCase()));
                    }
                }
                return results;
            }
        }

        /** @return the lane's state, or {@code null} if no lane has that id here (one set aside at open has none). */
        private LaneState stateOf(final int laneId)
        {
            try
            {
                return receiver.laneState(laneId);
            }
            catch (final IllegalArgumentException noSuchLane)
            {
                return null;
            }
        }

        @Override
        public int faults()
        {
            synchronized (faults)
            {
                return faults.size();
            }
        }

        @Override
        public String output()
        {
            return String.join("\n", faults);
        }
    }
}
