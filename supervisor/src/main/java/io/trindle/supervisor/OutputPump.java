package io.trindle.supervisor;

import io.trindle.ipc.linux.Fds;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

/**
 * Copies one worker's stdout or stderr to the supervisor's {@link Log}, line by line: in text each line prefixed
 * with the worker's name and replica ({@code splitter.1 | ...}), coloured per worker on a terminal, as
 * {@code docker compose up} does. Runs on its own thread until the worker closes its end of the pipe.
 */
final class OutputPump implements Runnable
{
    private static final String[] COLOURS = {"\u001b[36m", "\u001b[33m", "\u001b[32m", "\u001b[35m", "\u001b[34m",
        "\u001b[96m", "\u001b[93m", "\u001b[92m"};
    private static final String RESET = "\u001b[0m";
    private static final int BUFFER = 64 * 1024;

    private final int fd;
    private final String worker;
    private final int replica;
    private final boolean stderr;
    private final String prefix;
    private final Log log;
    private final StderrTail tail;
    private final OpenOutputs outputs;

    /**
     * @param fd     the read end of the worker's stdout or stderr pipe; the pump closes it at the end.
     * @param worker the process it is of, e.g. {@code splitter.1}.
     * @param stderr whether it is the worker's stderr (else its stdout).
     * @param width  the widest label, so the bars line up.
     * @param colour the worker's colour number, used where the log may colour this stream.
     * @param tail   where to keep the last lines too, or {@code null}.
     * @param outputs told when this stream has ended, having counted it as opened before the pump starts.
     */
    OutputPump(final int fd, final WorkerProcess worker, final boolean stderr, final int width, final int colour,
        final Log log, final StderrTail tail, final OpenOutputs outputs)
    {
        this.outputs = outputs;
        this.fd = fd;
        this.worker = worker.config.name();
        this.replica = worker.replica;
        this.stderr = stderr;
        final String padded = String.format("%-" + width + "s | ", worker.label);
        this.prefix = log.colours(stderr) ? COLOURS[colour % COLOURS.length] + padded + RESET : padded;
        this.log = log;
        this.tail = tail;
    }

    @Override
    public void run()
    {
        final ByteArrayOutputStream line = new ByteArrayOutputStream();
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment buffer = arena.allocate(BUFFER);
            long read;
            while ((read = Fds.read(fd, buffer)) > 0)
            {
                for (long i = 0; i < read; i++)
                {
                    final byte b = buffer.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i);
                    if (b == '\n')
                    {
                        emit(line);
                    }
                    else
                    {
                        line.write(b);
                    }
                }
            }
        }
        catch (final RuntimeException e)
        {
            log.worker(worker, replica, stderr, prefix, "(output lost: " + e.getMessage() + ")");
        }
        finally
        {
            if (line.size() > 0)
            {
                emit(line);
            }
            Fds.close(fd);
            if (tail != null)
            {
                tail.end();
            }
            outputs.closed();
        }
    }

    private void emit(final ByteArrayOutputStream line)
    {
        final String text = line.toString(StandardCharsets.UTF_8);
        line.reset();
        if (tail != null)
        {
            tail.add(text);
        }
        log.worker(worker, replica, stderr, prefix, text);
    }
}
