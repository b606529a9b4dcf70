package io.trindle.ipc;

/**
 * The receiver of one lane whose messages go on elsewhere before they are released: the bridge that carries a lane to
 * another host (docs/hosts.md). It reads ahead of its release, releases only up to a position the far side
 * acknowledged, and reads again from the release position when the far side lost what it was sent. Everything else is
 * a receiver's ({@link LaneReader}): it trusts nothing in the lane, and a hostile sender yields {@link #CORRUPT}, never
 * a read outside the ring. One thread.
 */
public final class LaneForwarder implements AutoCloseable
{
    /** {@link #next} found nothing committed to read now. */
    public static final int EMPTY = -1;
    /** Everything committed before the lane's end was read: nothing more will come. */
    public static final int ENDED = -2;
    /** The lane failed a check ({@link #fault()} says which), or moved, which a forwarded lane does not. */
    public static final int CORRUPT = -3;

    private final LaneReader reader;
    /** The view {@link #next} fills: valid until the next call. */
    private final Message message = new Message();

    private LaneForwarder(final LaneReader reader)
    {
        this.reader = reader;
        message.attachments = new long[Message.ATTACHMENT_WORDS];
    }

    /**
     * Maps a duplicate of {@code lane} as its receiver, from its head: whatever was not released is read (again).
     *
     * @throws MalformedMessageException if the lane's header fails a receiver's checks at open.
     */
    public static LaneForwarder open(final Handle lane)
    {
        return new LaneForwarder(new LaneReader(Lane.map(lane.duplicate(Rights.of(Right.RECEIVE)), Right.RECEIVE),
            null));
    }

    /**
     * Reads the next message into {@link #message()}, skipping padding: its {@link Message#sequence()} is its
     * position, {@link Message#end()} where a release after it goes, and its attachments what it carries.
     *
     * @return its payload length (0 or more), {@link #EMPTY}, {@link #ENDED} or {@link #CORRUPT}.
     */
    public int next()
    {
        final int length = reader.next(message);
        if (length >= 0)
        {
            return length;
        }
        if (length == LaneReader.MOVED)
        {
            return CORRUPT;
        }
        return switch (reader.state())
        {
            case OPEN -> EMPTY;
            case ENDED -> ENDED;
            default -> CORRUPT;
        };
    }

    /** @return the message the last {@link #next} read: a view into the ring, valid until the next call. */
    public Message message()
    {
        return message;
    }

    /** @return the next position {@link #next} reads. */
    public long position()
    {
        return reader.position();
    }

    /** @return everything before this position was released. */
    public long released()
    {
        return reader.released();
    }

    /**
     * Releases everything before {@code end} (a position the far side acknowledged) and wakes senders waiting for room.
     * A position at or before the last release, or past what was read, changes nothing.
     *
     * @param messages how many messages that is, for the lane's released count (status only).
     */
    public void releaseTo(final long end, final int messages)
    {
        if (end <= reader.position())
        {
            reader.releaseTo(end, messages);
        }
    }

    /** Reads again from the release position: the far side lost everything after it. */
    public void rewind()
    {
        reader.rewind();
    }

    /** @return why the lane is {@link #CORRUPT}, or null. */
    public String fault()
    {
        return reader.fault();
    }

    /** Unmaps the lane and closes its handle; it stays as released (a later receiver starts there). */
    @Override
    public void close()
    {
        reader.close();
    }
}
