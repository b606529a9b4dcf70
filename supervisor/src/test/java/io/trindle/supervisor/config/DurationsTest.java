package io.trindle.supervisor.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The duration syntax: a whole number and a unit, always; a refusal that says what was meant. */
class DurationsTest
{
    @ParameterizedTest
    @CsvSource({
        "100ms, 100",
        "5s, 5000",
        "2m, 120000",
        "1h, 3600000",
        "0s, 0",
        "-1s, -1000",
    })
    void shouldParseAWholeNumberWithAUnit(final String text, final long millis)
    {
        assertEquals(Duration.ofMillis(millis), Durations.parse(text));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "5 | '5' has no unit: write a whole number followed by ms, s, m or h (e.g. 500ms, 5s, 2m)",
        "10 seconds | '10 seconds' is not a duration: write a whole number followed by ms, s, m or h " +
            "(e.g. 500ms, 5s, 2m); did you mean 10s?",
        "3min | '3min' is not a duration: write a whole number followed by ms, s, m or h (e.g. 500ms, 5s, 2m); " +
            "did you mean 3m?",
        "5S | '5S' is not a duration: write a whole number followed by ms, s, m or h (e.g. 500ms, 5s, 2m); " +
            "did you mean 5s?",
        "1.5s | '1.5s' is not a duration: write a whole number followed by ms, s, m or h (e.g. 500ms, 5s, 2m)",
        "2d | '2d' is not a duration: write a whole number followed by ms, s, m or h (e.g. 500ms, 5s, 2m)",
        "soon | 'soon' is not a duration: write a whole number followed by ms, s, m or h (e.g. 500ms, 5s, 2m)",
        "9223372036854775807h | '9223372036854775807h' is too long: a duration is at most 8760h (365 days)",
    })
    void shouldRefuseAnythingElseSayingWhatIsAccepted(final String text, final String message)
    {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Durations.parse(text));
        assertEquals(message, e.getMessage());
    }

    @Test
    void shouldFormatInTheLargestExactUnit()
    {
        assertEquals("100ms", Durations.format(Duration.ofMillis(100)));
        assertEquals("1500ms", Durations.format(Duration.ofMillis(1500)));
        assertEquals("5s", Durations.format(Duration.ofSeconds(5)));
        assertEquals("90s", Durations.format(Duration.ofSeconds(90)));
        assertEquals("2m", Durations.format(Duration.ofMinutes(2)));
        assertEquals("1h", Durations.format(Duration.ofHours(1)));
        assertEquals("0s", Durations.format(Duration.ZERO));
        assertEquals("7ns", Durations.format(Duration.ofNanos(7)));
    }
}
