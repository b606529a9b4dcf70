package io.trindle.supervisor.config;

import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads typed values out of a YAML node tree, reporting each value of the wrong type or form as a
 * {@link Problem} at that value and returning {@code null} for it, so that the caller carries on with the rest.
 * Each method takes a {@code what}, the value's name in messages, e.g. {@code 'replicas' of worker 'splitter'}.
 */
final class NodeReader
{
    private final Problems problems;

    NodeReader(final Problems problems)
    {
        this.problems = problems;
    }

    Problems problems()
    {
        return problems;
    }

    /**
     * One key and its value in a mapping.
     *
     * @param key     the key's text.
     * @param keyNode the key, for positions.
     * @param value   the value.
     */
    record Entry(String key, Node keyNode, Node value)
    {
    }

    /**
     * @param node  the node that should be a mapping; an empty value counts as an empty mapping, so that
     *              {@code lines:} with nothing after it declares a pipe with every default.
     * @param what  the mapping's name, for a wrong type.
     * @param noun  what its keys are, for duplicates, e.g. {@code key} or {@code pipe}.
     * @param where where its keys are, for duplicates, with a leading space, e.g. {@code " in worker 'reader'"}.
     * @return the entries in file order, without any key that is not a string or repeats an earlier one; or
     *         {@code null} if the node is not a mapping.
     */
    List<Entry> mapping(final Node node, final String what, final String noun, final String where)
    {
        if (isNull(node))
        {
            return List.of();
        }
        if (!(node instanceof MappingNode mapping))
        {
            problems.add(node, "expected a mapping for " + what + ", found " + describe(node));
            return null;
        }
        final Map<String, Entry> seen = new LinkedHashMap<>();
        for (final NodeTuple tuple : mapping.getValue())
        {
            final Node keyNode = tuple.getKeyNode();
            if (!(keyNode instanceof ScalarNode scalar) || isNull(keyNode))
            {
                problems.add(keyNode, "expected a string as a key, found " + describe(keyNode));
                continue;
            }
            final Entry first = seen.get(scalar.getValue());
            if (first != null)
            {
                problems.add(keyNode, "duplicate " + noun + " '" + scalar.getValue() + "'" + where +
                    " (first at " + placeOf(first.keyNode, keyNode) + ")");
                continue;
            }
            seen.put(scalar.getValue(), new Entry(scalar.getValue(), keyNode, tuple.getValueNode()));
        }
        return new ArrayList<>(seen.values());
    }

    /**
     * @param entries a mapping's entries.
     * @param valid   the keys it may have, in the order the documentation lists them.
     * @param where   where the keys are, e.g. {@code "in worker 'reader'"}.
     * @return the entries with a valid key, by key, in file order; every other key is reported.
     */
    Map<String, Entry> keys(final List<Entry> entries, final List<String> valid, final String where)
    {
        final Map<String, Entry> known = new LinkedHashMap<>();
        for (final Entry entry : entries)
        {
            if (valid.contains(entry.key))
            {
                known.put(entry.key, entry);
            }
            else
            {
                problems.add(entry.keyNode, "unknown key '" + entry.key + "' " + where +
                    Suggestions.didYouMean(entry.key, valid) + " (valid keys: " + String.join(", ", valid) + ")");
            }
        }
        return known;
    }

    /**
     * @return the text of a scalar that is not empty-valued, or {@code null} (reported) for anything else.
     */
    String text(final Node node, final String what)
    {
        if (node instanceof ScalarNode scalar && !isNull(node))
        {
            return scalar.getValue();
        }
        problems.add(node, "expected a string for " + what + ", found " + describe(node));
        return null;
    }

    /**
     * @return the list's items, or {@code null} (reported) if the node is not a list.
     */
    List<Node> list(final Node node, final String what, final String hint)
    {
        if (node instanceof SequenceNode sequence)
        {
            return sequence.getValue();
        }
        problems.add(node, "expected a list for " + what + ", found " + describe(node) + hint);
        return null;
    }

    /**
     * @param max      the largest count allowed.
     * @param tooLarge what to say of a larger one, after "is VALUE, ", e.g. {@code too large: at most 100}.
     * @return a YAML integer (a plain decimal number) from 1 to {@code max}, or {@code null} (reported) for
     *         anything else, a quoted number included.
     */
    Integer count(final Node node, final String what, final int max, final String tooLarge)
    {
        if (node instanceof ScalarNode scalar && Tag.INT.equals(node.getTag()))
        {
            final String text = scalar.getValue();
            if (!text.matches("[-+]?[0-9]+"))
            {
                problems.add(node, what + " must be a decimal integer, not " + text);
                return null;
            }
            // Any number of digits is read: one past the range of a long is still only too large or too small.
            final boolean negative = text.startsWith("-");
            final String digits = text.replaceFirst("^[-+]?0*", "");
            if (negative || digits.isEmpty())
            {
                problems.add(node, what + " must be at least 1, not " + text);
                return null;
            }
            if (digits.length() > 10 || Long.parseLong(digits) > max)
            {
                problems.add(node, what + " is " + text + ", " + tooLarge);
                return null;
            }
            return Integer.parseInt(digits);
        }
        problems.add(node, "expected an integer for " + what + ", found " + describe(node));
        return null;
    }

