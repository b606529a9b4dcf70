package io.trindle.supervisor;

import io.trindle.supervisor.config.Launch;
import io.trindle.supervisor.config.PipelineConfig;
import io.trindle.supervisor.config.Programs;
import io.trindle.supervisor.config.WorkerConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Why a worker's program could not be started, when the launcher exits with 127 (not found) or 126 (cannot
 * execute) before the worker was ready, and what to do. Such a start fails the same way each time, so it is not
 * retried: the supervisor says this once, and the worker fails.
 */
final class LaunchFailure
{
    /** The launchers' exit status when {@code execvp} found no program (as a shell's). */
    static final int NOT_FOUND = 127;
    /** The launchers' exit status when the program was found but could not be executed. */
    static final int CANNOT_EXECUTE = 126;

    private LaunchFailure()
    {
    }

    /** @return whether an exit status before the worker was ready says its program could not be started. */
    static boolean isLaunchFailure(final int exitCode)
    {
        return exitCode == NOT_FOUND || exitCode == CANNOT_EXECUTE;
    }

    /**
     * The launchers ({@code trindle-launch}, {@code trindle-sandbox}, {@code trindle-bridge}) say why an exec failed
     * on stderr, as {@code NAME: execvp("PROGRAM"): REASON (errno N)}, then exit with 126 or 127.
     */
    private static final Pattern LAUNCHER_EXEC_FAILED =
        Pattern.compile("^trindle-(launch|sandbox|bridge): execvp\\(\".*\"\\): .* \\(errno \\d+\\)$");

    /** @return whether one of {@code stderr}'s lines is a launcher saying that it could not exec the program. */
    static boolean saidByLauncher(final List<String> stderr)
    {
        return stderr.stream().anyMatch(line -> LAUNCHER_EXEC_FAILED.matcher(line).matches());
    }

    /**
     * @param exitCode {@link #NOT_FOUND} or {@link #CANNOT_EXECUTE}.
     * @return what went wrong and what to do, e.g. {@code its program './ghost' does not exist (/srv/ghost):
     *         build it, or fix 'command' of worker 'ghost' (pipeline.yaml:4)}.
     */
    static String explain(final PipelineConfig config, final WorkerCommand commands, final WorkerProcess worker,
        final int exitCode)
    {
        final WorkerConfig declared = worker.config;
        final String where = " (" + config.file() + ":" + declared.position().line() + ")";
        final String sandboxFix = declared.sandbox().sandboxed() ? "; or, if it is there but outside the sandbox, " +
            "list it in the worker's 'sandbox: read-only'" : "";
        if (!(declared.launch() instanceof Launch.Command command))
        {
            return "the JDK's java command could not be " + (exitCode == NOT_FOUND ? "found" : "executed") +
                " (status " + exitCode + " from the launcher)";
        }
        final Path cwd = config.workingDirectoryOf(declared);
        final String searchPath = commands.environment(declared, worker.replica).get("PATH");
        final Path program = Programs.onPath(command.program(), cwd, searchPath);
        if (program == null)
        {
            return "its program '" + command.program() + "' is not on the PATH (" + Objects.requireNonNullElse(
                searchPath, Programs.DEFAULT_PATH) + "): install " +
                "it, or give its path in the launch of worker '" + declared.name() + "'" + where;
        }
        final String why = Programs.whyNotExecutable(program);
        if (why != null)
        {
            return "its program " + program + " cannot be started: " + why + "; build or fix it, or fix the path " +
                "in the launch of worker '" + declared.name() + "'" + where + sandboxFix;
        }
        final Path interpreter = WorkerCommand.interpreter(program, cwd, searchPath);
        if (exitCode == NOT_FOUND && interpreter != null && !Files.isExecutable(interpreter))
        {
            return "its program " + program + " is a script whose interpreter (its #! line) " + interpreter +
                " does not exist: install it, or change the script's first line";
        }
        return exitCode == NOT_FOUND ? "its program " + program + ", or a shared library it needs, was not found " +
            "(its stderr says which)" + sandboxFix : "its program " + program + " cannot be executed (its " +
            "stderr says why: not a program for this machine, or not permitted)" + sandboxFix;
    }
}
