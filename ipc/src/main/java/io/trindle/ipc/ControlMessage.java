package io.trindle.ipc;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One message of the control protocol between the supervisor and a worker, as specified in
 * {@code docs/control-protocol.md}. Each kind is a record that writes and reads its own body and says which
 * handles it moves; {@link ControlFrame} adds the header and the handle entries, {@link ControlChannel} moves
 * the frame. The wire codes are fixed and never renumbered.
 *
 * <p>Adding a kind touches this file only: a record with its {@code KIND}, {@link #encode} and a static
 * {@code decode}, and one line in {@link #decode(int, ControlFrame.BodyReader, List)}.
 *
 * <p>Longer than most classes here on purpose: every kind lives in this one file so the sealed list, the codes
 * and each body's layout are read side by side, as the protocol document lists them.
 */
public sealed interface ControlMessage
{
    /** @return the kind's code on the wire. */
    int kind();

    /**
     * @return the handles this message moves, in the order of their fds; empty for a kind that never carries
     * any (a frame of that kind arriving with handles is refused).
     */
    default List<Handle> handles()
    {
        return List.of();
    }

    /** Writes this message's body (not the header, not the handle entries). */
    void encode(ControlFrame.BodyWriter body);

    /**
     * Reads the body of a frame of {@code kind}; {@code handles} are the handles decoded from its entries.
     *
     * @throws MalformedMessageException if the kind is unknown or the body is not valid for it.
     */
    static ControlMessage decode(final int kind, final ControlFrame.BodyReader body, final List<Handle> handles)
    {
        return switch (kind)
        {
            case Hello.KIND -> Hello.decode(body);
            case Grant.KIND -> Grant.decode(body, handles);
            case GrantsDone.KIND -> new GrantsDone();
            case Ready.KIND -> new Ready();
            case Stop.KIND -> new Stop();
            case Transfer.KIND -> Transfer.decode(body);
            case TransferReply.KIND -> TransferReply.decode(body);
            case Redeem.KIND -> Redeem.decode(body);
            case Handles.KIND -> Handles.decode(body, handles);
            case Reject.KIND -> Reject.decode(body);
            case Bounce.KIND -> Bounce.decode(body, handles);
            case CreatePipe.KIND -> CreatePipe.decode(body);
            case CreateBundle.KIND -> CreateBundle.decode(body);
            case Unpack.KIND -> Unpack.decode(body);
            case MoveLane.KIND -> MoveLane.decode(body, handles);
            case LaneMoving.KIND -> LaneMoving.decode(body, handles);
            case LaneAdded.KIND -> LaneAdded.decode(body, handles);
            case Resize.KIND -> Resize.decode(body);
            case Revoke.KIND -> Revoke.decode(body);
            case Revoked.KIND -> Revoked.decode(body);
            case Rehome.KIND -> Rehome.decode(body, handles);
            case Rehomed.KIND -> Rehomed.decode(body);
            case CreateSegment.KIND -> CreateSegment.decode(body);
            case CreateAllocator.KIND -> CreateAllocator.decode(body);
            case CreateTable.KIND -> CreateTable.decode(body);
            case Notice.KIND -> Notice.decode(body, handles);
            case Release.KIND -> Release.decode(body);
            default -> throw new MalformedMessageException("control frame has unknown kind=" + kind);
        };
    }

    /** Worker to supervisor: a request the supervisor answers with a {@link Reply} of the same number. */
    sealed interface Request extends ControlMessage
    {
        /** @return the number the worker chose for this request, echoed in the reply. */
        long request();
    }

    /** Supervisor to worker: the answer to a {@link Request}. */
    sealed interface Reply extends ControlMessage
    {
        /** @return the number of the request answered. */
        long request();

        /** @return a {@link Status} code: {@link Status#OK} or why not. */
        int status();

        /** @return why not, or empty. */
        String reason();
    }

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

        @Override
        public void encode(final ControlFrame.BodyWriter body)
        {
            body.string(pipeline);
            body.string(worker);
            body.u16(replica);
            body.u16(replicas);
        }

        static Hello decode(final ControlFrame.BodyReader body)
        {
            return new Hello(body.string(), body.string(), body.u16(), body.u16());
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

        @Override
        public void encode(final ControlFrame.BodyWriter body)
        {
            body.string(name);
            body.u32(rights.bits());
            body.u16(objectKind.code());
            body.u16(partition);
        }

        static Grant decode(final ControlFrame.BodyReader body, final List<Handle> handles)
        {
            final String name = body.string();
            final int rightsBits = body.u32();
            final ObjectKind objectKind = ObjectKind.fromCode(body.u16());
            final int partition = body.u16();
            if (objectKind == null || (rightsBits & ~Rights.VALID_BITS) != 0 ||
                !Rights.fromBits(rightsBits).isSubsetOf(objectKind.validRights()) ||
                (partition != ROUND_ROBIN && partition != KEY))
            {
                throw new MalformedMessageException("grant '" + name + "': kind=" + objectKind + ", rights=0x" +
                    Integer.toHexString(rightsBits) + ", partition=" + partition + " do not make a valid grant");
            }
            for (int i = 0; i < handles.size(); i++)
            {
                final Handle handle = handles.get(i);
                // A broadcast's grant carries its ring first, then cursor files, which are segments (§7).
                final ObjectKind expected = objectKind == ObjectKind.BROADCAST && i > 0 ? ObjectKind.SEGMENT :
                    objectKind;
                if (handle.kind() != expected)
                {
                    throw new MalformedMessageException("grant '" + name + "' of a " + objectKind + " carries a " +
                        handle.kind() + " handle");
                }
            }
            return new Grant(name, Rights.fromBits(rightsBits), objectKind, partition, handles);
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

        @Override
        public void encode(final ControlFrame.BodyWriter body)
        {
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

        @Override
        public void encode(final ControlFrame.BodyWriter body)
        {
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

        @Override
        public void encode(final ControlFrame.BodyWriter body)
        {
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
        /** The allocator's quota cannot hold what was asked for (the reason names quota, in use and asked). */
        public static final int OVER_QUOTA = 10;
        /** Creating from an allocator needs ALLOCATE, which the process's handle lacks. */
        public static final int NO_ALLOCATE_RIGHT = 11;

        private Status()
        {
        }
    }

    /**
     * One handle a worker attaches to a message: the object it names, the rights the receiver gets, and
     * whether the sender keeps its own handle (a duplicate, needing DUPLICATE) or gives it up (a move, needing
     * TRANSFER). On the wire, a list of them is a u16 count (1..64), a u16 0, and 16 bytes each: object id
     * (u64), rights (u32), mode (u16: 0 move, 1 duplicate), 0 (u16).
     */
    record Attachment(long objectId, Rights rights, boolean duplicate)
    {
        static void encodeAll(final ControlFrame.BodyWriter body, final List<Attachment> attachments)
        {
            body.u16(attachments.size());
            body.u16(0);
            for (final Attachment attachment : attachments)
            {
                body.u64(attachment.objectId);
                body.u32(attachment.rights.bits());
                body.u16(attachment.duplicate ? 1 : 0);
                body.u16(0);
            }
        }

        static List<Attachment> decodeAll(final ControlFrame.BodyReader body)
        {
            final int count = body.u16();
            body.u16();
            if (count < 1 || count > ControlFrame.MAX_HANDLES)
            {
                throw new MalformedMessageException("attachments: count=" + count + "; 1.." +
                    ControlFrame.MAX_HANDLES);
            }
            final List<Attachment> attachments = new ArrayList<>(count);
            for (int i = 0; i < count; i++)
            {
                final long objectId = body.u64();
                final int rights = body.u32();
                final int mode = body.u16();
                body.u16();
                if ((rights & ~Rights.VALID_BITS) != 0 || mode > 1)
                {
                    throw new MalformedMessageException("attachment " + i + ": rights=0x" +
                        Integer.toHexString(rights) + ", mode=" + mode + " are not valid");
                }
                attachments.add(new Attachment(objectId, Rights.fromBits(rights), mode == 1));
            }
            return attachments;
        }
    }

    /**
     * Worker to supervisor: "I am about to send, on my lane {@code laneId} of pipe {@code pipeId}, a message with
     * these handles". The supervisor checks them against its capability table, moves (or copies) the
     * capabilities into a pending transfer, and answers with a token.
     */
    record Transfer(long request, long pipeId, int laneId, List<Attachment> attachments) implements Request
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

        @Override
        public void encode(final ControlFrame.BodyWriter body)
        {
            body.u64(request);
            body.u64(pipeId);
            body.u32(laneId);
            Attachment.encodeAll(body, attachments);
        }

        static Transfer decode(final ControlFrame.BodyReader body)
        {
            return new Transfer(body.u64(), body.u64(), body.u32(), Attachment.decodeAll(body));
        }
    }

    /** Supervisor to worker: the answer to a {@link Transfer}: a token, or why not. */
    record TransferReply(long request, int status, long token, String reason) implements Reply
    {
        public static final int KIND = 7;

        @Override
        public int kind()
        {
            return KIND;
        }

        @Override
        public void encode(final ControlFrame.BodyWriter body)
        {
            body.u64(request);
            body.u32(status);
            body.u64(token);
            body.string(reason);
        }

        static TransferReply decode(final ControlFrame.BodyReader body)
        {
            return new TransferReply(body.u64(), body.u32(), body.u64(), body.string());
        }
    }

    /**
     * Worker to supervisor: "a message at {@code sequence} on lane {@code laneId} of pipe {@code pipeId} carries
     * {@code token}; give me its handles".
     */
    record Redeem(long request, long token, long pipeId, int laneId, long sequence) implements Request
    {
        public static final int KIND = 8;

        @Override
        public int kind()
        {
            return KIND;
        }

        @Override
        public void encode(final ControlFrame.BodyWriter body)
        {
            body.u64(request);
            body.u64(token);
            body.u64(pipeId);
            body.u32(laneId);
            body.u64(sequence);
        }

        static Redeem decode(final ControlFrame.BodyReader body)
        {
            return new Redeem(body.u64(), body.u64(), body.u64(), body.u32(), body.u64());
        }
    }

    /**
     * Supervisor to worker: handles for a {@link Redeem}, {@link CreatePipe}, {@link CreateBundle},
     * {@link Unpack}, {@link CreateSegment}, {@link CreateTable}, {@link CreateAllocator} or {@link Release}, or why
     * not.
     */
    record Handles(long request, int status, String reason, List<Handle> handles) implements Reply
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

        @Override
        public void encode(final ControlFrame.BodyWriter body)
        {
            body.u64(request);
            body.u32(status);
            body.string(reason);
        }

        static Handles decode(final ControlFrame.BodyReader body, final List<Handle> handles)
        {
            return new Handles(body.u64(), body.u32(), body.string(), handles);
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
        public void encode(final ControlFrame.BodyWriter body)
        {
            body.u64(pipeId);
            body.u32(laneId);
            body.u64(sequence);
            body.u64(token);
            body.string(reason);
            body.bytes(head);
        }

        static Reject decode(final ControlFrame.BodyReader body)
        {
            return new Reject(body.u64(), body.u32(), body.u64(), body.u64(), body.string(), body.bytes());
        }

        @Override
        public boolean equals(final Object other)
        {
            return other instanceof Reject r && r.pipeId == pipeId && r.laneId == laneId && r.sequence == sequence &&
                r.token == token && r.reason.equals(reason) && Arrays.equals(r.head, head);
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
        public void encode(final ControlFrame.BodyWriter body)
        {
            body.string(pipe);
            body.u64(sequence);
            body.string(reason);
            body.bytes(head);
        }

        static Bounce decode(final ControlFrame.BodyReader body, final List<Handle> handles)
        {
            return new Bounce(body.string(), body.u64(), body.string(), body.bytes(), handles);
        }

        @Override
        public boolean equals(final Object other)
        {
            return other instanceof Bounce b && b.pipe.equals(pipe) && b.sequence == sequence &&
                b.reason.equals(reason) && Arrays.equals(b.head, head) && b.handles.equals(handles);
        }

        @Override
        public int hashCode()
        {
            return Long.hashCode(sequence) * 31 + reason.hashCode();
        }
    }

    /**
     * Worker to supervisor: make me a pipe of my own (one lane of {@code laneCapacity} bytes), with SEND,
     * RECEIVE, DUPLICATE and TRANSFER, to fill and hand on, charged to the allocator {@code allocatorId} this
     * worker holds with ALLOCATE. On the wire the allocator id follows the capacity; a body without it (the
     * first form of this kind) reads as {@link #NO_ALLOCATOR}, charged to the pipeline's root allocator.
     */
    record CreatePipe(long request, int laneCapacity, long allocatorId) implements Request
    {
        public static final int KIND = 12;
        /** The allocator id of a request in the first form, which named none. */
        public static final long NO_ALLOCATOR = 0;

        /** A request in the first form: no allocator named. */
        public CreatePipe(final long request, final int laneCapacity)
        {
            this(request, laneCapacity, NO_ALLOCATOR);
        }

        @Override
        public int kind()
        {
            return KIND;
        }

        @Override
        public void encode(final ControlFrame.BodyWriter body)
        {
            body.u64(request);
            body.u32(laneCapacity);
            if (allocatorId != NO_ALLOCATOR)
            {
                body.u64(allocatorId);
            }
        }

        static CreatePipe decode(final ControlFrame.BodyReader body)
        {
            final long request = body.u64();
            final int laneCapacity = body.u32();
            return new CreatePipe(request, laneCapacity, body.remaining() == 0 ? NO_ALLOCATOR : body.u64());
        }
    }

    /**
     * Worker to supervisor: pack these handles and {@code bytes} into a new bundle. All or nothing: every
     * attachment is checked as for a {@link Transfer}; moved handles leave the worker.
     */
    record CreateBundle(long request, List<Attachment> attachments, byte[] bytes) implements Request
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
        public void encode(final ControlFrame.BodyWriter body)
        {
            body.u64(request);
            Attachment.encodeAll(body, attachments);
            body.bytes(bytes);
        }

        static CreateBundle decode(final ControlFrame.BodyReader body)
        {
            final long request = body.u64();
            final List<Attachment> attachments = Attachment.decodeAll(body);
            return new CreateBundle(request, attachments, body.bytes());
        }

        @Override
        public boolean equals(final Object other)
        {
            return other instanceof CreateBundle c && c.request == request && c.attachments.equals(attachments) &&
                Arrays.equals(c.bytes, bytes);
        }

        @Override
        public int hashCode()
        {
            return Long.hashCode(request);
        }
    }

    /** Worker to supervisor: unpack the bundle {@code bundleId} this worker holds; answered with its handles. */
    record Unpack(long request, long bundleId) implements Request
    {
        public static final int KIND = 14;

        @Override
        public int kind()
        {
            return KIND;
        }

        @Override
        public void encode(final ControlFrame.BodyWriter body)
        {
            body.u64(request);
            body.u64(bundleId);
        }

        static Unpack decode(final ControlFrame.BodyReader body)
        {
            return new Unpack(body.u64(), body.u64());
        }
    }

    /**
     * Worker to supervisor: make me a segment of at least {@code size} bytes (rounded up to whole pages), with
     * READ, WRITE, DUPLICATE and TRANSFER, charged to the allocator {@code allocatorId} this worker holds with
     * ALLOCATE; answered with {@link Handles}.
     */
    record CreateSegment(long request, long allocatorId, long size) implements Request
    {
        public static final int KIND = 15;

        @Override
        public int kind()
        {
            return KIND;
        }

        @Override
        public void encode(final ControlFrame.BodyWriter body)
        {
            body.u64(request);
            body.u64(allocatorId);
            body.u64(size);
        }

        static CreateSegment decode(final ControlFrame.BodyReader body)
        {
            return new CreateSegment(body.u64(), body.u64(), body.u64());
        }
    }

    /**
     * Worker to supervisor: make me a table (docs/table-format.md) of at least {@code size} bytes (whole pages), keys
     * up to {@code keyMax} bytes, values up to {@code valueMax}, {@code writers} writers at once (0 for a default),
     * with READ, WRITE, DUPLICATE and TRANSFER, charged to the allocator {@code allocatorId} this worker holds with
     * ALLOCATE; answered with {@link Handles}.
     */
    record CreateTable(long request, long allocatorId, long size, int keyMax, int valueMax, int writers)
        implements Request
    {
        public static final int KIND = 29;

        @Override
        public int kind()
        {
            return KIND;
        }

        @Override
        public void encode(final ControlFrame.BodyWriter body)
        {
            body.u64(request);
            body.u64(allocatorId);
            body.u64(size);
            body.u32(keyMax);
            body.u32(valueMax);
            body.u32(writers);
        }

        static CreateTable decode(final ControlFrame.BodyReader body)
        {
            return new CreateTable(body.u64(), body.u64(), body.u64(), body.u32(), body.u32(), body.u32());
        }
    }

    /**
     * Worker to supervisor: make a child of the allocator {@code parentId} this worker holds with ALLOCATE, with
     * {@code quota} bytes reserved from the parent's; answered with {@link Handles}: the child, with ALLOCATE,
     * DUPLICATE and TRANSFER.
     */
    record CreateAllocator(long request, long parentId, long quota) implements Request
    {
        public static final int KIND = 16;

        @Override
        public int kind()
        {
            return KIND;
        }

        @Override
        public void encode(final ControlFrame.BodyWriter body)
        {
            body.u64(request);
            body.u64(parentId);
            body.u64(quota);
        }

        static CreateAllocator decode(final ControlFrame.BodyReader body)
        {
            return new CreateAllocator(body.u64(), body.u64(), body.u64());
        }
    }

    /**
     * Supervisor to worker: something happened to an object this worker holds or uses, delivered to the worker's
     * inbox. {@code notice} says what: {@link #PRESSURE_ABOVE} / {@link #PRESSURE_BELOW} (an allocator's use
     * crossed {@code percent} of its quota, up or down; {@code used} and {@code quota} say where it stands),
     * {@link #LANE_ENDED} (a lane this worker receives ended because its sender will not run again; the object
     * is the pipe), {@link #GRANTED} (handles given to this worker at run time, carried by this frame; {@code details}
     * is the name they are granted under, the config's name of the object), {@link #GIVE_BACK} (the supervisor asks
     * the holders of an allocator to give {@code used} bytes back by releasing objects charged to it).
     */
    record Notice(int notice, int percent, long objectId, long used, long quota, String details,
        List<Handle> handles) implements ControlMessage
    {
        public static final int KIND = 17;
        public static final int PRESSURE_ABOVE = 1;
        public static final int PRESSURE_BELOW = 2;
        public static final int LANE_ENDED = 3;
        public static final int GRANTED = 4;
        public static final int GIVE_BACK = 5;

        public Notice
        {
            handles = List.copyOf(handles);
        }

        @Override
        public int kind()
        {
            return KIND;
        }

        @Override
        public void encode(final ControlFrame.BodyWriter body)
        {
            body.u16(notice);
            body.u16(percent);
            body.u64(objectId);
            body.u64(used);
            body.u64(quota);
            body.string(details);
        }

        static Notice decode(final ControlFrame.BodyReader body, final List<Handle> handles)
        {
            final int notice = body.u16();
            if (notice < PRESSURE_ABOVE || notice > GIVE_BACK)
            {
                throw new MalformedMessageException("notice: unknown notice=" + notice);
            }
            return new Notice(notice, body.u16(), body.u64(), body.u64(), body.u64(), body.string(), handles);
        }
    }

    /**
     * Worker to supervisor: this worker closes its handle to {@code objectId}; answered with {@link Handles}
     * (none). An object no process holds any more, and no message or bundle carries, is freed and its bytes
     * return to its allocator.
     */
    record Release(long request, long objectId) implements Request
    {
        public static final int KIND = 18;

        @Override
        public int kind()
        {
            return KIND;
        }

        @Override
        public void encode(final ControlFrame.BodyWriter body)
        {
            body.u64(request);
            body.u64(objectId);
        }

        static Release decode(final ControlFrame.BodyReader body)
        {
            return new Release(body.u64(), body.u64());
        }
    }

    /**
     * Supervisor to worker: your handle to segment {@code objectId} ({@code name} in the config) is revoked. A
     * cooperating runtime unmaps the segment, closes its fd, and answers {@link Revoked}; a worker that does not
     * within the revocation timeout is killed, and started again without the handle.
     */
    record Revoke(long objectId, String name) implements ControlMessage
    {
        public static final int KIND = 20;

        @Override
        public int kind()
        {
            return KIND;
        }

        @Override
        public void encode(final ControlFrame.BodyWriter body)
        {
            body.u64(objectId);
            body.string(name);
        }

        static Revoke decode(final ControlFrame.BodyReader body)
        {
            return new Revoke(body.u64(), body.string());
        }
    }

    /** Worker to supervisor: segment {@code objectId} is unmapped and its fd closed, as {@link Revoke} asked. */
    record Revoked(long objectId) implements ControlMessage
    {
        public static final int KIND = 21;

        @Override
        public int kind()
        {
            return KIND;
        }

        @Override
        public void encode(final ControlFrame.BodyWriter body)
        {
            body.u64(objectId);
        }

        static Revoked decode(final ControlFrame.BodyReader body)
        {
            return new Revoked(body.u64());
        }
    }

    /**
     * Supervisor to worker: segment {@code oldObjectId} ({@code name}) moved to a fresh copy, because another
     * holder's handle to it was revoked; the one handle is the copy, with the rights the worker held. The worker
     * maps it in place of the old one and answers {@link Rehomed}.
     */
    record Rehome(long oldObjectId, String name, List<Handle> handles) implements ControlMessage
    {
        public static final int KIND = 22;

        public Rehome
        {
            handles = List.copyOf(handles);
        }

        @Override
        public int kind()
        {
            return KIND;
        }

        @Override
        public void encode(final ControlFrame.BodyWriter body)
        {
            body.u64(oldObjectId);
            body.string(name);
        }

        static Rehome decode(final ControlFrame.BodyReader body, final List<Handle> handles)
        {
            final long oldObjectId = body.u64();
            final String name = body.string();
            if (handles.size() != 1 || handles.getFirst().kind() != ObjectKind.SEGMENT)
            {
                throw new MalformedMessageException("rehome of '" + name + "' must carry one segment handle, not " +
                    handles);
            }
            return new Rehome(oldObjectId, name, handles);
        }
    }

    /**
     * Worker to supervisor: it now maps {@code newObjectId} in place of {@code oldObjectId}, as {@link Rehome}
     * asked.
     */
    record Rehomed(long oldObjectId, long newObjectId) implements ControlMessage
    {
        public static final int KIND = 23;

        @Override
        public int kind()
        {
            return KIND;
        }

        @Override
        public void encode(final ControlFrame.BodyWriter body)
        {
            body.u64(oldObjectId);
            body.u64(newObjectId);
        }

        static Rehomed decode(final ControlFrame.BodyReader body)
        {
            return new Rehomed(body.u64(), body.u64());
        }
    }

    /**
     * Supervisor to a sending worker: its lane {@code laneId} of pipe {@code pipeId} moves to {@code lane}, a new
     * lane of generation {@code generation} (docs/pipe-format.md §9). The worker writes a moved record in the old
     * lane and sends on the new one from then on.
     */
    record MoveLane(long pipeId, int laneId, int generation, List<Handle> handles) implements ControlMessage
    {
        public static final int KIND = 25;

        public MoveLane
        {
            handles = List.copyOf(handles);
        }

        @Override
        public int kind()
        {
            return KIND;
        }

        @Override
        public void encode(final ControlFrame.BodyWriter body)
        {
            body.u64(pipeId);
            body.u32(laneId);
            body.u32(generation);
        }

        static MoveLane decode(final ControlFrame.BodyReader body, final List<Handle> handles)
        {
            final MoveLane move = new MoveLane(body.u64(), body.u32(), body.u32(), handles);
            if (handles.size() != 1)
            {
                throw new MalformedMessageException("move lane carries " + handles.size() + " handles, not 1");
            }
            return move;
        }
    }

    /**
     * Supervisor to a receiving worker: lane {@code laneId} of pipe {@code pipeId} goes on in {@code lane}, of
     * generation {@code generation}, after its moved record (docs/pipe-format.md §9).
     */
    record LaneMoving(long pipeId, int laneId, int generation, List<Handle> handles) implements ControlMessage
    {
        public static final int KIND = 26;

        public LaneMoving
        {
            handles = List.copyOf(handles);
        }

        @Override
        public int kind()
        {
            return KIND;
        }

        @Override
        public void encode(final ControlFrame.BodyWriter body)
        {
            body.u64(pipeId);
            body.u32(laneId);
            body.u32(generation);
        }

        static LaneMoving decode(final ControlFrame.BodyReader body, final List<Handle> handles)
        {
            final LaneMoving moving = new LaneMoving(body.u64(), body.u32(), body.u32(), handles);
            if (handles.size() != 1)
            {
                throw new MalformedMessageException("lane moving carries " + handles.size() + " handles, not 1");
            }
            return moving;
        }
    }

    /**
     * Supervisor to a receiving worker: pipe {@code pipeId}, which it receives, has a new lane {@code laneId}, of
     * generation {@code generation} (0), whose sender is the supervisor ({@code trindle replay}); the receiver reads it
     * as any other, and the pipe ends once it has ended too.
     */
    record LaneAdded(long pipeId, int laneId, int generation, List<Handle> handles) implements ControlMessage
    {
        public static final int KIND = 28;

        public LaneAdded
        {
            handles = List.copyOf(handles);
        }

        @Override
        public int kind()
        {
            return KIND;
        }

        @Override
        public void encode(final ControlFrame.BodyWriter body)
        {
            body.u64(pipeId);
            body.u32(laneId);
            body.u32(generation);
        }

        static LaneAdded decode(final ControlFrame.BodyReader body, final List<Handle> handles)
        {
            final LaneAdded added = new LaneAdded(body.u64(), body.u32(), body.u32(), handles);
            if (handles.size() != 1)
            {
                throw new MalformedMessageException("lane added carries " + handles.size() + " handles, not 1");
            }
            return added;
        }
    }

    /**
     * Worker to supervisor: resize the pipe {@code pipe} (its name in the config), which this worker receives, to
     * lanes of {@code laneCapacity} bytes; answered with {@link Handles} carrying none.
     */
    record Resize(long request, String pipe, int laneCapacity) implements Request
    {
        public static final int KIND = 27;

        @Override
        public int kind()
        {
            return KIND;
        }

        @Override
        public void encode(final ControlFrame.BodyWriter body)
        {
            body.u64(request);
            body.string(pipe);
            body.u32(laneCapacity);
        }

        static Resize decode(final ControlFrame.BodyReader body)
        {
            return new Resize(body.u64(), body.string(), body.u32());
        }
    }
}
