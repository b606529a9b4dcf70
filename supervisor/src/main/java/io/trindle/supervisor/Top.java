package io.trindle.supervisor;

import io.trindle.ipc.linux.Fds;
import io.trindle.ipc.linux.Terminals;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * {@code trindle top}: a live view of running pipelines, redrawn every interval, as {@code htop} or AeronStat show
 * theirs. Each frame asks every supervisor for its snapshot ({@code status --json} through its {@link StatusSocket})
 * and shows the rates since the last one ({@link TopFrame}); so top costs the pipelines one status query per
 * interval, and their lanes nothing.
 * <p>
 * On a terminal it takes the screen (the alternate screen, as {@code less} and {@code htop} do, given back on exit,
 * Ctrl-C included) and reads keys: {@code q} quits, {@code s} changes the order of the workers, {@code l} shows or
 * hides the lanes. Elsewhere (a pipe, a file, {@code --once}, {@code --json}) it prints frames one after another,
 * with nothing but text: a script reads {@code --once --json}, one frame of one JSON object.
 */
final class Top
{
    private static final int STDIN = 0;
    private static final int STDOUT = 1;
    private static final String ALTERNATE_SCREEN = "\u001b[?1049h\u001b[?25l";
    private static final String MAIN_SCREEN = "\u001b[?25h\u001b[?1049l";
    private static final String HOME = "\u001b[H";
    private static final String CLEAR_LINE = "\u001b[K";
    private static final String CLEAR_BELOW = "\u001b[J";
    private static final String KEYS = "(q quit, s sort, l lanes)";

    private final PrintStream out;
    private final PrintStream err;
    private final String name;
    private final Duration interval;
    private final boolean json;
    private final int frames;
    private TopFrame.Sort sort;
    private boolean lanes;

    /**
     * @param name     the pipeline to show, or {@code null} for every running one.
     * @param frames   how many frames to show before exiting; 0 for no end.
     */
    Top(final PrintStream out, final PrintStream err, final String name, final Duration interval,
        final TopFrame.Sort sort, final boolean lanes, final boolean json, final int frames)
    {
        this.out = out;
        this.err = err;
        this.name = name;
        this.interval = interval;
        this.sort = sort;
        this.lanes = lanes;
        this.json = json;
        this.frames = frames;
    }

    /** @return the exit status: 0 shown; 1 no pipeline runs, or the one named does not answer. */
    int run()
    {
        final Map<String, String> problems = new LinkedHashMap<>();
        Map<String, Map<String, Object>> before = sample(problems);
        if (before.isEmpty())
        {
            err.println("trindle: no pipeline is running (no socket in " + StatusSocket.runDirectory() + ")");
            return Supervisor.EXIT_WORKER_FAILED;
        }
        if (name != null && before.get(name) == null)
        {
            err.println(problems.get(name));
            return Supervisor.EXIT_WORKER_FAILED;
        }
        final boolean screen = !json && frames != 1 && Fds.isTerminal(STDOUT);
        return screen ? live(before) : printed(before, problems);
    }

    /** Frames one after another, as plain text or one JSON object per line. */
    private int printed(final Map<String, Map<String, Object>> first, final Map<String, String> firstProblems)
    {
        Map<String, Map<String, Object>> before = first;
        for (int shown = 0; frames == 0 || shown < frames; shown++)
        {
            pause(interval);
            final Map<String, String> problems = new LinkedHashMap<>();
            final Map<String, Map<String, Object>> now = sample(problems);
            final TopFrame frame = TopFrame.of(before, now, problems, interval.toMillis() / 1000.0);
            if (json)
            {
                out.println(frame.json());
            }
            else
            {
                out.print((shown == 0 ? "" : "\n") + frame.text(0, 0, sort, lanes, null));
            }
            out.flush();
            if (name == null && now.isEmpty())
            {
                err.println("trindle: no pipeline is running any more");
                return 0;
            }
            if (name != null && now.get(name) == null)
            {
                err.println(problems.get(name));
                return Supervisor.EXIT_WORKER_FAILED;
            }
            before = now;
        }
        return 0;
    }

