package io.trindle.supervisor.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * What a worker's grants may map: its allocators' quotas (with ALLOCATE only), its segments in whole pages (but one
 * charged to an allocator it allocates from), and its lanes — a sender one to each receiving replica, a receiver
 * one from each sending process.
 */
class GrantMemoryTest
{
    private static final String CONFIG = """
        allocators:
          scratch: { quota: 10MiB }
          lent: { quota: 1GiB }
        pipes:
          in: { lane: 64KiB }
          out: { lane: 1MiB }
        segments:
          table: { size: 5000 }
          shared: { size: 4KiB, allocator: scratch }
        workers:
          source:
            command: [/bin/true]
            replicas: 3
            grants: { in: send, lent: [duplicate, transfer] }
          middle:
            command: [/bin/true]
            replicas: 2
            sandbox: strict
            grants: { in: receive, out: send, scratch: allocate, table: read, shared: read }
          sink:
            command: [/bin/true]
            replicas: 4
            grants: { out: receive }
        """;

    @Test
    void shouldAddQuotasSegmentsAndEachLaneAProcessMaps() throws Exception
    {
        final PipelineConfig config = PipelineConfigParser.parse(Path.of("grants.yaml"), CONFIG);
        final GrantMemory middle = GrantMemory.of(config, config.workers().get("middle"));
        final long lane = 4096;
        assertEquals((10L << 20) + 8192 + 3 * (lane + (64 << 10)) + 4 * (lane + (1 << 20)), middle.bytes());
        assertEquals(middle.bytes(), middle.added());
        assertEquals(List.of("allocator 'scratch' 10MiB", "pipe 'in' 3 lane(s) of 68KiB",
            "pipe 'out' 4 lane(s) of 1028KiB", "segment 'table' 8KiB"), middle.parts());
        assertNull(GrantMemory.refusal(config, config.workers().get("middle")));

        // An allocator held without ALLOCATE gives nothing to map, and nothing grows a cap without one.
        final GrantMemory source = GrantMemory.of(config, config.workers().get("source"));
        assertFalse(source.allocates());
        assertEquals(2 * (lane + (64 << 10)), source.bytes());
        assertEquals(0, source.added());
    }
}
