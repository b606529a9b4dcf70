package io.trindle.supervisor;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The supervisor's little JSON: what it writes reads back the same, and anything that is not JSON is refused. */
class JsonTest
{
    @Test
    void shouldReadBackWhatItQuotes()
    {
        final String awkward = "a \"quoted\" back\\slash, a tab\t, a bell\u0007, a newline\n, é and \uD83D\uDE00";
        assertEquals(awkward, Json.parse(Json.quote(awkward)));
        assertEquals("\"\uFFFD\"", Json.quote("\uD83D"), "a lone surrogate becomes U+FFFD");
    }

    @Test
    void shouldReadObjectsArraysNumbersAndWordsInOrder()
    {
        final Object value = Json.parse(" {\"b\": [1, -2.5, 3e2, true, false, null], \"a\": {}, \"c\": \"x\"} ");
        final Map<?, ?> object = (Map<?, ?>)value;
        assertEquals(List.of("b", "a", "c"), List.copyOf(object.keySet()));
        assertEquals(java.util.Arrays.asList(1L, -2.5, 300.0, true, false, null), object.get("b"));
        assertEquals(Map.of(), object.get("a"));
    }

    @Test
    void shouldRefuseWhatIsNotJson()
    {
        for (final String bad : new String[] {"", "{", "[1,]", "{\"a\" 1}", "01", "1.", "-", "tru", "\"\\x\"",
            "\"a", "{} {}", "{\"a\":1,\"a\":2}", "[\"\u0001\"]", "{1: 2}", "[".repeat(Json.MAX_DEPTH + 2)})
        {
            final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse(bad),
                bad);
            assertTrue(e.getMessage().startsWith("not JSON at character "), e.getMessage());
        }
    }

    @Test
    void shouldWriteCountsInNameOrder()
    {
        assertEquals("{\"a\":2,\"b\":1}", Json.object(Map.of("b", 1L, "a", 2L)));
    }
}
