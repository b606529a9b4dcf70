package io.trindle.supervisor.config;

import java.nio.file.Path;

/**
 * Where a pipeline keeps its journal (docs/journal.md): the top-level {@code journal:} of a config, either
 * {@code { directory: DIR }} (in {@code DIR/NAME.journal}; a relative {@code DIR} from the config's directory) or
 * {@code none}. Without it, the run directory; {@code trindle run --journal DIR} or {@code --no-journal} overrides it.
 *
 * @param keep      whether to keep one at all.
 * @param directory the directory its {@code NAME.journal} goes in (absolute), or {@code null} for the run directory.
 */
public record JournalConfig(boolean keep, Path directory)
{
    /** {@code journal: none}. */
    public static final JournalConfig NONE = new JournalConfig(false, null);
    /** What a config without {@code journal:} means: a journal in the run directory. */
    public static final JournalConfig DEFAULT = new JournalConfig(true, null);

    /** @throws IllegalArgumentException for a journal kept nowhere but given a directory, or a relative one. */
    public JournalConfig
    {
        if (directory != null && (!keep || !directory.isAbsolute()))
        {
            throw new IllegalArgumentException("keep=" + keep + ", directory=" + directory + ": a directory is " +
                "absolute, and only for a journal kept");
        }
    }
}
