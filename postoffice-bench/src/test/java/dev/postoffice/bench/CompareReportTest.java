package dev.postoffice.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CompareReportTest {
    @TempDir
    Path results;

    private static Map<String, Object> doc(String scenario, String server, double sessionsPerS, double mbPerS,
            double p99, long errors) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("label", server);
        d.put("scenario", scenario);
        d.put("config", Map.of("concurrency", 32L));
        d.put("rates", Map.of("sessions_per_s", sessionsPerS, "commands_per_s", sessionsPerS * 4, "mb_per_s", mbPerS));
        d.put("latency_ms", Map.of("STAT", Map.of("p50", p99 / 2, "p99", p99), "PASS", Map.of("p99", p99),
                "login-to-stat", Map.of("p50", p99, "p99", p99)));
        d.put("errors", Map.of("total", errors));
        d.put("environment", Map.of("loadavg_at_start", "2.50 1.00 0.50"));
        return d;
    }

    private void write(String name, Object doc) throws Exception {
        Path f = results.resolve(name);
        Files.createDirectories(f.getParent());
        Files.writeString(f, Json.write(doc));
    }

    @Test
    void mediansRatiosAndTargets() throws Exception {
        double[] po = {900, 1000, 5000}; // the median ignores the outlier
        for (int r = 0; r < 3; r++) {
            write("runs/login-postoffice-r" + r + ".json", doc("login", "postoffice", po[r], 0.1, 3, r == 0 ? 1 : 0));
            write("runs/login-dovecot-r" + r + ".json", doc("login", "dovecot", 300, 0.1, 4, 0));
            write("runs/login-ceiling-r" + r + ".json", doc("login", "ceiling", 2000, 0.1, 1, 0));
            write("runs/download-postoffice-r" + r + ".json", doc("download", "postoffice", 10, 300, 3, 0));
            write("runs/download-dovecot-r" + r + ".json", doc("download", "dovecot", 10, 200, 3, 0));
            write("runs/download-ceiling-r" + r + ".json", doc("download", "ceiling", 10, 600, 3, 0));
            write("runs/stat-postoffice-r" + r + ".json", doc("stat", "postoffice", 0, 0, 2.5, 0));
        }
        Map<String, Object> idle = doc("idle", "postoffice", 0, 0, 1, 0);
        idle.put("hold", Map.of("target", 10_000L, "up_at_end", 10_000L));
        write("targets/idle.json", idle);
        write("targets/heap.json", Map.of("heap_used_after_gc_mb", 180L, "heap_max_mb", 512L));
        write("targets/many.json", doc("login", "postoffice", 50, 0, 140, 0));

        Map<String, Object> s = CompareReport.summarise(results, Map.of("machine", "test"));
        assertThat(s.get("rounds")).isEqualTo(3);
        assertThat(s.get("max_loadavg_at_run_start")).isEqualTo(2.5);
        assertThat(s.get("other_work_cpu_share")).isNull();
        Object login = row(s, "login", "sessions/s");
        assertThat(Json.num(login, "median", "postoffice")).isEqualTo(1000);
        assertThat(Json.num(login, "median", "dovecot")).isEqualTo(300);
        assertThat(Json.num(login, "postoffice_vs_dovecot")).isCloseTo(3.333, within(0.001));
        assertThat(Json.num(login, "postoffice_vs_ceiling")).isEqualTo(0.5);
        assertThat(Json.num(login, "errors", "postoffice")).isEqualTo(1);

        Map<String, Boolean> met = new LinkedHashMap<>();
        for (Object t : (List<?>) s.get("targets")) {
            met.put(String.valueOf(Json.at(t, "target")), (Boolean) Json.at(t, "met"));
        }
        assertThat(met).containsEntry("login sessions/s >= 3x Dovecot (fast mode)", true)
                .containsEntry("login sessions/s >= 60% of ceiling", false)
                .containsEntry("download MB/s >= 2x Dovecot", false)
                .containsEntry("download MB/s >= 60% of ceiling", false)
                .containsEntry("STAT p99 < 5 ms at 32 concurrent sessions", true)
                .containsEntry("10000 concurrent idle sessions, no failures", true)
                .containsEntry("heap < 512 MB while holding the idle sessions", true)
                .containsEntry("10,000-message maildrop: login to STAT reply < 100 ms (p99, warm)", false);

        String md = CompareReport.markdown(s);
        assertThat(md).contains("- machine: test", "| login | 32 | sessions/s | 1,000 | 300 | 2,000 | 3.33x | 0.50x | 1/0/0 |",
                "| download MB/s >= 2x Dovecot | 1.50 x | **no** |");
    }

    @Test
    void cpuSidecarsGiveCpuPerSessionAndTheShareOfOtherWork() throws Exception {
        Map<String, Object> login = doc("login", "postoffice", 100, 0.1, 3, 0);
        login.put("timeline", List.of(Map.of("t", 1.0, "sessions", 300L), Map.of("t", 2.0, "sessions", 200L)));
        write("runs/login-postoffice-r1.json", login);
        // 1.5 s of server CPU for 500 sessions; 4 s busy on 2 cores over 4 s: 1 s by others, 1/8 of the machine
        write("cpu/runs-login-postoffice-r1.json", Map.of("server_cpu_s", 1.5, "generator_cpu_s", 1.5,
                "machine_busy_s", 4.0, "cores", 2L, "wall_s", 4.0));
        Map<String, Object> s = CompareReport.summarise(results, Map.of());
        assertThat(Json.num(row(s, "login", "server CPU ms per session"), "median", "postoffice")).isEqualTo(3.0);
        assertThat(Json.num(s, "other_work_cpu_share", "max")).isEqualTo(0.125);
        assertThat(CompareReport.markdown(s)).contains("at most 13 % of the machine");
    }

    @Test
    void theCommandWritesMarkdownJsonAndAChart() throws Exception {
        write("runs/login-postoffice-r1.json", doc("login", "postoffice", 100, 0.1, 3, 0));
        write("runs/login-dovecot-r1.json", doc("login", "dovecot", 50, 0.1, 3, 0));
        int exit = new CommandLine(new CompareReport()).execute("--results", results.toString(), "--env", "jdk=25");
        assertThat(exit).isZero();
        assertThat(Files.readString(results.resolve("summary.md"))).contains("2.00x");
        assertThat(Json.at(Json.parse(Files.readString(results.resolve("summary.json"))), "environment", "jdk")).isEqualTo("25");
        assertThat(Files.size(results.resolve("summary.png"))).isPositive();
    }

    private static Object row(Map<String, Object> summary, String scenario, String metric) {
        for (Object r : (List<?>) summary.get("rows")) {
            if (scenario.equals(Json.at(r, "scenario")) && metric.equals(Json.at(r, "metric"))) {
                return r;
            }
        }
        throw new AssertionError("no row " + scenario + " " + metric);
    }
}
