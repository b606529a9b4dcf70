package io.trindle.samples.unix;

import io.trindle.runtime.PipeSender;
import io.trindle.runtime.Trindle;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The first stage of samples/unix: sends each line of a file, without its newline, as one message on the pipe
 * "lines" — what {@code cat FILE} is to a shell pipeline, as a Trindle worker. It stops early when the supervisor
 * asks.
 *
 * <p>usage: {@code FileReader FILE} (relative to the worker's directory: the config file's, by default)
 */
public final class FileReader
{
    private FileReader()
    {
    }

    public static void main(final String[] args)
    {
        if (args.length != 1)
        {
            throw new IllegalArgumentException("usage: FileReader FILE");
        }
        long sent = 0;
        try (Trindle trindle = Trindle.connect();
            BufferedReader in = Files.newBufferedReader(Path.of(args[0]), StandardCharsets.UTF_8))
        {
            final PipeSender lines = trindle.sender("lines");
            trindle.ready();
            for (String line = in.readLine(); line != null && !trindle.stopRequested(); line = in.readLine())
            {
                final byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
                lines.send(bytes, 0, bytes.length, -1);
                sent++;
            }
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException("cannot read " + args[0], e);
        }
        System.out.printf("sent %d lines of %s%n", sent, args[0]);
    }
}
