package dev.postoffice.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fetcher against a real Postoffice server over sockets, into a real Maildir. */
class FetchTest {
    @TempDir
    Path dir;
    ServerFixture server;
    Path maildir;
    Path state;

    static final String[] MESSAGES = {
        "Subject: one\r\n\r\nplain body\r\n",
        "Subject: dots\r\n\r\n.starts with a dot\r\n..two dots\r\n.\r\nend\r\n",
        "Subject: =?UTF-8?B?w6k=?=\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nGrüße, 日本語, \u00e9\r\n",
        "Subject: bare lf\n\nunix line ends\nsecond\n",
        "Subject: no final newline\r\n\r\nlast line",
    };

    @BeforeEach
    void start() throws Exception {
        server = new ServerFixture(dir.resolve("server")).user("alice", "secret");
        for (String m : MESSAGES) {
            server.deliver("alice", m.getBytes(StandardCharsets.UTF_8));
        }
        maildir = dir.resolve("Mail");
        state = dir.resolve("state/alice.state");
    }

    @AfterEach
    void stop() {
        server.close();
    }

    FetchResult fetch(PopUrl url, ConnectOptions co, FetchOptions o, Clock clock) throws Exception {
        try (MaildirTarget t = new MaildirTarget(maildir, true)) {
            return new Fetcher(url, co, o, clock).fetch(t, state, () -> "secret", null);
        }
    }

    FetchResult fetch(FetchOptions o) throws Exception {
        return fetch(server.url("alice"), ConnectOptions.DEFAULT, o, Clock.systemUTC());
    }

    List<String> delivered() throws IOException {
        List<String> out = new ArrayList<>();
        for (String sub : new String[] {"new", "cur"}) {
            try (Stream<Path> s = Files.list(maildir.resolve(sub))) {
                for (Path p : s.sorted().toList()) {
                    out.add(Files.readString(p, StandardCharsets.UTF_8));
                }
            }
        }
        return out;
    }

    /** What each message must look like in the Maildir: LF line ends, a final line end, no byte-stuffing. */
    static List<String> expected() {
        List<String> out = new ArrayList<>();
        for (String m : MESSAGES) {
            String lf = m.replace("\r\n", "\n");
            out.add(lf.endsWith("\n") ? lf : lf + "\n");
        }
        return out;
    }

    @Test
    void deleteModeDeliversEveryMessageOnceAndEmptiesTheServer() throws Exception {
        FetchResult r = fetch(FetchOptions.DELETE);
        assertThat(r.fetched()).isEqualTo(5);
        assertThat(r.deleted()).isEqualTo(5);
        assertThat(r.login()).isEqualTo("SCRAM-SHA-256");
        assertThat(delivered()).containsExactlyInAnyOrderElementsOf(expected());
        assertThat(server.stored("alice")).isZero();
        assertThat(Files.list(maildir.resolve("tmp")).count()).isZero();
        FetchResult again = fetch(FetchOptions.DELETE);
        assertThat(again.fetched()).isZero();
        assertThat(again.anythingNew()).isFalse();
        assertThat(Files.readString(state)).isEqualTo(StateJournal.HEADER + "\n"); // compacted: nothing on the server
    }

    @Test
    void keepModeDownloadsEachMessageOnlyOnceAndLeavesThemOnTheServer() throws Exception {
        assertThat(fetch(FetchOptions.KEEP).fetched()).isEqualTo(5);
        assertThat(server.stored("alice")).isEqualTo(5);
        assertThat(fetch(FetchOptions.KEEP).fetched()).isZero();
        server.deliver("alice", "Subject: six\r\n\r\nnew\r\n".getBytes(StandardCharsets.UTF_8));
        FetchResult r = fetch(FetchOptions.KEEP);
        assertThat(r.fetched()).isEqualTo(1);
        assertThat(r.deleted()).isZero();
        assertThat(delivered()).hasSize(6);
        assertThat(server.stored("alice")).isEqualTo(6);
    }

    @Test
    void keepForDeletesOnlyWhatWasKeptLongEnough() throws Exception {
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        FetchOptions keep7d = new FetchOptions(true, Duration.ofDays(7), false, OptionalLong.empty(), 64);
        fetch(server.url("alice"), ConnectOptions.DEFAULT, keep7d, Clock.fixed(t0, ZoneOffset.UTC));
        FetchResult sixDays = fetch(server.url("alice"), ConnectOptions.DEFAULT, keep7d,
                Clock.fixed(t0.plus(Duration.ofDays(6)), ZoneOffset.UTC));
        assertThat(sixDays.deleted()).isZero();
        assertThat(server.stored("alice")).isEqualTo(5);
        FetchResult eightDays = fetch(server.url("alice"), ConnectOptions.DEFAULT, keep7d,
                Clock.fixed(t0.plus(Duration.ofDays(8)), ZoneOffset.UTC));
        assertThat(eightDays.deleted()).isEqualTo(5);
        assertThat(eightDays.fetched()).isZero();
        assertThat(server.stored("alice")).isZero();
        assertThat(delivered()).hasSize(5);
    }

