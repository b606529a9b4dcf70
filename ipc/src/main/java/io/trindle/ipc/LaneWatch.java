package io.trindle.ipc;

/**
 * A lane mapped once for status tools, which read it again and again ({@link Pipe#status(Handle)} maps and unmaps
 * the lane each time). It only reads: the sender and the receiver never learn it is there, and their fast path pays
 * nothing for it beyond the cache lines it reads when asked.
 */
public final class LaneWatch implements AutoCloseable
{
    private final Lane lane;

    private LaneWatch(final Lane lane)
    {
        this.lane = lane;
    }

    /**
     * Maps a duplicate of {@code lane}; the caller keeps its handle.
     *
     * @throws MalformedMessageException if the lane's header is not a ready lane of a supported version.
     */
    public static LaneWatch open(final Handle lane)
    {
        return new LaneWatch(Lane.map(lane.duplicate(lane.rights()), Right.RECEIVE));
    }

    /**
     * @return the lane's status now ({@link Pipe#status(Handle)}).
     * @throws MalformedMessageException if the lane is broken.
     */
    public Pipe.LaneStatus read()
    {
        return Pipe.status(lane);
    }

    @Override
    public void close()
    {
        lane.close();
    }
}
