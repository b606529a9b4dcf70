package io.trindle.ipc;

/** Where a lane stands, as its receiver sees it. */
public enum LaneState
{
    /** Messages may still come. */
    OPEN,
    /** The sender closed the lane and the receiver has read everything before the end. */
    ENDED,
    /** The lane broke the format; the receiver stopped reading it and reported why. */
    CORRUPT
}