    @Test
    void allIgnoresTheStateButStillKeepsOneCopyPerMessage() throws Exception {
        fetch(FetchOptions.KEEP);
        FetchResult r = fetch(new FetchOptions(true, null, true, OptionalLong.empty(), 64));
        assertThat(r.fetched()).isEqualTo(5);
        assertThat(delivered()).hasSize(5);
    }

    @Test
    void aCopyAlreadyInPlaceAfterACrashBeforeTheJournalIsNotDeliveredAgain() throws Exception {
        fetch(FetchOptions.KEEP);
        Files.delete(state); // as if the journal write never happened
        Path one;
        try (Stream<Path> s = Files.list(maildir.resolve("new"))) {
            one = s.findFirst().orElseThrow();
        }
        Files.move(one, maildir.resolve("cur").resolve(one.getFileName() + ":2,S")); // a mail reader saw it
        FetchResult r = fetch(FetchOptions.DELETE);
        assertThat(r.fetched()).isZero();
        assertThat(r.recovered()).isEqualTo(5);
        assertThat(r.deleted()).isEqualTo(5);
        assertThat(delivered()).containsExactlyInAnyOrderElementsOf(expected());
        assertThat(server.stored("alice")).isZero();
    }

    @Test
    void maxSizeLeavesLargeMessagesOnTheServerWithOneNoteEachUntilTheLimitIsRaised() throws Exception {
        String big = "From: Bob <bob@example.org>\r\nSubject: the holiday\r\n photos\r\nDate: Tue, 1 Dec 2026 10:00:00 +0000\r\n"
                + "\r\n" + "x".repeat(10_000) + "\r\n";
        server.deliver("alice", big.getBytes(StandardCharsets.UTF_8));
        FetchOptions limited = new FetchOptions(false, null, false, OptionalLong.of(5000), 64);
        FetchResult r = fetch(limited);
        assertThat(r.fetched()).isEqualTo(5);
        assertThat(r.tooLarge()).isEqualTo(1);
        assertThat(r.noted()).isEqualTo(1);
        assertThat(r.deleted()).isEqualTo(5);
        assertThat(server.stored("alice")).isEqualTo(1); // left there, not deleted
        List<String> notes = delivered().stream().filter(m -> m.contains(TooLargeNote.HEADER + ": ")).toList();
        assertThat(notes).singleElement().asString()
                .contains("Subject: [left on the server: 9.9 KB] the holiday photos\n")
                .contains("  From:    Bob <bob@example.org>\n")
                .contains("  Date:    Tue, 1 Dec 2026 10:00:00 +0000\n")
                .contains("(--max-size 10k, or max-size = 10k in the accounts file)")
                .doesNotContain("xxxx").doesNotContain("\r");
        assertThat(Files.readString(state)).containsPattern("(?m)^N \\d+ \\S+$");

        FetchResult again = fetch(limited); // remembered: not noted again, still not deleted
        assertThat(again.tooLarge()).isEqualTo(1);
        assertThat(again.noted()).isZero();
        assertThat(again.anythingNew()).isFalse();
        assertThat(delivered()).hasSize(6);
        assertThat(server.stored("alice")).isEqualTo(1);

        Files.writeString(state, StateJournal.HEADER + "\n"); // a crash after the note, before its journal line
        assertThat(fetch(limited).noted()).isZero();
        assertThat(delivered()).hasSize(6);

        FetchResult raised = fetch(FetchOptions.DELETE); // no limit: downloaded once like any other message
        assertThat(raised.fetched()).isEqualTo(1);
        assertThat(raised.tooLarge()).isZero();
        assertThat(delivered()).hasSize(7).contains(big.replace("\r\n", "\n"));
        assertThat(server.stored("alice")).isZero();
        assertThat(Files.readString(state)).isEqualTo(StateJournal.HEADER + "\n"); // the note forgotten with it
    }

