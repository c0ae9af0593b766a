package dev.postoffice.storage.maildir.lock;

import static dev.postoffice.storage.maildir.lock.Staleness.Ours.HOLDS;
import static dev.postoffice.storage.maildir.lock.Staleness.Ours.NO;
import static dev.postoffice.storage.maildir.lock.Staleness.Ours.RELEASED;
import static dev.postoffice.storage.maildir.lock.Staleness.Verdict.GONE;
import static dev.postoffice.storage.maildir.lock.Staleness.Verdict.HELD;
import static dev.postoffice.storage.maildir.lock.Staleness.Verdict.STALE;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The table of docs/storage.md, without a file. */
class StalenessTest {
    private static final Instant NOW = Instant.parse("2026-03-04T05:06:07Z");
    private static final Instant STARTED = Instant.parse("2026-03-01T00:00:00Z");
    private static final String BOOT = "0856b16a-e7cb-4651-b2e6-e8059bea4f43";
    private static final ProcessId SELF = new ProcessId("mail1", 4242, STARTED, BOOT, 1215969);
    /** A probe that must not be asked. */
    private static final ProcessProbe UNASKED = p -> {
        throw new AssertionError("probe asked about " + p);
    };

    private final List<ProcessId> asked = new ArrayList<>();

    private static Instant ago(Duration d) {
        return NOW.minus(d);
    }

    private static Owner line(String host, long pid, Instant start, String boot, long ticks) {
        return new Owner(host, pid, start, boot, ticks, null, "0123456789abcdef");
    }

    private static Staleness.Verdict verdict(Instant mtime, Owner owner, Staleness.Ours ours) {
        return Staleness.verdict(mtime, owner, NOW, SELF, ours, UNASKED);
    }

    private ProcessProbe answering(boolean alive) {
        return p -> {
            asked.add(p);
            return alive;
        };
    }

    @Test
    void noFileIsGone() {
        assertThat(verdict(null, null, NO)).isEqualTo(GONE);
        assertThat(verdict(null, line("mail1", 4242, STARTED, BOOT, 1215969), HOLDS)).isEqualTo(GONE);
    }

    @Test
    void unreadableIsHeldForThirtySeconds() {
        assertThat(verdict(ago(Duration.ofSeconds(20)), null, NO)).isEqualTo(HELD);
        assertThat(verdict(ago(Duration.ofSeconds(30)), null, NO)).isEqualTo(HELD);
        assertThat(verdict(ago(Duration.ofSeconds(31)), null, NO)).isEqualTo(STALE);
        assertThat(verdict(ago(Duration.ofSeconds(-5)), null, NO)).isEqualTo(HELD); // a clock ahead of ours
    }

    @Test
    void anotherHostsIsHeldForTenMinutesFromItsLastRefresh() {
        Owner theirs = line("mail2", 4242, STARTED, BOOT, 1215969); // even with our pid and start
        assertThat(verdict(ago(Duration.ofMinutes(9)), theirs, NO)).isEqualTo(HELD);
        assertThat(verdict(ago(Duration.ofMinutes(10)), theirs, NO)).isEqualTo(HELD);
        assertThat(verdict(ago(Duration.ofMinutes(11)), theirs, NO)).isEqualTo(STALE);
        // Host names compare without case: MAIL1 is this host.
        assertThat(verdict(ago(Duration.ofHours(1)), line("MAIL1", 4242, STARTED, BOOT, 1215969), HOLDS))
                .isEqualTo(HELD);
    }

    @Test
    void thisStoresOwnLocksAreHeldWhileItHoldsThem() {
        Owner ours = line("mail1", 4242, STARTED, BOOT, 1215969);
        assertThat(verdict(ago(Duration.ofDays(1)), ours, HOLDS)).isEqualTo(HELD); // the mtime does not matter
        assertThat(verdict(ago(Duration.ofSeconds(1)), ours, RELEASED)).isEqualTo(STALE); // a failed release
    }

    @Test
    void thisProcessesLineThatThisStoreDidNotWriteIsAnotherStoresAndHeld() {
        assertThat(verdict(ago(Duration.ofDays(1)), line("mail1", 4242, STARTED, BOOT, 1215969), NO)).isEqualTo(HELD);
        // Only the start time known (not Linux): within the JDK's second of jitter.
        ProcessId noTicks = new ProcessId("mail1", 4242, STARTED, null, -1);
        Owner jittered = line("mail1", 4242, STARTED.plusMillis(900), null, -1);
        assertThat(Staleness.verdict(NOW, jittered, NOW, noTicks, NO, UNASKED)).isEqualTo(HELD);
        // Nothing known: it may be this process, the safe side.
        assertThat(Staleness.verdict(NOW, line("mail1", 4242, null, null, -1), NOW,
                new ProcessId("mail1", 4242, null, null, -1), NO, UNASKED)).isEqualTo(HELD);
    }

    @Test
    void anEarlierProcessWithOurPidLeftAStaleLock() {
        // A server that is always pid 1 in its container, restarted: same pid, another start.
        assertThat(verdict(NOW, line("mail1", 4242, STARTED, BOOT, 1215968), NO)).isEqualTo(STALE);
        assertThat(verdict(NOW, line("mail1", 4242, STARTED, "another-boot", 1215969), NO)).isEqualTo(STALE);
        ProcessId noTicks = new ProcessId("mail1", 4242, STARTED, null, -1);
        assertThat(Staleness.verdict(NOW, line("mail1", 4242, STARTED.minusSeconds(3600), null, -1), NOW, noTicks,
                NO, UNASKED)).isEqualTo(STALE);
    }

    @Test
    void anotherProcessOfThisHostIsHeldWhileTheProbeSaysItLives() {
        Owner other = line("mail1", 77, STARTED, BOOT, 99);
        assertThat(Staleness.verdict(ago(Duration.ofDays(1)), other, NOW, SELF, NO, answering(true))).isEqualTo(HELD);
        assertThat(Staleness.verdict(NOW, other, NOW, SELF, NO, answering(false))).isEqualTo(STALE);
        assertThat(asked).containsExactly(other.process(), other.process());
    }

    @Test
    void theProbeIsAskedOnlyAboutOtherProcessesOfThisHost() {
        for (Staleness.Ours ours : Staleness.Ours.values()) {
            Staleness.verdict(NOW, null, NOW, SELF, ours, answering(true));
            Staleness.verdict(NOW, line("mail2", 77, null, null, -1), NOW, SELF, ours, answering(true));
            Staleness.verdict(NOW, line("mail1", 4242, null, null, -1), NOW, SELF, ours, answering(true));
        }
        assertThat(asked).isEmpty();
    }
}
