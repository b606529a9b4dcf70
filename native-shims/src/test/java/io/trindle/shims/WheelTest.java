package io.trindle.shims;

import io.trindle.ipc.Handle;
import io.trindle.ipc.Inbox;
import io.trindle.ipc.LaneSender;
import io.trindle.ipc.ObjectKind;
import io.trindle.ipc.Pipe;
import io.trindle.ipc.PipeReceiver;
import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The wheel python/build-wheel.sh makes holds libtrindle: installed alone ({@code pip install --no-index}) into a
 * fresh virtual environment, the package loads its bundled copy and a worker runs from a directory outside the
 * checkout, with no {@code PYTHONPATH} and no {@code TRINDLE_LIBRARY}.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class WheelTest
{
    private static final Path PYTHON_SOURCES = Path.of("..", "python").toAbsolutePath().normalize();

    @TempDir
    Path directory;

    @Test
    void shouldInstallAloneIntoAVirtualEnvironmentAndRunAWorkerOnItsBundledLibrary() throws Exception
    {
        final List<String> built = Commands.run(List.of(PYTHON_SOURCES.resolve("build-wheel.sh").toString(),
            "--dist", directory.resolve("dist").toString()));
        assertEquals(1, built.size(), String.join("\n", built));
        final Path wheel = Path.of(built.getFirst());
        assertTrue(wheel.getFileName().toString().matches("trindle-0\\.1\\.0-py3-none-linux_\\w+\\.whl"),
            wheel.toString());

        final Path venv = directory.resolve("venv");
        Commands.run(List.of(PythonWorker.PYTHON, "-m", "venv", venv.toString()));
        final Path python = venv.resolve("bin").resolve("python");
        // Nothing but the wheel: no index, nothing from the checkout.
        final Map<String, String> outside = new HashMap<>();
        outside.put("PYTHONPATH", null);
        outside.put("TRINDLE_LIBRARY", null);
        outside.put("LD_LIBRARY_PATH", null);
        outside.put("PYTHONDONTWRITEBYTECODE", "1");
        Commands.run(List.of(python.toString(), "-m", "pip", "install", "--quiet", "--no-index", wheel.toString()),
            directory, outside, 0);

        final Path work = Files.createDirectories(directory.resolve("work"));
        final List<String> loaded = Commands.run(List.of(python.toString(), "-c",
            "import trindle, trindle._native as n; print(n.lib._name); print(trindle.__file__); " +
            "print(int(trindle.Rights.READ | trindle.Rights.WRITE))"), work, outside, 0);
        assertEquals(3, loaded.size(), String.join("\n", loaded));
        final Path site = Path.of(loaded.get(1)).getParent();
        assertTrue(site.startsWith(venv), "the package is the venv's: " + site);
        assertEquals(site.resolve("_lib").resolve("libtrindle.so.0").toString(), loaded.get(0));
        assertEquals("3", loaded.get(2));

        runUpcase(python, work);
    }

    /** The guide's upcase.py, copied outside the checkout and run by the venv's Python, between two Java ends. */
    private void runUpcase(final Path python, final Path work) throws Exception
    {
        final Path script = Files.copy(PYTHON_SOURCES.resolve("examples").resolve("upcase.py"),
            work.resolve("upcase.py"));
        final Rights send = Rights.of(Right.SEND, Right.TRANSFER);
        final Rights receive = Rights.of(Right.RECEIVE, Right.TRANSFER);
        final Pipe lines = Pipe.create(1 << 16);
        final Pipe shouts = Pipe.create(1 << 16);
        try (Handle linesLane = lines.newLane(); Handle shoutsLane = shouts.newLane();
             PipeReceiver output = PipeReceiver.open(List.of(shoutsLane.duplicate(receive)),
                 (pipeId, laneId, reason) -> fail(reason));
             // env -C: the worker's directory is outside the checkout; its environment is only what CWorker sets.
             CWorker upcase = CWorker.start("wheel-upcase", "/usr/bin/env", List.of("-C", work.toString(),
                 "PYTHONDONTWRITEBYTECODE=1", python.toString(), "-u", script.toString())))
        {
            upcase.setUp(
                CWorker.grant("lines", Rights.of(Right.RECEIVE), ObjectKind.PIPE, List.of(linesLane.duplicate(
                    receive))),
                CWorker.grant("shouts", Rights.of(Right.SEND), ObjectKind.PIPE, List.of(shoutsLane.duplicate(send))));
            upcase.awaitReady(Duration.ofSeconds(60));

            final List<String> sent = List.of("from the wheel", "its own libtrindle", "no checkout");
            try (LaneSender input = LaneSender.open(linesLane.duplicate(send)))
            {
                for (final String line : sent)
                {
                    final byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
                    assertTrue(input.send(bytes, 0, bytes.length, 10_000_000_000L), "lines full for 10 s");
                }
                input.endStream();
            }
            final List<String> received = new ArrayList<>();
            final Inbox inbox = new Inbox(16);
            int count;
            while ((count = output.receive(inbox, 30_000_000_000L)) != PipeReceiver.END_OF_STREAM)
            {
                assertTrue(count > 0, "nothing for 30 s after " + received.size() + " lines. " + upcase.logs());
                for (int i = 0; i < count; i++)
                {
                    received.add(new String(inbox.get(i).toByteArray(), StandardCharsets.UTF_8));
                }
                inbox.release();
            }
            upcase.assertExits(0, Duration.ofSeconds(30));
            assertEquals(List.of("FROM THE WHEEL", "ITS OWN LIBTRINDLE", "NO CHECKOUT"), received);
        }
    }
}
