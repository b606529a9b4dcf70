package org.example.squares;

/** Payloads are raw bytes: what a number looks like in one is up to the workers. These use little-endian. */
final class Bytes
{
    private Bytes()
    {
    }

    /** Writes {@code value} into the first 8 bytes of {@code bytes}, least significant byte first. */
    static void putLong(final byte[] bytes, final long value)
    {
        for (int i = 0; i < Long.BYTES; i++)
        {
            bytes[i] = (byte)(value >>> (8 * i));
        }
    }
}
