package io.trindle.runtime;

import io.trindle.ipc.Handle;

import java.util.List;

/**
 * Something the supervisor tells this worker about an object it holds or uses ({@link Trindle#notices()}),
 * delivered like a {@link Bounce}: queued as it arrives, drained after an {@link Trindle#exchange}, which it cuts
 * short.
 *
 * @param kind     what happened.
 * @param objectId the object it is about: the allocator (pressure, give back), the pipe (a lane ended), the object
 *                 granted.
 * @param percent  for pressure, the threshold crossed: 80 or 95 (percent of the quota); else 0.
 * @param used     for pressure, the allocator's use in bytes after the change; for a lane that ended, its lane id;
 *                 for {@link Kind#GIVE_BACK}, the bytes the supervisor asks the allocator's holders to release.
 * @param quota    for pressure and give back, the allocator's quota in bytes; else 0.
 * @param details  the supervisor's words, for a log line; for {@link Kind#GRANTED}, the name the object is granted
 *                 under, by which {@link Trindle#segment} or {@link Trindle#allocator} finds it.
 * @param handles  for {@link Kind#GRANTED}, the handle now this worker's (a segment is mapped already: take it by
 *                 name); else empty.
 */
public record Notice(Kind kind, long objectId, int percent, long used, long quota, String details,
    List<Handle> handles)
{
    /** What a notice is about. */
    public enum Kind
    {
        /** An allocator this worker holds reached {@link #percent} of its quota. */
        PRESSURE_ABOVE,
        /** An allocator this worker holds fell below {@link #percent} of its quota again. */
        PRESSURE_BELOW,
        /** A lane this worker receives ended: its sender will not run again. */
        LANE_ENDED,
        /** An object granted to this worker at run time ({@code trindle grant}), under the name in details. */
        GRANTED,
        /**
         * The supervisor asks the holders of an allocator to give {@link #used} bytes back ({@code trindle reclaim}):
         * release ({@link Trindle#release}) segments or child allocators made from it.
         */
        GIVE_BACK
    }

    public Notice
    {
        handles = List.copyOf(handles);
    }
}
