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
 *     memory: 512MiB                       # address space (RLIMIT_AS)
 *     cpu: 30s                             # CPU time (RLIMIT_CPU), whole seconds
 *     files: 256                           # open files (RLIMIT_NOFILE)
 *     processes: 32                        # processes and threads (RLIMIT_NPROC)
 * </pre>
 * A limit left out keeps the profile's own (strict: 64 processes, 1024 files; no memory or CPU limit).
 *
 * @param profile     the launcher's profile.
 * @param readOnly    extra paths the worker may read and execute, as written (a relative one is relative to
 *                    the config file's directory).
 * @param memoryBytes the address-space limit in bytes, or 0 for the profile's.
 * @param cpu         the CPU-time limit, or {@code null} for the profile's.
 * @param files       the open-file limit, or 0 for the profile's.
 * @param processes   the process limit, or 0 for the profile's.
 */
public record SandboxConfig(Profile profile, List<Path> readOnly, long memoryBytes, Duration cpu, int files,
    int processes)
{
    /** What a worker gets when its config has no {@code sandbox} key: no sandbox at all. */
    public static final SandboxConfig NONE = new SandboxConfig(Profile.NONE, List.of(), 0, null, 0, 0);

    /** The launcher's profiles, as {@code trindle-sandbox --profile} names them. */
    public enum Profile
    {
        /** No namespaces, Landlock or seccomp; only the limits the config sets. */
        NONE("none"),
        /** User, ipc and uts namespaces, Landlock, seccomp, no_new_privs, a new session. */
        STANDARD("standard"),
        /** Standard, and pid, net and mount namespaces, at most 64 processes and 1024 files. */
        STRICT("strict");

        private final String configName;

        Profile(final String configName)
        {
            this.configName = configName;
        }

        /**
         * @return the name in the config and on the launcher's command line.
         */
        public String configName()
        {
            return configName;
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
}
