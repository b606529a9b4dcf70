package io.trindle.supervisor;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ObjIntConsumer;

/**
 * The stop signals of a terminal and of a service manager, turned into requests to the supervisor's loop: SIGINT
 * (Ctrl-C), SIGTERM and SIGHUP. The first starts the graceful stop (sources stop, the pipes drain, every worker
 * exits, the results are printed); any later one stops at once, as a second Ctrl-C does for {@code docker compose}.
 * The workers never see these signals themselves: each leads a session of its own, out of the terminal's reach.
 *
 * <p>The JVM's own handlers for these signals run the shutdown hooks, and a second signal then waits behind the
 * first forever, so a second Ctrl-C could not be told apart. {@code sun.misc.Signal} (module {@code
 * jdk.unsupported}, exported for such uses) replaces them. It is reached by reflection: javac flags each direct
 * use as internal proprietary API, and the build turns every warning into an error. A signal the supervisor was
 * started ignoring (SIGHUP under {@code nohup}) stays ignored: the JVM installs no handler for it.
 */
final class StopOnSignal
{
    /** The signals handled, by the names {@code sun.misc.Signal} takes. */
    static final List<String> SIGNALS = List.of("INT", "TERM", "HUP");

    private StopOnSignal()
    {
    }

    /**
     * Installs the handlers.
     *
     * @param onSignal called on the JVM's signal thread with the signal's name ({@code SIGINT}) and how many
     *                 stop signals have come so far, this one included; it must only post an event.
     * @throws IllegalStateException if {@code sun.misc.Signal} is missing or refuses a handler.
     */
    static void install(final ObjIntConsumer<String> onSignal)
    {
        final AtomicInteger count = new AtomicInteger();
        try
        {
            final Class<?> signalClass = Class.forName("sun.misc.Signal");
            final Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
            final Method handle = signalClass.getMethod("handle", signalClass, handlerClass);
            for (final String name : SIGNALS)
            {
                final Object handler = Proxy.newProxyInstance(handlerClass.getClassLoader(),
                    new Class<?>[] {handlerClass}, (proxy, method, arguments) -> switch (method.getName())
                    {
                        case "handle" ->
                        {
                            onSignal.accept("SIG" + name, count.incrementAndGet());
                            yield null;
                        }
                        case "equals" -> proxy == arguments[0];
                        case "hashCode" -> System.identityHashCode(proxy);
                        default -> "stop on SIG" + name;
                    });
                handle.invoke(null, signalClass.getConstructor(String.class).newInstance(name), handler);
            }
        }
        catch (final ReflectiveOperationException e)
        {
            final Throwable cause = e instanceof InvocationTargetException target ? target.getCause() : e;
            throw new IllegalStateException("cannot handle the stop signals: " + cause, cause);
        }
    }
}
