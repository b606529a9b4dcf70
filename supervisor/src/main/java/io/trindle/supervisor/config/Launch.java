package io.trindle.supervisor.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * How the supervisor starts a worker's process: an executable with its arguments, or a Java main class.
 */
public sealed interface Launch
{
    /**
     * An executable and its arguments, run directly with no shell: no quoting, globbing, variables, pipes or
     * redirection. Written in the config as {@code command: [./bin/splitter, --fast]} (a YAML list, one item per
     * argument, so an argument may hold spaces) or as {@code run: ./bin/splitter --fast} (one string, split on
     * whitespace; quotes are <em>not</em> interpreted, so a {@code run} string holding a quote is refused — use
     * {@code command} for an argument with spaces). A program named without a slash is looked up on the
     * {@code PATH}.
     *
     * @param argv the program, then its arguments; never empty.
     */
    record Command(List<String> argv) implements Launch
    {
        /**
         * @throws IllegalArgumentException if {@code argv} is empty or its program is blank.
         */
        public Command
        {
            argv = List.copyOf(argv);
            if (argv.isEmpty() || argv.getFirst().isBlank())
            {
                throw new IllegalArgumentException("a command needs a program: argv=" + argv);
            }
        }

        /**
         * @return the program: the first item of {@link #argv()}.
         */
        public String program()
        {
            return argv.getFirst();
        }
    }

    /**
     * A Java main class, run by the supervisor on its own JDK with Trindle's worker runtime on the class path.
     * Written in the config as {@code java: io.trindle.samples.wordcount.Reader --lines 100} (split on whitespace
     * like {@code run}: the first word is the class, the rest its arguments) or as a YAML list
     * {@code java: [io.trindle.samples.wordcount.Reader, --lines, 100]}. The worker's own classes are given by
     * {@code classpath: target/my-worker.jar} or a list of jars, directories and {@code dir/*} (every jar in
     * {@code dir}), relative to the config file's directory.
     *
     * @param mainClass the fully qualified name of the class with {@code main}.
     * @param arguments the arguments given to {@code main}.
     * @param classPath the config's {@code classpath} entries as written, in order: put before the worker class
     *                  path the supervisor runs every Java worker with; see
     *                  {@link PipelineConfig#classPathOf(WorkerConfig)}.
     */
    record Java(String mainClass, List<String> arguments, List<Path> classPath) implements Launch
    {
        public Java
        {
            Objects.requireNonNull(mainClass, "mainClass");
            arguments = List.copyOf(arguments);
            classPath = List.copyOf(classPath);
        }

        /** A main class with no {@code classpath} of its own. */
        public Java(final String mainClass, final List<String> arguments)
        {
            this(mainClass, arguments, List.of());
        }
    }
}
