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

    /** Fixed status codes of the replies below: 0 is success; never renumbered. */
    final class Status
    {
        public static final int OK = 0;
        /** The process does not hold a handle to that object. */
        public static final int NOT_HELD = 1;
        /** Moving the handle needs TRANSFER, which the process's handle lacks. */
        public static final int NO_TRANSFER_RIGHT = 2;
        /** Attaching a duplicate needs DUPLICATE, which the process's handle lacks. */
        public static final int NO_DUPLICATE_RIGHT = 3;
        /** The rights asked for are not a subset of the rights held. */
        public static final int WIDENING = 4;
        /** No such token was ever issued (forged). */
        public static final int UNKNOWN_TOKEN = 5;
        /** The token was already redeemed (replayed). */
        public static final int ALREADY_REDEEMED = 6;
        /** The token was issued for another receiver, or another message. */
        public static final int NOT_YOURS = 7;
        /** The lane named is not one this process sends on or receives. */
        public static final int BAD_LANE = 8;
        /** The request is malformed (too many handles, a zero count, an impossible capacity). */
        public static final int INVALID = 9;

        private Status()
        {
        }
    }

    /**
     * One handle a worker attaches to a message: the object it names, the rights the receiver gets, and
     * whether the sender keeps its own handle (a duplicate, needing DUPLICATE) or gives it up (a move, needing
     * TRANSFER).
     */
    record Attachment(long objectId, Rights rights, boolean duplicate)
    {
    }

    /**
     * Worker to supervisor: "I am about to send, on my lane {@code laneId} of pipe {@code pipeId}, a message with
     * these handles". The supervisor checks them against its capability table, moves (or copies) the
     * capabilities into a pending transfer, and answers with a token.
     */
    record Transfer(long request, long pipeId, int laneId, List<Attachment> attachments) implements ControlMessage
    {
        public static final int KIND = 6;

        public Transfer
        {
            attachments = List.copyOf(attachments);
        }

        @Override
        public int kind()
        {
            return KIND;
        }
    }

    /** Supervisor to worker: the answer to a {@link Transfer}: a token, or why not. */
    record TransferReply(long request, int status, long token, String reason) implements ControlMessage
    {
        public static final int KIND = 7;

        @Override
        public int kind()
        {
            return KIND;
        }
    }

    /**
     * Worker to supervisor: "a message at {@code sequence} on lane {@code laneId} of pipe {@code pipeId} carries
     * {@code token}; give me its handles".
     */
    record Redeem(long request, long token, long pipeId, int laneId, long sequence) implements ControlMessage
    {
        public static final int KIND = 8;

        @Override
        public int kind()
        {
            return KIND;
        }
    }

    /** Supervisor to worker: handles for a {@link Redeem} or a {@link CreatePipe}, or why not. */
    record Handles(long request, int status, String reason, List<Handle> handles) implements ControlMessage
    {
        public static final int KIND = 9;

        public Handles
        {
            handles = List.copyOf(handles);
        }

        @Override
        public int kind()
        {
            return KIND;
        }
    }

    /**
     * Worker to supervisor: the receiver rejects a message instead of handling it. {@code head} is the first
     * bytes of the message (at most {@link #MAX_HEAD}), returned to the sender in its bounce.
     */
    record Reject(long pipeId, int laneId, long sequence, long token, String reason, byte[] head)
        implements ControlMessage
    {
        public static final int KIND = 10;
        public static final int MAX_HEAD = 256;

        @Override
        public int kind()
        {
            return KIND;
        }

        @Override
        public boolean equals(final Object other)
        {
            return other instanceof Reject r && r.pipeId == pipeId && r.laneId == laneId && r.sequence == sequence &&
                r.token == token && r.reason.equals(reason) && java.util.Arrays.equals(r.head, head);
        }

        @Override
        public int hashCode()
        {
            return Long.hashCode(sequence) * 31 + reason.hashCode();
        }
    }

    /**
     * Supervisor to worker: a message this worker sent on {@code pipe} was rejected; the handles it carried
     * come back.
     */
    record Bounce(String pipe, long sequence, String reason, byte[] head, List<Handle> handles)
        implements ControlMessage
    {
        public static final int KIND = 11;

        public Bounce
        {
            handles = List.copyOf(handles);
        }

        @Override
        public int kind()
        {
            return KIND;
        }

        @Override
        public boolean equals(final Object other)
        {
            return other instanceof Bounce b && b.pipe.equals(pipe) && b.sequence == sequence &&
                b.reason.equals(reason) && java.util.Arrays.equals(b.head, head) && b.handles.equals(handles);
        }

        @Override
        public int hashCode()
        {
            return Long.hashCode(sequence) * 31 + reason.hashCode();
        }
    }

    /**
     * Worker to supervisor: make me a pipe of my own (one lane of {@code laneCapacity} bytes), with SEND,
     * RECEIVE, DUPLICATE and TRANSFER, to fill and hand on.
     */
    record CreatePipe(long request, int laneCapacity) implements ControlMessage
    {
        public static final int KIND = 12;

        @Override
        public int kind()
        {
            return KIND;
        }
    }

    /**
     * Worker to supervisor: pack these handles and {@code bytes} into a new bundle. All or nothing: every
     * attachment is checked as for a {@link Transfer}; moved handles leave the worker.
     */
    record CreateBundle(long request, List<Attachment> attachments, byte[] bytes) implements ControlMessage
    {
        public static final int KIND = 13;
        /** The most bytes a bundle carries. */
        public static final int MAX_BYTES = 4096;

        public CreateBundle
        {
            attachments = List.copyOf(attachments);
        }

        @Override
        public int kind()
        {
            return KIND;
        }

        @Override
        public boolean equals(final Object other)
        {
            return other instanceof CreateBundle c && c.request == request && c.attachments.equals(attachments) &&
                java.util.Arrays.equals(c.bytes, bytes);
        }

        @Override
        public int hashCode()
        {
            return Long.hashCode(request);
        }
    }

    /** Worker to supervisor: unpack the bundle {@code bundleId} this worker holds; answered with its handles. */
    record Unpack(long request, long bundleId) implements ControlMessage
    {
        public static final int KIND = 14;

        @Override
        public int kind()
        {
            return KIND;
        }
    }
}
