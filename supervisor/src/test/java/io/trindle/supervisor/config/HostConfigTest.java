package io.trindle.supervisor.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code hosts:} section of a config and the workers' {@code host}: what they parse into, the supervisor of
 * one host ({@link PipelineConfig#forHost}), and each wrong value, said where it is written. The checks that span
 * sections (a receiver on one host, pipes and objects between hosts) are {@link HostCheckerTest}'s.
 */
class HostConfigTest
{
    private static final Path FILE = Path.of("wordcount.yaml");

    private static final String WORDCOUNT = """
        name: wordcount
        hosts:
          a: { address: 127.0.0.1:40101 }
          b: { address: "[::1]:40102", driver: /dev/shm/aeron-b/ }
          c: { address: node-c.example:040103, driver: embedded }
        pipes:
          lines: {}
          words: { lane: 16MiB }
        workers:
          reader: { command: [./reader], replicas: 3, host: [a, c], grants: { lines: send } }
          splitter: { command: [./splitter], host: b, grants: { lines: receive, words: send } }
          counter: { command: [./counter], replicas: 2, grants: { words: receive } }
        """;

    private static Position at(final int line, final int column)
    {
        return new Position(FILE, line, column);
    }

    private static void refused(final String yaml, final String... messages)
    {
        final ConfigException e = assertThrows(ConfigException.class, () -> PipelineConfigParser.parse(FILE, yaml),
            yaml);
        assertEquals(String.join("\n", messages), e.getMessage(), yaml);
    }

    @Test
    void shouldParseTheHostsAndWhereEachWorkerRuns() throws Exception
    {
        final PipelineConfig config = PipelineConfigParser.parse(FILE, WORDCOUNT);

        assertEquals(List.of("a", "b", "c"), List.copyOf(config.hosts().keySet()));
        assertEquals(new HostConfig("a", "127.0.0.1:40101", "127.0.0.1", 40101, null, at(3, 3)),
            config.hosts().get("a"));
        assertEquals(new HostConfig("b", "[::1]:40102", "::1", 40102, "/dev/shm/aeron-b", at(4, 3)),
            config.hosts().get("b"));
        assertEquals(new HostConfig("c", "node-c.example:040103", "node-c.example", 40103, null, at(5, 3)),
            config.hosts().get("c"));
        assertNull(config.host());
        assertEquals("wordcount", config.name());
        assertEquals("wordcount", config.pipelineName());

        final WorkerConfig reader = config.workers().get("reader");
        assertEquals(List.of("a", "c"), reader.hosts());
        assertEquals(List.of("a", "c", "a"), List.of(reader.hostOf(0), reader.hostOf(1), reader.hostOf(2)));
        assertThrows(IllegalArgumentException.class, () -> reader.hostOf(3));
        assertEquals(List.of("b"), config.workers().get("splitter").hosts());
        // No host: the first host declared, for every replica.
        final WorkerConfig counter = config.workers().get("counter");
        assertEquals(List.of("a"), counter.hosts());
        assertEquals("a", counter.hostOf(1));
    }

    @Test
    void shouldPlaceNothingWithoutAHostsSection() throws Exception
    {
        final PipelineConfig config = PipelineConfigParser.parse(FILE, """
            workers:
              reader: { command: [./reader], replicas: 2 }
            """);

        assertEquals(Map.of(), config.hosts());
        assertNull(config.host());
        assertEquals("wordcount", config.pipelineName());
        assertEquals(List.of(), config.workers().get("reader").hosts());
        assertNull(config.workers().get("reader").hostOf(1));
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> config.forHost("a"));
        assertEquals("pipeline 'wordcount' declares no hosts: it runs on one machine, with one supervisor",
            e.getMessage());
    }

    @Test
    void shouldNameTheSupervisorOfEachHostAfterThePipelineAndTheHost() throws Exception
    {
        final PipelineConfig config = PipelineConfigParser.parse(FILE, WORDCOUNT);

        final PipelineConfig b = config.forHost("b");
        assertEquals("wordcount@b", b.name());
        assertEquals("b", b.host());
        assertEquals("wordcount", b.pipelineName());
        assertEquals(config.hosts(), b.hosts());
        assertEquals(config.workers(), b.workers());
        assertEquals(config.pipes(), b.pipes());
        // From one host's pipeline to another's: never wordcount@b@a.
        assertEquals("wordcount@a", b.forHost("a").name());
        assertEquals("a", b.forHost("a").host());
        // Other copies keep the host.
        assertEquals("wordcount@b", b.withMetrics(MetricsConfig.parse("127.0.0.1:0")).name());
        assertEquals("b", b.withMetrics(null).host());
    }

    @Test
    void shouldRefuseAnUnknownHostNamingTheDeclaredOnes() throws Exception
    {
        final PipelineConfig config = PipelineConfigParser.parse(FILE, WORDCOUNT.replace("  b: ", "  bravo: ")
            .replace("host: b,", "host: bravo,"));

        assertEquals("pipeline 'wordcount' has no host 'brav'; did you mean 'bravo'? (its hosts: a, bravo, c)",
            assertThrows(IllegalArgumentException.class, () -> config.forHost("brav")).getMessage());
        assertEquals("pipeline 'wordcount' has no host 'zulu' (its hosts: a, bravo, c)",
            assertThrows(IllegalArgumentException.class, () -> config.forHost("zulu")).getMessage());
    }

    @Test
    void shouldKeepTheModelConsistentWithItsHosts() throws Exception
    {
        final PipelineConfig config = PipelineConfigParser.parse(FILE, WORDCOUNT);
        final WorkerConfig counter = config.workers().get("counter");

        // A worker on a host the pipeline does not declare, or on none while it declares some.
        assertThrows(IllegalArgumentException.class, () -> new PipelineConfig(FILE, "wordcount", config.pipes(),
            config.segments(), Map.of("counter", counter.withHosts(List.of("z"))), null,
            config.allocators(), config.journal(), config.tables(), config.hosts()));
        assertThrows(IllegalArgumentException.class, () -> new PipelineConfig(FILE, "wordcount", config.pipes(),
            config.segments(), Map.of("counter", counter.withHosts(List.of())), null,
            config.allocators(), config.journal(), config.tables(), config.hosts()));
        // A host that is not declared, or does not end the name.
        assertThrows(IllegalArgumentException.class, () -> new PipelineConfig(FILE, "wordcount@z", config.pipes(),
            config.segments(), config.workers(), null, config.allocators(), config.journal(), config.tables(),
            config.hosts(), "z"));
        assertThrows(IllegalArgumentException.class, () -> new PipelineConfig(FILE, "wordcount", config.pipes(),
            config.segments(), config.workers(), null, config.allocators(), config.journal(), config.tables(),
            config.hosts(), "a"));
        // More hosts than replicas.
        assertThrows(IllegalArgumentException.class, () -> counter.withHosts(List.of("a", "b", "c")));
        // Without its hosts, a worker runs on the one machine (trindle run-worker).
        assertEquals(List.of(), counter.withHosts(List.of()).hosts());
        assertNull(counter.withHosts(List.of()).hostOf(0));
    }

    @Test
    void shouldSplitAnAddressIntoHostAndPort()
    {
        final HostConfig v6 = HostConfig.of("b", "[fe80::1%eth0]:1", null, at(1, 1));
        assertEquals("fe80::1%eth0", v6.hostname());
        assertEquals(1, v6.port());
        assertEquals(65535, HostConfig.of("b", "b.example:65535", "embedded", at(1, 1)).port());
        assertNull(HostConfig.of("b", "b.example:65535", "embedded", at(1, 1)).driver());
        assertEquals("/dev/shm/aeron", HostConfig.of("b", "b:1", "/dev/shm/./x/../aeron", at(1, 1)).driver());
        for (final String wrong : new String[] {"b", "40101", ":40101", "b:", "b:x", "b:0", "b:65536",
            "b:99999999999999999999", "::1:40101", "[::1]40101", "[::1", "[b]:1", "b c:1", "0.0.0.0:1", "[::]:1",
            "[0:0:0:0:0:0:0:0]:1", "0:1"})
        {
            assertThrows(IllegalArgumentException.class, () -> HostConfig.of("b", wrong, null, at(1, 1)), wrong);
        }
        for (final String wrong : new String[] {"", " ", "aeron", "dev/shm/aeron", "./aeron", "Embedded"})
        {
            assertThrows(IllegalArgumentException.class, () -> HostConfig.of("b", "b:1", wrong, at(1, 1)), wrong);
        }
        // The record holds an address and its parts, never two that disagree.
        assertThrows(IllegalArgumentException.class, () -> new HostConfig("b", "b:1", "c", 1, null, at(1, 1)));
        assertThrows(IllegalArgumentException.class, () -> new HostConfig("b", "b:1", "b", 2, null, at(1, 1)));
        assertThrows(IllegalArgumentException.class, () -> new HostConfig("b", "b:1", "b", 1, "rel", at(1, 1)));
    }

    @Test
    void shouldSayWhatIsWrongWithTheHostsSectionAndWhere()
    {
        final String workers = "workers:\n  reader: { command: [./reader] }\n";
        refused(workers + "hosts:\n", "wordcount.yaml:3:1: 'hosts' is empty: declare each machine the pipeline " +
            "runs on, e.g. hosts: { a: { address: 10.0.0.1:40101 }, b: { address: 10.0.0.2:40101 } }, or leave " +
            "'hosts' out to run it on one machine");
        refused(workers + "hosts: a\n", "wordcount.yaml:3:8: expected a mapping for 'hosts', found the string 'a'");
        refused(workers + "hosts:\n  a: { address: \"::1:40101\" }\n", "wordcount.yaml:4:17: 'address' of host 'a': " +
            "'::1:40101' is not HOST:PORT: an IPv6 address goes in brackets, as in \"[::1]:40101\"");
        refused(workers + "hosts:\n  a: { address: 127.0.0.1:0 }\n", "wordcount.yaml:4:17: 'address' of host 'a': " +
            "'127.0.0.1:0': port 0 is out of range: a host's port is from 1 to 65535 (the other hosts send to it, " +
            "so it cannot be left to the kernel)");
        refused(workers + "hosts:\n  a: { address: [127.0.0.1, 40101] }\n", "wordcount.yaml:4:17: expected a " +
            "string for 'address' of host 'a', found a list");
        refused(workers + "hosts:\n  a:\n", "wordcount.yaml:4:3: host 'a' has no 'address': give the HOST:PORT its " +
            "supervisor receives bridge traffic at, which the other hosts reach it by, e.g. a: { address: " +
            "10.0.0.2:40101 }");
        refused(workers + "hosts:\n  a: { address: a:1, driver: aeron-a }\n", "wordcount.yaml:4:30: 'driver' of " +
            "host 'a': 'aeron-a' is neither embedded nor an absolute path: give embedded (the supervisor runs " +
            "Aeron's media driver in itself, the default) or the absolute path of the directory of a media driver " +
            "run apart, e.g. /dev/shm/aeron-b");
        refused(workers + "hosts:\n  a: { address: a:1, drive: /x }\n", "wordcount.yaml:4:22: unknown key 'drive' " +
            "in host 'a'; did you mean 'driver'? (valid keys: address, driver)");
        refused(workers + "hosts:\n  a: { address: a:1 }\n  b: { address: A:01 }\n", "wordcount.yaml:5:17: host 'b' " +
            "has the address of host 'a' (line 4), A:01: each host's supervisor receives bridge traffic at an " +
            "address of its own; give 'b' another address or port");
        refused(workers + "hosts:\n  a_b.c: { address: a:1 }\n", "wordcount.yaml:4:3: host name 'a_b.c' is not " +
            "valid: a name starts with a letter and holds only letters, digits, '-' and '_'");
        refused(workers + "hosts:\n  a: { address: a:1 }\n  a: { address: b:1 }\n", "wordcount.yaml:5:3: duplicate " +
            "host 'a' (first at line 4)");
    }

    @Test
    void shouldSayWhatIsWrongWithAWorkersHostAndWhere()
    {
        final String hosts = "hosts:\n  alpha: { address: a:1 }\n  bravo: { address: b:1 }\nworkers:\n";
        refused(hosts + "  w: { command: [./w], host: alpah }\n", "wordcount.yaml:5:30: 'host' of worker 'w' names " +
            "'alpah', which is not a declared host; did you mean 'alpha'? (hosts: alpha, bravo)");
        refused(hosts + "  w: { command: [./w], replicas: 2, host: [alpha, charlie] }\n", "wordcount.yaml:5:51: " +
            "'host' of worker 'w' names 'charlie', which is not a declared host (hosts: alpha, bravo)");
        refused(hosts + "  w: { command: [./w], replicas: 2, host: [alpha, bravo, alpha] }\n", "wordcount.yaml:5:43: " +
            "'host' of worker 'w' lists 3 hosts for 2 replicas: replica r runs on host r mod 3 of the list, " +
            "counted from 0, so a host past the last replica would run nothing; list at most 2, or give the " +
            "worker more replicas");
        refused(hosts + "  w: { command: [./w], host: [bravo, alpha] }\n", "wordcount.yaml:5:30: 'host' of worker " +
            "'w' lists 2 hosts for 1 replica: replica r runs on host r mod 2 of the list, counted from 0, so a host " +
            "past the last replica would run nothing; list at most 1, or give the worker more replicas");
        refused(hosts + "  w: { command: [./w], host: [] }\n", "wordcount.yaml:5:30: 'host' of worker 'w' is an " +
            "empty list: give the host its replicas run on, or a list of hosts they run on in turn, or leave 'host' " +
            "out for the first host, 'alpha'");
        refused(hosts + "  w: { command: [./w], host: }\n", "wordcount.yaml:5:29: expected a host or a list of " +
            "hosts for 'host' of worker 'w', found nothing (e.g. host: a, or host: [a, b] for replicas on a and b " +
            "in turn)");
        refused(hosts + "  w: { command: [./w], replicas: 2, host: [alpha, [bravo]] }\n", "wordcount.yaml:5:51: " +
            "expected a string for a host in 'host' of worker 'w', found a list");
        refused("workers:\n  w: { command: [./w], host: alpha }\n", "wordcount.yaml:2:24: 'host' of worker 'w' " +
            "places it on a host, but the config declares no hosts: declare the machines the pipeline runs on in a " +
            "top-level 'hosts' (e.g. hosts: { a: { address: 10.0.0.1:40101 } }), or drop 'host' to run the worker " +
            "beside the others");
        // A 'hosts' that cannot be read: which hosts it meant is unknown, so no worker's host is called unknown.
        refused("hosts: [alpha]\nworkers:\n  w: { command: [./w], host: alpha }\n", "wordcount.yaml:1:8: expected a " +
            "mapping for 'hosts', found a list");
    }

    @Test
    void shouldKeepTheNameOfEachHostsSupervisorWithinTheLimit() throws Exception
    {
        final String host = "h".repeat(Limits.MAX_NAME_LENGTH - "wordcount@".length());
        final PipelineConfig config = PipelineConfigParser.parse(FILE, "hosts:\n  " + host + ": { address: a:1 }\n" +
            "workers:\n  w: { command: [./w] }\n");
        assertEquals(Limits.MAX_NAME_LENGTH, config.forHost(host).name().length());
        refused("hosts:\n  " + host + "h: { address: a:1 }\nworkers:\n  w: { command: [./w] }\n",
            "wordcount.yaml:2:3: host name '" + host + "h' is too long for pipeline 'wordcount': its supervisor is " +
            "named wordcount@" + host + "h, 65 characters, and a name is at most 64 characters long; give the host a " +
            "shorter name");
    }

    @Test
    void shouldTakeTheWorkersHostKeyAsAnyOther()
    {
        final ConfigException e = assertThrows(ConfigException.class, () -> PipelineConfigParser.parse(FILE,
            "hosts:\n  a: { address: a:1 }\nworkers:\n  w: { command: [./w], hots: a }\n"));
        assertTrue(e.getMessage().startsWith("wordcount.yaml:4:24: unknown key 'hots' in worker 'w'; did you mean " +
            "'host'?"), e.getMessage());
        final ConfigException top = assertThrows(ConfigException.class, () -> PipelineConfigParser.parse(FILE,
            "host:\n  a: { address: a:1 }\nworkers:\n  w: { command: [./w] }\n"));
        assertTrue(top.getMessage().startsWith("wordcount.yaml:1:1: unknown key 'host' at the top level; did you " +
            "mean 'hosts'?"), top.getMessage());
    }
}
