package dev.postoffice.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The crash matrix of issue 13: a real {@code postoffice fetch} in a child JVM kills itself with SIGKILL at one
 * step (POSTOFFICE_FETCH_HALT), then a second run completes. Every message must then be in the Maildir exactly
 * once, byte for byte, and the server must hold none of them (delete mode) or all of them (keep mode).
 */
class FetchCrashTest {
    private static final int MESSAGES = 10;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} at {1}")
    @CsvSource({
        "delete, retr:1", "delete, retr:4", "delete, file-written:1", "delete, file-written:5",
        "delete, committed:2", "delete, delivered:1", "delete, delivered:4", "delete, delivered:10", "delete, journal:1", "delete, journal:2",
        "delete, dele:1", "delete, quit:1",
        "keep, retr:3", "keep, file-written:2", "keep, delivered:4", "keep, journal:1", "keep, quit:1",
    })
    void everyMessageExactlyOnceAfterAKillAndARerun(String mode, String step) throws Exception {
        try (FetchServer server = new FetchServer(dir.resolve("server")).user("alice", "secret")) {
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < MESSAGES; i++) {
                String body = "Subject: message " + i + "\r\n\r\n" + (i % 3 == 0 ? ".dotted line\r\n" : "")
                        + "caf\u00e9 ".repeat(i * 500) + "\r\nend " + i + "\r\n";
                server.deliver("alice", body.getBytes(StandardCharsets.UTF_8));
                expected.add(body.replace("\r\n", "\n"));
            }
            Path maildir = dir.resolve("Mail");
            List<String> args = new ArrayList<>(List.of("fetch", server.url("alice"), "--maildir", maildir.toString(),
                    "--state", dir.resolve("alice.state").toString(), "--batch", "3")); // journal batches inside the run
            if (mode.equals("keep")) {
                args.add("--keep");
            }
            Result killed = run(args, step);
            assertThat(killed.exit).as("killed run: " + killed.stderr).isEqualTo(137);
            assertThat(killed.stderr).contains("killing myself at " + step.substring(0, step.indexOf(':')));

            Result rerun = run(args, null);
            assertThat(rerun.exit).as("rerun: " + rerun.stderr).isIn(0, 1);
            assertThat(delivered(maildir)).containsExactlyInAnyOrderElementsOf(expected);
            assertThat(server.stored("alice")).isEqualTo(mode.equals("keep") ? MESSAGES : 0);

            Result third = run(args, null);
            assertThat(third.exit).as("third run: " + third.stderr).isEqualTo(1); // nothing new
            assertThat(delivered(maildir)).hasSize(MESSAGES);
        }
    }

    private static List<String> delivered(Path maildir) throws IOException {
        List<String> out = new ArrayList<>();
        for (String sub : new String[] {"new", "cur"}) {
            try (Stream<Path> s = Files.list(maildir.resolve(sub))) {
                for (Path p : s.toList()) {
                    out.add(Files.readString(p, StandardCharsets.UTF_8));
                }
            }
        }
        return out;
    }

    private record Result(int exit, String stderr) {}

    private Result run(List<String> args, String halt) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("java.class.path"), "dev.postoffice.app.Main"));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        Map<String, String> env = pb.environment();
        env.put("POSTOFFICE_PASSWORD", "secret");
        env.remove("POSTOFFICE_FETCH_HALT");
        if (halt != null) {
            env.put("POSTOFFICE_FETCH_HALT", halt);
        }
        Path err = Files.createTempFile(dir, "stderr", ".txt");
        pb.redirectError(err.toFile());
        Process p = pb.start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("fetch did not finish: " + Files.readString(err));
        }
        return new Result(p.exitValue(), Files.readString(err));
    }
}
