package io.trindle.supervisor.config;

import io.trindle.ipc.ControlFrame;
import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A config exactly at each limit is valid, and the model refuses one past it even when it is built without the
 * parser, so the supervisor never meets a value its own checks did not allow. (One past each limit, through the
 * parser, is in {@code bad/}.)
 */
class LimitsTest
{
    @Test
    void shouldAcceptAConfigAtEveryLimit() throws Exception
    {
        final String name = "n".repeat(Limits.MAX_NAME_LENGTH);
        final PipelineConfig config = PipelineConfigParser.parse(Path.of("limits.yaml"), """
            name: %s
            pipes:
              lines: { lane: 1GiB }
              small: { lane: 4KiB }
            segments:
              largest: { size: 65536GiB }
            workers:
              %s:
                run: ./bin/reader
                replicas: 63
                grants: { lines: send, small: send, largest: read }
                restart: { backoff: 8760h..8760h, intensity: 10000/8760h }
                stop-timeout: 8760h
                ready-timeout: 525600m
              other:
                run: ./bin/other
                grants: { lines: send }
                sandbox: { profile: none, cpu: 31536000s, files: 2147483647 }
              counter:
                run: ./bin/counter
                replicas: 64
                grants: { lines: receive, small: receive }
              idle:
                run: ./bin/idle
                replicas: 3968
            """.formatted(name, name));

        final WorkerConfig reader = config.workers().get(name);
        assertEquals(name, config.name());
        assertEquals(Limits.MAX_WORKER_PROCESSES,
            config.workers().values().stream().mapToInt(WorkerConfig::replicas).sum());
        assertEquals(Limits.MAX_SENDERS_PER_PIPE, reader.replicas() + config.workers().get("other").replicas());
        assertEquals(Limits.MAX_RECEIVER_REPLICAS, config.workers().get("counter").replicas());
        assertEquals(Limits.MAX_DURATION, reader.stopTimeout());
        assertEquals(Limits.MAX_DURATION, reader.readyTimeout());
        assertEquals(Limits.MAX_DURATION, reader.restart().intensityPeriod());
        assertEquals(Limits.MAX_INTENSITY_RESTARTS, reader.restart().intensityMaxRestarts());
        assertEquals(Limits.MAX_DURATION, config.workers().get("other").sandbox().cpu());
        assertEquals(Limits.MAX_SEGMENT_SIZE, config.segments().get("largest").size());
        assertEquals(Limits.MAX_LANE_CAPACITY, config.pipes().get("lines").laneCapacity());
        assertEquals(Limits.MIN_LANE_CAPACITY, config.pipes().get("small").laneCapacity());
    }

    @Test
    void shouldFitTheControlProtocol()
    {
        // Hello carries a replica number and count as u16; a Grant carries one handle per lane.
        assertTrue(Limits.MAX_WORKER_PROCESSES <= 0xffff);
        assertEquals(ControlFrame.MAX_HANDLES, Limits.MAX_SENDERS_PER_PIPE);
        assertEquals(ControlFrame.MAX_HANDLES, Limits.MAX_RECEIVER_REPLICAS);
    }

    @Test
    void shouldKeepEveryDurationUsableInNanosecondsTwiceOver()
    {
        // A stop waits twice the stop timeout; timers count in nanoseconds from System.nanoTime().
        final long twice = Math.multiplyExact(Limits.MAX_DURATION.toNanos(), 2);
        assertTrue(Long.MAX_VALUE - twice > Duration.ofDays(100 * 365).toNanos(), "room for any clock reading");
    }

    @Test
    void shouldRefuseInTheModelWhatTheParserRefuses()
    {
        final Position at = Position.startOf(Path.of("limits.yaml"));
        final Launch launch = new Launch.Command(List.of("./w"));
        final Duration tooLong = Limits.MAX_DURATION.plusMillis(1);

        assertThrows(IllegalArgumentException.class, () -> worker("w", Limits.MAX_WORKER_PROCESSES + 1, Map.of()));
        assertThrows(IllegalArgumentException.class, () -> new WorkerConfig("w", launch, Map.of(), null, 1,
            Map.of(), RestartPolicy.DEFAULT, tooLong, WorkerConfig.DEFAULT_READY_TIMEOUT, SandboxConfig.NONE, at));
        assertThrows(IllegalArgumentException.class, () -> new WorkerConfig("w", launch, Map.of(), null, 1,
            Map.of(), RestartPolicy.DEFAULT, WorkerConfig.DEFAULT_STOP_TIMEOUT, tooLong, SandboxConfig.NONE, at));
        assertThrows(IllegalArgumentException.class, () -> new RestartPolicy(RestartPolicy.Policy.ALWAYS,
            Duration.ofSeconds(1), Duration.ofSeconds(1), 1, tooLong));
        assertThrows(IllegalArgumentException.class, () -> new RestartPolicy(RestartPolicy.Policy.ALWAYS,
            Duration.ofSeconds(1), tooLong, 1, Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> new RestartPolicy(RestartPolicy.Policy.ALWAYS,
            Duration.ofSeconds(1), Duration.ofSeconds(1), Limits.MAX_INTENSITY_RESTARTS + 1, Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> new SegmentConfig("s", Limits.MAX_SEGMENT_SIZE + 1, at));

        final PipeConfig lines = new PipeConfig("lines", PipeConfig.DEFAULT_LANE_CAPACITY,
            PipeConfig.Partition.ROUND_ROBIN, at);
        final Map<String, Rights> send = Map.of("lines", Rights.of(Right.SEND));
        final Map<String, Rights> receive = Map.of("lines", Rights.of(Right.RECEIVE));
        assertThrows(IllegalArgumentException.class, () -> new PipelineConfig(Path.of("p.yaml"), "p",
            Map.of("lines", lines), Map.of(), Map.of("a", worker("a", 64, send), "b", worker("b", 1, send),
                "c", worker("c", 1, receive))));
        assertThrows(IllegalArgumentException.class, () -> new PipelineConfig(Path.of("p.yaml"), "p",
            Map.of("lines", lines), Map.of(), Map.of("a", worker("a", 1, send), "c", worker("c", 65, receive))));
        assertThrows(IllegalArgumentException.class, () -> new PipelineConfig(Path.of("p.yaml"), "p", Map.of(),
            Map.of(), Map.of("a", worker("a", 4000, Map.of()), "b", worker("b", 97, Map.of()))));
        // At the limits, the same model is built.
        new PipelineConfig(Path.of("p.yaml"), "p", Map.of("lines", lines), Map.of(),
            Map.of("a", worker("a", 63, send), "b", worker("b", 1, send), "c", worker("c", 64, receive)));
    }

    private static WorkerConfig worker(final String name, final int replicas, final Map<String, Rights> grants)
    {
        return new WorkerConfig(name, new Launch.Command(List.of("./" + name)), Map.of(), null, replicas, grants,
            RestartPolicy.DEFAULT, WorkerConfig.DEFAULT_STOP_TIMEOUT, WorkerConfig.DEFAULT_READY_TIMEOUT,
            SandboxConfig.NONE, Position.startOf(Path.of("p.yaml")));
    }
}
