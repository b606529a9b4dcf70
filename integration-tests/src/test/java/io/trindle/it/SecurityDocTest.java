package io.trindle.it;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * docs/security.md backs every claim with a named test: each {@code SomethingTest} and
 * {@code SomethingTest.shouldDoThat} it names must exist in the repository, the method as a {@code @Test} (or a
 * {@code @ParameterizedTest}, run once per language), so that renaming or deleting a test cannot leave a claim
 * standing on nothing.
 */
class SecurityDocTest
{
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern NAMED = Pattern.compile("\\b([A-Z][A-Za-z0-9]*Test)(?:\\.([a-z][A-Za-z0-9]*))?\\b");

    @Test
    void shouldNameOnlyTestsThatExist() throws IOException
    {
        final String doc = Files.readString(ROOT.resolve("docs/security.md"));
        final Map<String, Path> tests;
        try (Stream<Path> files = Files.walk(ROOT))
        {
            tests = files.filter(f -> f.toString().contains("/src/test/java/") && f.toString().endsWith("Test.java"))
                .collect(Collectors.toMap(f -> f.getFileName().toString().replace(".java", ""), Function.identity(),
                    (a, b) -> a));
        }
        final List<String> missing = new ArrayList<>();
        final TreeSet<String> named = new TreeSet<>();
        final Matcher matcher = NAMED.matcher(doc);
        while (matcher.find())
        {
            final String type = matcher.group(1);
            final String method = matcher.group(2);
            named.add(method == null ? type : type + "." + method);
            final Path file = tests.get(type);
            if (file == null)
            {
                missing.add(type + " (no such test class)");
            }
            else if (method != null && !Pattern.compile("@(?:Parameterized)?Test\\s+(?:@[^\\n]*\\s+)*void " + method +
                "\\(").matcher(Files.readString(file)).find())
            {
                missing.add(type + "." + method + " (no such @Test in " + ROOT.relativize(file) + ")");
            }
        }
        assertTrue(named.size() > 20, "the doc names its tests: " + named);
        assertEquals(List.of(), missing, "docs/security.md names tests that do not exist");
    }
}
