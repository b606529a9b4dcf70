package io.trindle.supervisor;

import io.trindle.ipc.Handle;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The account of every allocator: its quota, the bytes charged to it (each segment and pipe of the pipeline is
 * charged to exactly one allocator, by its memfds' page-rounded sizes), and the quota it has reserved for its
 * children. An allocator's use is what is charged to it plus what its children reserve, and never passes its
 * quota: a child's quota is reserved from its parent when it is made, so no child, however deep, takes more than
 * its ancestors hold.
 *
 * <p>When a child allocator is freed (no process holds it any more), its reservation returns to its parent, and
 * what was charged to it (objects that live on until they are freed) and its own children are the parent's from
 * then on; the parent's use only falls by it, since a child never uses more than it reserved.
 *
 * <p>Each change of use that crosses {@link #THRESHOLDS} of the quota, up or down, is queued as a
 * {@link Crossing}, in order, for the holders' notices ({@link #drainCrossings}). Touched only under the
 * {@link HandleBroker}'s lock, and by the loop thread for status.
 */
final class Allocations
{
    /** The pressure thresholds, in percent of a quota, lowest first. */
    static final int[] THRESHOLDS = {80, 95};
    /** The quota of the pipeline's own root allocator: unlimited. */
    static final long UNLIMITED = Long.MAX_VALUE;
    /** The name of the pipeline's own root allocator, which the config's objects are charged to by default. */
    static final String PIPELINE = "pipeline";

    /** One allocator: a node of the hierarchy and its account. */
    static final class Allocator
    {
        final long id;
        final String name;
        final long quota;
        /** The supervisor's handle to it; {@code null} for the pipeline's root, which no one holds. */
        final Handle master;
        Allocator parent;
        long charged;
        long reserved;
        /** How many of {@link #THRESHOLDS} the use is at or above. */
        int level;

        Allocator(final long id, final String name, final long quota, final Handle master, final Allocator parent)
        {
            this.id = id;
            this.name = name;
            this.quota = quota;
            this.master = master;
            this.parent = parent;
        }

        long used()
        {
            return charged + reserved;
        }

        /** @return how it is named in messages: its name and id. */
        String describe()
        {
            return "allocator '" + name + "' (0x" + Long.toHexString(id) + ")";
        }
    }

    /** A threshold crossed: {@code above} the use reached {@code percent} of the quota, else fell below it. */
    record Crossing(Allocator allocator, int percent, boolean above, long used, long quota)
    {
    }

    private record Charge(Allocator allocator, long bytes)
    {
    }

    private final Map<Long, Allocator> allocators = new LinkedHashMap<>();
    private final Map<Long, Charge> charges = new HashMap<>();
    private final List<Crossing> crossings = new ArrayList<>();
    private final Allocator pipeline;

    Allocations()
    {
        pipeline = new Allocator(0, PIPELINE, UNLIMITED, null, null);
        allocators.put(pipeline.id, pipeline);
    }

    /** @return the pipeline's own root allocator: unlimited, held by no worker. */
    Allocator pipeline()
    {
        return pipeline;
    }

    /** @return a new root allocator of {@code quota} bytes, declared by the config. */
    Allocator root(final String name, final long quota, final Handle master)
    {
        final Allocator root = new Allocator(master.objectId(), name, quota, master, null);
        allocators.put(root.id, root);
        return root;
    }

    /** @return the allocator whose object id is {@code id}, or {@code null}. */
    Allocator get(final long id)
    {
        return allocators.get(id);
    }

    /** @return every allocator, roots first, in the order they were made. */
    List<Allocator> all()
    {
        return List.copyOf(allocators.values());
    }

    /**
     * @return {@code null} if {@code allocator} can take {@code bytes} more; otherwise why not, naming the quota,
     *         the use and what was asked.
     */
    String refusal(final Allocator allocator, final long bytes)
    {
        if (bytes <= allocator.quota - allocator.used())
        {
            return null;
        }
        return allocator.describe() + " cannot give " + bytes + " bytes: quota " + allocator.quota + " bytes, in use " +
            allocator.used() + ", asked " + bytes;
    }

    /** Charges {@code bytes} of object {@code objectId} to {@code allocator}; checked by {@link #refusal} first. */
    void charge(final Allocator allocator, final long objectId, final long bytes)
    {
        charges.merge(objectId, new Charge(allocator, bytes),
            (a, b) -> new Charge(a.allocator, a.bytes + b.bytes));
        allocator.charged += bytes;
        changed(allocator);
    }

    /** @return a new child of {@code parent} with {@code quota} reserved from it; checked by {@link #refusal}. */
    Allocator child(final Allocator parent, final long quota, final Handle master)
    {
        final Allocator child = new Allocator(master.objectId(), parent.name + "/" + Long.toHexString(
            master.objectId()), quota, master, parent);
        allocators.put(child.id, child);
        parent.reserved += quota;
        changed(parent);
        return child;
    }

    /**
     * Object {@code from} was replaced by a copy, {@code to}, of the same size (a revocation re-homed a segment): the
     * charge moves to the copy, and the allocator's use does not change.
     */
    void recharge(final long from, final long to)
    {
        final Charge charge = charges.remove(from);
        if (charge != null)
        {
            charges.put(to, charge);
        }
    }

    /** @return whether object {@code objectId} is charged to some allocator. */
    boolean isCharged(final long objectId)
    {
        return charges.containsKey(objectId);
    }

    /** An object was freed: its bytes return to the allocator it is charged to. */
    void free(final long objectId)
    {
        final Charge charge = charges.remove(objectId);
        if (charge != null)
        {
            charge.allocator.charged -= charge.bytes;
            changed(charge.allocator);
        }
    }

    /**
     * A child allocator was freed: its reservation returns to its parent, which takes over what is charged to it
     * and its children.
     */
    void close(final Allocator child)
    {
        final Allocator parent = child.parent;
        if (parent == null || allocators.remove(child.id) == null)
        {
            return;
        }
        parent.reserved -= child.quota;
        parent.charged += child.charged;
        parent.reserved += child.reserved;
        for (final Map.Entry<Long, Charge> entry : charges.entrySet())
        {
            if (entry.getValue().allocator == child)
            {
                entry.setValue(new Charge(parent, entry.getValue().bytes));
            }
        }
        for (final Allocator other : allocators.values())
        {
            if (other.parent == child)
            {
                other.parent = parent;
            }
        }
        changed(parent);
    }

    /** @return the thresholds crossed since the last call, in the order they were crossed. */
    List<Crossing> drainCrossings()
    {
        final List<Crossing> drained = List.copyOf(crossings);
        crossings.clear();
        return drained;
    }

    /** Queues the thresholds {@code allocator}'s use crossed: upward ones lowest first, downward highest first. */
    private void changed(final Allocator allocator)
    {
        final int level = levelOf(allocator);
        while (allocator.level < level)
        {
            crossings.add(new Crossing(allocator, THRESHOLDS[allocator.level], true, allocator.used(),
                allocator.quota));
            allocator.level++;
        }
        while (allocator.level > level)
        {
            allocator.level--;
            crossings.add(new Crossing(allocator, THRESHOLDS[allocator.level], false, allocator.used(),
                allocator.quota));
        }
    }

    private static int levelOf(final Allocator allocator)
    {
        if (allocator.quota == UNLIMITED)
        {
            return 0;
        }
        int level = 0;
        while (level < THRESHOLDS.length && atOrAbove(allocator.used(), allocator.quota, THRESHOLDS[level]))
        {
            level++;
        }
        return level;
    }

    /** @return whether {@code used} is at least {@code percent} % of {@code quota}: exact below 2^63 / 100. */
    static boolean atOrAbove(final long used, final long quota, final int percent)
    {
        return quota <= Long.MAX_VALUE / 100 ? used * 100 >= percent * quota :
            (double)used * 100 >= (double)percent * quota;
    }
}
