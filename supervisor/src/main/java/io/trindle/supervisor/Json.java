package io.trindle.supervisor;

/**
 * Strings as JSON text (RFC 8259): the one escaping of everything trindle writes as JSON, {@code status --json} and
 * the log's {@code --log-format json} alike.
 */
final class Json
{
    private static final char REPLACEMENT = '\uFFFD';

    private Json()
    {
    }

    /** @return {@code value} as a JSON string, quotes included. */
    static String quote(final String value)
    {
        return quote(new StringBuilder(value.length() + 2), value).toString();
    }

    /**
     * Appends {@code value} as a JSON string: quotes and backslashes escaped, control characters as {@code \n},
     * {@code \t}, {@code \r} or a six-character escape (a backslash, {@code u}, four hex digits), and a lone
     * surrogate (which no UTF-8 can encode) as U+FFFD, so that whatever a worker printed, the text is valid JSON.
     *
     * @return {@code into}.
     */
    static StringBuilder quote(final StringBuilder into, final String value)
    {
        into.append('"');
        for (int i = 0; i < value.length(); i++)
        {
            final char c = value.charAt(i);
            switch (c)
            {
                case '"' -> into.append("\\\"");
                case '\\' -> into.append("\\\\");
                case '\n' -> into.append("\\n");
                case '\r' -> into.append("\\r");
                case '\t' -> into.append("\\t");
                default ->
                {
                    if (c < 0x20)
                    {
                        into.append(String.format("\\u%04x", (int)c));
                    }
                    else if (Character.isHighSurrogate(c) && i + 1 < value.length() &&
                        Character.isLowSurrogate(value.charAt(i + 1)))
                    {
                        into.append(c).append(value.charAt(++i));
                    }
                    else if (Character.isSurrogate(c))
                    {
                        into.append(REPLACEMENT);
                    }
                    else
                    {
                        into.append(c);
                    }
                }
            }
        }
        return into.append('"');
    }
}
