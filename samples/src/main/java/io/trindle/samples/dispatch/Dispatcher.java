package io.trindle.samples.dispatch;

import io.trindle.ipc.Handle;
import io.trindle.ipc.LaneSender;
import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;
import io.trindle.runtime.PipeSender;
import io.trindle.runtime.Trindle;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Hands out work as pipes: for each job it creates a pipe of its own, fills it with the job's tasks (numbers
 * to add up), and moves the whole pipe, contents and all, to a worker through {@code jobs}. The job's number
 * travels as the message's bytes. Arguments: {@code --jobs N --tasks M}.
 */
public final class Dispatcher
{
    private Dispatcher()
    {
    }

    public static void main(final String[] args)
    {
        final int jobs = Integer.parseInt(option(args, "--jobs", "8"));
        final int tasks = Integer.parseInt(option(args, "--tasks", "10000"));
        try (Trindle trindle = Trindle.connect())
        {
            final PipeSender queue = trindle.sender("jobs");
            trindle.ready();
            for (int job = 0; job < jobs; job++)
            {
                final Handle work = trindle.createPipe(1 << 20);
                try (LaneSender filler = LaneSender.open(work.duplicate(Rights.of(Right.SEND))))
                {
                    final byte[] task = new byte[Long.BYTES];
                    for (long i = 0; i < tasks; i++)
                    {
                        ByteBuffer.wrap(task).order(ByteOrder.LITTLE_ENDIAN).putLong(0, Tasks.value(job, i));
                        filler.send(task, 0, task.length, -1);
                    }
                }
                final byte[] number = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(job).array();
                trindle.send(queue, number, 0, number.length, Trindle.move(work));
            }
            System.out.printf("handed out %d jobs of %d tasks, each in a pipe of its own%n", jobs, tasks);
        }
    }

    static String option(final String[] args, final String name, final String otherwise)
    {
        for (int i = 0; i + 1 < args.length; i++)
        {
            if (args[i].equals(name))
            {
                return args[i + 1];
            }
        }
        return otherwise;
    }
}
