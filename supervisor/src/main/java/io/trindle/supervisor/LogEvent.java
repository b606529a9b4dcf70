package io.trindle.supervisor;

/**
 * What a line of the supervisor's own says, by a name that stays the same from release to release: the
 * {@code event} of the log's JSON lines, which a program reading the log matches on. docs/operations.md lists them
 * with their fields; a new one is added there too, and a name is never changed.
 */
enum LogEvent
{
    /** The pipeline starts: {@code workers}, {@code pipes}, {@code segments}, {@code tables} (when there are any). */
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
    MESSAGE("message", true),
    /**
     * A worker attached handles to a message and the supervisor agreed: {@code pipe}, {@code lane}, {@code to} (the
     * receiving worker), {@code handles}, {@code moved} and {@code duplicated} (how many of each), {@code token}.
     * Not in the text log: a pipeline may move thousands a second.
     */
    TRANSFER("transfer", false),
    /**
     * A worker took the handles a message carried: {@code pipe}, {@code lane}, {@code sequence}, {@code from} (the
     * sending worker), {@code handles}, {@code token}. Not in the text log, as {@link #TRANSFER}.
     */
    REDEEM("redeem", false),
    /**
     * A receiver rejected a message and its sender was told: {@code pipe}, {@code lane}, {@code sequence},
     * {@code to} (the sender), {@code reason}, {@code returned} (handles given back). Not in the text log.
     */
    BOUNCE("bounce", false),
    /** A worker made a bundle of handles: {@code handles}, {@code bytes}. Not in the text log. */
    BUNDLE("bundle", false),
    /** A worker unpacked a bundle: {@code handles}. Not in the text log. */
    UNPACK("unpack", false),
    /**
     * A worker's process was granted its objects at its start (if any), or one more at run time: {@code grants}
     * (each {@code name=RIGHTS}, separated by spaces). Not in the text log.
     */
    GRANT("grant", false);

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
