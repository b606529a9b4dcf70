package io.trindle.it;

/**
 * A JVM worker can take longer than the default ready timeout (10 s) to start on a loaded machine. A test that
 * runs a shipped config, and does not test that timeout, gives each JVM worker a generous one instead.
 */
final class ReadyTimeouts
{
    static final String GENEROUS = "600s";

    private ReadyTimeouts()
    {
    }

    /** @return {@code config} with {@code ready-timeout: 600s} after every worker's {@code java:} line. */
    static String generous(final String config)
    {
        return config.replaceAll("(?m)^( +)(java: .*)$", "$1$2\n$1ready-timeout: " + GENEROUS);
    }
}
