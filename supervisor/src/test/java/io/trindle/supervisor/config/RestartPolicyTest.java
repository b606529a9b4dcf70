package io.trindle.supervisor.config;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The backoff doubles from its minimum, stops at its maximum, and never overflows. */
class RestartPolicyTest
{
    @Test
    void shouldDoubleTheBackoffFromTheMinimumUpToTheMaximum()
    {
        final RestartPolicy policy = RestartPolicy.DEFAULT; // 100ms..5s

        assertEquals(Duration.ofMillis(100), policy.backoff(1));
        assertEquals(Duration.ofMillis(200), policy.backoff(2));
        assertEquals(Duration.ofMillis(400), policy.backoff(3));
        assertEquals(Duration.ofMillis(3200), policy.backoff(6));
        assertEquals(Duration.ofSeconds(5), policy.backoff(7));
        assertEquals(Duration.ofSeconds(5), policy.backoff(8));
    }

    @Test
    void shouldStayAtTheMaximumHoweverManyFailures()
    {
        final RestartPolicy policy = new RestartPolicy(RestartPolicy.Policy.ALWAYS, Duration.ofNanos(1),
            Duration.ofDays(365), 1, Duration.ofSeconds(1));

        assertEquals(Duration.ofDays(365), policy.backoff(Integer.MAX_VALUE));
        assertEquals(Duration.ofNanos(1L << 40), policy.backoff(41));
    }

    @Test
    void shouldKeepAFixedDelayWhenMinimumEqualsMaximum()
    {
        final RestartPolicy policy = new RestartPolicy(RestartPolicy.Policy.ON_FAILURE, Duration.ofSeconds(1),
            Duration.ofSeconds(1), 3, Duration.ofMinutes(1));

        assertEquals(Duration.ofSeconds(1), policy.backoff(1));
        assertEquals(Duration.ofSeconds(1), policy.backoff(10));
    }

    @Test
    void shouldRejectACountBelowOne()
    {
        assertThrows(IllegalArgumentException.class, () -> RestartPolicy.DEFAULT.backoff(0));
    }

    @Test
    void shouldRejectAnInconsistentPolicyAtConstruction()
    {
        assertThrows(IllegalArgumentException.class, () -> new RestartPolicy(RestartPolicy.Policy.NEVER,
            Duration.ZERO, Duration.ofSeconds(1), 1, Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> new RestartPolicy(RestartPolicy.Policy.NEVER,
            Duration.ofSeconds(2), Duration.ofSeconds(1), 1, Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> new RestartPolicy(RestartPolicy.Policy.NEVER,
            Duration.ofSeconds(1), Duration.ofSeconds(1), 0, Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> new RestartPolicy(RestartPolicy.Policy.NEVER,
            Duration.ofSeconds(1), Duration.ofSeconds(1), 1, Duration.ZERO));
    }
}
