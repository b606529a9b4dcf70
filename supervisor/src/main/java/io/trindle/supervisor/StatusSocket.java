package io.trindle.supervisor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The Unix socket through which {@code trindle status} and {@code trindle stop} reach a running supervisor:
 * {@code $TRINDLE_RUN_DIR/NAME.sock} (default {@code /tmp/trindle-$USER/NAME.sock}), in a directory of its
 * owner's only. A client writes one line — the key, a space, and {@code status}, {@code status --json} or
 * {@code stop} — and reads the answer until the supervisor closes the connection.
 * <p>
 * The key is random, made anew by each supervisor and kept beside the socket in {@code NAME.key} (mode 0600).
 * The directory's mode keeps other users out; the key keeps out a sandboxed worker of the same user, which
 * Landlock lets connect to a Unix socket by path but not read the key file.
 */
final class StatusSocket implements AutoCloseable
{
    /** Random bytes in a key: as many as a guess would have to match. */
    static final int KEY_BYTES = 32;

    private final Path path;
    private final Path keyFile;
    private final byte[] key;
    private final ServerSocketChannel server;

    private StatusSocket(final Path path, final Path keyFile, final String key, final ServerSocketChannel server)
    {
        this.path = path;
        this.keyFile = keyFile;
        this.key = key.getBytes(StandardCharsets.US_ASCII);
        this.server = server;
    }

    /** @return the directory the sockets live in. */
    static Path runDirectory()
    {
        final String configured = System.getenv("TRINDLE_RUN_DIR");
        return configured != null && !configured.isBlank() ? Path.of(configured) :
            Path.of("/tmp", "trindle-" + System.getProperty("user.name"));
    }

    static Path pathOf(final String pipeline)
    {
        return runDirectory().resolve(pipeline + ".sock");
    }

    static Path keyOf(final String pipeline)
    {
        return runDirectory().resolve(pipeline + ".key");
    }

    /**
     * Binds the socket of {@code pipeline} and serves it on a daemon thread.
     *
     * @throws IllegalStateException if a supervisor of that pipeline already answers there.
     */
    static StatusSocket serve(final String pipeline, final Supervisor supervisor)
    {
        final Path path = pathOf(pipeline);
        try
        {
            Files.createDirectories(path.getParent(),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            if (Files.exists(path))
            {
                boolean answered;
                try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(path)))
                {
                    answered = probe.isConnected();
                }
                catch (final IOException stale)
                {
                    answered = false;
                }
                if (answered)
                {
                    throw new IllegalStateException("pipeline '" + pipeline + "' is already running (its " +
                        "supervisor answers on " + path + "); stop it with: trindle stop " + pipeline);
                }
                Files.delete(path); // left by a supervisor that was killed
            }
            final Path keyFile = keyOf(pipeline);
            Files.deleteIfExists(keyFile);
            final byte[] random = new byte[KEY_BYTES];
            new SecureRandom().nextBytes(random);
            final String key = HexFormat.of().formatHex(random);
            // Made 0600 as it is created, so there is no moment at which the umask's mode lets anyone else read it.
            try (SeekableByteChannel file = Files.newByteChannel(keyFile,
                Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))))
            {
                file.write(ByteBuffer.wrap((key + "\n").getBytes(StandardCharsets.US_ASCII)));
            }
            final ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(path));
            final StatusSocket socket = new StatusSocket(path, keyFile, key, server);
            Thread.ofPlatform().daemon().name("trindle-status").start(() -> socket.serve(supervisor));
            return socket;
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException("cannot open the status socket " + path + ": " + e.getMessage(), e);
        }
    }

    private void serve(final Supervisor supervisor)
    {
        while (server.isOpen())
        {
            try (SocketChannel client = server.accept())
            {
                final String line = readLine(client);
                final int space = line.indexOf(' ');
                final byte[] presented = (space < 0 ? "" : line.substring(0, space)).getBytes(StandardCharsets.US_ASCII);
                if (!MessageDigest.isEqual(presented, key))
                {
                    client.write(ByteBuffer.wrap(("refused: no valid key; a client reads it from " + keyFile +
                        "\n").getBytes(StandardCharsets.UTF_8)));
                    continue;
                }
                final String command = line.substring(space + 1);
                final String answer = switch (command)
                {
                    case "status" -> supervisor.status(false).get(5, TimeUnit.SECONDS);
                    case "status --json" -> supervisor.status(true).get(5, TimeUnit.SECONDS);
                    case "stop" ->
                    {
                        supervisor.requestStop("trindle stop was run");
                        yield "stopping\n";
                    }
                    default -> "unknown command '" + command + "': expected status, status --json or stop\n";
                };
                client.write(ByteBuffer.wrap(answer.getBytes(StandardCharsets.UTF_8)));
            }
            catch (final Exception e)
            {
                if (!server.isOpen())
                {
                    return;
                }
            }
        }
    }

    private static String readLine(final SocketChannel client) throws IOException
    {
        final ByteBuffer buffer = ByteBuffer.allocate(256);
        while (buffer.hasRemaining() && client.read(buffer) > 0)
        {
            if (buffer.get(buffer.position() - 1) == '\n')
            {
                break;
            }
        }
        return new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8).strip();
    }

    /**
     * Sends one command to the supervisor of {@code pipeline} and returns its answer.
     *
     * @throws IOException if no supervisor answers there.
     */
    static String ask(final String pipeline, final String command) throws IOException
    {
        final String key = Files.readString(keyOf(pipeline), StandardCharsets.US_ASCII).strip();
        try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(pathOf(pipeline))))
        {
            channel.write(ByteBuffer.wrap((key + " " + command + "\n").getBytes(StandardCharsets.UTF_8)));
            channel.shutdownOutput();
            final java.io.ByteArrayOutputStream answer = new java.io.ByteArrayOutputStream();
            final ByteBuffer buffer = ByteBuffer.allocate(8192);
            while (channel.read(buffer) > 0)
            {
                answer.write(buffer.array(), 0, buffer.position());
                buffer.clear();
            }
            return answer.toString(StandardCharsets.UTF_8);
        }
    }

    @Override
    public void close()
    {
        try
        {
            server.close();
            Files.deleteIfExists(path);
            Files.deleteIfExists(keyFile);
        }
        catch (final IOException e)
        {
            // Best effort: a stale socket is removed by the next supervisor of this pipeline.
        }
    }
}
