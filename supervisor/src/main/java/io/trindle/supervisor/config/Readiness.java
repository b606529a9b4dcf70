package io.trindle.supervisor.config;

/**
 * When the supervisor counts a started worker ready (the config's {@code ready:}); a worker that is not ready
 * within its {@code ready-timeout} is killed.
 */
public enum Readiness
{
    /** When the worker sends Ready on its control channel (docs/control-protocol.md): Trindle's own workers. */
    MESSAGE("message"),
    /** Once it is spawned and its grants are sent: a program that never reads its control channel. */
    STARTED("started");

    private final String configName;

    Readiness(final String configName)
    {
        this.configName = configName;
    }

    /**
     * @return the word that names it in a config file.
     */
    public String configName()
    {
        return configName;
    }
}
