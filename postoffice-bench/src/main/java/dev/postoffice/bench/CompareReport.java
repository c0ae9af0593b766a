package dev.postoffice.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.function.ToDoubleFunction;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Summarises a side-by-side run of {@code bench/compare.sh}: reads every report document in
 * {@code RESULTS/runs/} (one per scenario, server and round; the server is the report's label), takes the
 * median of each figure over the rounds, computes the ratios Postoffice/Dovecot and Postoffice/ceiling,
 * checks the performance targets (with the Postoffice-only runs in {@code RESULTS/targets/}) and writes
 * {@code summary.md}, {@code summary.json} and {@code summary.png}. The markdown table goes to stdout too.
 */
@Command(name = "compare-report", mixinStandardHelpOptions = true,
        description = "Medians, ratios and targets of a bench/compare.sh run.")
public final class CompareReport implements Callable<Integer> {
    static final String POSTOFFICE = "postoffice";
    static final String DOVECOT = "dovecot";
    static final String CEILING = "ceiling";
    static final List<String> SERVERS = List.of(POSTOFFICE, DOVECOT, CEILING);

    @Option(names = "--results", required = true, paramLabel = "DIR", description = "The run's results directory.")
    Path results;

    @Option(names = "--env", paramLabel = "KEY=VALUE", description = "A fact about the machine or the setup, for the report.")
    Map<String, String> env = new LinkedHashMap<>();

    /** A figure taken from each run of a scenario. */
    record Metric(String scenario, String name, boolean higherIsBetter, ToDoubleFunction<Object> value) {}

    static final List<Metric> METRICS = List.of(
            new Metric("login", "sessions/s", true, d -> Json.num(d, "rates", "sessions_per_s")),
            new Metric("login", "login-to-stat p50 ms", false, d -> Json.num(d, "latency_ms", "login-to-stat", "p50")),
            new Metric("login", "PASS p99 ms", false, d -> Json.num(d, "latency_ms", "PASS", "p99")),
            new Metric("login", "server CPU ms per session", false, d -> 1000 * serverCpuPer(d, "sessions")),
            new Metric("download", "MB/s", true, d -> Json.num(d, "rates", "mb_per_s")),
            new Metric("download", "sessions/s", true, d -> Json.num(d, "rates", "sessions_per_s")),
            new Metric("download", "RETR p99 ms", false, d -> Json.num(d, "latency_ms", "RETR", "p99")),
            new Metric("download", "server CPU s per GB", false, d -> 1000 * serverCpuPer(d, "mb")),
            new Metric("mixed", "sessions/s", true, d -> Json.num(d, "rates", "sessions_per_s")),
            new Metric("mixed", "commands/s", true, d -> Json.num(d, "rates", "commands_per_s")),
            new Metric("mixed", "MB/s", true, d -> Json.num(d, "rates", "mb_per_s")),
            new Metric("mixed", "server CPU ms per session", false, d -> 1000 * serverCpuPer(d, "sessions")),
            new Metric("stat", "STAT p50 ms", false, d -> Json.num(d, "latency_ms", "STAT", "p50")),
            new Metric("stat", "STAT p99 ms", false, d -> Json.num(d, "latency_ms", "STAT", "p99")),
            new Metric("idle", "sessions up at the end", true, d -> Json.num(d, "hold", "up_at_end")),
            new Metric("idle", "NOOP p99 ms", false, d -> Json.num(d, "latency_ms", "NOOP", "p99")));

    public static void main(String[] args) {
        System.exit(new CommandLine(new CompareReport()).execute(args));
    }

    @Override
    public Integer call() throws IOException {
        Map<String, Object> summary = summarise(results, env);
        String md = markdown(summary);
        Files.writeString(results.resolve("summary.md"), md, StandardCharsets.UTF_8);
        Files.writeString(results.resolve("summary.json"), Json.write(summary), StandardCharsets.UTF_8);
        chart(summary, results.resolve("summary.png"));
        System.out.print(md);
        return 0;
    }

    /** Reads the runs and targets of a results directory into the summary document. */
    static Map<String, Object> summarise(Path results, Map<String, String> env) throws IOException {
        // scenario -> server -> list of report documents
        Map<String, Map<String, List<Object>>> runs = new TreeMap<>();
        double busiest = Double.NaN;
        List<Double> otherShares = new ArrayList<>();
        for (Map.Entry<Path, Object> run : readAll(results.resolve("runs")).entrySet()) {
            Object doc = run.getValue();
            // CPU used by the server and the generator during the run, measured by bench/compare.sh
            Object cpu = readIfExists(results.resolve("cpu").resolve("runs-" + run.getKey().getFileName()));
            if (cpu != null && doc instanceof Map<?, ?> m) {
                @SuppressWarnings("unchecked")
                Map<String, Object> d = (Map<String, Object>) m;
                d.put("cpu", cpu);
                double other = otherShare(cpu);
                if (!Double.isNaN(other)) {
                    otherShares.add(other);
                }
            }
            double load = firstNumber(Json.at(doc, "environment", "loadavg_at_start"));
            busiest = Double.isNaN(busiest) || load > busiest ? load : busiest;
            String scenario = String.valueOf(Json.at(doc, "scenario"));
            String server = String.valueOf(Json.at(doc, "label"));
            runs.computeIfAbsent(scenario, k -> new TreeMap<>()).computeIfAbsent(server, k -> new ArrayList<>()).add(doc);
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("generated", Instant.now().toString());
        summary.put("environment", new LinkedHashMap<>(env));
        int rounds = 0;
        List<Object> rows = new ArrayList<>();
        for (Metric m : METRICS) {
            Map<String, List<Object>> byServer = runs.get(m.scenario());
            if (byServer == null) {
                continue;
            }
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("scenario", m.scenario());
            row.put("metric", m.name());
            row.put("higher_is_better", m.higherIsBetter());
            Map<String, Object> medians = new LinkedHashMap<>();
            Map<String, Object> errors = new LinkedHashMap<>();
            for (String server : SERVERS) {
                List<Object> docs = byServer.getOrDefault(server, List.of());
                rounds = Math.max(rounds, docs.size());
                List<Double> values = new ArrayList<>();
                long errorSum = 0;
                for (Object d : docs) {
                    values.add(m.value().applyAsDouble(d));
                    errorSum += (long) Json.num(d, "errors", "total");
                }
                medians.put(server, median(values));
                errors.put(server, docs.isEmpty() ? null : errorSum);
            }
            row.put("median", medians);
            row.put("errors", errors);
            row.put("concurrency", concurrency(byServer));
            row.put("postoffice_vs_dovecot", ratio(medians.get(POSTOFFICE), medians.get(DOVECOT)));
            row.put("postoffice_vs_ceiling", ratio(medians.get(POSTOFFICE), medians.get(CEILING)));
            rows.add(row);
        }
        summary.put("rounds", rounds);
        summary.put("max_loadavg_at_run_start", Double.isNaN(busiest) ? null : busiest);
        if (!otherShares.isEmpty()) {
            Map<String, Object> other = new LinkedHashMap<>();
            other.put("median", median(otherShares));
            other.put("max", Collections.max(otherShares));
            summary.put("other_work_cpu_share", other);
        }
        summary.put("rows", rows);
        summary.put("targets", targets(rows, results.resolve("targets")));
        return summary;
    }

    /**
     * Server CPU seconds per unit of work over the whole run, warm-up included: {@code server_cpu_s} (from
     * the script's sidecar file, merged into the document) over the sum of a timeline field.
     */
    static double serverCpuPer(Object doc, String timelineField) {
        double cpu = Json.num(doc, "cpu", "server_cpu_s");
        double work = 0;
        if (Json.at(doc, "timeline") instanceof List<?> samples) {
            for (Object sample : samples) {
                double v = Json.num(sample, timelineField);
                work += Double.isNaN(v) ? 0 : v;
            }
        }
        return work > 0 ? cpu / work : Double.NaN;
    }

    /**
     * The share of the machine's CPU used during a run by neither the server nor the generator (other work
     * on the machine, the kernel's own threads), from the script's sidecar; NaN if unknown.
     */
    static double otherShare(Object cpu) {
        double busy = Json.num(cpu, "machine_busy_s");
        double server = Json.num(cpu, "server_cpu_s");
        double generator = Json.num(cpu, "generator_cpu_s");
        double capacity = Json.num(cpu, "wall_s") * Json.num(cpu, "cores");
        if (Double.isNaN(busy + server + generator + capacity) || capacity <= 0) {
            return Double.NaN;
        }
        return Math.max(0, busy - server - generator) / capacity;
    }

    /** The 1-minute figure of a "1.23 0.98 0.50" load average, or NaN. */
    static double firstNumber(Object loadavg) {
        if (loadavg instanceof String s && !s.isBlank()) {
            try {
                return Double.parseDouble(s.trim().split(" ")[0]);
            } catch (NumberFormatException e) {
                return Double.NaN;
            }
        }
        return Double.NaN;
    }

    private static Object concurrency(Map<String, List<Object>> byServer) {
        for (List<Object> docs : byServer.values()) {
            if (!docs.isEmpty()) {
                return Json.at(docs.get(0), "config", "concurrency");
            }
        }
        return null;
    }

    private static List<Object> targets(List<Object> rows, Path dir) throws IOException {
        List<Object> targets = new ArrayList<>();
        Object login = find(rows, "login", "sessions/s");
        if (login != null) {
            targets.add(target("login sessions/s >= 3x Dovecot (fast mode)", Json.num(login, "postoffice_vs_dovecot"), ">=", 3, "x"));
            targets.add(target("login sessions/s >= 60% of ceiling", Json.num(login, "postoffice_vs_ceiling"), ">=", 0.6, "x"));
        }
        Object download = find(rows, "download", "MB/s");
        if (download != null) {
            targets.add(target("download MB/s >= 2x Dovecot", Json.num(download, "postoffice_vs_dovecot"), ">=", 2, "x"));
            targets.add(target("download MB/s >= 60% of ceiling", Json.num(download, "postoffice_vs_ceiling"), ">=", 0.6, "x"));
        }
        Object stat = find(rows, "stat", "STAT p99 ms");
        if (stat != null) {
            targets.add(target("STAT p99 < 5 ms at " + Json.at(stat, "concurrency") + " concurrent sessions",
                    Json.num(stat, "median", POSTOFFICE), "<", 5, "ms"));
        }
        Object idle = readIfExists(dir.resolve("idle.json"));
        if (idle != null) {
            double target = Json.num(idle, "hold", "target");
            double up = Json.num(idle, "hold", "up_at_end");
            double failures = Json.num(idle, "errors", "total");
            Map<String, Object> t = target(String.format(Locale.ROOT, "%.0f concurrent idle sessions, no failures", target),
                    up, ">=", target, "sessions up");
            if (failures > 0) {
                t.put("met", false);
            }
            t.put("failures", (long) failures);
            targets.add(t);
        }
        Object heap = readIfExists(dir.resolve("heap.json"));
        if (heap != null) {
            Map<String, Object> t = target("heap < 512 MB while holding the idle sessions",
                    Json.num(heap, "heap_used_after_gc_mb"), "<", 512, "MB after a full GC");
            t.put("heap_max_mb", Json.at(heap, "heap_max_mb"));
            t.put("heap_used_before_gc_mb", Json.at(heap, "heap_used_before_gc_mb"));
            targets.add(t);
        }
        Object many = readIfExists(dir.resolve("many.json"));
        if (many != null) {
            targets.add(target("10,000-message maildrop: login to STAT reply < 100 ms (p99, warm)",
                    Json.num(many, "latency_ms", "login-to-stat", "p99"), "<", 100, "ms"));
        }
        return targets;
    }

    private static Map<String, Object> target(String name, double value, String op, double threshold, String unit) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("target", name);
        t.put("value", Double.isNaN(value) ? null : value);
        t.put("threshold", threshold);
        t.put("unit", unit);
        boolean met = !Double.isNaN(value) && (op.equals(">=") ? value >= threshold : value < threshold);
        t.put("met", met);
        return t;
    }

    private static Object find(List<Object> rows, String scenario, String metric) {
        for (Object r : rows) {
            if (scenario.equals(Json.at(r, "scenario")) && metric.equals(Json.at(r, "metric"))) {
                return r;
            }
        }
        return null;
    }

    static Double median(List<Double> values) {
        List<Double> v = new ArrayList<>();
        for (Double d : values) {
            if (d != null && !d.isNaN()) {
                v.add(d);
            }
        }
        if (v.isEmpty()) {
            return null;
        }
        Collections.sort(v);
        int n = v.size();
        return n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
    }

    private static Double ratio(Object a, Object b) {
        if (a instanceof Double x && b instanceof Double y && y != 0) {
            return x / y;
        }
        return null;
    }

    private static Map<Path, Object> readAll(Path dir) throws IOException {
        Map<Path, Object> docs = new LinkedHashMap<>();
        if (!Files.isDirectory(dir)) {
            return docs;
        }
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*.json")) {
            s.forEach(files::add);
        }
        Collections.sort(files);
        for (Path f : files) {
            docs.put(f, Json.parse(Files.readString(f, StandardCharsets.UTF_8)));
        }
        return docs;
    }

    private static Object readIfExists(Path f) throws IOException {
        return Files.isRegularFile(f) ? Json.parse(Files.readString(f, StandardCharsets.UTF_8)) : null;
    }

    /** The summary as markdown: environment, the medians table, the targets. */
    @SuppressWarnings("unchecked")
    static String markdown(Map<String, Object> summary) {
        StringBuilder b = new StringBuilder();
        Map<String, Object> env = (Map<String, Object>) summary.get("environment");
        if (env != null && !env.isEmpty()) {
            for (Map.Entry<String, Object> e : env.entrySet()) {
                b.append("- ").append(e.getKey()).append(": ").append(e.getValue()).append('\n');
            }
            b.append('\n');
        }
        b.append("Medians of ").append(summary.get("rounds")).append(" round(s).");
        if (summary.get("other_work_cpu_share") instanceof Map<?, ?> other) {
            b.append(String.format(Locale.ROOT, " CPU used during a run by processes other than the server and the "
                    + "generator: median %.0f %%, at most %.0f %% of the machine.",
                    100 * Json.num(other, "median"), 100 * Json.num(other, "max")));
        }
        b.append("\n\n");
        b.append("| scenario | clients | metric | Postoffice | Dovecot | ceiling | Postoffice/Dovecot | Postoffice/ceiling | errors P/D/C |\n");
        b.append("|---|---:|---|---:|---:|---:|---:|---:|---|\n");
        for (Object r : (List<Object>) summary.get("rows")) {
            Map<String, Object> row = (Map<String, Object>) r;
            Map<String, Object> med = (Map<String, Object>) row.get("median");
            Map<String, Object> err = (Map<String, Object>) row.get("errors");
            b.append("| ").append(row.get("scenario")).append(" | ").append(row.get("concurrency")).append(" | ")
                    .append(row.get("metric")).append(Boolean.TRUE.equals(row.get("higher_is_better")) ? "" : " (lower is better)")
                    .append(" | ").append(num(med.get(POSTOFFICE))).append(" | ").append(num(med.get(DOVECOT)))
                    .append(" | ").append(num(med.get(CEILING))).append(" | ").append(ratioText(row.get("postoffice_vs_dovecot")))
                    .append(" | ").append(ratioText(row.get("postoffice_vs_ceiling"))).append(" | ")
                    .append(text(err.get(POSTOFFICE))).append('/').append(text(err.get(DOVECOT))).append('/')
                    .append(text(err.get(CEILING))).append(" |\n");
        }
        List<Object> targets = (List<Object>) summary.get("targets");
        if (targets != null && !targets.isEmpty()) {
            b.append("\n| target | measured | met |\n|---|---:|---|\n");
            for (Object t : targets) {
                Map<String, Object> x = (Map<String, Object>) t;
                b.append("| ").append(x.get("target")).append(" | ").append(num(x.get("value"))).append(' ')
                        .append(x.get("unit")).append(x.containsKey("failures") ? ", " + x.get("failures") + " failures" : "")
                        .append(" | ").append(Boolean.TRUE.equals(x.get("met")) ? "yes" : "**no**").append(" |\n");
            }
        }
        return b.toString();
    }

    private static String text(Object o) {
        return o == null ? "-" : String.valueOf(o);
    }

    private static String ratioText(Object o) {
        return o instanceof Number n ? String.format(Locale.ROOT, "%.2fx", n.doubleValue()) : "-";
    }

    static String num(Object o) {
        if (!(o instanceof Number n)) {
            return "-";
        }
        double v = n.doubleValue();
        if (Math.abs(v) >= 100) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        if (Math.abs(v) >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        return String.format(Locale.ROOT, "%.2f", v);
    }

    /** One bar chart per headline figure: the three servers side by side. */
    @SuppressWarnings("unchecked")
    static void chart(Map<String, Object> summary, Path png) throws IOException {
        List<Chart<?, ?>> charts = new ArrayList<>();
        for (Object r : (List<Object>) summary.get("rows")) {
            Map<String, Object> row = (Map<String, Object>) r;
            Map<String, Object> med = (Map<String, Object>) row.get("median");
            List<String> names = new ArrayList<>();
            List<Double> values = new ArrayList<>();
            for (String s : SERVERS) {
                if (med.get(s) instanceof Double d) {
                    names.add(s);
                    values.add(d);
                }
            }
            if (names.isEmpty()) {
                continue;
            }
            CategoryChart c = new CategoryChartBuilder().width(1100).height(260)
                    .title(row.get("scenario") + ": " + row.get("metric")
                            + (Boolean.TRUE.equals(row.get("higher_is_better")) ? " (higher is better)" : " (lower is better)"))
                    .build();
            Charts.style(c.getStyler());
            c.getStyler().setLegendVisible(false);
            c.getStyler().setLabelsVisible(true);
            c.addSeries(String.valueOf(row.get("metric")), names, values);
            charts.add(c);
        }
        if (!charts.isEmpty()) {
            Charts.write(charts, png);
        }
    }
}
