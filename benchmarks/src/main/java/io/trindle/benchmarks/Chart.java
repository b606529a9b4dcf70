package io.trindle.benchmarks;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Draws a run's results as one SVG image, written as plain text: on the left the throughput of every transport
 * for each number of senders (bars, linear scale), on the right the round-trip percentiles of every transport
 * (bars, logarithmic scale, since a Unix pipe's round trip is tens of times a shared-memory one's).
 */
final class Chart
{
    private static final int WIDTH = 1000;
    private static final int HEIGHT = 440;
    private static final int PANEL_WIDTH = 430;
    private static final int PLOT_TOP = 70;
    private static final int PLOT_HEIGHT = 290;
    private static final int LEFT_PANEL_X = 70;
    private static final int RIGHT_PANEL_X = 560;
    private static final String[] COLOURS = {"#1f5fa8", "#e8871e", "#3b9a3b", "#8e6bbf", "#8c564b"};

    private Chart()
    {
    }

    /** @return the SVG document for {@code results}. */
    static String svg(final Results results, final String caption)
    {
        final StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" " +
            "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"11\">%n", WIDTH, HEIGHT, WIDTH, HEIGHT));
        svg.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", WIDTH, HEIGHT));
        text(svg, WIDTH / 2.0, 20, "middle", 14, escape(caption));
        legend(svg);
        throughputPanel(svg, results);
        roundTripPanel(svg, results);
        svg.append("</svg>\n");
        return svg.toString();
    }

    private static void legend(final StringBuilder svg)
    {
        double x = 180;
        final Transport[] transports = Transport.values();
        for (int i = 0; i < transports.length; i++)
        {
            svg.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"32\" width=\"12\" height=\"12\" " +
                "fill=\"%s\"/>%n", x, COLOURS[i]));
            text(svg, x + 16, 42, "start", 12, escape(transports[i].label));
            x += 30 + transports[i].label.length() * 7;
        }
    }

    private static void throughputPanel(final StringBuilder svg, final Results results)
    {
        double top = 0;
        for (final Transport transport : Transport.values())
        {
            for (final int senders : Config.SENDER_COUNTS)
            {
                if (results.measured(transport, senders))
                {
                    top = Math.max(top, results.throughput(transport, senders) / 1e6);
                }
            }
        }
        // Room above the tallest bar for its label.
        top = niceCeiling(top * 1.15);
        final int x0 = LEFT_PANEL_X;
        final double bottom = PLOT_TOP + PLOT_HEIGHT;
        text(svg, x0 + PANEL_WIDTH / 2.0, PLOT_TOP - 8, "middle", 12,
            "Throughput, 64-byte messages (M msg/s, higher is better)");
        for (int tick = 0; tick <= 5; tick++)
        {
            final double value = top * tick / 5;
            final double y = bottom - PLOT_HEIGHT * tick / 5.0;
            gridLine(svg, x0, y);
            text(svg, x0 - 6, y + 4, "end", 10, String.format(Locale.ROOT, top < 5 ? "%.2f" : top < 50 ? "%.1f" :
                "%.0f", value));
        }
        final List<String> groups = new ArrayList<>();
        for (final int senders : Config.SENDER_COUNTS)
        {
            groups.add(senders + (senders == 1 ? " sender" : " senders"));
        }
        final double groupWidth = (double)PANEL_WIDTH / groups.size();
        final Transport[] transports = Transport.values();
        final double barWidth = groupWidth * 0.8 / transports.length;
        for (int g = 0; g < groups.size(); g++)
        {
            final int senders = Config.SENDER_COUNTS.get(g);
            final double groupX = x0 + g * groupWidth + groupWidth * 0.1;
            for (int i = 0; i < transports.length; i++)
            {
                if (!results.measured(transports[i], senders))
                {
                    continue;
                }
                final double value = results.throughput(transports[i], senders) / 1e6;
                final double height = PLOT_HEIGHT * value / top;
                bar(svg, groupX + i * barWidth, bottom - height, barWidth, height, COLOURS[i],
                    String.format(Locale.ROOT, "%.1f", value));
            }
            text(svg, x0 + (g + 0.5) * groupWidth, bottom + 16, "middle", 11, groups.get(g));
        }
        axis(svg, x0, bottom);
    }

    private static void roundTripPanel(final StringBuilder svg, final Results results)
    {
        double low = Double.MAX_VALUE;
        double high = 0;
        for (final Transport transport : Transport.values())
        {
            for (final Results.Percentile percentile : Results.Percentile.values())
            {
                final double value = results.roundTrip(transport, percentile);
                low = Math.min(low, Math.max(1, value));
                high = Math.max(high, value);
            }
        }
        final double lowDecade = Math.floor(Math.log10(low));
        // Room above the tallest bar for its label: a third of a decade at least.
        final double highDecade = Math.max(lowDecade + 1, Math.ceil(Math.log10(high) + 0.35));
        final int x0 = RIGHT_PANEL_X;
        final double bottom = PLOT_TOP + PLOT_HEIGHT;
        text(svg, x0 + PANEL_WIDTH / 2.0, PLOT_TOP - 8, "middle", 12,
            "Round trip, one message in flight (ns, log scale, lower is better)");
        for (double decade = lowDecade; decade <= highDecade; decade++)
        {
            final double y = bottom - PLOT_HEIGHT * (decade - lowDecade) / (highDecade - lowDecade);
            gridLine(svg, x0, y);
            text(svg, x0 - 6, y + 4, "end", 10, String.format(Locale.ROOT, "%,.0f", Math.pow(10, decade)));
        }
        final Results.Percentile[] percentiles = Results.Percentile.values();
        final double groupWidth = (double)PANEL_WIDTH / percentiles.length;
        final Transport[] transports = Transport.values();
        final double barWidth = groupWidth * 0.8 / transports.length;
        for (int g = 0; g < percentiles.length; g++)
        {
            final double groupX = x0 + g * groupWidth + groupWidth * 0.1;
            for (int i = 0; i < transports.length; i++)
            {
                final double value = results.roundTrip(transports[i], percentiles[g]);
                final double height = PLOT_HEIGHT * (Math.log10(Math.max(value, 1)) - lowDecade) /
                    (highDecade - lowDecade);
                bar(svg, groupX + i * barWidth, bottom - height, barWidth, Math.max(0, height), COLOURS[i],
                    shortNanos(value));
            }
            text(svg, x0 + (g + 0.5) * groupWidth, bottom + 16, "middle", 11, percentiles[g].label);
        }
        axis(svg, x0, bottom);
    }

    private static String shortNanos(final double nanos)
    {
        if (nanos >= 1e6)
        {
            return String.format(Locale.ROOT, "%.1fms", nanos / 1e6);
        }
        if (nanos >= 1e4)
        {
            return String.format(Locale.ROOT, "%.0fµs", nanos / 1e3);
        }
        return String.format(Locale.ROOT, "%.0f", nanos);
    }

    /** @return 1, 2 or 5 times a power of ten, at least {@code value}. */
    private static double niceCeiling(final double value)
    {
        if (value <= 0)
        {
            return 1;
        }
        final double decade = Math.pow(10, Math.floor(Math.log10(value)));
        for (final double step : new double[] {1, 2, 5, 10})
        {
            if (step * decade >= value)
            {
                return step * decade;
            }
        }
        return 10 * decade;
    }

    private static void bar(final StringBuilder svg, final double x, final double y, final double width,
        final double height, final String colour, final String label)
    {
        svg.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" " +
            "fill=\"%s\"><title>%s</title></rect>%n", x, y, width * 0.9, height, colour, escape(label)));
        svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"start\" font-size=\"8\" " +
            "transform=\"rotate(-90 %.1f %.1f)\">%s</text>%n", x + width * 0.45 + 3, y - 2, x + width * 0.45 + 3,
            y - 2, escape(label)));
    }

    private static void gridLine(final StringBuilder svg, final double x0, final double y)
    {
        svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>%n",
            (int)x0, y, (int)x0 + PANEL_WIDTH, y));
    }

    private static void axis(final StringBuilder svg, final double x0, final double bottom)
    {
        svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%.1f\" stroke=\"#333\"/>%n",
            (int)x0, PLOT_TOP, (int)x0, bottom));
        svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#333\"/>%n",
            (int)x0, bottom, (int)x0 + PANEL_WIDTH, bottom));
    }

    private static void text(final StringBuilder svg, final double x, final double y, final String anchor,
        final int size, final String text)
    {
        svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\">%s" +
            "</text>%n", x, y, anchor, size, text));
    }

    private static String escape(final String text)
    {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
