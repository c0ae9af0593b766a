package dev.postoffice.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.postoffice.testkit.RawClient;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A RETR keeps the Maildir's directory handles for the next one; once the session waits for its client, the
 * server's watchdog has them closed, so an idle session holds no descriptor but its socket.
 */
class IdleDescriptorsTest {
    @TempDir
    Path data;
    TestServer server;

    @BeforeEach
    void setUp() throws Exception {
        server = new TestServer(data).user("alice", "secret");
        for (int i = 1; i <= 2; i++) {
            server.store.deliver(dev.postoffice.storage.MailboxRef.of("alice"), dev.postoffice.storage.Envelope.none(),
                    new ByteArrayInputStream(("Subject: " + i + "\n\nbody " + i + "\n").getBytes(StandardCharsets.US_ASCII)));
        }
    }

    @AfterEach
    void tearDown() {
        server.close();
    }

    @Test
    void aSessionWaitingAfterRetrHoldsNoMaildirDirectory() throws Exception {
        assumeThat(Files.isDirectory(Path.of("/proc/self/fd"))).as("Linux /proc").isTrue();
        Path maildir = data.toRealPath().resolve("home/alice/Maildir");
        try (RawClient c = new RawClient(server.port()).login("alice", "secret")) {
            assertThat(c.cmd("RETR 1")).isEqualTo("+OK 22 octets");
            assertThat(new String(c.multilineOctets(), StandardCharsets.US_ASCII)).isEqualTo("Subject: 1\r\n\r\nbody 1\r\n");
            // the watchdog runs once a second; wait (up to a generous bound) until it has released them
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!handlesUnder(maildir).isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(handlesUnder(maildir)).isEmpty();
            // the next RETR opens (and verifies) them again
            assertThat(c.cmd("RETR 2")).isEqualTo("+OK 22 octets");
            assertThat(new String(c.multilineOctets(), StandardCharsets.US_ASCII)).isEqualTo("Subject: 2\r\n\r\nbody 2\r\n");
            assertThat(c.cmd("QUIT")).startsWith("+OK");
        }
    }

    /** This process's descriptors open on the Maildir or anything in it. */
    private static List<String> handlesUnder(Path maildir) throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    Path target = Files.readSymbolicLink(fd);
                    if (target.startsWith(maildir)) {
                        out.add(target.toString());
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        }
        return out;
    }
}
