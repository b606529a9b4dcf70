package io.trindle.ipc;

/** Where a lane stands, as its receiver sees it. */
public enum LaneState
{
    /** Messages may still come. */
    OPEN,
    /** The sender closed the lane and the receiver has read everything before the end. */
    ENDED,
    /** The lane broke the format; the receiver stopped reading it and reported why. */
    CORRUPT,
    /**
     * The sender moved on to a new lane (the pipe was resized, docs/pipe-format.md §9): only a lane the receiver
     * left has it, since the receiver reads the new lane under the same lane id from then on.
     */
    MOVED
}
