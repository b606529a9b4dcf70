package io.trindle.ipc;

/**
 * A batch of received messages: filled by a receiver, read, then released. A message leaves its lane only when
 * it is released, so a receiver that dies holding an inbox leaves its messages for the next receiver
 * (at-least-once delivery).
 *
 * <p>Release is cumulative per lane: releasing a message releases every earlier message of its lane. The
 * inbox allocates only when it is created; filling and releasing it allocate nothing. One thread at a time.
 */
public final class Inbox
{
    private static final long NONE = Long.MIN_VALUE;

    private final Message[] messages;
    private final LaneReader[] touched;
    private int size;
    /** Whether the batch holds messages of more than one lane; if not, {@link #release} needs no pass over them. */
    private boolean mixed;

    /**
     * @param capacity the most messages one batch holds.
     */
    public Inbox(final int capacity)
    {
        if (capacity < 1)
        {
            throw new IllegalArgumentException("inbox capacity=" + capacity + " must be at least 1");
        }
        messages = new Message[capacity];
        for (int i = 0; i < capacity; i++)
        {
            messages[i] = new Message();
        }
        // Apart from the views, which a batch fills and reads in a row: see Message.attachments.
        for (final Message message : messages)
        {
            message.attachments = new long[Message.ATTACHMENT_WORDS];
        }
        touched = new LaneReader[capacity];
    }

    /** @return the number of messages in the batch. */
    public int size()
    {
        return size;
    }

    /** @return the most messages the batch holds. */
    public int capacity()
    {
        return messages.length;
    }

    public boolean isEmpty()
    {
        return size == 0;
    }

    /**
     * @return message {@code index} of the batch (a view, valid until release).
     */
    public Message get(final int index)
    {
        if (index < 0 || index >= size)
        {
            throw new IndexOutOfBoundsException("index=" + index + ", size=" + size);
        }
        return messages[index];
    }

    /**
     * Releases every message in the batch back to its lane, so senders may reuse the room, and empties the
     * batch.
     */
    public void release()
    {
        if (!mixed && size > 0)
        {
            // One lane: its messages came in order, so the last one's end releases them all.
            final Message last = messages[size - 1];
            last.reader.releaseTo(last.end, size);
            size = 0;
            return;
        }
        mixed = false;
        int count = 0;
        for (int i = 0; i < size; i++)
        {
            final Message message = messages[i];
            final LaneReader reader = message.reader;
            if (reader.pendingRelease == NONE)
            {
                touched[count++] = reader;
                reader.pendingRelease = message.end;
                reader.pendingCount = 1;
            }
            else
            {
                reader.pendingRelease = Math.max(reader.pendingRelease, message.end);
                reader.pendingCount++;
            }
            message.reader = null;
        }
        for (int i = 0; i < count; i++)
        {
            final LaneReader reader = touched[i];
            reader.releaseTo(reader.pendingRelease, reader.pendingCount);
            reader.pendingRelease = NONE;
            reader.pendingCount = 0;
            touched[i] = null;
        }
        size = 0;
    }

    boolean isFull()
    {
        return size == messages.length;
    }

    /** @return the next free view, to be filled and then {@link #added()}. */
    Message nextSlot()
    {
        return messages[size];
    }

    /**
     * Fills the batch from one lane until it is full or the lane has nothing more now: the single-lane receiver's
     * loop, kept apart from {@link #added()} so that it touches only the views it fills.
     *
     * @return the number of messages added.
     */
    int fill(final LaneReader lane)
    {
        final Message[] views = messages;
        final int start = size;
        final int next = lane.fill(views, start);
        if (next > start && start > 0 && views[start - 1].reader != lane)
        {
            mixed = true;
        }
        size = next;
        return next - start;
    }

    void added()
    {
        if (size > 0 && messages[size].reader != messages[size - 1].reader)
        {
            mixed = true;
        }
        size++;
    }

    static long none()
    {
        return NONE;
    }
}
