package io.trindle.ipc;

/**
 * What {@link Handle#inspect} answers for one handle: the object it names, the object's kind, the handle's
 * rights and the object's size in bytes as this handle sees it, and whether the handle is still open.
 */
public record HandleInfo(long objectId, ObjectKind kind, Rights rights, long size, boolean open)
{
}
