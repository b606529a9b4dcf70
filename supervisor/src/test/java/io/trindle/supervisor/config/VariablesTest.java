package io.trindle.supervisor.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@code ${VAR}} and {@code ${VAR:-default}} in values expand from the environment given, before each value is
 * read; an unset variable without a default and a malformed reference are problems at the value.
 */
class VariablesTest
{
    private static final Path FILE = Path.of("vars.yaml");

    private static PipelineConfig parse(final Map<String, String> environment, final String text) throws Exception
    {
        return PipelineConfigParser.parse(FILE, text, Surroundings.ofEnvironment(environment));
    }

    private static String refusal(final Map<String, String> environment, final String text)
    {
        return assertThrows(ConfigException.class, () -> parse(environment, text)).getMessage();
    }

    @Test
    void shouldExpandBeforeEachValueIsRead() throws Exception
    {
        final PipelineConfig config = parse(Map.of("LANE", "4MiB", "SPLITTERS", "3", "TOOL", "./bin/splitter"), """
            pipes:
              lines:
                lane: ${LANE}
              words: { lane: "${WORDS_LANE:-1MiB}" }
            workers:
              reader:
                run: ./reader --out ${OUT:-lines}
                grants: { lines: send }
              splitter:
                run: ${TOOL} --fast
                replicas: ${SPLITTERS}
                grants: { lines: receive, words: send }
              counter:
                command: ["${TOOL}", "$${HOME}", "a$$b", "$x", "${SPLITTERS}"]
                grants: { words: receive }
            """);

        assertEquals(4 << 20, config.pipes().get("lines").laneCapacity());
        assertEquals(1 << 20, config.pipes().get("words").laneCapacity());
        assertEquals(new Launch.Command(List.of("./reader", "--out", "lines")),
            config.workers().get("reader").launch());
        assertEquals(new Launch.Command(List.of("./bin/splitter", "--fast")),
            config.workers().get("splitter").launch());
        assertEquals(3, config.workers().get("splitter").replicas());
        assertEquals(new Launch.Command(List.of("./bin/splitter", "${HOME}", "a$b", "$x", "3")),
            config.workers().get("counter").launch());
    }

    @Test
    void shouldTakeTheDefaultWhenTheVariableIsEmptyAndKeepAnEmptyValueAString() throws Exception
    {
        final PipelineConfig config = parse(Map.of("EMPTY", ""), """
            workers:
              solo:
                run: ./solo
                env:
                  A: ${EMPTY:-fallback}
                  B: ${EMPTY}
                  C: "${EMPTY}"
            """);

        assertEquals(Map.of("A", "fallback", "B", "", "C", ""), config.workers().get("solo").environment());
    }

    @Test
    void shouldNotExpandKeys()
    {
        assertEquals("vars.yaml:5:7: environment variable name '${NAME}' in worker 'solo' is not valid: use letters, " +
            "digits and '_', not starting with a digit", refusal(Map.of("NAME", "x"), """
                workers:
                  solo:
                    run: ./solo
                    env:
                      ${NAME}: ${NAME}
                """));
    }

    @Test
    void shouldExpandAnAliasedValueEverywhereItIsUsed() throws Exception
    {
        final PipelineConfig config = parse(Map.of("TOOL", "./tool"), """
            workers:
              a:
                run: &tool ${TOOL}
              b:
                run: *tool
            """);

        assertEquals(new Launch.Command(List.of("./tool")), config.workers().get("a").launch());
        assertEquals(new Launch.Command(List.of("./tool")), config.workers().get("b").launch());
    }

    @Test
    void shouldRefuseAnUnsetVariableWithoutADefaultNamingIt()
    {
        assertEquals("vars.yaml:3:11: 'lane' uses ${LANE}, but environment variable LANE is not set: set it where " +
            "the supervisor runs, or give a default: ${LANE:-default}\n" +
            "vars.yaml:6:17: 'run' uses ${BIN}, but environment variable BIN is not set: set it where the " +
            "supervisor runs, or give a default: ${BIN:-default}\n" +
            "vars.yaml:8:29: 'command' uses ${ARG}, but environment variable ARG is not set: set it where the " +
            "supervisor runs, or give a default: ${ARG:-default}",
            refusal(Map.of("OTHER", "x"), """
                pipes:
                  lines:
                    lane: ${LANE}
                workers:
                  solo:
                    run: ./solo ${BIN}/x
                    grants: { lines: send }
                  sink: { command: [./sink, "${ARG}"], grants: { lines: receive } }
                """));
    }

    @Test
    void shouldRefuseAMalformedReference()
    {
        final String forms = "write ${NAME} or ${NAME:-default}, and $$ for a literal $";
        final String name = " (a NAME holds letters, digits and '_', not starting with a digit)";
        assertEquals("vars.yaml:3:14: 'run' has '${' with no closing '}': " + forms + "\n" +
            "vars.yaml:5:14: 'run' has '${1X}', which is not a variable: " + forms + name + "\n" +
            "vars.yaml:7:14: 'run' has '${X:?no}', which is not a variable: " + forms + name + "\n" +
            "vars.yaml:9:10: 'run' has '${}', which is not a variable: " + forms + name,
            refusal(Map.of("X", "x"), """
                workers:
                  a:
                    run: ./a ${X --fast
                  b:
                    run: ./b ${1X}
                  c:
                    run: ./c ${X:?no}
                  d:
                    run: ${}
                """));
    }

    @Test
    void shouldStopALongVariableUsedOftenFromExpandingWithoutEnd()
    {
        final StringBuilder text = new StringBuilder("workers:\n  solo:\n    run: ./solo\n    env:\n");
        for (int i = 0; i < 200; i++)
        {
            text.append("      V").append(i).append(": ${LONG}\n");
        }

        final String refusal = refusal(Map.of("LONG", "x".repeat(100_000)), text.toString());

        assertEquals("vars.yaml:172:13: the values expand to more than 16MiB characters in all, more than a config " +
            "may; a variable this long is most likely not the one meant", refusal);
    }
}
