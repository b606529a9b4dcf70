package io.trindle.it;

import io.trindle.supervisor.config.SandboxConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The caps of the {@code strict} and {@code standard} profiles hold with nothing in the config but the profile:
 * {@code trindle-hostile-worker --caps}, run under each with no limit written, is refused {@code execve("/bin/sh")},
 * a fork bomb past the profile's process cap and a 1 GiB allocation it would touch page by page — each as the
 * worker itself reports it, with its errno. And the launcher's profile table holds the same caps as the
 * supervisor's {@link SandboxConfig.Profile}, which {@code trindle sandbox explain} shows. A worker that may
 * allocate has its default cap grown by what its grants may map: it can use all of its quota, and no more.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class SandboxDefaultsTest
{
    private static final Path BIN = Path.of("..", "native-shims", "target", "bin").toAbsolutePath().normalize();

    @TempDir
    Path directory;

    @Test
    void shouldRefuseAHostileWorkerAShellAForkBombAndAGibibyteUnderEachProfilesDefaults() throws Exception
    {
        // The workers run as nobody when the tests run as root: their working directory must let them in.
        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxr-xr-x"));
        final Path hostile = BIN.resolve("trindle-hostile-worker");
        Files.writeString(directory.resolve("caps.yaml"), """
            workers:
              strict:
                command: [%s, --caps]
                sandbox: strict
                ready: started
                restart: never
              standard:
                command: [%s, --caps]
                sandbox: standard
                ready: started
                restart: never
            """.formatted(hostile, hostile));

        final Map<String, List<String>> lines;
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "caps.yaml"))
        {
            // Each worker makes its attempts and exits; then the pipeline ends by itself.
            assertEquals(0, trindle.waitFor(Duration.ofSeconds(90)), trindle.output());
            lines = linesOf(trindle.stdout(), List.of("strict", "standard"));
        }
        for (final SandboxConfig.Profile profile : List.of(SandboxConfig.Profile.STRICT,
            SandboxConfig.Profile.STANDARD))
        {
            final String worker = profile.configName();
            final List<String> own = lines.get(worker);
            final String said = worker + " printed:\n" + String.join("\n", own);
            assertEquals(List.of(), own.stream().filter(l -> l.startsWith("ALLOWED") || l.startsWith("FAILED"))
                .toList(), said);
            // Landlock: /bin/sh is not the worker's program, so it may be read but not executed.
            assertTrue(own.contains("refused exec-shell errno=13 (EACCES)"), said);
            // RLIMIT_NPROC at the profile's cap: the launcher (under strict, two) and the worker count too.
            final Matcher fork = find(own, "refused fork errno=11 \\(EAGAIN\\) after (\\d+) children \\(limit (\\d+) " +
                "processes\\)", said);
            assertEquals(profile.processes(), Integer.parseInt(fork.group(2)), said);
            final int children = Integer.parseInt(fork.group(1));
            assertTrue(children > 0 && children < profile.processes(), said);
            assertTrue(own.contains("reaped " + children + " children"), said);
            // RLIMIT_AS at the profile's cap, below 1 GiB plus what the worker maps already.
            assertTrue(own.contains("refused allocate-1gib errno=12 (ENOMEM)"), said);
            assertTrue(own.contains("done"), said);
        }
    }

    @Test
    void shouldHoldTheLaunchersProfileCapsEqualToTheSupervisors() throws Exception
    {
        for (final SandboxConfig.Profile profile : SandboxConfig.Profile.values())
        {
            final Path out = directory.resolve(profile.configName() + ".out");
            final Process launcher = new ProcessBuilder(BIN.resolve("trindle-sandbox").toString(), "--profile",
                profile.configName(), "--read-only", "/usr", "--explain").redirectErrorStream(true)
                .redirectOutput(out.toFile()).start();
            assertEquals(0, launcher.waitFor());
            final List<String> said = Files.readAllLines(out);
            final String source = "profile " + profile.configName() + "'s default";
            assertTrue(said.contains(cap("address space", profile.memoryBytes(), "bytes", source)), said.toString());
            assertTrue(said.contains(cap("CPU time", profile.cpuSeconds(), "seconds", source)), said.toString());
            assertTrue(said.contains(cap("open files", profile.files(), "fds", source)), said.toString());
            assertTrue(said.contains(cap("processes and threads", profile.processes(), "in the sandbox", source)),
                said.toString());
        }
    }

    @Test
    void shouldExplainEachCapAndWhereItComesFrom() throws Exception
    {
        Files.writeString(directory.resolve("explain.yaml"), """
            workers:
              plain:
                command: [/bin/true]
                sandbox: strict
              own:
                command: [/bin/true]
                sandbox: { profile: standard, memory: 2GiB, processes: 300 }
              jvm:
                java: io.trindle.it.workers.Alice
                sandbox: strict
            """);
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "sandbox", "explain", "explain.yaml"))
        {
            assertEquals(0, trindle.waitFor(Duration.ofSeconds(60)), trindle.output());
            final List<String> said = trindle.stdout().lines().toList();
            for (final String line : List.of(
                "  memory 512MiB: address space, RLIMIT_AS (profile strict's default)",
                "  cpu 1h: CPU time, RLIMIT_CPU (profile strict's default)",
                "  files 1024: open files, RLIMIT_NOFILE (profile strict's default)",
                "  processes 64: processes and threads, RLIMIT_NPROC (profile strict's default)",
                "  + x /bin/true (the program)",
                "  + r /usr (system libraries)",
                "  memory 2GiB: address space, RLIMIT_AS (the config)",
                "  cpu 8h: CPU time, RLIMIT_CPU (profile standard's default)",
                "  processes 300: processes and threads, RLIMIT_NPROC (the config)",
                "refused: address space beyond 2147483648 bytes (by rlimit; set by --limit-memory)",
                "refused: open files beyond 4096 fds (by rlimit; profile standard's default)",
                "  memory 1GiB: address space, RLIMIT_AS (profile strict's default for a JVM: 512MiB and 512MiB " +
                    "for what the JVM reserves; its heap is 256m)",
                "  + x " + System.getProperty("java.home") + " (the JDK)"))
            {
                assertTrue(said.contains(line), "missing line: " + line + "\nin:\n" + trindle.stdout());
            }
        }
    }

    @Test
    void shouldGrowTheCapOfAWorkerThatAllocatesByItsQuotaAndNoMore() throws Exception
    {
        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxr-xr-x"));
        // 640 MiB of quota is more than strict's 512 MiB default cap alone would let the worker map.
        Files.writeString(directory.resolve("quota.yaml"), """
            allocators:
              big: { quota: 640MiB }
            workers:
              filler:
                command: [%s, big, %d]
                sandbox: strict
                grants: { big: allocate }
                restart: never
            """.formatted(BIN.resolve("trindle-c-quota"), 128L << 20));
        try (SupervisorProcess explain = SupervisorProcess.start(directory, "sandbox", "explain", "quota.yaml"))
        {
            assertEquals(0, explain.waitFor(Duration.ofSeconds(60)), explain.output());
            final List<String> said = explain.stdout().lines().toList();
            for (final String line : List.of(
                "  memory 1152MiB: address space, RLIMIT_AS (profile strict's default 512MiB; and 640MiB its " +
                    "grants may map (allocator 'big' 640MiB), as it may allocate)",
                "refused: address space beyond " + (1152L << 20) + " bytes (by rlimit; set by --limit-memory)"))
            {
                assertTrue(said.contains(line), "missing line: " + line + "\nin:\n" + explain.stdout());
            }
        }
        final List<String> own;
        try (SupervisorProcess trindle = SupervisorProcess.start(directory, "run", "quota.yaml"))
        {
            assertEquals(0, trindle.waitFor(Duration.ofSeconds(90)), trindle.output());
            own = linesOf(trindle.stdout(), List.of("filler")).get("filler");
        }
        final String said = "filler printed:\n" + String.join("\n", own);
        assertTrue(own.contains("made 5 segments of 134217728 bytes, 671088640 in all, every page touched"), said);
        assertTrue(own.stream().anyMatch(l -> l.startsWith("refused the next: TRINDLE_E_OVER_QUOTA")), said);
        assertTrue(own.contains("refused malloc-1gib errno=12"), said);

        // An explicit cap below what the grants may map could never be met: the config is refused, saying why.
        Files.writeString(directory.resolve("small.yaml"), Files.readString(directory.resolve("quota.yaml"))
            .replace("sandbox: strict", "sandbox: { profile: strict, memory: 512MiB }"));
        try (SupervisorProcess refused = SupervisorProcess.start(directory, "validate", "small.yaml"))
        {
            assertEquals(2, refused.waitFor(Duration.ofSeconds(60)), refused.output());
            assertTrue(refused.stderr().startsWith("small.yaml:4:3: worker 'filler': its sandbox 'memory' of " +
                "512MiB is not above the 640MiB its grants may map (allocator 'big' 640MiB), so it could never use " +
                "its allocator's quota; give it more than 640MiB (the program itself needs room beside), or leave " +
                "'memory' out to get its profile's default plus what its grants may map"), refused.stderr());
        }
    }

    private static String cap(final String what, final long value, final String unit, final String source)
    {
        return value == 0 ? "allowed: any " + what + " (no limit; " + source + ")" :
            "refused: " + what + " beyond " + value + " " + unit + " (by rlimit; " + source + ")";
    }

    /** @return each worker's lines of the log, without the name before the bar (a replica's name ends in .N). */
    private static Map<String, List<String>> linesOf(final String out, final List<String> workers)
    {
        final Map<String, List<String>> lines = new LinkedHashMap<>();
        workers.forEach(worker -> lines.put(worker, new ArrayList<>()));
        for (final String line : out.lines().toList())
        {
            final int bar = line.indexOf(" | ");
            final String name = bar > 0 ? line.substring(0, bar).strip().replaceFirst("\\.0$", "") : "";
            if (lines.containsKey(name))
            {
                lines.get(name).add(line.substring(bar + 3));
            }
        }
        return lines;
    }

    private static Matcher find(final List<String> own, final String regex, final String said)
    {
        final Pattern pattern = Pattern.compile(regex);
        for (final String line : own)
        {
            final Matcher matcher = pattern.matcher(line);
            if (matcher.matches())
            {
                return matcher;
            }
        }
        throw new AssertionError("no line matches " + regex + "\n" + said);
    }
}
