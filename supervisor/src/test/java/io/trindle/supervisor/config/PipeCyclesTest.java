package io.trindle.supervisor.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A cycle of pipes between workers is a warning that names the workers and pipes of the cycle, once. */
class PipeCyclesTest
{
    private static List<String> warnings(final String text) throws Exception
    {
        return PipeCycles.warnings(PipelineConfigParser.parse(Path.of("cycle.yaml"), text));
    }

    @Test
    void shouldSayNothingOfAPipelineWithoutACycle() throws Exception
    {
        assertEquals(List.of(), warnings("""
            pipes: { lines: {}, words: {} }
            workers:
              reader: { run: ./reader, grants: { lines: send } }
              splitter: { run: ./splitter, grants: { lines: receive, words: send } }
              counter: { run: ./counter, grants: { words: receive } }
            """));
    }

    @Test
    void shouldNameTheWorkersAndPipesOfACycleAtItsFirstWorker() throws Exception
    {
        assertEquals(List.of("cycle.yaml:4:3: warning: workers a → b → c → a form a cycle through pipes to-b, to-c, " +
            "to-a; a pipeline with a cycle only ends if one of them stops by itself"), warnings("""
                pipes: { to-a: {}, to-b: {}, to-c: {}, out: {} }
                workers:
                  source: { run: ./source, grants: { to-a: send } }
                  a: { run: ./a, grants: { to-a: receive, to-b: send } }
                  b: { run: ./b, grants: { to-b: receive, to-c: send } }
                  c: { run: ./c, grants: { to-c: receive, to-a: send, out: send } }
                  sink: { run: ./sink, grants: { out: receive } }
                """));
    }
}
