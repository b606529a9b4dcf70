package io.trindle.supervisor;

import io.trindle.ipc.LaneTap;
import io.trindle.journal.Recording;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

/**
 * {@code trindle run --record PIPE=DIR}: a tap attached before any worker starts, so that the recording holds every
 * message of the pipe, written by the supervisor itself into a recording ({@link Recording}) as it reads them.
 */
final class Recorder implements TapLoop.Output
{
    private final String pipe;
    private final Path directory;
    private final Recording.Writer writer;
    private final Reporter reporter;
    private long messages;

    private Recorder(final String pipe, final Path directory, final Recording.Writer writer, final Reporter reporter)
    {
        this.pipe = pipe;
        this.directory = directory;
        this.writer = writer;
        this.reporter = reporter;
    }

    /** Records the lanes of {@code attached} into {@code writer} on a thread of its own, then lets go of them. */
    static void start(final Taps.Attached attached, final Path directory, final Recording.Writer writer,
        final Taps taps, final Reporter reporter)
    {
        final Recorder recorder = new Recorder(attached.pipe(), directory, writer, reporter);
        Thread.ofPlatform().daemon().name("trindle-record-" + attached.pipe()).start(() ->
        {
            try (writer)
            {
                TapLoop.run(attached.lanes(), recorder);
                reporter.say("recorded %d message(s) of pipe '%s' into %s", recorder.messages, recorder.pipe,
                    recorder.directory);
            }
            catch (final java.io.IOException | RuntimeException e)
            {
                reporter.say("the recording of pipe '%s' into %s stopped after %d message(s): %s", recorder.pipe,
                    recorder.directory, recorder.messages, Reporter.reason(e));
            }
            finally
            {
                taps.detach(attached.pipe(), attached.lanes());
            }
        });
    }

    @Override
    public void message(final Taps.TappedLane lane, final long sequence, final int handles,
        final long epochNanos, final MemorySegment payload)
    {
        writer.append(new Recording.Message(pipe, lane.receiverReplica(), lane.tap().laneId(), lane.sender(), sequence,
            epochNanos, handles, payload.toArray(ValueLayout.JAVA_BYTE)));
        messages++;
    }

    @Override
    public void done(final Taps.TappedLane lane, final int result)
    {
        if (result == LaneTap.CORRUPT)
        {
            reporter.say("lane %d of pipe '%s' (from %s) is no longer recorded: %s", lane.tap().laneId(), pipe,
                lane.sender(), lane.tap().fault());
        }
    }

    @Override
    public void flush()
    {
        // Each message is in the recording's mapped file once appended.
    }

    @Override
    public boolean gone()
    {
        return false;
    }
}
