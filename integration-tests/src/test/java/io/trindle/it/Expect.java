package io.trindle.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Assertions on what trindle printed, failing with the whole text. */
final class Expect
{
    private Expect()
    {
    }

    /** {@code text} holds {@code line}. */
    static void expect(final String text, final String line)
    {
        assertTrue(text.contains(line), "expected:\n" + line + "\nin:\n" + text);
    }

    /** {@code text} holds each of {@code lines}, in this order. */
    static void expectInOrder(final String text, final String... lines)
    {
        int from = 0;
        for (final String line : lines)
        {
            final int at = text.indexOf(line, from);
            assertTrue(at >= 0, "expected, in this order:\n" + String.join("\n", lines) + "\nin:\n" + text);
            from = at + line.length();
        }
    }
}
