package io.trindle.supervisor.config;

import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;
import org.snakeyaml.engine.v2.resolver.ScalarResolver;
import org.snakeyaml.engine.v2.schema.CoreSchema;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Expands variables in a config's values from the supervisor's environment, as docker compose and systemd do,
 * before any value is read: {@code ${NAME}} is the variable's value, {@code ${NAME:-default}} the default when
 * the variable is unset or empty (the default is taken as written, up to the first closing brace), {@code $$}
 * one dollar sign. Any other dollar sign stays as it is. Keys are not expanded, only values. A value that held a
 * variable is typed by what it expands to, so {@code replicas: ${SPLITTERS:-2}} is a number; where text is
 * expected any value reads as its text, and one that expands to nothing is an empty string.
 *
 * <p>An unset variable without a default, and a reference that is not one of these forms, is a problem at the
 * reference. The tree is walked once, each node once however many aliases name it.
 */
final class Variables
{
    private static final ScalarResolver RESOLVER = new CoreSchema().getScalarResolver();
    private static final String FORMS = "write ${NAME} or ${NAME:-default}, and $$ for a literal $";

    private final Map<String, String> environment;
    private final Problems problems;
    /** Each scalar already expanded, with what it became: an alias names the same node as its anchor. */
    private final Map<Node, Node> expanded = new IdentityHashMap<>();
    private final Set<Node> visited = Collections.newSetFromMap(new IdentityHashMap<>());
    /** Characters of the expanded values so far, against {@link Limits#MAX_EXPANSION_SIZE}. */
    private long expandedLength;

    Variables(final Map<String, String> environment, final Problems problems)
    {
        this.environment = environment;
        this.problems = problems;
    }

    /**
     * @param node the root of the tree; its collections are changed in place.
     * @return the node to stand in its place: itself, or for a scalar holding a {@code $}, the expanded scalar.
     */
    Node expand(final Node node)
    {
        return expand(node, "the value");
    }

    /**
     * @param what the value's name in a problem: its key, e.g. {@code 'lane'}, or the key of its list.
     */
    private Node expand(final Node node, final String what)
    {
        switch (node)
        {
            case ScalarNode scalar ->
            {
                return expanded.computeIfAbsent(scalar, ignored -> expandScalar(scalar, what));
            }
            case SequenceNode sequence ->
            {
                if (visited.add(sequence))
                {
                    sequence.getValue().replaceAll(item -> expand(item, what));
                }
            }
            case MappingNode mapping ->
            {
                if (visited.add(mapping))
                {
                    final List<NodeTuple> tuples = new ArrayList<>(mapping.getValue().size());
                    for (final NodeTuple tuple : mapping.getValue())
                    {
                        final String key = tuple.getKeyNode() instanceof ScalarNode scalar ?
                            "'" + scalar.getValue() + "'" : "the value";
                        tuples.add(new NodeTuple(tuple.getKeyNode(), expand(tuple.getValueNode(), key)));
                    }
                    mapping.setValue(tuples);
                }
            }
            default ->
            {
                // an anchor node or the like: nothing to expand
            }
        }
        return node;
    }

    private Node expandScalar(final ScalarNode scalar, final String what)
    {
        final String text = scalar.getValue();
        // The YAML library tags a plain value that is one whole ${…} as an environment variable of its own.
        if (text.indexOf('$') < 0 || !Tag.STR.equals(scalar.getTag()) && !Tag.ENV_TAG.equals(scalar.getTag()))
        {
            return scalar;
        }
        final String value = expand(text, scalar, what);
        if (value == null || value.equals(text))
        {
            return scalar;
        }
        expandedLength += value.length();
        if (expandedLength > Limits.MAX_EXPANSION_SIZE)
        {
            problems.add(scalar, "the values expand to more than " + Sizes.format(Limits.MAX_EXPANSION_SIZE) +
                " characters in all, more than a config may; a variable this long is most likely not the one meant");
            throw new Problems.TooMany();
        }
        // Typed by what it expands to; an empty one stays an empty string, not "nothing".
        final Tag tag = value.isEmpty() ? Tag.STR : RESOLVER.resolve(value, true);
        return new ScalarNode(tag, true, value, scalar.getScalarStyle(), scalar.getStartMark(), scalar.getEndMark());
    }

    /**
     * @param at   the scalar {@code text} is the value of, where a problem is reported.
     * @param what its name in a problem.
     * @return the text with its variables expanded, or {@code null} (reported) if one is unset or malformed.
     */
    private String expand(final String text, final ScalarNode at, final String what)
    {
        final StringBuilder out = new StringBuilder(text.length());
        int i = 0;
        while (i < text.length())
        {
            final char c = text.charAt(i);
            if (c != '$' || i + 1 == text.length() || text.charAt(i + 1) != '$' && text.charAt(i + 1) != '{')
            {
                out.append(c);
                i++;
                continue;
            }
            if (text.charAt(i + 1) == '$')
            {
                out.append('$');
                i += 2;
                continue;
            }
            final int close = text.indexOf('}', i + 2);
            if (close < 0)
            {
                problems.add(at(at, i), what + " has '${' with no closing '}': " + FORMS);
                return null;
            }
            final String reference = text.substring(i + 2, close);
            final int operator = reference.indexOf(":-");
            final String name = operator < 0 ? reference : reference.substring(0, operator);
            if (!ConfigReader.ENVIRONMENT_NAME.matcher(name).matches() ||
                operator < 0 && !reference.equals(name))
            {
                problems.add(at(at, i), what + " has '${" + reference + "}', which is not a variable: " + FORMS +
                    " (a NAME holds letters, digits and '_', not starting with a digit)");
                return null;
            }
            final String value = environment.get(name);
            if (operator >= 0 && (value == null || value.isEmpty()))
            {
                out.append(reference, operator + 2, reference.length());
            }
            else if (value == null)
            {
                problems.add(at(at, i), what + " uses ${" + name + "}, but environment variable " + name + " is not " +
                    "set: set it where the supervisor runs, or give a default: ${" + name + ":-default}");
                return null;
            }
            else
            {
                out.append(value);
            }
            i = close + 1;
        }
        return out.toString();
    }

    /**
     * @return where the {@code index}-th character of a scalar's value is: exact for a plain value on one line,
     *         where the value is the text as written; the value's start otherwise (a quoted value may hold escapes).
     */
    private Position at(final ScalarNode scalar, final int index)
    {
        final Position start = problems.positionOf(scalar);
        final boolean oneLine = scalar.getEndMark().isPresent() && scalar.getStartMark().isPresent() &&
            scalar.getEndMark().get().getLine() == scalar.getStartMark().get().getLine();
        return scalar.isPlain() && oneLine ? new Position(start.file(), start.line(), start.column() + index) : start;
    }
}
