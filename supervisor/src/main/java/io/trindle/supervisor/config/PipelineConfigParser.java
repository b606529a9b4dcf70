package io.trindle.supervisor.config;

import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.schema.CoreSchema;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reads a pipeline config file (YAML, UTF-8) into a {@link PipelineConfig}, or reports everything wrong with it.
 * The file is read once, whole; every check runs, and the problems come back together in one
 * {@link ConfigException}, each as {@code file:line:column: message}. The format is described in the
 * supervisor module's README.
 */
public final class PipelineConfigParser
{
    private PipelineConfigParser()
    {
    }

    /**
     * @param file the config file; named in every problem as given, so a relative path stays relative.
     * @return the config, valid in every respect {@link PipelineConfig} promises.
     * @throws ConfigException if the file cannot be read, is not YAML, or breaks any rule of the format.
     */
    public static PipelineConfig parse(final Path file) throws ConfigException
    {
        final String text;
        try
        {
            text = Files.readString(file, StandardCharsets.UTF_8);
        }
        catch (final IOException e)
        {
            final Problems problems = new Problems(file);
            problems.add(Position.startOf(file), "cannot read the file: " + describe(file, e));
            throw problems.toException();
        }
        return parse(file, text);
    }

    /**
     * Parses {@code text} as if it were the content of {@code file}; the file itself is not read.
     *
     * @param file the name to give in problems and in {@link PipelineConfig#file()}, and the default name.
     * @param text the YAML.
     * @return the config.
     * @throws ConfigException if the text is not YAML or breaks any rule of the format.
     */
    public static PipelineConfig parse(final Path file, final String text) throws ConfigException
    {
        final Problems problems = new Problems(file);
        final Node root;
        try
        {
            // The core schema, YAML 1.2's usual one: ~ and Null are empty values, as most YAML users expect.
            final LoadSettings settings =
                LoadSettings.builder().setLabel(file.toString()).setSchema(new CoreSchema()).build();
            // compose, not load: the node tree keeps each value's line and column, and does not turn YAML
            // into Java objects we would only have to check again.
            root = new Compose(settings).composeReader(new StringReader(text)).orElse(null);
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
        final PipelineConfig config = new ConfigReader(problems).read(root);
        if (config == null)
        {
            throw problems.toException();
        }
        return config;
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

    private static String describe(final Path file, final IOException e)
    {
        return switch (e)
        {
            case NoSuchFileException ignored -> "no such file";
            case AccessDeniedException ignored -> "permission denied";
            case CharacterCodingException ignored -> "it is not UTF-8 text";
            default -> Files.isDirectory(file) ? "it is a directory" : e.toString();
        };
    }
}
