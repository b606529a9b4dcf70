package io.trindle.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A C worker (over libtrindle) and a Python worker under the supervisor, each granted a segment read-only:
 * each reads it, and the kernel refuses each attempt to write it — a writable mapping and an mprotect — with
 * EACCES, because the fd they were given was opened read-only.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class OtherLanguagesReadOnlyTest
{
    @TempDir
    Path directory;

    @Test
    void shouldRefuseCAndPythonWorkersAnyWayToWriteAReadOnlySegment() throws Exception
    {
        Files.copy(Path.of(OtherLanguagesReadOnlyTest.class.getResource("/readonly_probe.py").toURI()),
            directory.resolve("readonly_probe.py"));
        final Path cProbe = Path.of("..", "native-shims", "target", "bin", "trindle-c-probe").toAbsolutePath(
            ).normalize();
        Files.writeString(directory.resolve("readonly.yaml"), """
            segments:
              table: { size: 4KiB }
            workers:
              writer:
                command: [sh, -c, "sleep 1"]
                grants: { table: [read, write] }
                ready-timeout: 60s
              c:
                command: [%s, table]
                grants: { table: read }
                ready-timeout: 60s
              python:
                command: [/usr/bin/python3, readonly_probe.py]
                grants: { table: read }
                ready-timeout: 60s
            """.formatted(cProbe));
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "readonly.yaml"))
        {
            assertEquals(0, trindle.waitFor(Duration.ofSeconds(60)), trindle.output());
            final String out = trindle.stdout();
            assertTrue(out.contains("c      | segment table rights=0x1 size=4096"), out);
            assertTrue(out.contains("c      | mmap_write_errno=13"), out);
            assertTrue(out.contains("c      | mprotect_write_errno=13"), out);
            assertTrue(out.contains("python | mmap_write_errno=13"), out);
            assertTrue(out.contains("python | mprotect_write_errno=13"), out);
        }
    }
}
