package io.trindle.supervisor.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@code metrics: { listen: HOST:PORT }} and {@code --metrics HOST:PORT}: the forms taken, and for each form
 * refused, what is said. (The refusals as a config reports them, with their positions, are in {@code bad/}.)
 */
class MetricsConfigTest
{
    @Test
    void shouldReadHostAndPortOfEachForm()
    {
        assertEquals(new MetricsConfig("127.0.0.1", 9464), MetricsConfig.parse("127.0.0.1:9464"));
        assertEquals(new MetricsConfig("0.0.0.0", 0), MetricsConfig.parse("0.0.0.0:0"));
        assertEquals(new MetricsConfig("localhost", 65_535), MetricsConfig.parse("localhost:65535"));
        assertEquals(new MetricsConfig("metrics-host.example", 80), MetricsConfig.parse("metrics-host.example:0080"));
        assertEquals(new MetricsConfig("::1", 9464), MetricsConfig.parse("[::1]:9464"));
        assertEquals(new MetricsConfig("fe80::1%eth0", 9464), MetricsConfig.parse("[fe80::1%eth0]:9464"));
    }

    @Test
    void shouldWriteTheAddressBackAsItIsRead()
    {
        assertEquals("127.0.0.1:9464", MetricsConfig.parse("127.0.0.1:9464").toString());
        assertEquals("[::1]:9464", MetricsConfig.parse("[::1]:9464").toString());
        assertEquals("[::1]:41234", MetricsConfig.parse("[::1]:0").address(41_234));
    }

    @Test
    void shouldSayWhatIsWrongWithEachFormRefused()
    {
        refused("localhost", "'localhost' is not HOST:PORT: it has no port; write HOST:PORT, e.g. 127.0.0.1:9464");
        refused("9464", "'9464' is not HOST:PORT: it has no host; write HOST:PORT");
        refused(":9464", "':9464' has no host: write 127.0.0.1:9464 for this machine only, or 0.0.0.0:9464 for " +
            "every interface");
        refused("::1:9464", "'::1:9464' is not HOST:PORT: an IPv6 address goes in brackets, as in [::1]:9464");
        refused("[::1]9464", "'[::1]9464' is not HOST:PORT: an IPv6 address in brackets is followed by ':'");
        refused("[localhost]:9464", "'[localhost]:9464' is not HOST:PORT: 'localhost' in brackets is not an IPv6 " +
            "address");
        refused("local host:9464", "'local host:9464' is not HOST:PORT: 'local host' is not a host name or an IP " +
            "address");
        refused("127.0.0.1:", "'127.0.0.1:' is not HOST:PORT: the port is missing");
        refused("127.0.0.1:http", "'127.0.0.1:http' is not HOST:PORT: the port 'http' is not a number");
        refused("127.0.0.1:-1", "the port '-1' is not a number");
        refused("127.0.0.1:65536", "'127.0.0.1:65536': port 65536 is out of range: a port is from 1 to 65535, or 0 " +
            "for a free one");
        refused("127.0.0.1:99999999999999999999", "port 99999999999999999999 is out of range");
    }

    @Test
    void shouldReadTheMetricsSectionAndHaveNoneWithoutIt() throws Exception
    {
        final String workers = """
            workers:
              reader:
                command: [./reader]
            """;
        assertNull(PipelineConfigParser.parse(Path.of("p.yaml"), workers).metrics());
        assertEquals(new MetricsConfig("127.0.0.1", 0), PipelineConfigParser.parse(Path.of("p.yaml"),
            workers + "metrics: { listen: 127.0.0.1:0 }\n").metrics());
        assertEquals(new MetricsConfig("::1", 9464), PipelineConfigParser.parse(Path.of("p.yaml"),
            workers + "metrics:\n  listen: \"[::1]:9464\"\n").metrics());
        // trindle run --metrics: the option's address instead of the config's, and nothing else changed.
        final PipelineConfig config = PipelineConfigParser.parse(Path.of("p.yaml"),
            workers + "metrics: { listen: 127.0.0.1:9464 }\n");
        final PipelineConfig overridden = config.withMetrics(MetricsConfig.parse("0.0.0.0:9100"));
        assertEquals(new MetricsConfig("0.0.0.0", 9100), overridden.metrics());
        assertEquals(config, overridden.withMetrics(config.metrics()));
    }

    private static void refused(final String text, final String message)
    {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> MetricsConfig.parse(text), text);
        if (!e.getMessage().contains(message))
        {
            assertEquals(message, e.getMessage(), text);
        }
    }
}
