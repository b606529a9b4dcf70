package io.trindle.supervisor;

import java.io.PrintStream;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;

/**
 * The verbs a user types most, run without building the picocli model of the command line (which costs a
 * short-lived JVM about a quarter of a second): {@code status [NAME] [--json]}, {@code stop [NAME]},
 * {@code restart NAME WORKER}, {@code validate FILE} and {@code sandbox explain FILE [WORKER]}, in exactly those
 * shapes. Anything else, an option such as {@code --help} or one argument too many included, is left to the full
 * command line, so that its parsing, usage and errors stay the one definition; the work itself is the same
 * methods of {@link PipelineClient} and {@link Main} either way, so the output and exit status are too.
 * <p>
 * {@code -D}{@value #PLAIN_PROPERTY}{@code =true} (which {@code TRINDLE_CLI_PLAIN=1} sets in the {@code trindle}
 * script) turns this off: every verb goes through picocli.
 */
final class QuickVerbs
{
    /** The system property that sends every verb through the full command line. */
    static final String PLAIN_PROPERTY = "trindle.cli.plain";

    private QuickVerbs()
    {
    }

    /**
     * @return the exit status of the verb {@code args} name when it is one of these verbs in one of these shapes
     *         (and it was run); empty when the full command line must parse it (nothing was done).
     */
    static OptionalInt run(final List<String> args, final PrintStream out, final PrintStream err)
    {
        if (args.isEmpty() || Boolean.getBoolean(PLAIN_PROPERTY))
        {
            return OptionalInt.empty();
        }
        final List<String> rest = args.subList(1, args.size());
        return switch (args.getFirst())
        {
            case "status" -> status(rest, out, err);
            case "stop" -> rest.size() <= 1 && plain(rest) ?
                OptionalInt.of(new PipelineClient(out, err).stop(rest.isEmpty() ? null : rest.getFirst())) :
                OptionalInt.empty();
            case "restart" -> rest.size() == 2 && plain(rest) ?
                OptionalInt.of(new PipelineClient(out, err).restart(rest.get(0), rest.get(1))) : OptionalInt.empty();
            case "validate" -> rest.size() == 1 ? withFile(rest.getFirst(), file -> Main.validate(file, out, err)) :
                OptionalInt.empty();
            case "sandbox" -> rest.size() >= 2 && rest.size() <= 3 && plain(rest) && rest.getFirst().equals("explain") ?
                withFile(rest.get(1), file -> Main.explain(file, rest.size() == 3 ? rest.get(2) : null, out, err)) :
                OptionalInt.empty();
            default -> OptionalInt.empty();
        };
    }

    /** {@code status}, {@code status NAME}, {@code status --json}, {@code status NAME --json} or the other order. */
    private static OptionalInt status(final List<String> rest, final PrintStream out, final PrintStream err)
    {
        String name = null;
        boolean json = false;
        for (final String arg : rest)
        {
            if (arg.equals("--json") && !json)
            {
                json = true;
            }
            else if (name == null && plain(List.of(arg)))
            {
                name = arg;
            }
            else
            {
                return OptionalInt.empty();
            }
        }
        return OptionalInt.of(new PipelineClient(out, err).status(name, json));
    }

    /** @return whether no argument could be an option (or the end of options) to picocli. */
    private static boolean plain(final List<String> args)
    {
        return args.stream().noneMatch(arg -> arg.isEmpty() || arg.startsWith("-"));
    }

    /** The verb of a config FILE (and maybe a worker after it), when none of its arguments could be an option. */
    private static OptionalInt withFile(final String file, final FileVerb verb)
    {
        if (!plain(List.of(file)))
        {
            return OptionalInt.empty();
        }
        final Path path;
        try
        {
            path = Path.of(file);
        }
        catch (final InvalidPathException e)
        {
            // picocli says what is wrong with it, with the usage.
            return OptionalInt.empty();
        }
        return OptionalInt.of(verb.run(path));
    }

    /** The work of a verb on a config. */
    @FunctionalInterface
    private interface FileVerb
    {
        int run(Path file);
    }
}
