package io.trindle.supervisor.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The size syntax: plain bytes or binary suffixes, nothing else, and a refusal that says what was meant. */
class SizesTest
{
    @ParameterizedTest
    @CsvSource({
        "4096, 4096",
        "0, 0",
        "-1, -1",
        "64KiB, 65536",
        "1MiB, 1048576",
        "4MiB, 4194304",
        "1GiB, 1073741824",
        "8589934591GiB, 9223372035781033984",
    })
    void shouldParseBytesAndBinarySuffixes(final String text, final long bytes)
    {
        assertEquals(bytes, Sizes.parse(text));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "64KB | '64KB' is not a size: only the binary suffixes KiB, MiB and GiB are accepted; did you mean 64KiB?",
        "1mb | '1mb' is not a size: only the binary suffixes KiB, MiB and GiB are accepted; did you mean 1MiB?",
        "2 G | '2 G' is not a size: only the binary suffixes KiB, MiB and GiB are accepted; did you mean 2GiB?",
        "1gib | '1gib' is not a size: only the binary suffixes KiB, MiB and GiB are accepted; did you mean 1GiB?",
        "4096B | '4096B' is not a size: a number of bytes has no suffix; did you mean 4096?",
        "1TiB | '1TiB' is not a size: write a whole number of bytes, or one followed by KiB, MiB or GiB " +
            "(e.g. 4096, 64KiB, 1MiB)",
        "1.5MiB | '1.5MiB' is not a size: write a whole number of bytes, or one followed by KiB, MiB or GiB " +
            "(e.g. 4096, 64KiB, 1MiB)",
        "lots | 'lots' is not a size: write a whole number of bytes, or one followed by KiB, MiB or GiB " +
            "(e.g. 4096, 64KiB, 1MiB)",
        "8589934592GiB | '8589934592GiB' is too large: a size is at most 9223372036854775807 bytes",
        "99999999999999999999 | '99999999999999999999' is too large: a size is at most 9223372036854775807 bytes",
    })
    void shouldRefuseAnythingElseSayingWhatIsAccepted(final String text, final String message)
    {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sizes.parse(text));
        assertEquals(message, e.getMessage());
    }

    @Test
    void shouldFormatInTheLargestExactUnit()
    {
        assertEquals("4KiB", Sizes.format(4096));
        assertEquals("1MiB", Sizes.format(1 << 20));
        assertEquals("1536KiB", Sizes.format(1536 << 10));
        assertEquals("3GiB", Sizes.format(3L << 30));
        assertEquals("1000000", Sizes.format(1_000_000));
        assertEquals("0", Sizes.format(0));
    }
}
