package io.trindle.supervisor.config;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A host as the config declares it: one machine of a pipeline that spans several, where one supervisor runs
 * ({@code trindle run FILE --host NAME}) and starts the workers placed on it. A pipe whose ends are on two hosts is
 * bridged between their supervisors over Aeron (docs/hosts.md). Written as
 * {@code b: { address: 10.0.0.2:40101, driver: /dev/shm/aeron-b }} under {@code hosts:}; only {@code address} is
 * required.
 *
 * @param name     the host's name, which workers' {@code host} and {@code trindle run --host} refer to; the
 *                 supervisor of host {@code b} of pipeline {@code wordcount} is named {@code wordcount@b}.
 * @param address  where the host's supervisor receives bridge traffic (UDP), as written: {@code HOST:PORT}, an
 *                 IPv6 address in brackets ({@code [::1]:40101}). The other hosts' supervisors send to it, so it
 *                 is an address they reach this host by, never an unspecified one ({@code 0.0.0.0}, {@code [::]}).
 * @param hostname the host part of {@code address}: a host name or an IP address, an IPv6 address without its
 *                 brackets. Resolved when the bridge starts, not here.
 * @param port     the port of {@code address}, from 1 to {@link #MAX_PORT}.
 * @param driver   the absolute path of the directory of an external Aeron media driver that this host's
 *                 supervisor uses; {@code null} when it runs one embedded in itself (no {@code driver}, or
 *                 {@code driver: embedded}).
 * @param position where the host is declared (its name).
 */
public record HostConfig(String name, String address, String hostname, int port, String driver, Position position)
{
    /** The largest UDP port. */
    public static final int MAX_PORT = 65_535;
    /** The value of {@code driver} that asks for a media driver embedded in the supervisor, as no value does. */
    public static final String EMBEDDED = "embedded";
    /** What an address looks like, for every message about one that is not. */
    static final String FORM = "write HOST:PORT, the address the other hosts reach this one at, e.g. " +
        "10.0.0.2:40101, node-b.example:40101 or \"[fd00::2]:40101\"";

    /**
     * @throws IllegalArgumentException if the address is not one {@link #hostnameOf} and {@link #portOf} take, if
     *                                  {@code hostname} and {@code port} are not its parts, or if {@code driver}
     *                                  is not an absolute path.
     */
    public HostConfig
    {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(hostname, "hostname");
        Objects.requireNonNull(position, "position");
        if (!hostname.equals(hostnameOf(address)) || port != portOf(address))
        {
            throw new IllegalArgumentException("hostname='" + hostname + "' and port=" + port + " are not the parts " +
                "of address='" + address + "'");
        }
        if (driver != null && !driver.equals(driverOf(driver)))
        {
            throw new IllegalArgumentException("driver='" + driver + "' is not an absolute, normal path");
        }
    }

    /**
     * @param address {@code HOST:PORT}, as the config writes it.
     * @param driver  {@code null}, {@code embedded} or the absolute path of an external media driver's directory.
     * @return the host, its address split into its parts.
     * @throws IllegalArgumentException saying what is wrong with the address or the driver and how to write it.
     */
    public static HostConfig of(final String name, final String address, final String driver,
        final Position position)
    {
        return new HostConfig(name, address, hostnameOf(address), portOf(address),
            driver == null ? null : driverOf(driver), position);
    }

    /**
     * @param address {@code HOST:PORT}, an IPv6 host in brackets ({@code [::1]:40101}).
     * @return its host, an IPv6 address without the brackets.
     * @throws IllegalArgumentException saying what is wrong with it and how to write it, for a message that puts
     *                                  where it was written in front.
     */
    public static String hostnameOf(final String address)
    {
        final String host;
        if (address.startsWith("["))
        {
            final int close = address.indexOf(']');
            if (close < 0 || !address.startsWith(":", close + 1))
            {
                throw new IllegalArgumentException("'" + address + "' is not HOST:PORT: an IPv6 address in " +
                    "brackets is followed by ':' and the port, as in [fd00::2]:40101");
            }
            host = address.substring(1, close);
            if (!MetricsConfig.IPV6.matcher(host).matches())
            {
                throw new IllegalArgumentException("'" + address + "' is not HOST:PORT: '" + host + "' in brackets " +
                    "is not an IPv6 address; " + FORM);
            }
        }
        else
        {
            final int colon = address.lastIndexOf(':');
            if (colon < 0)
            {
                throw new IllegalArgumentException("'" + address + "' is not HOST:PORT: it has no " +
                    (address.matches("[0-9]+") ? "host" : "port") + "; " + FORM);
            }
            host = address.substring(0, colon);
            if (host.isEmpty())
            {
                throw new IllegalArgumentException("'" + address + "' has no host: " + FORM);
            }
            if (host.contains(":"))
            {
                throw new IllegalArgumentException("'" + address + "' is not HOST:PORT: an IPv6 address goes in " +
                    "brackets, as in \"[" + host + "]" + address.substring(colon) + "\"");
            }
            if (!MetricsConfig.HOST.matcher(host).matches())
            {
                throw new IllegalArgumentException("'" + address + "' is not HOST:PORT: '" + host + "' is not a " +
                    "host name or an IP address (letters, digits, '.', '-'); " + FORM);
            }
        }
        if (host.matches("0+(\\.0+){0,3}") || host.matches("[0:]+"))
        {
            throw new IllegalArgumentException("'" + address + "' is no address the other hosts can send to ('" +
                host + "' stands for any address of a machine): " + FORM);
        }
        return host;
    }

    /**
     * @param address {@code HOST:PORT}, whose host {@link #hostnameOf} takes.
     * @return its port, from 1 to {@link #MAX_PORT}.
     * @throws IllegalArgumentException saying what is wrong with it and how to write it.
     */
    public static int portOf(final String address)
    {
        final String port = address.substring(address.lastIndexOf(':') + 1);
        if (!port.matches("[0-9]+"))
        {
            throw new IllegalArgumentException("'" + address + "' is not HOST:PORT: the port " +
                (port.isEmpty() ? "is missing" : "'" + port + "' is not a number") + "; " + FORM);
        }
        // Compared as text first: a port of any length is read, and none overflows.
        final String digits = port.replaceFirst("^0+(?=.)", "");
        if (digits.length() > 5 || Integer.parseInt(digits) > MAX_PORT || Integer.parseInt(digits) == 0)
        {
            throw new IllegalArgumentException("'" + address + "': port " + port + " is out of range: a host's " +
                "port is from 1 to " + MAX_PORT + " (the other hosts send to it, so it cannot be left to the kernel)");
        }
        return Integer.parseInt(digits);
    }

    /**
     * @param driver the {@code driver} of a host as written.
     * @return {@code null} for {@value #EMBEDDED}, else the absolute path it names, normalised.
     * @throws IllegalArgumentException saying what a driver may be, if it is neither.
     */
    public static String driverOf(final String driver)
    {
        if (EMBEDDED.equals(driver))
        {
            return null;
        }
        final String forms = "give embedded (the supervisor runs Aeron's media driver in itself, the default) or " +
            "the absolute path of the directory of a media driver run apart, e.g. /dev/shm/aeron-b";
        if (driver.isBlank())
        {
            throw new IllegalArgumentException("it is empty: " + forms);
        }
        final Path path;
        try
        {
            path = Path.of(driver);
        }
        catch (final InvalidPathException e)
        {
            throw new IllegalArgumentException("'" + driver + "' is not a valid path (" + e.getReason() + "): " +
                forms);
        }
        if (!path.isAbsolute())
        {
            throw new IllegalArgumentException("'" + driver + "' is neither embedded nor an absolute path: " + forms);
        }
        return path.normalize().toString();
    }
}
