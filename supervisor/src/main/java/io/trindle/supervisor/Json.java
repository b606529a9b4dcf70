package io.trindle.supervisor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The little JSON the supervisor speaks: the one escaping of everything it writes as JSON ({@code status --json},
 * the log's {@code --log-format json}), and the reader of what {@code trindle top} reads back. The reader is strict
 * (RFC 8259, one value, nothing after it, no key twice in an object) and small: objects become
 * {@link LinkedHashMap}s in their order, arrays {@link List}s, numbers {@link Long} when integral else
 * {@link Double}, and {@code true}, {@code false}, {@code null} themselves.
 */
public final class Json
{
    /** Nesting deeper than this is refused, so a hostile answer cannot overflow the reader's stack. */
    static final int MAX_DEPTH = 64;
    private static final char REPLACEMENT = '\uFFFD';

    private final String text;
    private int at;

    private Json(final String text)
    {
        this.text = text;
    }

    /** @return {@code value} as a JSON string, quotes included. */
    public static String quote(final String value)
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

    /** @return counts by name as a JSON object, in name order. */
    static String object(final Map<String, Long> counts)
    {
        final StringBuilder object = new StringBuilder("{");
        new TreeMap<>(counts).forEach((name, count) ->
            object.append(object.length() == 1 ? "" : ",").append(quote(name)).append(':').append(count));
        return object.append('}').toString();
    }

    /** @return a value read by {@link Json#parse} written back as JSON. */
    @SuppressWarnings("unchecked")
    static String write(final Object value)
    {
        if (value == null)
        {
            return "null";
        }
        if (value instanceof String string)
        {
            return quote(string);
        }
        if (value instanceof Map<?, ?> map)
        {
            final StringBuilder json = new StringBuilder("{");
            ((Map<String, Object>)map).forEach((key, item) ->
                json.append(json.length() == 1 ? "" : ",").append(quote(key)).append(':').append(write(item)));
            return json.append('}').toString();
        }
        if (value instanceof List<?> list)
        {
            final StringBuilder json = new StringBuilder("[");
            list.forEach(item -> json.append(json.length() == 1 ? "" : ",").append(write(item)));
            return json.append(']').toString();
        }
        return value.toString(); // a number or a boolean, as read
    }

    /**
     * @return the value {@code text} holds.
     * @throws IllegalArgumentException saying where, if {@code text} is not exactly one JSON value.
     */
    public static Object parse(final String text)
    {
        final Json json = new Json(text);
        final Object value = json.value(0);
        json.space();
        if (json.at != text.length())
        {
            throw json.error("more after the value");
        }
        return value;
    }

    private Object value(final int depth)
    {
        if (depth > MAX_DEPTH)
        {
            throw error("nested deeper than " + MAX_DEPTH);
        }
        space();
        if (at >= text.length())
        {
            throw error("the text ends where a value was expected");
        }
        final char c = text.charAt(at);
        return switch (c)
        {
            case '{' -> object(depth);
            case '[' -> array(depth);
            case '"' -> string();
            case 't' -> word("true", Boolean.TRUE);
            case 'f' -> word("false", Boolean.FALSE);
            case 'n' -> word("null", null);
            default -> number();
        };
    }

    private Map<String, Object> object(final int depth)
    {
        final Map<String, Object> object = new LinkedHashMap<>();
        at++;
        space();
        if (peek() == '}')
        {
            at++;
            return object;
        }
        while (true)
        {
            space();
            if (peek() != '"')
            {
                throw error("a key (a string) was expected");
            }
            final String key = string();
            space();
            expect(':');
            if (object.containsKey(key))
            {
                throw error("the key '" + key + "' twice in one object");
            }
            object.put(key, value(depth + 1));
            space();
            if (peek() == ',')
            {
                at++;
                continue;
            }
            expect('}');
            return object;
        }
    }

    private List<Object> array(final int depth)
    {
        final List<Object> array = new ArrayList<>();
        at++;
        space();
        if (peek() == ']')
        {
            at++;
            return array;
        }
        while (true)
        {
            array.add(value(depth + 1));
            space();
            if (peek() == ',')
            {
                at++;
                continue;
            }
            expect(']');
            return array;
        }
    }

    private String string()
    {
        final StringBuilder string = new StringBuilder();
        at++;
        while (true)
        {
            if (at >= text.length())
            {
                throw error("a string is not closed");
            }
            final char c = text.charAt(at++);
            if (c == '"')
            {
                return string.toString();
            }
            if (c < 0x20)
            {
                throw error("a control character inside a string");
            }
            if (c != '\\')
            {
                string.append(c);
                continue;
            }
            final char escaped = at < text.length() ? text.charAt(at++) : 0;
            switch (escaped)
            {
                case '"', '\\', '/' -> string.append(escaped);
                case 'b' -> string.append('\b');
                case 'f' -> string.append('\f');
                case 'n' -> string.append('\n');
                case 'r' -> string.append('\r');
                case 't' -> string.append('\t');
                case 'u' ->
                {
                    if (at + 4 > text.length() || !text.substring(at, at + 4).matches("[0-9a-fA-F]{4}"))
                    {
                        throw error("\\u needs four hex digits");
                    }
                    string.append((char)Integer.parseInt(text.substring(at, at + 4), 16));
                    at += 4;
                }
                default -> throw error("an unknown escape \\" + escaped);
            }
        }
    }

    private Object number()
    {
        final int start = at;
        while (at < text.length() && "+-0123456789.eE".indexOf(text.charAt(at)) >= 0)
        {
            at++;
        }
        final String number = text.substring(start, at);
        if (!number.matches("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?"))
        {
            at = start;
            throw error(number.isEmpty() ? "a value was expected" : "'" + number + "' is not a number");
        }
        if (number.matches("-?[0-9]+"))
        {
            try
            {
                return Long.parseLong(number);
            }
            catch (final NumberFormatException e)
            {
                return Double.parseDouble(number);
            }
        }
        return Double.parseDouble(number);
    }

    private Object word(final String word, final Object value)
    {
        if (!text.startsWith(word, at))
        {
            throw error("a value was expected");
        }
        at += word.length();
        return value;
    }

    private void expect(final char c)
    {
        if (peek() != c)
        {
            throw error("'" + c + "' was expected");
        }
        at++;
    }

    private char peek()
    {
        return at < text.length() ? text.charAt(at) : 0;
    }

    private void space()
    {
        while (at < text.length() && " \t\r\n".indexOf(text.charAt(at)) >= 0)
        {
            at++;
        }
    }

    private IllegalArgumentException error(final String what)
    {
        return new IllegalArgumentException("not JSON at character " + at + ": " + what);
    }
}
