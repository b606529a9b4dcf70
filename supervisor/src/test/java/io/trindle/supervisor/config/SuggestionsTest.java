package io.trindle.supervisor.config;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** "Did you mean": close misspellings are matched, unrelated words are not. */
class SuggestionsTest
{
    private static final List<String> WORKER_KEYS = ConfigReader.WORKER_KEYS;

    @Test
    void shouldCountTranspositionsAsOneEdit()
    {
        assertEquals(1, Suggestions.distance("recieve", "receive"));
        assertEquals(1, Suggestions.distance("replica", "replicas"));
        assertEquals(3, Suggestions.distance("kitten", "sitting"));
        assertEquals(0, Suggestions.distance("", ""));
    }

    @Test
    void shouldSuggestTheClosestKeyWithinReach()
    {
        assertEquals("; did you mean 'replicas'?", Suggestions.didYouMean("replica", WORKER_KEYS));
        assertEquals("; did you mean 'stop-timeout'?", Suggestions.didYouMean("stop_timeout", WORKER_KEYS));
        assertEquals("; did you mean 'grants'?", Suggestions.didYouMean("Grants", WORKER_KEYS));
        assertEquals("; did you mean 'java'?", Suggestions.didYouMean("jav", WORKER_KEYS));
        assertEquals("; did you mean 'run'?", Suggestions.didYouMean("RUN", WORKER_KEYS));
    }

    @Test
    void shouldSuggestNothingForAnUnrelatedWord()
    {
        assertEquals("", Suggestions.didYouMean("isolation", WORKER_KEYS));
        assertEquals("", Suggestions.didYouMean("cmd", WORKER_KEYS));
        assertEquals("", Suggestions.didYouMean("ran", List.of("env")));
    }
}
