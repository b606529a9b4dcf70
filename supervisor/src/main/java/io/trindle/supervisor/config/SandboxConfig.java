package io.trindle.supervisor.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How a worker is sandboxed: a profile of the launcher {@code trindle-sandbox} and the config's overrides.
 * Written as {@code sandbox: strict}, or as a mapping:
 * <pre>
 *   sandbox:
 *     profile: strict
 *     read-only: [data, /usr/share/dict]   # beside the program and its runtime, which the supervisor adds
 *     execute: [/usr/bin/sort]             # programs it may run beside its own (a script's commands)
 *     memory: 512MiB                       # address space (RLIMIT_AS)
 *     cpu: 30s                             # CPU time (RLIMIT_CPU), whole seconds
 *     files: 256                           # open files (RLIMIT_NOFILE)
 *     processes: 32                        # processes and threads (RLIMIT_NPROC)
 * </pre>
 * A limit left out keeps the profile's default ({@link Profile#memoryBytes()} and the others; docs/security.md,
 * "Default caps", says why each is what it is).
 *
 * @param profile     the launcher's profile.
 * @param readOnly    extra paths the worker may read, as written (a relative one is relative to the config
 *                    file's directory).
 * @param execute     extra paths the worker may read and execute, as written.
 * @param memoryBytes the address-space limit in bytes, or 0 for the profile's.
 * @param cpu         the CPU-time limit, or {@code null} for the profile's.
 * @param files       the open-file limit, or 0 for the profile's.
 * @param processes   the process limit, or 0 for the profile's.
 */
public record SandboxConfig(Profile profile, List<Path> readOnly, List<Path> execute, long memoryBytes,
    Duration cpu, int files, int processes)
{
    /** What a worker gets when its config has no {@code sandbox} key: no sandbox at all. */
    public static final SandboxConfig NONE = new SandboxConfig(Profile.NONE, List.of(), List.of(), 0, null, 0, 0);

    /**
     * The launcher's profiles, as {@code trindle-sandbox --profile} names them, with their default caps. The
     * launcher's profile table ({@code trindle-sandbox.c}) holds the same caps, and {@code SandboxDefaultsTest}
     * keeps the two equal; a 0 is no cap.
     */
    public enum Profile
    {
        /** No namespaces, Landlock or seccomp; only the limits the config sets. */
        NONE("none", 0, 0, 0, 0),
        /**
         * User, ipc, uts and mount namespaces, Landlock, seccomp, no_new_privs, a new session; 1 GiB of address
         * space, 8 hours of CPU time, 4096 open files, 64 processes and threads.
         */
        STANDARD("standard", 1L << 30, 8 * 3600, 4096, 64),
        /**
         * Standard, and pid and net namespaces; 512 MiB of address space, an hour of CPU time, 1024 open files, 64
         * processes and threads.
         */
        STRICT("strict", 512L << 20, 3600, 1024, 64);

        private final String configName;
        private final long memoryBytes;
        private final long cpuSeconds;
        private final int files;
        private final int processes;

        Profile(final String configName, final long memoryBytes, final long cpuSeconds, final int files,
            final int processes)
        {
            this.configName = configName;
            this.memoryBytes = memoryBytes;
            this.cpuSeconds = cpuSeconds;
            this.files = files;
            this.processes = processes;
        }

        /**
         * @return the name in the config and on the launcher's command line.
         */
        public String configName()
        {
            return configName;
        }

        /** @return the default address-space cap in bytes, 0 for none. */
        public long memoryBytes()
        {
            return memoryBytes;
        }

        /** @return the default CPU-time cap in seconds, 0 for none. */
        public long cpuSeconds()
        {
            return cpuSeconds;
        }

        /** @return the default open-file cap, 0 for none. */
        public int files()
        {
            return files;
        }

        /** @return the default process (and thread) cap, 0 for none. */
        public int processes()
        {
            return processes;
        }
    }

    /**
     * @throws IllegalArgumentException if a limit is negative, or the CPU limit is not a whole, positive number
     *                                  of seconds.
     */
    public SandboxConfig
    {
        Objects.requireNonNull(profile, "profile");
        readOnly = List.copyOf(readOnly);
        execute = List.copyOf(execute);
        if (memoryBytes < 0 || files < 0 || processes < 0)
        {
            throw new IllegalArgumentException("limits must not be negative: memoryBytes=" + memoryBytes +
                ", files=" + files + ", processes=" + processes);
        }
        if (cpu != null && (!cpu.isPositive() || cpu.toMillis() % 1000 != 0))
        {
            throw new IllegalArgumentException("cpu=" + cpu + " must be a positive whole number of seconds");
        }
    }

    /**
     * @return whether the worker is started through the sandbox launcher at all.
     */
    public boolean sandboxed()
    {
        return !equals(NONE);
    }

    /** @return the address-space cap the worker runs with: the config's, else the profile's; 0 for none. */
    public long effectiveMemoryBytes()
    {
        return memoryBytes != 0 ? memoryBytes : profile.memoryBytes();
    }

    /** @return the CPU-time cap in seconds the worker runs with: the config's, else the profile's; 0 for none. */
    public long effectiveCpuSeconds()
    {
        return cpu != null ? cpu.toSeconds() : profile.cpuSeconds();
    }

    /** @return the open-file cap the worker runs with: the config's, else the profile's; 0 for none. */
    public int effectiveFiles()
    {
        return files != 0 ? files : profile.files();
    }

    /** @return the process cap the worker runs with: the config's, else the profile's; 0 for none. */
    public int effectiveProcesses()
    {
        return processes != 0 ? processes : profile.processes();
    }
}
