package io.trindle.runtime;

import io.trindle.ipc.Rights;

/**
 * One handle to attach to a message or pack into a bundle, as {@link Trindle#move} and
 * {@link Trindle#duplicate} make it: the object it names, the rights the receiver gets, and whether this worker
 * keeps its own handle (a duplicate, needing DUPLICATE) or gives it up (a move, needing TRANSFER).
 *
 * @param objectId  the object of a handle this worker holds.
 * @param rights    the rights the receiver gets: those of the handle, or fewer.
 * @param duplicate whether this worker keeps its handle.
 */
public record Attachment(long objectId, Rights rights, boolean duplicate)
{
}
