package io.trindle.supervisor.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every file under {@code bad/} is refused with exactly the message in the {@code .expected} file beside it:
 * each problem's line, column and text, all of them, in order. The file is parsed under its bare name, so the
 * expected text reads as a user would see it for {@code trindle validate NAME.yaml}.
 */
class BadConfigTest
{
    static Stream<String> badFiles() throws IOException, URISyntaxException
    {
        try (Stream<Path> files = Files.list(badDirectory()))
        {
            return files.map(file -> file.getFileName().toString()).filter(name -> name.endsWith(".yaml"))
                .sorted().toList().stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badFiles")
    void shouldRefuseWithTheExpectedProblems(final String name) throws Exception
    {
        final Path yaml = badDirectory().resolve(name);
        final Path expectedFile = badDirectory().resolve(name.replaceFirst("\\.yaml$", ".expected"));
        assertTrue(Files.exists(expectedFile), "missing " + expectedFile.getFileName());
        final String expected = Files.readString(expectedFile, StandardCharsets.UTF_8).stripTrailing();

        final ConfigException e = assertThrows(ConfigException.class,
            () -> PipelineConfigParser.parse(Path.of(name), Files.readString(yaml, StandardCharsets.UTF_8)));

        assertEquals(expected, e.getMessage());
        assertEquals(expected.lines().count(), e.problems().size());
    }

    @Test
    void shouldCoverEveryRuleWithAtLeastTwentyFiles() throws Exception
    {
        final List<String> names = badFiles().toList();
        assertTrue(names.size() >= 20, "only " + names.size() + " bad files");
        for (final String rule : List.of("unknown-keys", "duplicate-keys", "wrong-types", "unknown-object",
            "pipe-and-segment", "two-receivers", "no-receiver", "no-sender", "right-on-wrong-kind",
            "send-and-receive", "unknown-right", "write-without-read", "no-launch", "two-launches", "empty-command",
            "bad-replicas", "bad-timeouts", "bad-names", "missing-workers", "empty-workers", "unknown-top-level-key",
            "too-many-senders", "too-many-receiver-replicas", "too-many-replicas", "too-long-durations",
            "too-large-numbers", "too-deep", "too-long-names", "alias-bomb", "too-many-problems", "stdio",
            "bad-hosts", "bad-hosts-empty", "bad-hosts-not-a-mapping", "bad-hosts-undeclared"))
        {
            assertTrue(names.contains(rule + ".yaml"), "no bad file for rule " + rule);
        }
    }

    private static Path badDirectory() throws URISyntaxException
    {
        return Path.of(BadConfigTest.class.getResource("/bad").toURI());
    }
}
