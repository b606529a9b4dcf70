package io.trindle.supervisor;

import io.trindle.ipc.ControlMessage;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The supervisor's own counts, for status and metrics: capability operations by kind, the operations it refused by
 * reason, and the bounces it delivered. Counted on the loop thread and on the control channels' reader threads (which
 * answer transfers and redemptions), so each method holds the tally's lock; copied ({@link #counts()}) for a
 * {@link Snapshot}.
 */
final class Tally
{
    /** Operation kinds, as they are named in metrics. */
    static final String GRANT = "grant";
    static final String TRANSFER = "transfer";
    static final String REDEEM = "redeem";
    static final String REJECT = "reject";
    static final String CREATE_PIPE = "create_pipe";
    static final String CREATE_BUNDLE = "create_bundle";
    static final String UNPACK = "unpack";
    static final String CREATE_SEGMENT = "create_segment";
    static final String CREATE_TABLE = "create_table";
    static final String CREATE_ALLOCATOR = "create_allocator";
    static final String RELEASE = "release";

    /** Every kind of operation, in the order metrics list them. */
    static final List<String> OPERATIONS = List.of(GRANT, TRANSFER, REDEEM, REJECT, CREATE_PIPE, CREATE_BUNDLE,
        UNPACK, CREATE_SEGMENT, CREATE_TABLE, CREATE_ALLOCATOR, RELEASE);
    /**
     * Every reason {@link #reason(int)} gives for a refusal the control protocol defines: the metrics show each
     * from 0, so that a query over a reason finds it before its first refusal.
     */
    static final List<String> REASONS = Stream.of(ControlMessage.Status.NOT_HELD,
        ControlMessage.Status.NO_TRANSFER_RIGHT, ControlMessage.Status.NO_DUPLICATE_RIGHT,
        ControlMessage.Status.WIDENING, ControlMessage.Status.UNKNOWN_TOKEN, ControlMessage.Status.ALREADY_REDEEMED,
        ControlMessage.Status.NOT_YOURS, ControlMessage.Status.BAD_LANE, ControlMessage.Status.INVALID,
        ControlMessage.Status.OVER_QUOTA, ControlMessage.Status.NO_ALLOCATE_RIGHT)
        .map(Tally::reason).toList();

    /**
     * @param operations capability operations asked for, by kind, refused or not.
     * @param refused    operations refused, by reason ({@link #reason(int)}).
     * @param bounces    rejected messages whose sender heard of it in a bounce.
     */
    record Counts(Map<String, Long> operations, Map<String, Long> refused, long bounces)
    {
    }

    private final Map<String, Long> operations = new TreeMap<>();
    private final Map<String, Long> refused = new TreeMap<>();
    private long bounces;

    Tally()
    {
        OPERATIONS.forEach(kind -> operations.put(kind, 0L));
    }

    /** Counts one operation of {@code kind}: refused, with the reason {@code status} names, unless it is OK. */
    synchronized void operation(final String kind, final int status)
    {
        operations.merge(kind, 1L, Long::sum);
        if (status != ControlMessage.Status.OK)
        {
            refused.merge(reason(status), 1L, Long::sum);
        }
    }

    synchronized void bounce()
    {
        bounces++;
    }

    synchronized Counts counts()
    {
        return new Counts(Map.copyOf(operations), Map.copyOf(refused), bounces);
    }

    /** @return the reason a status code names, as a metric label: {@code not_held}, {@code widening}, … */
    static String reason(final int status)
    {
        return switch (status)
        {
            case ControlMessage.Status.NOT_HELD -> "not_held";
            case ControlMessage.Status.NO_TRANSFER_RIGHT -> "no_transfer_right";
            case ControlMessage.Status.NO_DUPLICATE_RIGHT -> "no_duplicate_right";
            case ControlMessage.Status.WIDENING -> "widening";
            case ControlMessage.Status.UNKNOWN_TOKEN -> "unknown_token";
            case ControlMessage.Status.ALREADY_REDEEMED -> "already_redeemed";
            case ControlMessage.Status.NOT_YOURS -> "not_yours";
            case ControlMessage.Status.BAD_LANE -> "bad_lane";
            case ControlMessage.Status.INVALID -> "invalid";
            case ControlMessage.Status.OVER_QUOTA -> "over_quota";
            case ControlMessage.Status.NO_ALLOCATE_RIGHT -> "no_allocate_right";
            default -> "status_" + status;
        };
    }
}
