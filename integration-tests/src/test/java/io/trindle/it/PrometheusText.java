package io.trindle.it;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict reader of the Prometheus text exposition format, version 0.0.4, for the tests: anything the format does
 * not allow is an {@link IllegalArgumentException} naming the line. Checked: every line ends with a newline; a
 * {@code # HELP} or {@code # TYPE} line names a valid metric name and comes at most once per family, the TYPE before
 * the family's first sample and with a known type, the HELP text with no escape but {@code \\} and {@code \n};
 * metric names {@code [a-zA-Z_:][a-zA-Z0-9_:]*}, label names {@code [a-zA-Z_][a-zA-Z0-9_]*} (not {@code __…}, which
 * is reserved), each once in a sample, label values quoted with no escape but {@code \\}, {@code \"} and
 * {@code \n}; values floats as Go reads them ({@code NaN}, {@code +Inf}, {@code -Inf} included) and an optional
 * integer timestamp; every sample belongs to a family a TYPE line declared before it, a family's lines are one
 * group, and no series (name and label set) comes twice.
 */
final class PrometheusText
{
    private static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
    private static final Pattern FLOAT = Pattern.compile(
        "[+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?Inf|NaN");
    private static final Pattern TIMESTAMP = Pattern.compile("-?[0-9]+");
    private static final Pattern HELP = Pattern.compile("#[ \t]+HELP[ \t]+([^ \t]+)(?:[ \t](.*))?");
    private static final Pattern TYPE = Pattern.compile("#[ \t]+TYPE[ \t]+([^ \t]+)[ \t]+([^ \t]+)[ \t]*");
    private static final Set<String> TYPES = Set.of("counter", "gauge", "histogram", "summary", "untyped");

    /** One sample: its metric name, its labels (sorted by name) and its value. */
    record Sample(String name, Map<String, String> labels, double value)
    {
    }

    /** One metric family: its name as the TYPE line gives it, its type, its HELP text and its samples in order. */
    record Family(String name, String type, String help, List<Sample> samples)
    {
    }

    private PrometheusText()
    {
    }

    /**
     * @return the families of {@code text}, by name, in the order they came.
     * @throws IllegalArgumentException at the first thing the format does not allow, naming its line.
     */
    static Map<String, Family> parse(final String text)
    {
        if (!text.isEmpty() && !text.endsWith("\n"))
        {
            throw new IllegalArgumentException("the last line does not end with a newline");
        }
        final Map<String, String> types = new LinkedHashMap<>();
        final Map<String, String> helps = new LinkedHashMap<>();
        final Map<String, List<Sample>> samples = new LinkedHashMap<>();
        final Set<String> closed = new HashSet<>();
        final Set<String> series = new HashSet<>();
        String current = null;
        final String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length - 1; i++)
        {
            final String line = lines[i];
            final int number = i + 1;
            try
            {
                if (line.isBlank())
                {
                    continue;
                }
                final String family;
                if (line.startsWith("#"))
                {
                    final Matcher help = HELP.matcher(line);
                    final Matcher type = TYPE.matcher(line);
                    if (help.matches())
                    {
                        family = name(help.group(1));
                        if (helps.put(family, unescapeHelp(help.group(2) == null ? "" : help.group(2))) != null)
                        {
                            throw new IllegalArgumentException("a second HELP line for " + family);
                        }
                    }
                    else if (type.matches())
                    {
                        family = name(type.group(1));
                        if (!TYPES.contains(type.group(2)))
                        {
                            throw new IllegalArgumentException("unknown type '" + type.group(2) + "'");
                        }
                        if (samples.containsKey(family))
                        {
                            throw new IllegalArgumentException("the TYPE line of " + family + " comes after its " +
                                "samples");
                        }
                        if (types.put(family, type.group(2)) != null)
                        {
                            throw new IllegalArgumentException("a second TYPE line for " + family);
                        }
                    }
                    else if (line.matches("#[ \t]+(HELP|TYPE)([ \t].*)?"))
                    {
                        throw new IllegalArgumentException("a HELP line is '# HELP NAME TEXT', a TYPE line " +
                            "'# TYPE NAME TYPE'");
                    }
                    else
                    {
                        continue; // a comment
                    }
                }
                else
                {
                    final Sample sample = sample(line);
                    family = familyOf(sample.name(), types);
                    if (!series.add(sample.name() + sample.labels()))
                    {
                        throw new IllegalArgumentException("a second sample of the series " + sample.name() +
                            sample.labels());
                    }
                    samples.computeIfAbsent(family, ignored -> new ArrayList<>()).add(sample);
                }
                if (!family.equals(current))
                {
                    if (!closed.add(family))
                    {
                        throw new IllegalArgumentException("the lines of " + family + " are not one group: it " +
                            "comes again after another family");
                    }
                    current = family;
                }
            }
            catch (final IllegalArgumentException e)
            {
                throw new IllegalArgumentException("line " + number + ": " + e.getMessage() + ": " + line, e);
            }
        }
        final Map<String, Family> families = new LinkedHashMap<>();
        for (final Map.Entry<String, String> type : types.entrySet())
        {
            families.put(type.getKey(), new Family(type.getKey(), type.getValue(), helps.get(type.getKey()),
                List.copyOf(samples.getOrDefault(type.getKey(), List.of()))));
        }
        return families;
    }

    /** @return the family {@code name} belongs to, as declared by a TYPE line: itself, or a histogram or summary. */
    private static String familyOf(final String name, final Map<String, String> types)
    {
        if (types.containsKey(name))
        {
            return name;
        }
        for (final String suffix : List.of("_bucket", "_sum", "_count"))
        {
            final String base = name.endsWith(suffix) ? name.substring(0, name.length() - suffix.length()) : null;
            if (base != null && ("histogram".equals(types.get(base)) ||
                "summary".equals(types.get(base)) && !suffix.equals("_bucket")))
            {
                return base;
            }
        }
        throw new IllegalArgumentException("the sample's family " + name + " was not declared by a TYPE line " +
            "before it");
    }

    private static String name(final String name)
    {
        if (!METRIC_NAME.matcher(name).matches())
        {
            throw new IllegalArgumentException("'" + name + "' is not a metric name");
        }
        return name;
    }

    private static Sample sample(final String line)
    {
        int at = 0;
        while (at < line.length() && line.charAt(at) != '{' && line.charAt(at) != ' ' && line.charAt(at) != '\t')
        {
            at++;
        }
        final String name = line.substring(0, at);
        if (!METRIC_NAME.matcher(name).matches())
        {
            throw new IllegalArgumentException("'" + name + "' is not a metric name");
        }
        final Map<String, String> labels = new TreeMap<>();
        if (at < line.length() && line.charAt(at) == '{')
        {
            at++;
            while (line.charAt(at) != '}')
            {
                final int equals = line.indexOf('=', at);
                if (equals < 0)
                {
                    throw new IllegalArgumentException("a label without '='");
                }
                final String label = line.substring(at, equals);
                if (!LABEL_NAME.matcher(label).matches() || label.startsWith("__"))
                {
                    throw new IllegalArgumentException("'" + label + "' is not a label name");
                }
                if (equals + 1 >= line.length() || line.charAt(equals + 1) != '"')
                {
                    throw new IllegalArgumentException("the value of label " + label + " is not quoted");
                }
                final StringBuilder value = new StringBuilder();
                at = equals + 2;
                while (true)
                {
                    if (at >= line.length())
                    {
                        throw new IllegalArgumentException("the value of label " + label + " is not closed");
                    }
                    final char c = line.charAt(at++);
                    if (c == '"')
                    {
                        break;
                    }
                    if (c == '\\')
                    {
                        final char escaped = at < line.length() ? line.charAt(at++) : 0;
                        switch (escaped)
                        {
                            case '\\' -> value.append('\\');
                            case '"' -> value.append('"');
                            case 'n' -> value.append('\n');
                            default -> throw new IllegalArgumentException("'\\" + escaped + "' in the value of " +
                                "label " + label + " is not an escape of the format");
                        }
                    }
                    else
                    {
                        value.append(c);
                    }
                }
                if (labels.put(label, value.toString()) != null)
                {
                    throw new IllegalArgumentException("label " + label + " twice");
                }
                if (at < line.length() && line.charAt(at) == ',')
                {
                    at++;
                }
                else if (at >= line.length() || line.charAt(at) != '}')
                {
                    throw new IllegalArgumentException("expected ',' or '}' after label " + label);
                }
            }
            at++;
        }
        final String[] rest = line.substring(at).strip().split("[ \t]+");
        if (rest.length < 1 || rest.length > 2 || at >= line.length() ||
            (line.charAt(at) != ' ' && line.charAt(at) != '\t'))
        {
            throw new IllegalArgumentException("expected the value, and maybe a timestamp, after a blank");
        }
        if (!FLOAT.matcher(rest[0]).matches())
        {
            throw new IllegalArgumentException("'" + rest[0] + "' is not a float value");
        }
        if (rest.length == 2 && !TIMESTAMP.matcher(rest[1]).matches())
        {
            throw new IllegalArgumentException("'" + rest[1] + "' is not a timestamp");
        }
        final String value = rest[0].replace("Inf", "Infinity");
        return new Sample(name, labels, Double.parseDouble(value));
    }

    private static String unescapeHelp(final String help)
    {
        final StringBuilder text = new StringBuilder();
        for (int i = 0; i < help.length(); i++)
        {
            final char c = help.charAt(i);
            if (c != '\\')
            {
                text.append(c);
                continue;
            }
            final char escaped = i + 1 < help.length() ? help.charAt(++i) : 0;
            switch (escaped)
            {
                case '\\' -> text.append('\\');
                case 'n' -> text.append('\n');
                default -> throw new IllegalArgumentException("'\\" + escaped + "' in a HELP text is not an " +
                    "escape of the format");
            }
        }
        return text.toString();
    }
}
