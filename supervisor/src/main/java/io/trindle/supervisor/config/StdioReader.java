package io.trindle.supervisor.config;

import io.trindle.supervisor.config.ConfigReader.WorkerDraft;
import io.trindle.supervisor.config.NodeReader.Entry;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.ScalarNode;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Reads a worker's {@code stdin}, {@code stdout} and {@code ready} keys: the stdio bridge and readiness
 * (supervisor/README.md, "Ordinary programs as workers"). Which pipes they name, and whether those agree with the
 * worker's grants, is {@link GrantChecker}'s to check once every pipe is known.
 */
final class StdioReader
{
    static final List<String> STDIO_KEYS = List.of("pipe", "framing", "chunk");

    private static final List<String> FRAMINGS =
        Arrays.stream(Stdio.Framing.values()).map(Stdio.Framing::configName).toList();
    private static final List<String> READINESS =
        Arrays.stream(Readiness.values()).map(Readiness::configName).toList();

    private final NodeReader nodes;
    private final Problems problems;

    StdioReader(final NodeReader nodes)
    {
        this.nodes = nodes;
        this.problems = nodes.problems();
    }

    /**
     * Fills in the draft's {@code stdin}, {@code stdout} and {@code ready} from the worker's keys.
     */
    void read(final WorkerDraft worker, final Map<String, Entry> keys, final String what)
    {
        for (final String end : List.of("stdin", "stdout"))
        {
            final Entry entry = keys.get(end);
            if (entry == null)
            {
                continue;
            }
            if (worker.launch instanceof Launch.Java)
            {
                problems.add(entry.keyNode(), "'" + end + "' of " + what + " bridges an ordinary program's " + end +
                    ", but the worker runs a Java class, which reads and writes pipes itself: use 'command' or 'run' " +
                    "for a program, or drop '" + end + "' and grant the pipe");
                continue;
            }
            final Stdio stdio = readStdio(entry, end.equals("stdout"), "'" + end + "' of " + what);
            if (end.equals("stdin"))
            {
                worker.stdin = stdio;
                worker.stdinNode = entry.keyNode();
            }
            else
            {
                worker.stdout = stdio;
                worker.stdoutNode = entry.keyNode();
            }
        }
        if (keys.containsKey("ready"))
        {
            final String word = nodes.word(keys.get("ready").value(), "'ready' of " + what, "readiness", READINESS);
            worker.ready = ConfigReader.byConfigName(Readiness.values(), Readiness::configName, word, null);
        }
    }

    /**
     * @return the bridged end, as {@code PIPE} or {@code { pipe: PIPE, framing: F, chunk: SIZE }}; or {@code null}
     *         (reported).
     */
    private Stdio readStdio(final Entry entry, final boolean output, final String what)
    {
        final Node node = entry.value();
        final Position position = problems.positionOf(entry.keyNode());
        if (node instanceof ScalarNode && !NodeReader.isNull(node))
        {
            final String pipe = nodes.text(node, what);
            return pipe == null ? null : new Stdio(pipe, Stdio.Framing.LINES, 0, position);
        }
        if (!(node instanceof MappingNode))
        {
            problems.add(node, "expected a pipe or a mapping for " + what + ", found " + NodeReader.describe(node) +
                " (e.g. " + entry.key() + ": lines, or " + entry.key() + ": { pipe: lines, framing: raw })");
            return null;
        }
        final List<Entry> entries = nodes.mapping(node, what, "key", " in " + what);
        final Map<String, Entry> keys = nodes.keys(entries, STDIO_KEYS, "in " + what);
        String pipe = null;
        if (keys.containsKey("pipe"))
        {
            pipe = nodes.text(keys.get("pipe").value(), "'pipe' of " + what);
        }
        else
        {
            problems.add(node, what + " has no 'pipe': name the pipe the program's " + entry.key() + " is bridged to");
        }
        Stdio.Framing framing = Stdio.Framing.LINES;
        if (keys.containsKey("framing"))
        {
            final String word = nodes.word(keys.get("framing").value(), "'framing' of " + what, "framing", FRAMINGS);
            framing = ConfigReader.byConfigName(Stdio.Framing.values(), Stdio.Framing::configName, word, null);
        }
        int chunk = 0;
        if (keys.containsKey("chunk"))
        {
            final Node chunkNode = keys.get("chunk").value();
            if (!output || framing != Stdio.Framing.RAW)
            {
                problems.add(keys.get("chunk").keyNode(), "'chunk' of " + what + " is for 'stdout' with framing raw " +
                    "only: it is how many bytes of the program's output one message holds at most");
            }
            else
            {
                final Long bytes = nodes.size(chunkNode, "'chunk' of " + what);
                if (bytes != null && (bytes < 1 || bytes > Integer.MAX_VALUE))
                {
                    problems.add(chunkNode, "'chunk' of " + what + " must be at least 1 byte, not " + bytes);
                }
                else if (bytes != null)
                {
                    chunk = bytes.intValue();
                }
            }
        }
        return pipe == null || framing == null ? null : new Stdio(pipe, framing, chunk, position);
    }
}
