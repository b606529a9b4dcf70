package io.trindle.it.workers;

import io.trindle.ipc.Handle;
import io.trindle.runtime.Trindle;

import java.io.BufferedReader;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Asks the supervisor for a pipe when told to, for ResourceExhaustionTest: reports ready, waits for a line on the
 * FIFO its argument names (so the test chooses the moment), then asks for one pipe.
 */
public final class PipeAsker
{
    private PipeAsker()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        try (Trindle trindle = Trindle.connect())
        {
            trindle.ready();
            try (BufferedReader go = Files.newBufferedReader(Path.of(args[0])))
            {
                go.readLine();
            }
            System.out.println("asking for a pipe");
            try (Handle pipe = trindle.createPipe(4096))
            {
                System.out.println("got a pipe with " + pipe.rights());
            }
        }
    }
}
