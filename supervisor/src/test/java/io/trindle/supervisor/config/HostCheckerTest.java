package io.trindle.supervisor.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * What placing workers on hosts allows, across sections: a pipe's receiver on one host; a pipe between hosts
 * neither durable nor with lanes past {@link Limits#MAX_BRIDGED_LANE_CAPACITY}; a segment, table or allocator
 * granted on one host only. Each refusal is said where it is written; what is allowed parses.
 */
class HostCheckerTest
{
    private static final Path FILE = Path.of("p.yaml");
    /** Lines 1 to 4: hosts a, b and c. */
    private static final String HOSTS = """
        hosts:
          a: { address: 10.0.0.1:40101 }
          b: { address: 10.0.0.2:40101 }
          c: { address: 10.0.0.3:40101 }
        """;

    private static void refused(final String yaml, final String... messages)
    {
        final ConfigException e = assertThrows(ConfigException.class,
            () -> PipelineConfigParser.parse(FILE, HOSTS + yaml), yaml);
        assertEquals(String.join("\n", messages), e.getMessage(), yaml);
    }

    @Test
    void shouldAcceptPipesAndObjectsThatKeepToTheRules() throws Exception
    {
        final PipelineConfig config = PipelineConfigParser.parse(FILE, HOSTS + """
            pipes:
              lines: { lane: 16MiB }
              local: { lane: 1GiB, durable: true }
            segments:
              words: { size: 1MiB }
            tables:
              counts: { size: 1MiB }
            allocators:
              scratch: { quota: 1MiB }
            workers:
              reader: { command: [./r], replicas: 4, host: [a, b, c], grants: { lines: send } }
              counter: { command: [./c], replicas: 2, host: [b, b], grants: { lines: receive, local: send } }
              summer: { command: [./s], host: b, grants: { local: receive, counts: [read, write], scratch: allocate } }
              printer: { command: [./p], host: b, grants: { counts: read, scratch: allocate } }
            """);
        assertEquals("b", config.workers().get("counter").hostOf(1));
    }

    @Test
    void shouldRefuseAReceiverOnSeveralHosts()
    {
        refused("""
            pipes:
              words: {}
            workers:
              splitter: { command: [./s], grants: { words: send } }
              counter: { command: [./c], replicas: 3, host: [a, b, c], grants: { words: receive } }
            """, "p.yaml:9:49: pipe 'words' is received by 'counter', whose replicas are on hosts a, b and c: a " +
            "pipe's receiver must be on one host; give 'counter' one host");
    }

    @Test
    void shouldRefuseADurablePipeBetweenHosts()
    {
        refused("""
            pipes:
              words: { durable: true }
            workers:
              splitter: { command: [./s], replicas: 2, host: [b, a], grants: { words: send } }
              counter: { command: [./c], grants: { words: receive } }
            """, "p.yaml:6:21: pipe 'words' is durable and crosses hosts ('splitter' sends on it from b, 'counter' " +
            "receives it on a): durable pipes do not cross hosts; place its senders on a, or drop 'durable'");
    }

    @Test
    void shouldRefuseLanesTooLargeForTheBridge()
    {
        refused("""
            pipes:
              words: { lane: 32MiB }
            workers:
              splitter: { command: [./s], host: c, grants: { words: send } }
              counter: { command: [./c], host: b, stdin: words }
            """, "p.yaml:6:18: pipe 'words' crosses hosts ('splitter' sends on it from c, 'counter' receives it on " +
            "b) and has lanes of 32MiB: a pipe between hosts has lanes of at most 16MiB, so that its largest " +
            "message (an eighth of a lane, less 16 bytes) fits in one Aeron message; give it a smaller lane, or " +
            "place its senders on b");
    }

    @Test
    void shouldRefuseASegmentTableOrAllocatorGrantedOnTwoHosts()
    {
        refused("""
            segments:
              counter-state: { size: 64KiB }
            tables:
              counts: { size: 1MiB }
            allocators:
              scratch: { quota: 1MiB }
            workers:
              reader: { command: [./r], host: a, grants: { counter-state: read, scratch: allocate } }
              writer: { command: [./w], host: a, grants: { counter-state: [read, write], counts: read } }
              counter: { command: [./c], host: b, grants: { counter-state: read, counts: read } }
              summer: { command: [./s], replicas: 2, host: [c, a], grants: { scratch: allocate } }
            """,
            "p.yaml:14:49: segment 'counter-state' is granted to workers on hosts a (reader, writer) and b " +
                "(counter): segments, tables and allocators live in one machine's memory and cannot span hosts; " +
                "grant it to workers of one host only",
            "p.yaml:14:70: table 'counts' is granted to workers on hosts a (writer) and b (counter): segments, " +
                "tables and allocators live in one machine's memory and cannot span hosts; grant it to workers of " +
                "one host only",
            "p.yaml:15:66: allocator 'scratch' is granted to workers on hosts a (reader, summer) and c (summer): " +
                "segments, tables and allocators live in one machine's memory and cannot span hosts; grant it to " +
                "workers of one host only");
    }

    @Test
    void shouldSayNothingOfPlacementForAWorkerWhoseHostIsWrong()
    {
        // 'counter' names an unknown host: whether 'words' crosses hosts is not known, so only that is said.
        refused("""
            pipes:
              words: { lane: 32MiB, durable: true }
            workers:
              splitter: { command: [./s], host: a, grants: { words: send } }
              counter: { command: [./c], host: d, grants: { words: receive } }
            """, "p.yaml:9:36: 'host' of worker 'counter' names 'd', which is not a declared host (hosts: a, b, c)");
    }
}
