package dev.postoffice.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.postoffice.auth.PasswordSchemes;
import dev.postoffice.server.tls.TlsManager;
import dev.postoffice.server.tls.TlsSettings;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code postoffice doctor} finds each seeded fault, with its line number and a fix, and passes a sound setup. */
class DoctorTest {
    @TempDir
    Path dir;

    private record Run(int code, String out) {}

    private static Run doctor(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            String[] all = new String[args.length + 1];
            all[0] = "doctor";
            System.arraycopy(args, 0, all, 1, args.length);
            int code = Main.run(all);
            // the tests' logging writes to System.out too (the command line sends it to stderr): leave it out
            StringBuilder out = new StringBuilder();
            buf.toString(StandardCharsets.UTF_8).lines().filter(l -> !l.matches("\\d{4}-\\d\\d-\\d\\dT.*"))
                    .forEach(l -> out.append(l).append('\n'));
            return new Run(code, out.toString());
        } finally {
            System.setOut(old);
        }
    }

    private Path sound() throws Exception {
        Path data = dir.resolve("data");
        new DataDir(data).create();
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwx------"));
        new DataDir(data).users().add("alice", PasswordSchemes.encode("PLAIN", "secret"));
        Files.setPosixFilePermissions(data.resolve("users"), PosixFilePermissions.fromString("rw-------"));
        TlsManager.create(new TlsSettings(Optional.empty(), Optional.empty(), data.resolve("tls"), "localhost",
                Duration.ofSeconds(5)));
        return data;
    }

    @Test
    void aSoundSetupPasses() throws Exception {
        Path data = sound();
        Path conf = dir.resolve("ok.conf");
        Files.writeString(conf, "data = " + data + "\npop3 = 127.0.0.1:0\npop3s = 127.0.0.1:0\nhostname = localhost\n");
        Run r = doctor("--config", conf.toString());
        assertThat(r.out()).isEqualTo("doctor: no problems found\n");
        assertThat(r.code()).isZero();
    }

    @Test
    void eachSeededFaultIsFoundWithAFix() throws Exception {
        Path data = sound();
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path users = data.resolve("users");
        Files.writeString(users, "alice:{PLAIN}secret\nno-password-field\nalice:{PLAIN}other\nbob:{NOPE}xyz\n");
        Files.setPosixFilePermissions(users, PosixFilePermissions.fromString("rw-r--r--"));
        Path elsewhere = Files.createDirectories(dir.resolve("elsewhere/Maildir"));
        Files.createDirectories(data.resolve("home/bob"));
        Files.createSymbolicLink(data.resolve("home/bob/Maildir"), elsewhere);
        try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Path conf = dir.resolve("bad.conf");
            Files.writeString(conf, "# seeded faults\nidle-timout = 15m\nmax-bad-commands = lots\n"
                    + "pop3 = 127.0.0.1:" + busy.getLocalPort() + "\npop3s = off\nhostname = mail.example.org\n");
            Run r = doctor("--config", conf.toString(), "--data", data.toString());
            assertThat(r.code()).isEqualTo(1);
            assertThat(r.out()).contains(conf + ":2: unknown setting 'idle-timout' (did you mean idle-timeout?); fix: ")
                    .contains(conf + ":3: max-bad-commands: not a whole number: 'lots'; fix: ")
                    .contains(data + ": writable by group or others")
                    .contains(users + ": readable or writable by others: it holds password hashes; fix: chmod 600 " + users)
                    .contains(users + ":2: no password field; fix: ")
                    .contains(users + ":3: user alice is defined again (first on line 1); only the first counts; fix: "
                            + "remove the later line")
                    .contains(users + ":4: user bob's password is in no scheme this server can verify; fix: "
                            + "set a new password")
                    .contains(data.resolve("home/bob/Maildir") + ": is a symbolic link (to " + elsewhere + ")")
                    .contains("pop3 127.0.0.1:" + busy.getLocalPort() + ": cannot be bound")
                    .contains(data.resolve("tls/cert.pem") + ": is not valid for the host name mail.example.org; fix: ")
                    .endsWith("doctor: 10 problem(s) found\n");
            assertThat(r.out().lines().filter(l -> !l.startsWith("doctor:")))
                    .allMatch(l -> l.contains("; fix: ")).hasSize(10);
        }
    }
}
