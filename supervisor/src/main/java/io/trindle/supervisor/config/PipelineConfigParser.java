package io.trindle.supervisor.config;

import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.composer.Composer;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.parser.ParserImpl;
import org.snakeyaml.engine.v2.scanner.StreamReader;
import org.snakeyaml.engine.v2.schema.CoreSchema;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serial;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Reads a pipeline config file (YAML, UTF-8) into a {@link PipelineConfig}, or reports everything wrong with it.
 * The file is read once, whole; every check runs, and the problems come back together in one
 * {@link ConfigException}, each as {@code file:line:column: message}. The format is described in the
 * supervisor module's README.
 *
 * <p>Any file may be handed to {@code trindle validate}, so reading one costs at most a bounded, linear amount
 * of time and memory whatever it holds: only a regular file is opened (a FIFO would block, {@code /dev/zero}
 * never ends), at most {@link Limits#MAX_CONFIG_BYTES} of it is read, its nesting and the values its aliases
 * stand for are bounded ({@link BoundedParser}), and reading stops after {@link Limits#MAX_PROBLEMS} problems.
 */
public final class PipelineConfigParser
{
    // The file types of st_mode (inode(7)).
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;
    private static final int S_IFBLK = 0060000;
    private static final int S_IFDIR = 0040000;
    private static final int S_IFCHR = 0020000;
    private static final int S_IFIFO = 0010000;

    private PipelineConfigParser()
    {
    }

    /**
     * Reads a config file as {@code trindle validate} and {@code trindle run} do: against
     * {@link Surroundings#current()}, this supervisor's environment, files and worker class path.
     *
     * @param file the config file; named in every problem as given, so a relative path stays relative.
     * @return the config, valid in every respect {@link PipelineConfig} promises.
     * @throws ConfigException if the file cannot be read, is not YAML, or breaks any rule of the format.
     */
    public static PipelineConfig parse(final Path file) throws ConfigException
    {
        return parse(file, Surroundings.current());
    }

    /**
     * @param file         the config file; named in every problem as given, so a relative path stays relative.
     * @param surroundings what its variables expand from, and whether its programs and classes are looked for.
     * @return the config, valid in every respect {@link PipelineConfig} promises.
     * @throws ConfigException if the file cannot be read, is not YAML, or breaks any rule of the format.
     */
    public static PipelineConfig parse(final Path file, final Surroundings surroundings) throws ConfigException
    {
        final String text;
        try
        {
            text = read(file);
        }
        catch (final TooLarge e)
        {
            throw refusal(file, "the file " + e.getMessage() + ", more than a config may: at most " +
                Sizes.format(Limits.MAX_CONFIG_BYTES) + " (" + Limits.MAX_CONFIG_BYTES + " bytes); a pipeline " +
                "config is a few KiB, so this is most likely not the file meant");
        }
        catch (final IOException e)
        {
            throw refusal(file, "cannot read the file: " + describe(e));
        }
        return parse(file, text, surroundings);
    }

    /**
     * @return the file's text.
     * @throws IOException if it cannot be read, is not a regular file ({@link NotARegularFile}), holds more
     *                     than {@link Limits#MAX_CONFIG_BYTES} ({@link TooLarge}), or is not UTF-8.
     */
    private static String read(final Path file) throws IOException
    {
        // Looked at before it is opened: opening a FIFO blocks until a writer comes, and /dev/zero never ends.
        final BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
        if (!attributes.isRegularFile())
        {
            throw new NotARegularFile(kindOf(file));
        }
        if (attributes.size() > Limits.MAX_CONFIG_BYTES)
        {
            throw new TooLarge("has " + attributes.size() + " bytes");
        }
        final byte[] bytes;
        // At most one byte more than the limit: the file may have grown since, or be one whose size says 0.
        try (InputStream in = Files.newInputStream(file))
        {
            bytes = in.readNBytes(Limits.MAX_CONFIG_BYTES + 1);
        }
        if (bytes.length > Limits.MAX_CONFIG_BYTES)
        {
            throw new TooLarge("has more than " + Limits.MAX_CONFIG_BYTES + " bytes");
        }
        return StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .decode(ByteBuffer.wrap(bytes)).toString();
    }

    /**
     * @return what a file that is not a regular one is, from its {@code st_mode}, e.g. {@code a FIFO}.
     */
    private static String kindOf(final Path file)
    {
        final int mode;
        try
        {
            mode = (Integer)Files.getAttribute(file, "unix:mode");
        }
        catch (final IOException | UnsupportedOperationException | IllegalArgumentException e)
        {
            return "a special file";
        }
        return switch (mode & S_IFMT)
        {
            case S_IFDIR -> "a directory";
            case S_IFIFO -> "a FIFO";
            case S_IFCHR -> "a character device";
            case S_IFBLK -> "a block device";
            case S_IFSOCK -> "a socket";
            default -> "a special file";
        };
    }

    /**
     * Parses {@code text} as if it were the content of {@code file}, alone ({@link Surroundings#NONE}): the file
     * itself is not read, no variable is set, no program or class is looked for.
     *
     * @param file the name to give in problems and in {@link PipelineConfig#file()}, and the default name.
     * @param text the YAML.
     * @return the config.
     * @throws ConfigException if the text is not YAML or breaks any rule of the format.
     */
    public static PipelineConfig parse(final Path file, final String text) throws ConfigException
    {
        return parse(file, text, Surroundings.NONE);
    }

    /**
     * Parses {@code text} as if it were the content of {@code file}, in {@code surroundings}.
     *
     * @param file         the name to give in problems and in {@link PipelineConfig#file()}, and the default name.
     * @param text         the YAML.
     * @param surroundings what its variables expand from, and whether its programs and classes are looked for.
     * @return the config.
     * @throws ConfigException if the text is not YAML or breaks any rule of the format.
     */
    public static PipelineConfig parse(final Path file, final String text, final Surroundings surroundings)
        throws ConfigException
    {
        if (text.length() > Limits.MAX_CONFIG_BYTES)
        {
            throw refusal(file, "the text is longer than a config may be: at most " + Limits.MAX_CONFIG_BYTES +
                " characters");
        }
        final Problems problems = new Problems(file);
        final Node root;
        try
        {
            // The core schema, YAML 1.2's usual one: ~ and Null are empty values, as most YAML users expect.
            // The reader's buffer holds the whole text: with the default 1 KiB one, the library copies what it
            // has not yet consumed on every refill, which is quadratic in the length of a single token.
            // Aliases are bounded by the values they stand for (BoundedParser), not by their number.
            final LoadSettings settings = LoadSettings.builder().setLabel(file.toString())
                .setSchema(new CoreSchema())
                .setBufferSize(text.length() + 1)
                .setCodePointLimit(Limits.MAX_CONFIG_BYTES)
                .setMaxAliasesForCollections(Integer.MAX_VALUE)
                .build();
            // compose, not load: the node tree keeps each value's line and column, and does not turn YAML
            // into Java objects we would only have to check again.
            root = new Composer(settings, new BoundedParser(new ParserImpl(settings, new StreamReader(settings, text))))
                .getSingleNode().orElse(null);
        }
        catch (final BoundedParser.LimitExceeded e)
        {
            problems.add(problems.positionOf(e.mark()), e.getMessage());
            throw problems.toException();
        }
        catch (final MarkedYamlEngineException e)
        {
            problems.add(problems.positionOf(e.getProblemMark().or(e::getContextMark)), syntaxMessage(e, problems));
            throw problems.toException();
        }
        catch (final YamlEngineException e)
        {
            problems.add(Position.startOf(file), "YAML error: " + e.getMessage());
            throw problems.toException();
        }
        final PipelineConfig config;
        try
        {
            // Variables first, so that each value is read as what it expands to (lane: ${LANE:-1MiB}). A value
            // whose variable is unset cannot be read at all: those problems are reported alone.
            final Node expanded = root == null ? null : new Variables(surroundings.environment(), problems)
                .expand(root);
            if (!problems.isEmpty())
            {
                throw problems.toException();
            }
            config = new ConfigReader(problems, surroundings).read(expanded);
        }
        catch (final Problems.TooMany e)
        {
            throw problems.toException();
        }
        if (config == null)
        {
            throw problems.toException();
        }
        return config;
    }

    private static ConfigException refusal(final Path file, final String message)
    {
        final Problems problems = new Problems(file);
        problems.add(Position.startOf(file), message);
        return problems.toException();
    }

    /**
     * @return what the YAML library was doing and where it began, then the problem it met, e.g. {@code YAML syntax
     *         error: while parsing a flow sequence at line 3, column 10, expected ',' or ']', but got <stream end>}
     *         (the library's phrases read in that order).
     */
    private static String syntaxMessage(final MarkedYamlEngineException e, final Problems problems)
    {
        final StringBuilder message = new StringBuilder("YAML syntax error: ");
        if (e.getContext() != null)
        {
            message.append(e.getContext());
            if (e.getContextMark().isPresent())
            {
                final Position at = problems.positionOf(e.getContextMark());
                message.append(" at line ").append(at.line()).append(", column ").append(at.column());
            }
            message.append(", ");
        }
        return message.append(e.getProblem()).toString();
    }

    private static String describe(final IOException e)
    {
        return switch (e)
        {
            case NoSuchFileException ignored -> "no such file";
            case AccessDeniedException ignored -> "permission denied";
            case CharacterCodingException ignored -> "it is not UTF-8 text";
            case NotARegularFile notRegular -> "it is " + notRegular.getMessage() + ", not a regular file";
            default -> e.toString();
        };
    }

    /** A path that names something other than a regular file; its message says what, e.g. {@code a FIFO}. */
    private static final class NotARegularFile extends IOException
    {
        @Serial
        private static final long serialVersionUID = 1L;

        NotARegularFile(final String kind)
        {
            super(kind);
        }
    }

    /** A file past {@link Limits#MAX_CONFIG_BYTES}; its message says how large, e.g. {@code has 2000000 bytes}. */
    private static final class TooLarge extends IOException
    {
        @Serial
        private static final long serialVersionUID = 1L;

        TooLarge(final String size)
        {
            super(size);
        }
    }
}
