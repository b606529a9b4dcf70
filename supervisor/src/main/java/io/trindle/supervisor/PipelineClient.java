package io.trindle.supervisor;

import io.trindle.supervisor.config.Limits;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What {@code trindle status}, {@code stop}, {@code restart}, {@code revoke}, {@code resize}, {@code grant} and
 * {@code reclaim} do: find
 * the running pipelines by their sockets in {@link StatusSocket#runDirectory()}, send a supervisor one command
 * through its {@link StatusSocket}, and print its answer on stdout, or on stderr when it refused or could not answer.
 * <p>
 * Exit status: 0 answered; 1 no pipeline is running, no supervisor answered, or it refused the request.
 */
final class PipelineClient
{
    /** What {@code trindle restart} takes as its worker: a worker's name, or {@code NAME.N} for replica N. */
    private static final Pattern WORKER = Pattern.compile("[A-Za-z][A-Za-z0-9_-]{0," + (Limits.MAX_NAME_LENGTH - 1) +
        "}(\\.[0-9]{1,9})?");
    /** What {@code trindle revoke} takes as its segment: a segment's name in the config. */
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z][A-Za-z0-9_-]{0," +
        (Limits.MAX_NAME_LENGTH - 1) + "}");

    /** What {@code trindle grant} takes as its rights: names separated by commas, at most every right once. */
    private static final Pattern RIGHTS = Pattern.compile("[A-Za-z]{1,16}(,[A-Za-z]{1,16}){0,7}");

    private final PrintStream out;
    private final PrintStream err;

    PipelineClient(final PrintStream out, final PrintStream err)
    {
        this.out = out;
        this.err = err;
    }

    /**
     * Shows the pipeline {@code name}, or with {@code null} every running pipeline, one after another (each
     * headed by its name; with {@code json}, a JSON array of them).
     */
    int status(final String name, final boolean json)
    {
        final String command = json ? "status --json" : "status";
        if (name != null)
        {
            return print(ask(name, command));
        }
        final List<String> running = running();
        if (running.isEmpty())
        {
            err.println(noneRunning());
            return Supervisor.EXIT_WORKER_FAILED;
        }
        final List<String> answers = new ArrayList<>();
        for (final String pipeline : running)
        {
            final String answer = ask(pipeline, command);
            if (answer != null)
            {
                answers.add(json ? answer.strip() : answer);
            }
        }
        out.print(json ? "[" + String.join(",", answers) + "]\n" : String.join("\n", answers));
        return answers.size() == running.size() ? 0 : Supervisor.EXIT_WORKER_FAILED;
    }

    /**
     * Stops the pipeline {@code name}; with {@code null}, the only one running. With several running, none is
     * stopped: stopping them all would surprise.
     */
    int stop(final String name)
    {
        if (name != null)
        {
            return print(ask(name, "stop"));
        }
        final List<String> running = running();
        if (running.size() != 1)
        {
            err.println(running.isEmpty() ? noneRunning() : "trindle: several pipelines are running (" +
                String.join(", ", running) + "); name the one to stop: trindle stop NAME");
            return Supervisor.EXIT_WORKER_FAILED;
        }
        return print(ask(running.getFirst(), "stop"));
    }

    /**
     * Restarts every replica of {@code worker} in the pipeline {@code name}, or one replica ({@code WORKER.N}).
     *
     * @return the exit status, or {@link Supervisor#EXIT_USAGE} when {@code worker} is no worker's name at all.
     */
    int restart(final String name, final String worker)
    {
        if (notAWorker("restart", worker))
        {
            return Supervisor.EXIT_USAGE;
        }
        return print(ask(name, StatusSocket.RESTART + worker));
    }

    /**
     * Revokes the handle of {@code worker}'s processes (or of replica {@code WORKER.N}) to the segment
     * {@code segment} of the pipeline {@code name}: the supervisor answers once the segment's other holders moved
     * to its fresh copy.
     *
     * @return the exit status, or {@link Supervisor#EXIT_USAGE} when {@code worker} or {@code segment} is no name
     *         at all.
     */
    int revoke(final String name, final String worker, final String segment)
    {
        if (notAWorker("revoke", worker))
        {
            return Supervisor.EXIT_USAGE;
        }
        if (!SEGMENT.matcher(segment).matches())
        {
            err.println("trindle: wrong arguments for 'revoke': '" + segment + "' is not a segment: a segment's " +
                "name in the config (a letter, then letters, digits, '-' or '_', at most " + Limits.MAX_NAME_LENGTH +
                ")");
            return Supervisor.EXIT_USAGE;
        }
        return print(ask(name, StatusSocket.REVOKE + worker + " " + segment));
    }

    /**
     * Grants the segment or allocator {@code object} of the pipeline {@code name}, with {@code rights}
     * ({@code read,write}), to {@code worker}'s processes (or replica {@code WORKER.N}) while it runs: the supervisor
     * checks the rights as a config's grant is checked, and answers once the running processes were sent the handle.
     *
     * @return the exit status, or {@link Supervisor#EXIT_USAGE} when an argument is no name (or list of names) at all.
     */
    int grant(final String name, final String worker, final String object, final String rights)
    {
        if (notAWorker("grant", worker))
        {
            return Supervisor.EXIT_USAGE;
        }
        if (!SEGMENT.matcher(object).matches())
        {
            err.println("trindle: wrong arguments for 'grant': '" + object + "' is not an object's name in the " +
                "config (a letter, then letters, digits, '-' or '_', at most " + Limits.MAX_NAME_LENGTH + ")");
            return Supervisor.EXIT_USAGE;
        }
        if (!RIGHTS.matcher(rights).matches())
        {
            err.println("trindle: wrong arguments for 'grant': '" + rights + "' is not a list of rights: names " +
                "separated by commas, such as read,write or allocate");
            return Supervisor.EXIT_USAGE;
        }
        return print(ask(name, StatusSocket.GRANT + worker + " " + object + " " + rights));
    }

    /**
     * Asks every holder of the allocator {@code allocator} of the pipeline {@code name} to give {@code bytes} back
     * ({@code null}: what brings its use below 80 % of its quota), and prints what came back from whom.
     *
     * @param bytes bytes, or with a suffix k, m or g (KiB, MiB, GiB); {@code null} for the default.
     * @return the exit status: 1 also when less than asked came back within the supervisor's wait, or
     *         {@link Supervisor#EXIT_USAGE} when an argument is not valid.
     */
    int reclaim(final String name, final String allocator, final String bytes)
    {
        if (!SEGMENT.matcher(allocator).matches())
        {
            err.println("trindle: wrong arguments for 'reclaim': '" + allocator + "' is not an allocator's name in " +
                "the config (a letter, then letters, digits, '-' or '_', at most " + Limits.MAX_NAME_LENGTH + ")");
            return Supervisor.EXIT_USAGE;
        }
        final long count = bytes == null ? 0 : bytes(bytes);
        if (bytes != null && count <= 0)
        {
            err.println("trindle: wrong arguments for 'reclaim': BYTES '" + bytes + "' must be a positive number of " +
                "bytes, with a suffix k, m or g if you like: 8192, 64k, 1m");
            return Supervisor.EXIT_USAGE;
        }
        return print(ask(name, StatusSocket.RECLAIM + allocator + (bytes == null ? "" : " " + count)));
    }

    /**
     * Resizes the lanes of {@code pipe} in the pipeline {@code name} to {@code size} bytes while it runs.
     *
     * @param size bytes, or with a suffix k, m or g (KiB, MiB, GiB): a power of two from 4k to 1g.
     * @return the exit status, or {@link Supervisor#EXIT_USAGE} when the pipe's name or the size is not valid.
     */
    int resize(final String name, final String pipe, final String size)
    {
        if (!WORKER.matcher(pipe).matches())
        {
            err.println("trindle: wrong arguments for 'resize': '" + pipe + "' is not a pipe's name (a letter, then " +
                "letters, digits, '-' or '_', at most " + Limits.MAX_NAME_LENGTH + ")");
            return Supervisor.EXIT_USAGE;
        }
        final long bytes = bytes(size);
        if (bytes < io.trindle.ipc.LaneDescriptor.MIN_CAPACITY || bytes > io.trindle.ipc.LaneDescriptor.MAX_CAPACITY ||
            Long.bitCount(bytes) != 1)
        {
            err.println("trindle: wrong arguments for 'resize': SIZE '" + size + "' must be a power of two from 4k " +
                "to 1g (4096 to 1073741824 bytes), as a lane's capacity is");
            return Supervisor.EXIT_USAGE;
        }
        return print(ask(name, StatusSocket.RESIZE + pipe + " " + bytes));
    }

    /** @return whether {@code worker} is no worker's name nor {@code NAME.N} (said on stderr, as {@code verb}'s). */
    private boolean notAWorker(final String verb, final String worker)
    {
        if (WORKER.matcher(worker).matches())
        {
            return false;
        }
        err.println("trindle: wrong arguments for '" + verb + "': '" + worker + "' is not a worker: a worker's name " +
            "(a letter, then letters, digits, '-' or '_', at most " + Limits.MAX_NAME_LENGTH + "), or NAME.N for its " +
            "replica N");
        return true;
    }

    /** @return {@code size} in bytes ({@code 65536}, {@code 64k}, {@code 1m}, {@code 1g}), or -1 if it is none. */
    static long bytes(final String size)
    {
        final java.util.regex.Matcher matcher = Pattern.compile("([0-9]{1,10})([kKmMgG]?)").matcher(size);
        if (!matcher.matches())
        {
            return -1;
        }
        final int shift = switch (matcher.group(2).toLowerCase(java.util.Locale.ROOT))
        {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            default -> 0;
        };
        final long value = Long.parseLong(matcher.group(1));
        return value > (Long.MAX_VALUE >> shift) ? -1 : value << shift;
    }

    /** Sends {@code command} to the supervisor of {@code name} and prints its answer: the exit status. */
    int request(final String name, final String command)
    {
        return print(ask(name, command));
    }

    /** @return the names of the pipelines with a socket in the run directory, sorted. */
    static List<String> running()
    {
        try (Stream<Path> sockets = Files.list(StatusSocket.runDirectory()))
        {
            return sockets.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".sock"))
                .map(n -> n.substring(0, n.length() - ".sock".length())).sorted().toList();
        }
        catch (final IOException e)
        {
            return List.of();
        }
    }

    /**
     * @return why the supervisor of {@code name} did not answer, for a line on stderr: no such pipeline runs (and
     *         which do), or its socket failed.
     */
    static String unanswered(final String name, final IOException e)
    {
        if (!Files.exists(StatusSocket.pathOf(name)))
        {
            final List<String> running = running();
            return "trindle: no pipeline '" + name + "' is running (" + (running.isEmpty() ? "none is running at all" :
                "running: " + String.join(", ", running)) + "; a pipeline's name is its config's 'name:', or its " +
                "file's name without .yaml)";
        }
        return "trindle: no supervisor of pipeline '" + name + "' answers on " + StatusSocket.pathOf(name) + ": " +
            e.getMessage();
    }

    private static String noneRunning()
    {
        return "trindle: no pipeline is running (no socket in " + StatusSocket.runDirectory() + ")";
    }

    private int print(final String answer)
    {
        if (answer == null)
        {
            return Supervisor.EXIT_WORKER_FAILED;
        }
        out.print(answer);
        return 0;
    }

    /**
     * @return the answer of the supervisor of {@code name}; or {@code null} when it refused, could not answer, or
     *         none answered (said on stderr).
     */
    private String ask(final String name, final String command)
    {
        try
        {
            final String answer = StatusSocket.ask(name, command);
            if (answer.startsWith(StatusSocket.REFUSED) || answer.startsWith(StatusSocket.ERROR))
            {
                err.print("trindle: pipeline '" + name + "': " + answer);
                return null;
            }
            return answer;
        }
        catch (final IOException e)
        {
            err.println(unanswered(name, e));
            return null;
        }
    }
}
