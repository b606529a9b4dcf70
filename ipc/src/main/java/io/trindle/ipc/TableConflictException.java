package io.trindle.ipc;

/**
 * A snapshot or transaction met a commit newer than its read version, or a commit collided with another writer's:
 * start again. {@link Table#read} and {@link Table#write} do so themselves; only the explicit {@link Table#snapshot}
 * and {@link Table#begin} leave it to the caller. Expected on the fast path, so it is one shared instance without a
 * stack trace: it allocates nothing.
 */
public final class TableConflictException extends RuntimeException
{
    /** The one instance. */
    public static final TableConflictException INSTANCE = new TableConflictException();

    private static final long serialVersionUID = 1L;

    private TableConflictException()
    {
        super("table conflict: a newer commit touched what this transaction read or writes; start it again", null,
            false, false);
    }
}
