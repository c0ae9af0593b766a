package dev.postoffice.bench;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns a {@link LoadRunner.Result} into the report document (the JSON tree written by {@code --json} and
 * read by the chart and by {@link CompareReport}) and the human table printed on stdout. Rates are per
 * second of the measured window; MB are 10^6 octets; latencies are milliseconds.
 */
public final class Report {
    /** Percentiles reported for every operation. */
    static final double[] PERCENTILES = {50, 90, 99, 99.9};

    private Report() {}

    /** The report document, as maps and lists in a stable order. */
    public static Map<String, Object> document(LoadRunner.Result r, String label) {
        LoadRunner.Config c = r.config();
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("tool", "postoffice bench");
        doc.put("format", 1);
        doc.put("label", label);
        doc.put("scenario", c.scenario().key());
        doc.put("scenario_description", c.scenario().description());
        Map<String, Object> cfg = new LinkedHashMap<>();
        cfg.put("host", c.address().getHostString());
        cfg.put("port", c.address().getPort());
        cfg.put("concurrency", c.concurrency());
        cfg.put("duration_s", c.duration().toMillis() / 1000.0);
        cfg.put("warmup_s", c.scenario().holdsSessions() ? 0.0 : c.warmup().toMillis() / 1000.0);
        cfg.put("users", r.users());
        if (c.scenario().holdsSessions()) {
            cfg.put("interval_s", c.intervalSeconds());
            cfg.put("ramp_parallel", c.rampParallel());
        }
        cfg.put("max_sessions", c.maxSessions());
        cfg.put("connect_timeout_ms", c.connectTimeoutMillis());
        cfg.put("read_timeout_ms", c.readTimeoutMillis());
        cfg.put("seed", c.seed());
        doc.put("config", cfg);
        doc.put("started", r.started().toString());
        doc.put("measured_s", r.measuredSeconds());

        LoadRunner.Totals t = r.totals();
        Map<String, Object> totals = new LinkedHashMap<>();
        totals.put("sessions", t.sessions());
        totals.put("sessions_failed", t.failed());
        totals.put("commands", t.commands());
        totals.put("bytes_in", t.bytesIn());
        totals.put("bytes_out", t.bytesOut());
        totals.put("messages_retrieved", t.messages());
        totals.put("message_octets", t.messageOctets());
        doc.put("totals", totals);

        double s = r.measuredSeconds() > 0 ? r.measuredSeconds() : Double.NaN;
        Map<String, Object> rates = new LinkedHashMap<>();
        rates.put("sessions_per_s", t.sessions() / s);
        rates.put("commands_per_s", t.commands() / s);
        rates.put("mb_per_s", t.bytesIn() / 1e6 / s);
        rates.put("message_mb_per_s", t.messageOctets() / 1e6 / s);
        doc.put("rates", rates);

        doc.put("latency_ms", latency(r.latency()));
        if (r.rampLatency() != null) {
            doc.put("ramp_latency_ms", latency(r.rampLatency()));
        }

        Map<String, Object> errors = new LinkedHashMap<>();
        long total = 0;
        for (Map.Entry<ErrorKind, Long> e : r.errors().entrySet()) {
            errors.put(e.getKey().key(), e.getValue());
            total += e.getValue();
        }
        errors.put("total", total);
        doc.put("errors", errors);
        doc.put("error_samples", r.errorSamples());

        if (r.hold() != null) {
            LoadRunner.HoldOutcome h = r.hold();
            Map<String, Object> hold = new LinkedHashMap<>();
            hold.put("target", h.target());
            hold.put("established", h.established());
            hold.put("up_at_end", h.upAtEnd());
            hold.put("failed", h.failed());
            hold.put("ramp_s", h.rampSeconds());
            doc.put("hold", hold);
        }

        List<Object> timeline = new ArrayList<>();
        for (LoadRunner.Sample x : r.timeline()) {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("t", x.t());
            p.put("phase", x.phase());
            p.put("sessions", x.sessions());
            p.put("commands", x.commands());
            p.put("mb", x.bytesIn() / 1e6);
            p.put("errors", x.errors());
            p.put("up", x.up());
            timeline.add(p);
        }
        doc.put("timeline", timeline);
        Map<String, Object> env = environment();
        env.put("loadavg_at_start", r.loadAverageAtStart());
        doc.put("environment", env);
        return doc;
    }

