package io.trindle.samples.dispatch;

import io.trindle.ipc.Inbox;
import io.trindle.ipc.Message;
import io.trindle.runtime.Outbox;
import io.trindle.runtime.Trindle;

import java.util.TreeMap;

/**
 * Gathers the results from {@code results}, checks each job's sum against the one computed in one place, and
 * prints them. Exits with status 1 if a job is missing or wrong. Arguments: {@code --jobs N --tasks M}.
 */
public final class Collector
{
    private Collector()
    {
    }

    public static void main(final String[] args)
    {
        final int jobs = Integer.parseInt(Dispatcher.option(args, "--jobs", "8"));
        final long tasks = Long.parseLong(Dispatcher.option(args, "--tasks", "10000"));
        final TreeMap<Integer, String> lines = new TreeMap<>();
        boolean right = true;
        try (Trindle trindle = Trindle.connect(); Outbox nothing = new Outbox(1, 8))
        {
            trindle.ready();
            final Inbox inbox = new Inbox(64);
            while (trindle.exchange(nothing, inbox, -1) != Trindle.END_OF_STREAM)
            {
                for (int i = 0; i < inbox.size(); i++)
                {
                    final Message message = inbox.get(i);
                    final int job = message.getInt(0);
                    final long sum = message.getLong(8);
                    final boolean ok = sum == Tasks.expectedSum(job, tasks) && message.getLong(16) == tasks;
                    right &= ok;
                    lines.put(job, String.format("job %d: %d tasks, sum %d, by worker.%d: %s", job, message.getLong(16),
                        sum, message.getInt(4), ok ? "right" : "WRONG"));
                }
            }
        }
        lines.values().forEach(System.out::println);
        right &= lines.size() == jobs;
        System.out.printf("%d of %d jobs done, %s%n", lines.size(), jobs, right ? "every sum right" : "NOT ALL RIGHT");
        System.exit(right ? 0 : 1);
    }
}
