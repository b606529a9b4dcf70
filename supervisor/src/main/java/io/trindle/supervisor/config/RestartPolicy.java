package io.trindle.supervisor.config;

import java.time.Duration;
import java.util.Objects;

/**
 * When and how fast the supervisor restarts a worker whose process ended, in the manner of an Erlang
 * supervisor: a policy says which exits lead to a restart, an exponential backoff spaces consecutive restarts,
 * and an intensity bounds how many restarts a period may hold before the supervisor gives up on the worker.
 * Written in the config as {@code restart: { policy: on-failure, backoff: 100ms..5s, intensity: 5/10s }} or,
 * keeping the defaults for the rest, {@code restart: on-failure}.
 *
 * @param policy               which exits lead to a restart.
 * @param backoffMin           the delay before the first restart after a run of failures; positive.
 * @param backoffMax           the longest delay; at least {@code backoffMin}.
 * @param intensityMaxRestarts the most restarts allowed within {@code intensityPeriod}; at least 1.
 * @param intensityPeriod      the sliding window the restarts are counted in; positive.
 */
public record RestartPolicy(
    Policy policy,
    Duration backoffMin,
    Duration backoffMax,
    int intensityMaxRestarts,
    Duration intensityPeriod)
{
    /** {@code policy: on-failure}, {@code backoff: 100ms..5s}, {@code intensity: 5/10s}. */
    public static final RestartPolicy DEFAULT =
        new RestartPolicy(Policy.ON_FAILURE, Duration.ofMillis(100), Duration.ofSeconds(5), 5, Duration.ofSeconds(10));

    /**
     * @throws IllegalArgumentException if a duration is not within (0, {@link Limits#MAX_DURATION}], the minimum
     *                                  exceeds the maximum, or the intensity allows no restart or more than
     *                                  {@link Limits#MAX_INTENSITY_RESTARTS}.
     */
    public RestartPolicy
    {
        Objects.requireNonNull(policy, "policy");
        if (!backoffMin.isPositive() || backoffMax.compareTo(backoffMin) < 0 ||
            backoffMax.compareTo(Limits.MAX_DURATION) > 0)
        {
            throw new IllegalArgumentException("backoff needs 0 < min <= max <= " + Limits.MAX_DURATION +
                ": backoffMin=" + backoffMin + ", backoffMax=" + backoffMax);
        }
        if (intensityMaxRestarts < 1 || intensityMaxRestarts > Limits.MAX_INTENSITY_RESTARTS ||
            !Limits.isUsable(intensityPeriod))
        {
            throw new IllegalArgumentException("intensity needs 1 to " + Limits.MAX_INTENSITY_RESTARTS +
                " restarts in a period within (0, " + Limits.MAX_DURATION + "]: intensityMaxRestarts=" +
                intensityMaxRestarts + ", intensityPeriod=" + intensityPeriod);
        }
    }

    /**
     * The delay before restarting a worker that has failed {@code consecutiveFailures} times in a row:
     * {@code backoffMin · 2^(consecutiveFailures − 1)}, capped at {@code backoffMax}. With the default backoff
     * that is 100ms, 200ms, 400ms, … 3.2s, then 5s for every further failure.
     *
     * @param consecutiveFailures the failures since the worker last ran well; at least 1.
     * @return the delay, within [{@code backoffMin}, {@code backoffMax}].
     * @throws IllegalArgumentException if {@code consecutiveFailures} is below 1.
     */
    public Duration backoff(final int consecutiveFailures)
    {
        if (consecutiveFailures < 1)
        {
            throw new IllegalArgumentException("consecutiveFailures=" + consecutiveFailures + " must be at least 1");
        }
        // Doubling step by step, stopping at the cap, cannot overflow however many failures are counted:
        // a positive minimum reaches any maximum within 64 doublings.
        Duration delay = backoffMin;
        for (int failure = 1; failure < consecutiveFailures && delay.compareTo(backoffMax) < 0; failure++)
        {
            delay = delay.multipliedBy(2);
        }
        return delay.compareTo(backoffMax) < 0 ? delay : backoffMax;
    }

    /**
     * Which ends of a worker's process lead the supervisor to start it again.
     */
    public enum Policy
    {
        /** Never restart; the worker's end is final. */
        NEVER("never"),
        /** Restart when the process exits with a non-zero status or is killed by a signal. */
        ON_FAILURE("on-failure"),
        /** Restart whenever the process ends, even with status 0. */
        ALWAYS("always");

        private final String configName;

        Policy(final String configName)
        {
            this.configName = configName;
        }

        /**
         * @return the word that names the policy in a config file, e.g. {@code on-failure}.
         */
        public String configName()
        {
            return configName;
        }
    }
}