    /**
     * @return a boolean ({@code true} or {@code false}), or {@code null} (reported).
     */
    Boolean bool(final Node node, final String what)
    {
        if (node instanceof ScalarNode scalar && Tag.BOOL.equals(node.getTag()))
        {
            return Boolean.parseBoolean(scalar.getValue());
        }
        problems.add(node, "expected true or false for " + what + ", found " + describe(node));
        return null;
    }

    /**
     * @return a size in bytes ({@link Sizes}), or {@code null} (reported); may be zero or negative.
     */
    Long size(final Node node, final String what)
    {
        if (!(node instanceof ScalarNode scalar) || isNull(node))
        {
            problems.add(node, "expected a size (e.g. 64KiB) for " + what + ", found " + describe(node));
            return null;
        }
        try
        {
            return Sizes.parse(scalar.getValue());
        }
        catch (final IllegalArgumentException e)
        {
            problems.add(node, what + ": " + e.getMessage());
            return null;
        }
    }

    /**
     * @return a positive duration ({@link Durations}) of at most {@link Limits#MAX_DURATION}, or {@code null}
     *         (reported).
     */
    Duration positiveDuration(final Node node, final String what)
    {
        if (!(node instanceof ScalarNode scalar) || isNull(node))
        {
            problems.add(node, "expected a duration (e.g. 5s) for " + what + ", found " + describe(node));
            return null;
        }
        return positiveDuration(node, scalar.getValue(), what);
    }

    /**
     * @param at   where to report a problem.
     * @param text the duration, e.g. one half of a range.
     * @return a positive duration of at most {@link Limits#MAX_DURATION}, or {@code null} (reported).
     */
    Duration positiveDuration(final Node at, final String text, final String what)
    {
        try
        {
            final Duration duration = Durations.parse(text);
            if (!duration.isPositive())
            {
                problems.add(at, what + " must be positive, not '" + text + "'");
                return null;
            }
            if (duration.compareTo(Limits.MAX_DURATION) > 0)
            {
                problems.add(at, what + ": " + Durations.tooLong(text));
                return null;
            }
            return duration;
        }
        catch (final IllegalArgumentException e)
        {
            problems.add(at, what + ": " + e.getMessage());
            return null;
        }
    }

    /**
     * @param kind  what the word names, e.g. {@code partition}.
     * @param valid the words accepted.
     * @return one of {@code valid}, or {@code null} (reported).
     */
    String word(final Node node, final String what, final String kind, final List<String> valid)
    {
        final String text = text(node, what);
        if (text == null)
        {
            return null;
        }
        if (!valid.contains(text))
        {
            problems.add(node, "unknown " + kind + " '" + text + "' for " + what +
                Suggestions.didYouMean(text, valid) + " (valid: " + String.join(", ", valid) + ")");
            return null;
        }
        return text;
    }

    static boolean isNull(final Node node)
    {
        return node instanceof ScalarNode && Tag.NULL.equals(node.getTag());
    }

    /**
     * @return what a node is, for "found …": {@code a mapping}, {@code a list}, {@code nothing} (an empty value),
     *         {@code the integer 5}, {@code the string 'two'}, ….
     */
    static String describe(final Node node)
    {
        return switch (node)
        {
            case MappingNode ignored -> "a mapping";
            case SequenceNode ignored -> "a list";
            case ScalarNode scalar when Tag.NULL.equals(scalar.getTag()) -> "nothing";
            case ScalarNode scalar when Tag.INT.equals(scalar.getTag()) -> "the integer " + scalar.getValue();
            case ScalarNode scalar when Tag.FLOAT.equals(scalar.getTag()) -> "the number " + scalar.getValue();
            case ScalarNode scalar when Tag.BOOL.equals(scalar.getTag()) -> "the boolean " + scalar.getValue();
            case ScalarNode scalar -> "the string '" + scalar.getValue() + "'";
            default -> "a " + node.getNodeType().name().toLowerCase(Locale.ROOT);
        };
    }

    /**
     * @return where {@code earlier} is, said as briefly as tells it apart from {@code later}: {@code line 7}, or
     *         {@code line 7, column 15} when both are on one line (as in a flow mapping).
     */
    String placeOf(final Node earlier, final Node later)
    {
        final Position first = problems.positionOf(earlier);
        return first.line() == problems.positionOf(later).line() ?
            "line " + first.line() + ", column " + first.column() : "line " + first.line();
    }

    /**
     * @return the 1-based line a node starts on.
     */
    int line(final Node node)
    {
        return problems.positionOf(node).line();
    }
}
