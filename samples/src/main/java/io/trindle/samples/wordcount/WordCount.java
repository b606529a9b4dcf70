package io.trindle.samples.wordcount;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the word-count stages agree on: the built-in text, how a line splits into words, and the single-process
 * reference count that the pipeline's result must equal exactly.
 */
public final class WordCount
{
    private WordCount()
    {
    }

    /** @return the lines of the built-in text (a resource of this package). */
    public static List<String> builtInText()
    {
        try (InputStream in = WordCount.class.getResourceAsStream("text.txt"))
        {
            if (in == null)
            {
                throw new IllegalStateException("the built-in text resource io/trindle/samples/wordcount/text.txt " +
                    "is missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException(e);
        }
    }

    /** @return the words of a line: runs of letters (and inner apostrophes), lower-cased. */
    public static List<String> words(final String line)
    {
        final List<String> words = new ArrayList<>();
        for (final String word : line.toLowerCase(Locale.ROOT).split("[^\\p{L}']+"))
        {
            final String trimmed = word.replaceAll("^'+|'+$", "");
            if (!trimmed.isEmpty())
            {
                words.add(trimmed);
            }
        }
        return words;
    }

    /** @return the counts of every word of the built-in text read {@code repeat} times, in one process. */
    public static Map<String, Long> reference(final int repeat)
    {
        final Map<String, Long> counts = new HashMap<>();
        for (final String line : builtInText())
        {
            for (final String word : words(line))
            {
                counts.merge(word, (long)repeat, Long::sum);
            }
        }
        return counts;
    }

    /** @return the counts as lines {@code "word count"}, most frequent first, ties in word order. */
    public static List<String> render(final Map<String, Long> counts, final int limit)
    {
        return counts.entrySet().stream()
            .sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()).thenComparing(
                Map.Entry.comparingByKey()))
            .limit(limit).map(e -> e.getKey() + " " + e.getValue()).toList();
    }
}
