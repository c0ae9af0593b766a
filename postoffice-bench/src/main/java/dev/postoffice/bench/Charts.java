package dev.postoffice.bench;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * PNG charts drawn with XChart from report documents (the same trees {@code --json} writes): for one run,
 * the throughput timeline above the latency percentiles per operation.
 */
public final class Charts {
    private static final int WIDTH = 1100;
    private static final int HEIGHT = 420;

    static {
        System.setProperty("java.awt.headless", "true");
    }

    private Charts() {}

    /** Writes the chart of one run's report document. */
    public static void writeRun(Map<String, Object> doc, Path png) throws IOException {
        String title = (doc.get("label") == null ? "" : doc.get("label") + ": ") + doc.get("scenario") + " against "
                + Json.at(doc, "config", "host") + ":" + Json.at(doc, "config", "port") + ", "
                + Json.at(doc, "config", "concurrency") + (doc.get("hold") != null ? " held sessions" : " clients");
        List<Chart<?, ?>> charts = new ArrayList<>();
        charts.add(timeline(doc, title));
        CategoryChart latency = latency(doc);
        if (latency != null) {
            charts.add(latency);
        }
        write(charts, png);
    }

    private static XYChart timeline(Map<String, Object> doc, String title) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title)
                .xAxisTitle("seconds since start").yAxisTitle("per second").build();
        style(chart.getStyler());
        chart.getStyler().setMarkerSize(0);
        chart.getStyler().setYAxisGroupPosition(1, Styler.YAxisPosition.Right);
        chart.setYAxisGroupTitle(0, "per second");
        chart.setYAxisGroupTitle(1, "MB/s received");
        List<Double> t = new ArrayList<>();
        List<Double> sessions = new ArrayList<>();
        List<Double> commands = new ArrayList<>();
        List<Double> mb = new ArrayList<>();
        List<Double> up = new ArrayList<>();
        double previous = 0;
        if (doc.get("timeline") instanceof List<?> samples) {
            for (Object s : samples) {
                double at = Json.num(s, "t");
                double span = Math.max(at - previous, 1e-3); // the last sample may cover less than a second
                previous = at;
                t.add(at);
                sessions.add(Json.num(s, "sessions") / span);
                commands.add(Json.num(s, "commands") / span);
                mb.add(Json.num(s, "mb") / span);
                up.add(Json.num(s, "up"));
            }
        }
        if (t.isEmpty()) {
            t.add(0.0);
            sessions.add(0.0);
            commands.add(0.0);
            mb.add(0.0);
            up.add(0.0);
        }
        boolean held = doc.get("hold") != null;
        if (held) {
            chart.setYAxisGroupTitle(0, "sessions up, commands per second");
            line(chart.addSeries("sessions up", t, up));
        } else {
            line(chart.addSeries("sessions/s", t, sessions));
        }
        line(chart.addSeries("commands/s", t, commands));
        XYSeries rate = chart.addSeries("MB/s", t, mb);
        rate.setYAxisGroup(1);
        line(rate);
        return chart;
    }

    private static CategoryChart latency(Map<String, Object> doc) {
        if (!(doc.get("latency_ms") instanceof Map<?, ?> latency) || latency.isEmpty()) {
            return null;
        }
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT)
                .title("latency per operation (ms, log scale) in the measured window")
                .xAxisTitle("operation").yAxisTitle("ms").build();
        style(chart.getStyler());
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setOverlapped(false);
        List<String> ops = new ArrayList<>();
        for (Object k : latency.keySet()) {
            ops.add(String.valueOf(k));
        }
        double smallest = Double.MAX_VALUE;
        for (String p : List.of("p50", "p90", "p99", "max")) {
            List<Double> values = new ArrayList<>();
            for (String op : ops) {
                double v = Json.num(latency.get(op), p);
                v = Double.isNaN(v) ? 1e-3 : Math.max(v, 1e-3); // a log axis cannot show 0
                smallest = Math.min(smallest, v);
                values.add(v);
            }
            chart.addSeries(p, ops, values);
        }
        // Bars start at the axis minimum, which must be above 0 on a log axis: the decade below the smallest.
        chart.getStyler().setYAxisMin(Math.pow(10, Math.floor(Math.log10(smallest))));
        return chart;
    }

    static void style(Styler s) {
        s.setChartBackgroundColor(Color.WHITE);
        s.setLegendPosition(Styler.LegendPosition.InsideNW);
        s.setAntiAlias(true);
    }

    private static void line(XYSeries s) {
        s.setMarker(SeriesMarkers.NONE);
        s.setLineWidth(1.5f);
    }

    /** Paints the charts one below the other into one PNG. */
    static void write(List<Chart<?, ?>> charts, Path png) throws IOException {
        int height = 0;
        int width = 0;
        for (Chart<?, ?> c : charts) {
            height += c.getHeight();
            width = Math.max(width, c.getWidth());
        }
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            int y = 0;
            for (Chart<?, ?> c : charts) {
                Graphics2D cell = (Graphics2D) g.create(0, y, c.getWidth(), c.getHeight());
                try {
                    c.paint(cell, c.getWidth(), c.getHeight());
                } finally {
                    cell.dispose();
                }
                y += c.getHeight();
            }
        } finally {
            g.dispose();
        }
        Path parent = png.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        if (!ImageIO.write(image, "png", png.toFile())) {
            throw new IOException("no PNG writer in this JRE");
        }
    }
}
