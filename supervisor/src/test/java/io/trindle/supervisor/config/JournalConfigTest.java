package io.trindle.supervisor.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The top-level {@code journal:} of a config: the forms taken, and for each wrong one what is said, where. */
class JournalConfigTest
{
    private static final String WORKERS = """
        workers:
          reader:
            command: [./reader]
        """;

    private static PipelineConfig parse(final String journal) throws ConfigException
    {
        return PipelineConfigParser.parse(Path.of("/srv/p/p.yaml"), WORKERS + journal);
    }

    private static void refused(final String journal, final String message)
    {
        final ConfigException e = assertThrows(ConfigException.class, () -> parse(journal), journal);
        assertEquals(message, e.getMessage(), journal);
    }

    @Test
    void shouldReadTheJournalSectionAndKeepOneInTheRunDirectoryWithoutIt() throws Exception
    {
        assertEquals(JournalConfig.DEFAULT, parse("").journal());
        assertEquals(JournalConfig.NONE, parse("journal: none\n").journal());
        assertEquals(new JournalConfig(true, Path.of("/var/lib/trindle")),
            parse("journal: { directory: /var/lib/trindle }\n").journal());
        // A relative directory is the config's own directory's.
        assertEquals(new JournalConfig(true, Path.of("/srv/p/journals")),
            parse("journal:\n  directory: journals\n").journal());
        assertEquals(new JournalConfig(true, Path.of("/srv/logs")),
            parse("journal: { directory: ../logs }\n").journal());
    }

    @Test
    void shouldSayWhatIsWrongWithTheJournalSectionAndWhere()
    {
        refused("journal: off\n", "/srv/p/p.yaml:4:10: 'journal' is 'off': write journal: { directory: DIR } to " +
            "keep it in DIR, or journal: none to keep none (without 'journal', it is kept in the run directory)");
        refused("journal: { directroy: /tmp }\n", "/srv/p/p.yaml:4:12: unknown key 'directroy' in 'journal'; did " +
            "you mean 'directory'? (valid keys: directory)");
        refused("journal: {}\n", "/srv/p/p.yaml:4:1: 'journal' has no 'directory': write journal: { directory: DIR } " +
            "to keep it in DIR, or journal: none to keep none (without 'journal', it is kept in the run directory)");
        refused("journal: [a]\n", "/srv/p/p.yaml:4:10: expected a mapping for 'journal', found a list");
    }

    @Test
    void shouldTakeADirectoryOnlyForAJournalKept()
    {
        assertThrows(IllegalArgumentException.class, () -> new JournalConfig(false, Path.of("/tmp")));
        assertThrows(IllegalArgumentException.class, () -> new JournalConfig(true, Path.of("relative")));
    }
}
