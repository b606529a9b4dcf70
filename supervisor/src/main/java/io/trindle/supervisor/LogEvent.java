package io.trindle.supervisor;

/**
 * What a line of the supervisor's own says, by a name that stays the same from release to release: the
 * {@code event} of the log's JSON lines, which a program reading the log matches on. docs/operations.md lists them
 * with their fields; a new one is added there too, and a name is never changed.
 */
enum LogEvent
{
    /** The pipeline starts: {@code workers}, {@code pipes}, {@code segments}. */
    START("start", true),
    /**
     * A worker's process started: {@code worker}, {@code replica}, {@code pid}. Not in the text log, which says a
     * process's start and end only when something comes of them (a failure, a restart).
     */
    SPAWN("spawn", false),
    /**
     * A worker's process ended: {@code worker}, {@code replica}, {@code pid}, and {@code exit} (its status) or
     * {@code signal} (what killed it). Not in the text log, as {@link #SPAWN}.
     */
    EXIT("exit", false),
    /**
     * A worker is started again: {@code worker}, {@code replica}, {@code pid} (the process that ended),
     * {@code restart} (how many so far, this one included), {@code delayMs} after a failure.
     */
    RESTART("restart", true),
    /** A worker asked for a capability operation the supervisor refused: {@code operation}, {@code reason}. */
    REFUSED("refused", true),
    /** The pipeline begins to stop (a signal, {@code trindle stop}, a failure): {@code reason}. */
    STOP("stop", true),
    /** The pipeline ended: {@code status}, trindle's exit status. */
    FINISH("finish", true),
    /** Any other line of the supervisor's. */
    MESSAGE("message", true);

    /** Its name in the log. */
    final String key;
    /** Whether the text log has a line for it; the JSON log has one for every event. */
    final boolean inText;

    LogEvent(final String key, final boolean inText)
    {
        this.key = key;
        this.inText = inText;
    }
}
