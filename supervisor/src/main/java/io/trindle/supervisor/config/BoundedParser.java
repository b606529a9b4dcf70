package io.trindle.supervisor.config;

import org.snakeyaml.engine.v2.common.Anchor;
import org.snakeyaml.engine.v2.events.AliasEvent;
import org.snakeyaml.engine.v2.events.CollectionEndEvent;
import org.snakeyaml.engine.v2.events.CollectionStartEvent;
import org.snakeyaml.engine.v2.events.Event;
import org.snakeyaml.engine.v2.events.ScalarEvent;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.parser.Parser;

import java.io.Serial;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A YAML parser that holds a file to {@link Limits#MAX_NESTING} and {@link Limits#MAX_NODES} as its events are
 * read, before the YAML library's composer (which recurses once per level of nesting, and copies what an alias
 * or merge key stands for) can overflow the stack or build without end. The parser under it works with a
 * loop and a heap stack, so a file of a million opening brackets costs it nothing until this refuses the
 * thirty-third.
 *
 * <p>Values are counted as the composer will meet them: a scalar, a mapping or a list counts 1, and an alias
 * counts every value of the node it stands for (an alias within its own anchor's node counts 1, as the node is
 * not yet complete).
 */
final class BoundedParser implements Parser
{
    private final Parser parser;
    /** For each open mapping or list: the values counted before it began. */
    private final long[] openedAt = new long[Limits.MAX_NESTING];
    /** For each open mapping or list: its anchor, or {@code null}. */
    private final Anchor[] openAnchors = new Anchor[Limits.MAX_NESTING];
    private int depth;
    private long values;
    /** Anchor → how many values its node counts. */
    private final Map<Anchor, Long> anchored = new HashMap<>();

    BoundedParser(final Parser parser)
    {
        this.parser = parser;
    }

    @Override
    public boolean checkEvent(final Event.ID choice)
    {
        return parser.checkEvent(choice);
    }

    @Override
    public Event peekEvent()
    {
        return parser.peekEvent();
    }

    @Override
    public boolean hasNext()
    {
        return parser.hasNext();
    }

    @Override
    public Event next()
    {
        final Event event = parser.next();
        switch (event)
        {
            case CollectionStartEvent start ->
            {
                count(1, event);
                if (depth == Limits.MAX_NESTING)
                {
                    throw new LimitExceeded(event.getStartMark(), "mappings and lists nest more than " +
                        Limits.MAX_NESTING + " deep here, deeper than a config may: at most " + Limits.MAX_NESTING +
                        " (a valid config nests at most 5 deep); check the brackets and indentation");
                }
                openedAt[depth] = values - 1;
                openAnchors[depth] = start.getAnchor().orElse(null);
                depth++;
            }
            case CollectionEndEvent ignored ->
            {
                depth--;
                if (openAnchors[depth] != null)
                {
                    anchored.put(openAnchors[depth], values - openedAt[depth]);
                }
            }
            case ScalarEvent scalar ->
            {
                count(1, event);
                scalar.getAnchor().ifPresent(anchor -> anchored.put(anchor, 1L));
            }
            case AliasEvent alias -> count(anchored.getOrDefault(alias.getAlias(), 1L), event);
            default ->
            {
                // stream and document boundaries, comments: no values
            }
        }
        return event;
    }

    private void count(final long more, final Event event)
    {
        values += more;
        if (values > Limits.MAX_NODES)
        {
            throw new LimitExceeded(event.getStartMark(), "the file amounts to more than " + Limits.MAX_NODES +
                " YAML values by here (an alias counts every value of what it stands for), more than a config " +
                "may: at most " + Limits.MAX_NODES);
        }
    }

    /**
     * A limit of {@link Limits} that the file passed, at {@link #mark()}.
     */
    static final class LimitExceeded extends RuntimeException
    {
        @Serial
        private static final long serialVersionUID = 1L;

        private final transient Optional<Mark> mark;

        LimitExceeded(final Optional<Mark> mark, final String message)
        {
            super(message, null, false, false);
            this.mark = mark;
        }

        Optional<Mark> mark()
        {
            return mark;
        }
    }
}
