package io.trindle.supervisor.config;

import java.util.Objects;

/**
 * One end of a worker's stdio bridged to a pipe: written as {@code stdin: PIPE} or
 * {@code stdout: { pipe: PIPE, framing: raw, chunk: 64KiB }}. A worker with either runs its program under
 * {@code trindle-bridge} (docs/stdio-bridge.md), which frames the program's stdin or stdout as the pipe's messages.
 *
 * @param pipe     the pipe: the worker receives it ({@code stdin}) or sends on it ({@code stdout}).
 * @param framing  how bytes become messages and messages bytes.
 * @param chunk    for {@code stdout} with {@link Framing#RAW}: the most bytes one message holds, or 0 for the
 *                 largest message the pipe takes; 0 otherwise.
 * @param position where it is declared (its key).
 */
public record Stdio(String pipe, Framing framing, int chunk, Position position)
{
    /**
     * @throws IllegalArgumentException if {@code chunk} is negative, or given with a framing other than raw.
     */
    public Stdio
    {
        Objects.requireNonNull(pipe, "pipe");
        Objects.requireNonNull(framing, "framing");
        Objects.requireNonNull(position, "position");
        if (chunk < 0 || chunk > 0 && framing != Framing.RAW)
        {
            throw new IllegalArgumentException("chunk=" + chunk + " is for framing raw only, framing=" + framing);
        }
    }

    /**
     * @return the bridge's argument for this end: the framing, and the chunk if one is set, e.g. {@code raw:65536}.
     */
    public String bridgeArgument()
    {
        return chunk == 0 ? framing.configName() : framing.configName() + ":" + chunk;
    }

    /** How a byte stream is cut into messages, and messages joined into a byte stream. */
    public enum Framing
    {
        /** One message per line: the newline is removed from each line sent, and added after each message read. */
        LINES("lines"),
        /** A u32 little-endian length, then that many bytes. */
        LENGTH_PREFIXED("length-prefixed"),
        /** Chunks of what the program wrote, of up to the chunk size: no message boundary is kept. */
        RAW("raw");

        private final String configName;

        Framing(final String configName)
        {
            this.configName = configName;
        }

        /**
         * @return the word that names the framing in a config file, e.g. {@code length-prefixed}.
         */
        public String configName()
        {
            return configName;
        }
    }
}
