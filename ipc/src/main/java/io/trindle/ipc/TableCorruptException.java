package io.trindle.ipc;

/**
 * A table's file broke its format where this process read it — a length beyond its limit, a probe that never
 * ends, a record outside its slot — or an entry stayed locked longer than the lock wait (a writer was killed and
 * nobody recovered it yet, or a writer is hostile). Nothing outside the mapping was read; the message names the
 * entry or field.
 */
public final class TableCorruptException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    public TableCorruptException(final String message)
    {
        super(message);
    }
}
