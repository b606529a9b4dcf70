package io.trindle.ipc;

/**
 * A commit needed an entry for a new key and the table has none to give: the keys in use reached the key limit
 * (an eighth of the entries stay empty so that every probe ends). Nothing of the commit was written. Make the table
 * larger, or delete keys: a deleted key keeps its entry for when it comes back.
 */
public final class TableFullException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    public TableFullException(final String message)
    {
        super(message);
    }
}