    private static Map<String, Object> latency(EnumMap<Op, Histogram> histograms) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Map.Entry<Op, Histogram> e : histograms.entrySet()) {
            Histogram h = e.getValue();
            if (h.count() == 0) {
                continue;
            }
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("count", h.count());
            for (double p : PERCENTILES) {
                x.put(percentileKey(p), ms(h.percentile(p)));
            }
            x.put("max", ms(h.max()));
            x.put("mean", h.mean() / 1e6);
            m.put(e.getKey().label(), x);
        }
        return m;
    }

    static String percentileKey(double p) {
        return p == Math.rint(p) ? "p" + (long) p : "p" + String.valueOf(p).replace(".", "");
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }

    static Map<String, Object> environment() {
        Map<String, Object> env = new LinkedHashMap<>();
        env.put("cores", Runtime.getRuntime().availableProcessors());
        env.put("java", System.getProperty("java.vm.name") + " " + Runtime.version());
        env.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        env.put("generator_max_heap_mb", Runtime.getRuntime().maxMemory() / (1024 * 1024));
        env.put("loadavg_at_end", loadAverage());
        return env;
    }

    /**
     * The 1, 5 and 15 minute load averages (Linux), to tell a run disturbed by other work on the machine;
     * null elsewhere.
     */
    static String loadAverage() {
        try {
            String[] f = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim().split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
    }

    /** The human summary of a report document. */
    @SuppressWarnings("unchecked")
    public static String table(Map<String, Object> doc) {
        StringBuilder b = new StringBuilder();
        Map<String, Object> cfg = (Map<String, Object>) doc.get("config");
        b.append(String.format(Locale.ROOT, "%s: %s against %s:%s, %s %s, %.0f s measured",
                doc.get("label") == null ? "postoffice bench" : doc.get("label"), doc.get("scenario"),
                cfg.get("host"), cfg.get("port"), cfg.get("concurrency"),
                doc.get("hold") != null ? "held sessions" : "clients",
                Json.num(doc, "measured_s")));
        double warmup = Json.num(cfg, "warmup_s");
        if (warmup > 0) {
            b.append(String.format(Locale.ROOT, " after %.0f s warm-up", warmup));
        }
        b.append(String.format(Locale.ROOT, ", %s users%n", cfg.get("users")));
        b.append(String.format(Locale.ROOT, "  sessions  %,12d  %,10.1f/s   failed %d%n",
                (long) Json.num(doc, "totals", "sessions"), Json.num(doc, "rates", "sessions_per_s"),
                (long) Json.num(doc, "totals", "sessions_failed")));
        b.append(String.format(Locale.ROOT, "  commands  %,12d  %,10.1f/s%n",
                (long) Json.num(doc, "totals", "commands"), Json.num(doc, "rates", "commands_per_s")));
        b.append(String.format(Locale.ROOT, "  received  %,12.1f MB %,7.1f MB/s   messages %,d (%,.1f MB)%n",
                Json.num(doc, "totals", "bytes_in") / 1e6, Json.num(doc, "rates", "mb_per_s"),
                (long) Json.num(doc, "totals", "messages_retrieved"), Json.num(doc, "totals", "message_octets") / 1e6));
        if (doc.get("hold") instanceof Map<?, ?> hold) {
            b.append(String.format(Locale.ROOT, "  held      %s of %s up at the end, %s failed, %s logged in (ramp %.1f s)%n",
                    hold.get("up_at_end"), hold.get("target"), hold.get("failed"), hold.get("established"),
                    Json.num(hold, "ramp_s")));
        }
        b.append(latencyTable("latency (ms)", (Map<String, Object>) doc.get("latency_ms")));
        if (doc.get("ramp_latency_ms") instanceof Map<?, ?> ramp && !ramp.isEmpty()) {
            b.append(latencyTable("during the ramp (ms)", (Map<String, Object>) ramp));
        }
        Map<String, Object> errors = (Map<String, Object>) doc.get("errors");
        if (Json.num(errors, "total") == 0) {
            b.append("  errors    none\n");
        } else {
            b.append("  errors   ");
            for (Map.Entry<String, Object> e : errors.entrySet()) {
                if (!e.getKey().equals("total") && ((Number) e.getValue()).longValue() > 0) {
                    b.append(' ').append(e.getKey()).append(' ').append(e.getValue());
                }
            }
            b.append('\n');
            for (Object sample : (List<Object>) doc.get("error_samples")) {
                b.append("    e.g. ").append(sample).append('\n');
            }
        }
        return b.toString();
    }

    private static String latencyTable(String title, Map<String, Object> latency) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "  %-20s %9s %9s %9s %9s %9s %9s%n", title, "count", "p50", "p90",
                "p99", "p99.9", "max"));
        for (Map.Entry<String, Object> e : latency.entrySet()) {
            Object x = e.getValue();
            b.append(String.format(Locale.ROOT, "  %-20s %9d %9s %9s %9s %9s %9s%n", e.getKey(),
                    (long) Json.num(x, "count"), fmt(Json.num(x, "p50")), fmt(Json.num(x, "p90")),
                    fmt(Json.num(x, "p99")), fmt(Json.num(x, "p999")), fmt(Json.num(x, "max"))));
        }
        return b.toString();
    }

    /** Three significant digits, at least down to microseconds. */
    static String fmt(double ms) {
        if (Double.isNaN(ms)) {
            return "-";
        }
        if (ms >= 100) {
            return String.format(Locale.ROOT, "%.0f", ms);
        }
        if (ms >= 10) {
            return String.format(Locale.ROOT, "%.1f", ms);
        }
        if (ms >= 1) {
            return String.format(Locale.ROOT, "%.2f", ms);
        }
        return String.format(Locale.ROOT, "%.3f", ms);
    }
}
