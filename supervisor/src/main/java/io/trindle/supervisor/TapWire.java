package io.trindle.supervisor;

import io.trindle.ipc.LaneTap;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * How a tapped pipe's messages reach {@code trindle tap} and {@code trindle record}: after the status socket's request
 * line {@code tap PIPE}, the supervisor answers one text line ({@code tapping N}, N lanes; or {@code refused: why}),
 * then frames, little-endian, each a {@code u32} length of what follows and a {@code u8} kind:
 * <ul>
 * <li>{@link #LANE}: {@code u16} receiving replica, {@code u32} lane id, {@code u16} length and the sending
 * process's label in UTF-8 ({@code reader.1}) — one per lane, first;</li>
 * <li>{@link #MESSAGE}: {@code u16} replica, {@code u32} lane id, {@code u64} sequence, {@code u64} time read
 * (nanoseconds since the epoch), {@code u32} handles attached, then the message's bytes;</li>
 * <li>{@link #DONE}: {@code u16} replica, {@code u32} lane id, {@code u8} how ({@link #ENDED}, {@link #MOVED},
 * {@link #BROKEN}), then a reason in UTF-8.</li>
 * </ul>
 * The supervisor closes the connection once every lane is done. Both ends are kept here, side by side, so that they
 * cannot drift apart. The supervisor's end releases what it read only once the bytes are in the socket: a client that
 * reads slowly holds the senders back, and loses nothing.
 */
final class TapWire
{
    static final int LANE = 1;
    static final int MESSAGE = 2;
    static final int DONE = 3;
    static final int ENDED = 0;
    static final int MOVED = 1;
    static final int BROKEN = 2;
    /** The request a client sends after its key: this, then the pipe's name. */
    static final String REQUEST = "tap ";
    /** How the answer's first line starts when the tap attached: this, then the number of lanes. */
    static final String TAPPING = "tapping ";

    /** Bytes of a message frame before its payload: length, kind, replica, lane, sequence, time, handles. */
    private static final int MESSAGE_HEADER = 4 + 1 + 2 + 4 + 8 + 8 + 4;
    private static final int BUFFER = 256 * 1024;

    private TapWire()
    {
    }

    /** What a client is told, frame by frame. */
    interface Listener
    {
        void lane(int replica, int laneId, String sender);

        void message(int replica, int laneId, long sequence, long epochNanos, int handles, byte[] payload)
            throws IOException;

        void done(int replica, int laneId, int how, String reason);
    }

    /**
     * The supervisor's end: streams every lane of {@code lanes} to {@code client} until each is done or the client
     * goes away. Runs on the status socket's thread for that client; the caller lets go of the taps afterwards.
     */
    static void stream(final SocketChannel client, final Selector selector, final List<Taps.TappedLane> lanes)
        throws IOException
    {
        new Streamer(client, selector, lanes).run();
    }

    /** The supervisor's end of the wire: frames in a buffer, written out when the loop says. */
    private static final class Streamer implements TapLoop.Output
    {
        private final SocketChannel client;
        private final Selector selector;
        private final List<Taps.TappedLane> lanes;
        private final ByteBuffer out = ByteBuffer.allocateDirect(BUFFER).order(ByteOrder.LITTLE_ENDIAN);
        private final ByteBuffer probe = ByteBuffer.allocate(64);

        Streamer(final SocketChannel client, final Selector selector, final List<Taps.TappedLane> lanes)
        {
            this.client = client;
            this.selector = selector;
            this.lanes = lanes;
        }

        void run() throws IOException
        {
            out.put((TAPPING + lanes.size() + "\n").getBytes(StandardCharsets.US_ASCII));
            for (final Taps.TappedLane lane : lanes)
            {
                final byte[] sender = lane.sender().getBytes(StandardCharsets.UTF_8);
                out.putInt(1 + 2 + 4 + 2 + sender.length).put((byte)LANE).putShort((short)lane.receiverReplica())
                    .putInt(lane.tap().laneId()).putShort((short)sender.length).put(sender);
            }
            flush();
            TapLoop.run(lanes, this);
        }

        @Override
        public void message(final Taps.TappedLane lane, final long sequence, final int handles,
            final long epochNanos, final MemorySegment payload) throws IOException
        {
            final int length = (int)payload.byteSize();
            if (out.remaining() < MESSAGE_HEADER + length)
            {
                flush();
                TapLoop.releaseAll(lanes); // the record being read stays held: its tap has not moved past it yet
            }
            out.putInt(MESSAGE_HEADER - 4 + length).put((byte)MESSAGE).putShort((short)lane.receiverReplica())
                .putInt(lane.tap().laneId()).putLong(sequence).putLong(epochNanos)
                .putInt(handles);
            if (length <= out.remaining())
            {
                MemorySegment.ofBuffer(out).copyFrom(payload);
                out.position(out.position() + length);
            }
            else
            {
                flush();
                writeFully(payload.asByteBuffer());
            }
        }

        @Override
        public void done(final Taps.TappedLane lane, final int result) throws IOException
        {
            final int how = result == LaneTap.ENDED ? ENDED : result == LaneTap.MOVED ? MOVED : BROKEN;
            final byte[] reason = (how == BROKEN ? lane.tap().fault() : how == MOVED ? "the lane moved (a resize)" :
                "ended").getBytes(StandardCharsets.UTF_8);
            if (out.remaining() < 4 + 1 + 2 + 4 + 1 + reason.length)
            {
                flush();
            }
            out.putInt(1 + 2 + 4 + 1 + reason.length).put((byte)DONE).putShort((short)lane.receiverReplica())
                .putInt(lane.tap().laneId()).put((byte)how).put(reason);
        }

        @Override
        public void flush() throws IOException
        {
            out.flip();
            writeFully(out);
            out.clear();
        }

        private void writeFully(final ByteBuffer bytes) throws IOException
        {
            while (bytes.hasRemaining())
            {
                if (client.write(bytes) == 0)
                {
                    // The client reads slowly: the senders wait for it, as they would for a slow receiver.
                    client.keyFor(selector).interestOps(SelectionKey.OP_WRITE);
                    selector.select(1000);
                    selector.selectedKeys().clear();
                }
            }
        }

        /** The client closed its end (it sends nothing after its request). */
        @Override
        public boolean gone() throws IOException
        {
            probe.clear();
            return client.read(probe) < 0;
        }
    }

    /**
     * The client's end: reads frames from {@code in} (after the first line) and tells {@code listener}, until the
     * supervisor closes the connection.
     *
     * @return false if the stream was cut off mid-frame (the supervisor went away).
     */
    static boolean read(final InputStream in, final Listener listener) throws IOException
    {
        final DataInputStream data = new DataInputStream(in);
        final byte[] lengthBytes = new byte[4];
        while (true)
        {
            final int first = data.read(lengthBytes);
            if (first < 0)
            {
                return true;
            }
            try
            {
                data.readFully(lengthBytes, first, 4 - first);
                final int length = ByteBuffer.wrap(lengthBytes).order(ByteOrder.LITTLE_ENDIAN).getInt();
                if (length < 1)
                {
                    throw new IOException("a tap frame of length " + length);
                }
                final byte[] frame = new byte[length];
                data.readFully(frame);
                final ByteBuffer body = ByteBuffer.wrap(frame).order(ByteOrder.LITTLE_ENDIAN);
                final int kind = body.get();
                final int replica = body.getShort() & 0xffff;
                final int laneId = body.getInt();
                switch (kind)
                {
                    case LANE ->
                    {
                        final byte[] sender = new byte[body.getShort() & 0xffff];
                        body.get(sender);
                        listener.lane(replica, laneId, new String(sender, StandardCharsets.UTF_8));
                    }
                    case MESSAGE ->
                    {
                        final long sequence = body.getLong();
                        final long epochNanos = body.getLong();
                        final int handles = body.getInt();
                        final byte[] payload = new byte[body.remaining()];
                        body.get(payload);
                        listener.message(replica, laneId, sequence, epochNanos, handles, payload);
                    }
                    case DONE ->
                    {
                        final int how = body.get();
                        final byte[] reason = new byte[body.remaining()];
                        body.get(reason);
                        listener.done(replica, laneId, how, new String(reason, StandardCharsets.UTF_8));
                    }
                    default -> throw new IOException("a tap frame of unknown kind " + kind);
                }
            }
            catch (final EOFException e)
            {
                return false;
            }
        }
    }
}