    @Test
    void aNoteWithoutHeadersWhenTheServerRefusesTop() {
        byte[] note = TooLargeNote.build(PopUrl.parse("pop3s://alice@mail.example.org/"), "u1", 3 * 1024 * 1024 + 1,
                1024 * 1024, null, java.time.ZonedDateTime.parse("2026-12-03T03:00:00Z"), false);
        assertThat(new String(note, StandardCharsets.UTF_8))
                .startsWith("From: postoffice fetch <MAILER-DAEMON@localhost>\r\n")
                .contains("Subject: [left on the server: 3.0 MB] (no subject)\r\n")
                .contains("Date: Thu, 3 Dec 2026 03:00:00 GMT\r\n")
                .contains("the server would not send the message's headers")
                .contains("--max-size 4M");
    }

    @Test
    void smallBatchesGiveTheSameResult() throws Exception {
        FetchResult r = fetch(new FetchOptions(false, null, false, OptionalLong.empty(), 1));
        assertThat(r.fetched()).isEqualTo(5);
        assertThat(delivered()).containsExactlyInAnyOrderElementsOf(expected());
    }

    @Test
    void implicitTlsWithAPinnedFingerprint() throws Exception {
        X509Certificate cert;
        try (InputStream in = Files.newInputStream(server.certificate())) {
            cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        TlsOptions pinned = new TlsOptions(Optional.empty(), Optional.of(TlsOptions.fingerprintOf(cert)));
        FetchResult r = fetch(server.tlsUrl("alice"), new ConnectOptions(pinned, false, false, Duration.ofSeconds(10)),
                FetchOptions.DELETE, Clock.systemUTC());
        assertThat(r.fetched()).isEqualTo(5);
        TlsOptions wrong = new TlsOptions(Optional.empty(), Optional.of("00".repeat(32)));
        server.deliver("alice", "Subject: x\r\n\r\ny\r\n".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> fetch(server.tlsUrl("alice"), new ConnectOptions(wrong, false, false, Duration.ofSeconds(10)),
                FetchOptions.DELETE, Clock.systemUTC()))
                .isInstanceOf(FetchException.class).hasMessageContaining("fingerprint")
                .matches(e -> !((FetchException) e).temporary());
    }

    @Test
    void stlsWithTheServerCertificateAsCaAndHostnameVerification() throws Exception {
        TlsOptions ca = new TlsOptions(Optional.of(server.certificate()), Optional.empty());
        FetchResult r = fetch(server.url("alice"), new ConnectOptions(ca, true, false, Duration.ofSeconds(10)),
                FetchOptions.KEEP, Clock.systemUTC());
        assertThat(r.fetched()).isEqualTo(5);
        assertThatThrownBy(() -> fetch(server.url("alice"), new ConnectOptions(TlsOptions.DEFAULT, true, false,
                Duration.ofSeconds(10)), FetchOptions.KEEP, Clock.systemUTC()))
                .isInstanceOf(FetchException.class).hasMessageContaining("TLS");
    }

    @Test
    void everyLoginMethodWorksAgainstTheServer() throws Exception {
        for (String auth : new String[] {"SCRAM-SHA-256", "SCRAM-SHA-1", "CRAM-MD5", "PLAIN", "LOGIN", "%2BAPOP", "%2BUSER"}) {
            PopUrl url = PopUrl.parse("pop3://alice;auth=" + auth + "@127.0.0.1:" + server.server.port() + "/");
            FetchResult r = fetch(url, ConnectOptions.DEFAULT, FetchOptions.KEEP, Clock.systemUTC());
            assertThat(r.login()).as(auth).isEqualTo(auth.replace("%2B", "").replace("+", ""));
        }
    }

    @Test
    void aWrongPasswordIsAPermanentFailureAndDeletesNothing() throws Exception {
        try (MaildirTarget t = new MaildirTarget(maildir, true)) {
            assertThatThrownBy(() -> new Fetcher(server.url("alice"), ConnectOptions.DEFAULT, FetchOptions.DELETE,
                    Clock.systemUTC()).fetch(t, state, () -> "wrong", null))
                    .isInstanceOf(FetchException.class).hasMessageContaining("login as alice failed")
                    .matches(e -> !((FetchException) e).temporary());
        }
        assertThat(server.stored("alice")).isEqualTo(5);
    }

    @Test
    void aSecondFetchOfTheSameAccountWaitsForTheFirst() throws Exception {
        try (StateJournal held = StateJournal.open(state)) {
            assertThatThrownBy(() -> fetch(FetchOptions.DELETE)).isInstanceOf(FetchException.class)
                    .hasMessageContaining("another fetch").matches(e -> ((FetchException) e).temporary());
        }
        assertThat(server.stored("alice")).isEqualTo(5);
    }
}
