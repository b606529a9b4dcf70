package io.trindle.supervisor.config;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where the supervisor serves its metrics, in the Prometheus text format, at {@code http://HOST:PORT/metrics}: the
 * top-level {@code metrics: { listen: HOST:PORT }} of a config, or {@code trindle run --metrics HOST:PORT}, which
 * overrides it. Without either there is no endpoint.
 *
 * @param host a host name or an IP address as written; an IPv6 address without its brackets. Resolved when the
 *             supervisor binds, not here: a name that does not resolve is a bind failure, said before any worker
 *             starts.
 * @param port from 0 to {@link #MAX_PORT}; 0 lets the kernel pick a free port, which the supervisor then says.
 */
public record MetricsConfig(String host, int port)
{
    /** The largest TCP port. */
    public static final int MAX_PORT = 65_535;
    /** What a listen address looks like, for every message about one that is not. */
    public static final String FORM = "write HOST:PORT, e.g. 127.0.0.1:9464 (this machine only), 0.0.0.0:9464 " +
        "(every interface), [::1]:9464, or 127.0.0.1:0 for a free port";

    /**
     * A host name or an IPv4 address: letters, digits, dots and hyphens (and '_', which some local names use). A
     * host's bridge address ({@link HostConfig}) is held to it too.
     */
    static final Pattern HOST = Pattern.compile("[A-Za-z0-9._-]+");
    /** An IPv6 address as it stands between brackets, with an optional zone ({@code fe80::1%eth0}). */
    static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(%[A-Za-z0-9._-]+)?");

    /**
     * @throws IllegalArgumentException if the host is not one {@link #parse} takes, or the port is out of range.
     */
    public MetricsConfig
    {
        Objects.requireNonNull(host, "host");
        if (!HOST.matcher(host).matches() && !IPV6.matcher(host).matches())
        {
            throw new IllegalArgumentException("host='" + host + "' is neither a host name nor an IP address");
        }
        if (port < 0 || port > MAX_PORT)
        {
            throw new IllegalArgumentException("port=" + port + " is not from 0 to " + MAX_PORT);
        }
    }

    /**
     * @param text {@code HOST:PORT}, an IPv6 host in brackets ({@code [::1]:9464}).
     * @return the address it names.
     * @throws IllegalArgumentException saying what is wrong with it and how to write it, for a message that puts
     *                                  where it was written in front.
     */
    public static MetricsConfig parse(final String text)
    {
        final String host;
        final String port;
        if (text.startsWith("["))
        {
            final int close = text.indexOf(']');
            if (close < 0 || !text.startsWith(":", close + 1))
            {
                throw new IllegalArgumentException("'" + text + "' is not HOST:PORT: an IPv6 address in brackets " +
                    "is followed by ':' and the port, as in [::1]:9464");
            }
            host = text.substring(1, close);
            port = text.substring(close + 2);
            if (!IPV6.matcher(host).matches())
            {
                throw new IllegalArgumentException("'" + text + "' is not HOST:PORT: '" + host + "' in brackets is " +
                    "not an IPv6 address; " + FORM);
            }
        }
        else
        {
            final int colon = text.lastIndexOf(':');
            if (colon < 0)
            {
                throw new IllegalArgumentException("'" + text + "' is not HOST:PORT: it has no " +
                    (text.matches("[0-9]+") ? "host" : "port") + "; " + FORM);
            }
            host = text.substring(0, colon);
            port = text.substring(colon + 1);
            if (host.isEmpty())
            {
                throw new IllegalArgumentException("'" + text + "' has no host: write 127.0.0.1" + text +
                    " for this machine only, or 0.0.0.0" + text + " for every interface");
            }
            if (host.contains(":"))
            {
                throw new IllegalArgumentException("'" + text + "' is not HOST:PORT: an IPv6 address goes in " +
                    "brackets, as in [" + host + "]:" + port);
            }
            if (!HOST.matcher(host).matches())
            {
                throw new IllegalArgumentException("'" + text + "' is not HOST:PORT: '" + host + "' is not a host " +
                    "name or an IP address (letters, digits, '.', '-'); " + FORM);
            }
        }
        return new MetricsConfig(host, port(text, port));
    }

    private static int port(final String text, final String port)
    {
        if (!port.matches("[0-9]+"))
        {
            throw new IllegalArgumentException("'" + text + "' is not HOST:PORT: the port " +
                (port.isEmpty() ? "is missing" : "'" + port + "' is not a number") + "; " + FORM);
        }
        // Compared as text first: a port of any length is read, and none overflows.
        final String digits = port.replaceFirst("^0+(?=.)", "");
        if (digits.length() > 5 || Integer.parseInt(digits) > MAX_PORT)
        {
            throw new IllegalArgumentException("'" + text + "': port " + port + " is out of range: a port is from " +
                "1 to " + MAX_PORT + ", or 0 for a free one");
        }
        return Integer.parseInt(digits);
    }

    /** @return {@code HOST:PORT} as {@link #parse} reads it, for {@code port} (the one bound, when 0 was asked). */
    public String address(final int boundPort)
    {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + boundPort;
    }

    @Override
    public String toString()
    {
        return address(port);
    }
}
