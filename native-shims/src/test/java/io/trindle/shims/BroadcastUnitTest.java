package io.trindle.shims;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Runs libtrindle's broadcast unit tests (src/test/c/trindle-broadcast-unit.c): the writer and readers of
 * docs/broadcast-format.md over ring and cursor files the test makes by hand, and their grants.
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class BroadcastUnitTest
{
    @Test
    void shouldPassTheBroadcastUnitTests() throws Exception
    {
        try (CWorker unit = CWorker.start("broadcast-unit", "trindle-broadcast-unit", List.of()))
        {
            unit.assertExits(0, Duration.ofSeconds(50));
            assertEquals("all passed", unit.stdoutLines().getLast(), unit.logs());
        }
    }
}
