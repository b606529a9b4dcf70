package io.trindle.it;

/**
 * The pipeline of {@link CapabilityTest}: alice duplicates, moves, widens (refused) and moves without TRANSFER
 * (refused) over pipe {@code mail}; mallory forges a token and replays one; bob takes, refuses and rejects (a
 * bounce). The tests that watch the same run from elsewhere — the JSON log, the journal, bob in C or Python — write
 * it through here.
 */
final class CapabilityPipeline
{
    /** bob as a Java worker. */
    static final String JAVA_BOB = "java: io.trindle.it.workers.Bob";

    private CapabilityPipeline()
    {
    }

    /**
     * @param bob  bob's program, as a line of his worker's mapping ({@link #JAVA_BOB}, or a C or Python worker's).
     * @param more further workers, each a YAML mapping indented as a worker under {@code workers:} (2 spaces),
     *             or nothing.
     * @return the config.
     */
    static String config(final String bob, final String more)
    {
        return """
            pipes:
              mail: { lane: 1MiB }
            segments:
              doc: { size: 4KiB }
              secret: { size: 4KiB }
            workers:
              alice:
                java: io.trindle.it.workers.Alice
                ready-timeout: 600s
                grants: { mail: send, doc: [read, write, duplicate, transfer], secret: read }
                restart: never
              mallory:
                java: io.trindle.it.workers.Mallory
                ready-timeout: 600s
                grants: { mail: send }
                restart: never
              bob:
                %s
                ready-timeout: 600s
                grants: { mail: receive }
                restart: never
            """.formatted(bob) + more;
    }
}
