package io.trindle.ipc;

import java.util.List;

/**
 * One message of the control protocol between the supervisor and a worker, as specified in
 * {@code docs/control-protocol.md}. Each kind is a record; the wire codes are fixed and never renumbered.
 */
public sealed interface ControlMessage
{
    /** @return the kind's code on the wire. */
    int kind();

    /**
     * Supervisor to worker, first: who the worker is.
     *
     * @param pipeline the pipeline's name.
     * @param worker   the worker's name in the config.
     * @param replica  this process's replica number, 0-based.
     * @param replicas how many replicas the worker has.
     */
    record Hello(String pipeline, String worker, int replica, int replicas) implements ControlMessage
    {
        public static final int KIND = 1;

        @Override
        public int kind()
        {
            return KIND;
        }
    }

    /**
     * Supervisor to worker: a grant named as in the config, with the handles behind it. A segment grant
     * carries one handle; a pipe grant with SEND carries one lane per receiving replica, in replica order; a
     * pipe grant with RECEIVE carries one lane per sending process.
     *
     * @param name      the pipe's or segment's name in the config.
     * @param rights    the rights the config grants (what the worker may do with the object).
     * @param objectKind what the object is.
     * @param partition how a sender spreads messages over several lanes: {@link #ROUND_ROBIN} or {@link #KEY}.
     * @param handles   the handles, now held by the receiving process.
     */
    record Grant(String name, Rights rights, ObjectKind objectKind, int partition, List<Handle> handles)
        implements ControlMessage
    {
        public static final int KIND = 2;
        public static final int ROUND_ROBIN = 0;
        public static final int KEY = 1;

        public Grant
        {
            handles = List.copyOf(handles);
        }

        @Override
        public int kind()
        {
            return KIND;
        }
    }

    /** Supervisor to worker: every grant of the worker's start has been sent. */
    record GrantsDone() implements ControlMessage
    {
        public static final int KIND = 3;

        @Override
        public int kind()
        {
            return KIND;
        }
    }

    /** Worker to supervisor: the worker has set itself up and is running. */
    record Ready() implements ControlMessage
    {
        public static final int KIND = 4;

        @Override
        public int kind()
        {
            return KIND;
        }
    }

    /** Supervisor to worker: stop producing, end your output streams and exit. */
    record Stop() implements ControlMessage
    {
        public static final int KIND = 5;

        @Override
        public int kind()
        {
            return KIND;
        }
    }
}
