package io.trindle.supervisor;

import io.trindle.supervisor.config.Durations;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The Unix socket through which {@code trindle status}, {@code trindle stop} and {@code trindle restart} reach a
 * running supervisor: {@code $TRINDLE_RUN_DIR/NAME.sock} (default {@code /tmp/trindle-$USER/NAME.sock}), in a
 * directory of its owner's only. A client writes one line — the key, a space, and {@code status},
 * {@code status --json}, {@code stop}, {@code restart WORKER[.N]}, {@code revoke WORKER[.N] SEGMENT},
 * {@code resize PIPE SIZE}, {@code grant WORKER[.N] OBJECT RIGHTS} or {@code reclaim ALLOCATOR [BYTES]} — and
 * reads the answer until the supervisor closes the connection. An answer that starts with
 * {@code "refused: "} (the request was not served) or {@code "error: "} (it could not be answered) is one line
 * saying why.
 * <p>
 * The key is random, made anew by each supervisor and kept beside the socket in {@code NAME.key} (mode 0600).
 * The directory's mode keeps other users out; the key keeps out a sandboxed worker of the same user, which
 * Landlock lets connect to a Unix socket by path but not read the key file.
 * <p>
 * Such a worker, or any client, may also connect and then send nothing. So each client is served on a thread of
 * its own, at most {@link #MAX_CLIENTS} at once (one more is refused at once), and has {@link #CLIENT_TIMEOUT}
 * to send its line and again to take its answer; past that its connection is closed. No client can hold up
 * another, or the supervisor.
 * <p>
 * Longer than the ~400 lines a class here should stay under, on purpose: both ends of one small protocol (the
 * supervisor's server and the CLI's client) are kept side by side, so that the request, the key and the limits
 * cannot drift apart.
 */
final class StatusSocket implements AutoCloseable
{
    /** Random bytes in a key: as many as a guess would have to match. */
    static final int KEY_BYTES = 32;
    /** How long a client has to send its request line, and then to take its answer, before it is dropped. */
    static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(2);
    /** Clients served at once; a connection beyond them is refused at once, so a flood cannot use up threads. */
    static final int MAX_CLIENTS = 8;
    /** The longest request line: a key (64 hex digits), a space and the longest command, with room to spare. */
    static final int MAX_REQUEST_BYTES = 4096;
    /** The command that restarts a worker: this, then the worker's name or {@code NAME.N}. */
    static final String RESTART = "restart ";
    /** The request to resize a pipe: {@code resize PIPE SIZE}. */
    static final String RESIZE = "resize ";
    /** The command that revokes a worker's handle to a segment: this, then {@code WORKER[.N] SEGMENT}. */
    static final String REVOKE = "revoke ";
    /** The command that grants an object at run time: this, then {@code WORKER[.N] OBJECT RIGHTS}. */
    static final String GRANT = "grant ";
    /**
     * The command that interposes a stage: this, then {@code PIPE}, a tab, the directory to run it in, and its argv,
     * each word after a tab; or {@code PIPE} alone to take the stage out.
     */
    static final String INTERPOSE = "interpose ";
    /** The command that replays a recording: this, then {@code PIPE}, the directory, the lanes and the pace, tabbed. */
    static final String REPLAY = "replay ";
    /** The command that asks an allocator's holders for memory back: this, then {@code ALLOCATOR [BYTES]}. */
    static final String RECLAIM = "reclaim ";
    /** How long a status or restart request waits for the supervisor's loop, which answers it between two events. */
    static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(5);
    /** How long {@code trindle status}, {@code trindle stop} and {@code trindle restart} wait for the whole answer. */
    static final Duration ASK_TIMEOUT = ANSWER_TIMEOUT.plus(CLIENT_TIMEOUT).plus(CLIENT_TIMEOUT);
    /** The pause before accepting again after accept failed (say, with EMFILE), so a lasting failure does not spin. */
    static final Duration ACCEPT_RETRY_PAUSE = Duration.ofMillis(100);
    /** How an answer starts when the request was not served: the rest of the line says why. */
    static final String REFUSED = "refused: ";
    /** How an answer starts when the request was valid but could not be answered: the rest of the line says why. */
    static final String ERROR = "error: ";

    private final Path path;
    private final Path keyFile;
    private final byte[] key;
    private final ServerSocketChannel server;
    private final Reporter reporter;
    private final Semaphore clients = new Semaphore(MAX_CLIENTS);

    private StatusSocket(final Path path, final Path keyFile, final String key, final ServerSocketChannel server,
        final Reporter reporter)
    {
        this.path = path;
        this.keyFile = keyFile;
        this.key = key.getBytes(StandardCharsets.US_ASCII);
        this.server = server;
        this.reporter = reporter;
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
     * Binds the socket of {@code pipeline} and serves it on daemon threads.
     *
     * @param reporter where a failure to accept clients is said.
     * @throws IllegalStateException if a supervisor of that pipeline already answers there.
     */
    static StatusSocket serve(final String pipeline, final Supervisor supervisor, final Reporter reporter)
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
            final StatusSocket socket = new StatusSocket(path, keyFile, key, server, reporter);
            Thread.ofPlatform().daemon().name("trindle-status").start(() -> socket.acceptClients(supervisor));
            return socket;
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException("cannot open the status socket " + path + ": " + e.getMessage(), e);
        }
    }

    /**
     * Accepts clients and hands each to a thread of its own, at most {@link #MAX_CLIENTS} at once: a client that
     * sends nothing holds up no other, and a flood of connections cannot use up the supervisor's threads.
     */
    private void acceptClients(final Supervisor supervisor)
    {
        String lastFailure = null;
        while (server.isOpen())
        {
            final SocketChannel client;
            try
            {
                client = server.accept();
                lastFailure = null;
            }
            catch (final IOException | RuntimeException e)
            {
                if (!server.isOpen())
                {
                    return;
                }
                // EMFILE and the like last a while: say so once, and do not spin while they last.
                if (!String.valueOf(e.getMessage()).equals(lastFailure))
                {
                    lastFailure = String.valueOf(e.getMessage());
                    reporter.say("the status socket %s cannot accept a client: %s; trying again every %s", path,
                        lastFailure, Durations.format(ACCEPT_RETRY_PAUSE));
                }
                pause(ACCEPT_RETRY_PAUSE);
                continue;
            }
            if (!clients.tryAcquire())
            {
                refuse(client, REFUSED + "the supervisor already serves " + MAX_CLIENTS + " clients; try again\n");
                continue;
            }
            try
            {
                Thread.ofPlatform().daemon().name("trindle-status-client").start(() ->
                {
                    try
                    {
                        serveClient(client, supervisor);
                    }
                    finally
                    {
                        clients.release();
                    }
                });
            }
            catch (final OutOfMemoryError | RuntimeException e)
            {
                // No thread to be had (the process limit): this client is told so, and the supervisor goes on.
                clients.release();
                refuse(client, REFUSED + "the supervisor cannot start a thread to answer: " + e.getMessage() +
                    "; try again\n");
            }
        }
    }

    /** One client: its request line within {@link #CLIENT_TIMEOUT}, the answer, then the connection closes. */
    private void serveClient(final SocketChannel client, final Supervisor supervisor)
    {
        try (client; Selector selector = Selector.open())
        {
            client.configureBlocking(false);
            client.register(selector, SelectionKey.OP_READ);
            final String line = readRequest(client, selector, deadline(CLIENT_TIMEOUT));
            final String tapped = line == null ? null : tapRequest(line);
            if (tapped != null)
            {
                tap(client, selector, tapped, supervisor);
                return;
            }
            final String answer = line == null ?
                REFUSED + "no request line within " + Durations.format(CLIENT_TIMEOUT) + "; a request is one line of " +
                    "at most " + MAX_REQUEST_BYTES + " bytes: the key, a space and the command\n" :
                answer(line, supervisor);
            write(client, selector, ByteBuffer.wrap(answer.getBytes(StandardCharsets.UTF_8)), deadline(CLIENT_TIMEOUT));
        }
        catch (final IOException | RuntimeException e)
        {
            // The client went away, or took too long to read its answer: its connection is closed; nothing else
            // depends on it.
        }
    }

    /** @return the pipe a request with a valid key asks to tap, or null for any other request. */
    private String tapRequest(final String line)
    {
        final int space = line.indexOf(' ');
        final String command = line.substring(space + 1);
        return space > 0 && command.startsWith(TapWire.REQUEST) &&
            MessageDigest.isEqual(line.substring(0, space).getBytes(StandardCharsets.US_ASCII), key) ?
            command.substring(TapWire.REQUEST.length()) : null;
    }

    /**
     * Taps {@code pipe} and streams its messages to the client for as long as the client reads and the pipe's lanes
     * last ({@link TapWire}); then lets go of the lanes, whatever ended the stream.
     */
    private static void tap(final SocketChannel client, final Selector selector, final String pipe,
        final Supervisor supervisor) throws IOException
    {
        final CompletableFuture<Taps.Attached> attaching = supervisor.tap(pipe);
        final Taps.Attached attached;
        try
        {
            attached = attaching.get(ANSWER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (final TimeoutException | ExecutionException | InterruptedException e)
        {
            // Should the loop attach later, nobody reads: let go at once then.
            attaching.thenAccept(late -> supervisor.untap(late));
            write(client, selector, ByteBuffer.wrap((ERROR + "the supervisor's loop did not attach the tap within " +
                Durations.format(ANSWER_TIMEOUT) + "\n").getBytes(StandardCharsets.UTF_8)), deadline(CLIENT_TIMEOUT));
            return;
        }
        if (attached.refusal() != null)
        {
            write(client, selector, ByteBuffer.wrap((REFUSED + attached.refusal() + "\n")
                .getBytes(StandardCharsets.UTF_8)), deadline(CLIENT_TIMEOUT));
            return;
        }
        try
        {
            TapWire.stream(client, selector, attached.lanes());
        }
        catch (final IOException e)
        {
            // The client stopped reading (--limit, Ctrl-C, a closed pipe): nothing more to send.
        }
        finally
        {
            supervisor.untap(attached);
        }
    }

    private String answer(final String line, final Supervisor supervisor)
    {
        final int space = line.indexOf(' ');
        final byte[] presented = (space < 0 ? "" : line.substring(0, space)).getBytes(StandardCharsets.US_ASCII);
        if (!MessageDigest.isEqual(presented, key))
        {
            return REFUSED + "no valid key; a client reads it from " + keyFile + "\n";
        }
        final String command = line.substring(space + 1);
        return switch (command)
        {
            case "status" -> fromLoop(supervisor.status(false), "the status");
            case "status --json" -> fromLoop(supervisor.status(true), "the status");
            case "stop" ->
            {
                supervisor.requestStop("trindle stop was run");
                yield "stopping\n";
            }
            default -> command.startsWith(RESTART) ?
                fromLoop(supervisor.restart(command.substring(RESTART.length())), "the restart") :
                command.startsWith(REVOKE) && command.split(" ").length == 3 ?
                fromLoop(supervisor.revoke(command.split(" ")[1], command.split(" ")[2]), "the revocation") :
                command.startsWith(RESIZE) ? resize(command.substring(RESIZE.length()), supervisor) :
                command.startsWith(GRANT) && command.split(" ").length == 4 ?
                fromLoop(supervisor.grant(command.split(" ")[1], command.split(" ")[2], command.split(" ")[3]),
                    "the grant") :
                command.startsWith(RECLAIM) ? reclaim(command.substring(RECLAIM.length()), supervisor) :
                command.startsWith(INTERPOSE) ? interpose(command.substring(INTERPOSE.length()), supervisor) :
                command.startsWith(REPLAY) ? replay(command.substring(REPLAY.length()), supervisor) :
                REFUSED + "unknown command '" + command + "': expected status, status --json, stop, " +
                    "restart WORKER[.N], revoke WORKER[.N] SEGMENT, resize PIPE SIZE, grant WORKER[.N] OBJECT " +
                    "RIGHTS or reclaim ALLOCATOR [BYTES]\n";
        };
    }

    private static String reclaim(final String arguments, final Supervisor supervisor)
    {
        final String[] words = arguments.split(" ");
        if (words.length > 2 || words.length == 2 && !words[1].matches("[1-9][0-9]{0,17}"))
        {
            return REFUSED + "reclaim takes ALLOCATOR [BYTES], BYTES a positive number of bytes: not '" + arguments +
                "'\n";
        }
        return fromLoop(supervisor.reclaim(words[0], words.length == 2 ? Long.parseLong(words[1]) : -1),
            "the reclaim");
    }

    private static String replay(final String arguments, final Supervisor supervisor)
    {
        final String[] words = arguments.split("\t", -1);
        if (words.length != 4 || !words[2].matches("[0-9]{1,3}"))
        {
            return REFUSED + "replay takes PIPE, DIR, LANES and PACE, separated by tabs\n";
        }
        return fromLoop(supervisor.replay(words[0], Path.of(words[1]), Integer.parseInt(words[2]),
            words[3].equals("-") ? null : words[3]), "the replay");
    }

    private static String interpose(final String arguments, final Supervisor supervisor)
    {
        final String[] words = arguments.split("\t", -1);
        if (words.length == 2 || words[0].isEmpty())
        {
            return REFUSED + "interpose takes PIPE, or PIPE, DIR and a command, separated by tabs\n";
        }
        return fromLoop(supervisor.interpose(words[0], words.length == 1 ? null : Path.of(words[1]),
            words.length == 1 ? List.of() : List.of(words).subList(2, words.length)), "the interposition");
    }

    private static String resize(final String arguments, final Supervisor supervisor)
    {
        final String[] words = arguments.split(" ");
        if (words.length != 2 || !words[1].matches("[0-9]{1,10}"))
        {
            return REFUSED + "resize takes PIPE SIZE, SIZE in bytes: not '" + arguments + "'\n";
        }
        return fromLoop(supervisor.resize(words[0], Long.parseLong(words[1])), "the resize");
    }

    /**
     * @param what what the loop makes, for an error: {@code the status}.
     * @return the answer the supervisor's loop made, or an error when it did not within {@link #ANSWER_TIMEOUT}.
     */
    private static String fromLoop(final Future<String> answer, final String what)
    {
        try
        {
            return answer.get(ANSWER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (final TimeoutException e)
        {
            return ERROR + "the supervisor's loop did not answer within " + Durations.format(ANSWER_TIMEOUT) + "; " +
                "it may be stuck: see its stderr, or stop it with a signal (SIGTERM)\n";
        }
        catch (final ExecutionException e)
        {
            return ERROR + what + " could not be made: " + e.getCause() + "\n";
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
            return ERROR + "interrupted while waiting for the supervisor's loop\n";
        }
    }

    /**
     * Reads one request line without blocking past {@code deadline}.
     *
     * @return the line, stripped; what came before the end of input if the client closed its side without a
     *         newline; or {@code null} if no whole line came in time or it was longer than
     *         {@link #MAX_REQUEST_BYTES}.
     */
    private static String readRequest(final SocketChannel client, final Selector selector, final long deadline)
        throws IOException
    {
        final ByteBuffer buffer = ByteBuffer.allocate(MAX_REQUEST_BYTES);
        while (true)
        {
            final int start = buffer.position();
            final int read = client.read(buffer);
            for (int i = start; i < buffer.position(); i++)
            {
                if (buffer.get(i) == '\n')
                {
                    return new String(buffer.array(), 0, i, StandardCharsets.UTF_8).strip();
                }
            }
            if (read < 0)
            {
                return new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8).strip();
            }
            if (!buffer.hasRemaining() || !await(selector, deadline))
            {
                return null;
            }
        }
    }

    /** Writes all of {@code bytes}, or throws once {@code deadline} has passed. */
    private static void write(final SocketChannel channel, final Selector selector, final ByteBuffer bytes,
        final long deadline) throws IOException
    {
        channel.keyFor(selector).interestOps(SelectionKey.OP_WRITE);
        while (bytes.hasRemaining())
        {
            channel.write(bytes);
            if (bytes.hasRemaining() && !await(selector, deadline))
            {
                throw new IOException("the peer did not take " + bytes.remaining() + " bytes in time");
            }
        }
    }

    /** @return whether the channel registered with {@code selector} became ready before {@code deadline}. */
    private static boolean await(final Selector selector, final long deadline) throws IOException
    {
        final long millis = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (millis <= 0)
        {
            return false;
        }
        final int ready = selector.select(millis);
        selector.selectedKeys().clear();
        return ready > 0 || deadline - System.nanoTime() > 0;
    }

    private static long deadline(final Duration timeout)
    {
        return System.nanoTime() + timeout.toNanos();
    }

    /** Tells a client it will not be served, as far as its socket buffer takes it at once, and closes. */
    private static void refuse(final SocketChannel client, final String why)
    {
        try (client)
        {
            client.configureBlocking(false);
            client.write(ByteBuffer.wrap(why.getBytes(StandardCharsets.UTF_8)));
            client.shutdownOutput();
            // Closing a Unix socket with unread data resets the connection, and the client would meet ECONNRESET
            // rather than the end of this answer: take in what it sent so far (one read, so this cannot spin).
            client.read(ByteBuffer.allocate(MAX_REQUEST_BYTES));
        }
        catch (final IOException | RuntimeException e)
        {
            // It went away first: nothing to tell.
        }
    }

    private static void pause(final Duration duration)
    {
        try
        {
            Thread.sleep(duration);
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Sends one command to the supervisor of {@code pipeline} and returns its answer.
     *
     * @throws IOException if no supervisor answers there, or it does not answer within {@link #ASK_TIMEOUT}.
     */
    static String ask(final String pipeline, final String command) throws IOException
    {
        final String key = Files.readString(keyOf(pipeline), StandardCharsets.US_ASCII).strip();
        try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(pathOf(pipeline)));
            Selector selector = Selector.open())
        {
            final long deadline = deadline(ASK_TIMEOUT);
            channel.configureBlocking(false);
            channel.register(selector, SelectionKey.OP_WRITE);
            IOException unsent = null;
            try
            {
                write(channel, selector, ByteBuffer.wrap((key + " " + command + "\n").getBytes(StandardCharsets.UTF_8)),
                    deadline);
                channel.shutdownOutput();
            }
            catch (final IOException e)
            {
                // A supervisor that refuses a client (too many at once) says why and closes at once, maybe before
                // the request is written (EPIPE): what it said is there to be read.
                unsent = e;
            }
            channel.keyFor(selector).interestOps(SelectionKey.OP_READ);
            final ByteArrayOutputStream answer = new ByteArrayOutputStream();
            final ByteBuffer buffer = ByteBuffer.allocate(8192);
            while (true)
            {
                final int read;
                try
                {
                    read = channel.read(buffer);
                }
                catch (final IOException e)
                {
                    // A supervisor that refuses a client closes at once, and may reset the connection if the
                    // request came in after it looked: what it said before is its answer.
                    if (answer.size() > 0)
                    {
                        return answer.toString(StandardCharsets.UTF_8);
                    }
                    throw unsent != null ? unsent : e;
                }
                answer.write(buffer.array(), 0, buffer.position());
                buffer.clear();
                if (read < 0)
                {
                    if (answer.size() == 0 && unsent != null)
                    {
                        throw unsent;
                    }
                    return answer.toString(StandardCharsets.UTF_8);
                }
                if (read == 0 && !await(selector, deadline))
                {
                    throw new IOException("no answer within " + Durations.format(ASK_TIMEOUT));
                }
            }
        }
    }

    /** A connection whose answer is read as it comes: a tap's stream ({@link TapWire}). */
    record Stream(SocketChannel channel) implements AutoCloseable
    {
        InputStream input()
        {
            return Channels.newInputStream(channel);
        }

        @Override
        public void close() throws IOException
        {
            channel.close();
        }
    }

    /**
     * Sends {@code command} to the supervisor of {@code pipeline} and leaves the connection open for its answer, which
     * has no deadline: the client reads it for as long as it lasts.
     *
     * @throws IOException if no supervisor answers there.
     */
    static Stream open(final String pipeline, final String command) throws IOException
    {
        final String key = Files.readString(keyOf(pipeline), StandardCharsets.US_ASCII).strip();
        final SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(pathOf(pipeline)));
        try
        {
            final ByteBuffer request = ByteBuffer.wrap((key + " " + command + "\n").getBytes(StandardCharsets.UTF_8));
            while (request.hasRemaining())
            {
                channel.write(request);
            }
            return new Stream(channel);
        }
        catch (final IOException | RuntimeException e)
        {
            channel.close();
            throw e;
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