    /** The full-screen view, redrawn every interval or at once on a key, until {@code q} or Ctrl-C. */
    private int live(final Map<String, Map<String, Object>> first)
    {
        final LinkedBlockingQueue<Integer> keys = new LinkedBlockingQueue<>();
        final byte[] saved = Fds.isTerminal(STDIN) ? Terminals.attributes(STDIN) : null;
        final Thread restore = new Thread(() -> leave(saved), "trindle-top-restore");
        Runtime.getRuntime().addShutdownHook(restore);
        try
        {
            if (saved != null)
            {
                Terminals.setAttributes(STDIN, Terminals.keys(saved));
                Thread.ofPlatform().daemon().name("trindle-top-keys").start(() -> readKeys(System.in, keys));
            }
            out.print(ALTERNATE_SCREEN);
            out.flush();
            Map<String, Map<String, Object>> before = first;
            Map<String, Map<String, Object>> now = first;
            Map<String, String> problems = new LinkedHashMap<>();
            long next = System.nanoTime() + interval.toNanos();
            boolean sampled = false;
            for (int shown = 0; frames == 0 || shown < frames; )
            {
                if (sampled)
                {
                    draw(TopFrame.of(before, now, problems, interval.toMillis() / 1000.0));
                    shown++;
                }
                final Integer key = keys.poll(Math.max(0, next - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (key != null)
                {
                    switch (key.intValue())
                    {
                        case 'q', 'Q', -1 ->
                        {
                            return 0;
                        }
                        case 's' -> sort = sort.next();
                        case 'l' -> lanes = !lanes;
                        default ->
                        {
                            continue; // any other key: nothing to redraw
                        }
                    }
                    continue; // redraw the last frame at once, in its new order
                }
                problems = new LinkedHashMap<>();
                before = now;
                now = sample(problems);
                next = System.nanoTime() + interval.toNanos();
                sampled = true;
            }
            return 0;
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
            return 0;
        }
        finally
        {
            leave(saved);
            try
            {
                Runtime.getRuntime().removeShutdownHook(restore);
            }
            catch (final IllegalStateException e)
            {
                // Shutting down already: the hook restores the terminal.
            }
        }
    }

    private void draw(final TopFrame frame)
    {
        int rows = 0;
        int columns = 0;
        try
        {
            final int[] size = Terminals.size(STDOUT);
            rows = size[0];
            columns = size[1];
        }
        catch (final RuntimeException e)
        {
            // A terminal that does not say its size: draw it all, uncut.
        }
        final String text = frame.text(columns, rows, sort, lanes, KEYS);
        // Each line overwritten in place, then the rest cleared: no flicker of a cleared screen.
        out.print(HOME + text.replace("\n", CLEAR_LINE + "\n") + CLEAR_BELOW);
        out.flush();
    }

    /** Gives the terminal back as it was: its settings, the main screen, the cursor. Safe to call twice. */
    private synchronized void leave(final byte[] saved)
    {
        out.print(MAIN_SCREEN);
        out.flush();
        if (saved != null)
        {
            try
            {
                Terminals.setAttributes(STDIN, saved);
            }
            catch (final RuntimeException e)
            {
                // The terminal is gone (the session ended): nothing to give back.
            }
        }
    }

    private static void readKeys(final InputStream in, final LinkedBlockingQueue<Integer> keys)
    {
        try
        {
            int key;
            do
            {
                key = in.read();
                keys.add(key);
            }
            while (key >= 0);
        }
        catch (final IOException e)
        {
            keys.add(-1);
        }
    }

    /** @return each pipeline's snapshot, by name; one that did not answer maps to null, its reason in problems. */
    private Map<String, Map<String, Object>> sample(final Map<String, String> problems)
    {
        final Map<String, Map<String, Object>> snapshots = new LinkedHashMap<>();
        final List<String> names = name != null ? List.of(name) : PipelineClient.running();
        for (final String pipeline : names)
        {
            try
            {
                final String answer = StatusSocket.ask(pipeline, "status --json");
                if (answer.startsWith(StatusSocket.REFUSED) || answer.startsWith(StatusSocket.ERROR))
                {
                    problems.put(pipeline, "trindle: pipeline '" + pipeline + "': " + answer.strip());
                    snapshots.put(pipeline, null);
                    continue;
                }
                @SuppressWarnings("unchecked")
                final Map<String, Object> snapshot = (Map<String, Object>)Json.parse(answer);
                snapshots.put(pipeline, snapshot);
            }
            catch (final IOException e)
            {
                problems.put(pipeline, PipelineClient.unanswered(pipeline, e));
                snapshots.put(pipeline, null);
            }
            catch (final RuntimeException e)
            {
                problems.put(pipeline, "trindle: pipeline '" + pipeline + "' gave an answer top cannot read: " +
                    e.getMessage());
                snapshots.put(pipeline, null);
            }
        }
        if (name == null)
        {
            // Without a name, a pipeline that ended since is simply gone, as a process is from top's list.
            snapshots.values().removeIf(java.util.Objects::isNull);
        }
        return snapshots;
    }

    private static void pause(final Duration duration)
    {
        try
        {
            Thread.sleep(duration);
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
        }
    }
}
