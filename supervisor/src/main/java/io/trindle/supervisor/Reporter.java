package io.trindle.supervisor;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The supervisor's own lines in its {@link Log}, beside its workers' output: in text each starts {@code trindle: };
 * in JSON each is an {@link LogEvent event}, with the worker it is about and what more is known.
 */
final class Reporter
{
    /** How a line of the supervisor's starts in the text log. */
    static final String PREFIX = "trindle: ";

    private final Log log;

    Reporter(final Log log)
    {
        this.log = log;
    }

    /** Says one line, formatted as {@link String#format}: a {@link LogEvent#MESSAGE}. */
    void say(final String format, final Object... arguments)
    {
        event(LogEvent.MESSAGE, null).say(format, arguments);
    }

    /** Says one line about {@code worker}, formatted as {@link String#format}: a {@link LogEvent#MESSAGE} with it. */
    void sayAbout(final WorkerProcess worker, final String format, final Object... arguments)
    {
        event(LogEvent.MESSAGE, worker).say(format, arguments);
    }

    /**
     * Says a line as it is, without {@code trindle: } in text: a config's problem or warning, which starts with
     * its file and line as a compiler's message does, so that an editor can jump to it.
     */
    void sayAsIs(final String line)
    {
        // A line made for stderr before the log (the missing launcher's) may say "trindle: " itself: JSON does not.
        log.supervisor(LogEvent.MESSAGE, null, 0, Map.of(), line.startsWith(PREFIX) ? line.substring(PREFIX.length()) :
            line, line);
    }

    /**
     * @param worker the worker it is about (its name, replica and current pid go with it), or {@code null}.
     * @return a line of {@code event}, to which fields may be added before it is said.
     */
    Line event(final LogEvent event, final WorkerProcess worker)
    {
        return new Line(event, worker);
    }

    /** @return an exception in one line, its kind and message, e.g. {@code OutOfMemoryError: unable to …}. */
    static String reason(final Throwable e)
    {
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }

    /** One line being made: its event, its worker and its fields, then {@link #say}. */
    final class Line
    {
        private final LogEvent event;
        private final WorkerProcess worker;
        private final Map<String, Object> fields = new LinkedHashMap<>();

        private Line(final LogEvent event, final WorkerProcess worker)
        {
            this.event = event;
            this.worker = worker;
            if (worker != null && worker.pid > 0)
            {
                fields.put("pid", worker.pid);
            }
        }

        /**
         * Adds a field, or replaces one: a number is written as a JSON number, anything else as a string; a
         * {@code null} value takes the field out (a pid not known, say).
         */
        Line with(final String key, final Object value)
        {
            if (value == null)
            {
                fields.remove(key);
            }
            else
            {
                fields.put(key, value);
            }
            return this;
        }

        /** Says the line, formatted as {@link String#format}. */
        void say(final String format, final Object... arguments)
        {
            final String message = String.format(format, arguments);
            log.supervisor(event, worker == null ? null : worker.config.name(), worker == null ? 0 : worker.replica,
                fields, message, PREFIX + message);
        }
    }
}
