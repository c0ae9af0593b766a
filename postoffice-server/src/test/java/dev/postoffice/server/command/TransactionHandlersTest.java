package dev.postoffice.server.command;

import static org.assertj.core.api.Assertions.assertThat;

import dev.postoffice.storage.MailboxRef;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** STAT, LIST, UIDL, RETR, TOP, DELE, RSET, NOOP and QUIT's UPDATE, each handler on its own, without a socket. */
class TransactionHandlersTest {
    private static final String M1 = "Subject: one\r\n\r\nfirst\r\n";
    private static final String M2 = "Subject: two\n\n.dot line\nlast\n";
    private static final MailboxRef ALICE = MailboxRef.of("alice");

    private TestContext ctx;

    @BeforeEach
    void setUp() throws Exception {
        ctx = new TestContext().user("alice", "secret").deliver("alice", M1).deliver("alice", M2);
        ctx.loggedIn("alice", "secret");
    }

    @Test
    void statCountsWhatIsNotMarkedDeleted() throws Exception {
        assertThat(ctx.wire("STAT")).isEqualTo("+OK 2 " + (M1.length() + M2.length() + 4) + "\r\n");
        ctx.run("DELE 1");
        assertThat(ctx.wire("STAT")).isEqualTo("+OK 1 " + (M2.length() + 4) + "\r\n");
    }

    @Test
    void listGivesCanonicalSizesOneOrAll() throws Exception {
        long size2 = M2.length() + 4; // four LF become CRLF
        assertThat(ctx.wire("LIST 2")).isEqualTo("+OK 2 " + size2 + "\r\n");
        assertThat(ctx.wire("LIST")).isEqualTo("+OK 2 messages (" + (M1.length() + size2) + " octets)\r\n1 "
                + M1.length() + "\r\n2 " + size2 + "\r\n.\r\n");
        assertThat(ctx.wire("LIST 3")).isEqualTo("-ERR no such message\r\n");
        ctx.run("DELE 1");
        assertThat(ctx.wire("LIST 1")).isEqualTo("-ERR message 1 already deleted\r\n");
        assertThat(ctx.wire("LIST")).doesNotContain("\r\n1 ");
    }

    @Test
    void uidlListsTheStoresStableIds() throws Exception {
        var messages = ctx.store.messages(ALICE);
        assertThat(ctx.wire("UIDL 1")).isEqualTo("+OK 1 " + messages.get(0).uidl() + "\r\n");
        assertThat(ctx.wire("UIDL")).isEqualTo("+OK unique-id listing follows\r\n1 " + messages.get(0).uidl()
                + "\r\n2 " + messages.get(1).uidl() + "\r\n.\r\n");
    }

    @Test
    void retrSendsTheMessageByteStuffedAndCountsIt() throws Exception {
        String size2 = String.valueOf(M2.length() + 4);
        assertThat(ctx.wire("RETR 2")).isEqualTo("+OK " + size2 + " octets\r\nSubject: two\r\n\r\n..dot line\r\n"
                + "last\r\n.\r\n");
        assertThat(ctx.transaction().marks().retrieved()).isEqualTo(1);
        assertThat(ctx.transaction().marks().retrievedOctets()).isEqualTo(M2.length() + 4);
        assertThat(ctx.wire("RETR 9")).isEqualTo("-ERR no such message\r\n");
    }

    @Test
    void anUnreadableMessageIsATemporaryError() throws Exception {
        ctx.store.failBody(ctx.store.messages(ALICE).get(0).id());
        assertThat(ctx.wire("RETR 1")).isEqualTo("-ERR [SYS/TEMP] message cannot be read right now\r\n");
        assertThat(ctx.wire("TOP 1 0")).isEqualTo("-ERR [SYS/TEMP] message cannot be read right now\r\n");
        assertThat(ctx.transaction().marks().retrieved()).isZero();
    }

    @Test
    void topSendsTheHeaderAndSomeBodyLinesAndIsNotARetrieval() throws Exception {
        assertThat(ctx.wire("TOP 2 1")).isEqualTo("+OK top of message follows\r\nSubject: two\r\n\r\n..dot line\r\n.\r\n");
        assertThat(ctx.wire("TOP 2 0")).isEqualTo("+OK top of message follows\r\nSubject: two\r\n\r\n.\r\n");
        assertThat(ctx.transaction().marks().retrieved()).isZero();
    }

    @Test
    void deleMarksOnceAndRsetUnmarks() throws Exception {
        assertThat(ctx.wire("DELE 1")).isEqualTo("+OK message 1 deleted\r\n");
        assertThat(ctx.wire("DELE 1")).isEqualTo("-ERR message 1 already deleted\r\n");
        assertThat(ctx.wire("RETR 1")).isEqualTo("-ERR message 1 already deleted\r\n");
        assertThat(ctx.wire("RSET")).isEqualTo("+OK maildrop has 2 messages (" + (M1.length() + M2.length() + 4)
                + " octets)\r\n");
        assertThat(ctx.wire("RETR 1")).startsWith("+OK ");
    }

    @Test
    void noopAnswersOk() throws Exception {
        assertThat(ctx.wire("NOOP")).isEqualTo("+OK\r\n");
    }

    @Test
    void quitRemovesTheMarkedMessagesAndReleasesTheLease() throws Exception {
        String kept = ctx.store.messages(ALICE).get(1).id();
        ctx.run("DELE 1");
        assertThat(ctx.wire("QUIT")).isEqualTo("+OK Postoffice POP3 server signing off (1 messages left)\r\n");
        assertThat(ctx.state).isInstanceOf(SessionState.Update.class);
        assertThat(ctx.closedBecause).isEqualTo("QUIT");
        assertThat(ctx.store.messages(ALICE)).extracting(m -> m.id()).containsExactly(kept);
        assertThat(ctx.store.leased(ALICE)).isFalse();
    }

    @Test
    void aLostLeaseDeletesNothingAndSaysSo() throws Exception {
        ctx.run("DELE 1");
        ctx.run("DELE 2");
        ctx.store.breakLease(ALICE);
        assertThat(ctx.wire("QUIT")).isEqualTo("-ERR [SYS/TEMP] the maildrop lock was lost; nothing was deleted\r\n");
        assertThat(ctx.store.messages(ALICE)).hasSize(2);
    }

    @Test
    void aRemovalThatFailsIsATemporaryErrorAndTheMessageStays() throws Exception {
        ctx.store.failRemoval(ctx.store.messages(ALICE).get(0).id());
        ctx.run("DELE 1");
        assertThat(ctx.wire("QUIT")).isEqualTo("-ERR [SYS/TEMP] some deleted messages could not be removed; they are"
                + " still in the maildrop\r\n");
        assertThat(ctx.store.messages(ALICE)).hasSize(2);
        assertThat(ctx.store.leased(ALICE)).isFalse();
    }

    @Test
    void quitDuringShutdownRemovesNothingAndAnswersNothing() throws Exception {
        ctx.updateRefused = true;
        ctx.run("DELE 1");
        assertThat(ctx.wire("QUIT")).isEmpty();
        assertThat(ctx.closedBecause).isEqualTo("shutdown before UPDATE");
        assertThat(ctx.store.messages(ALICE)).hasSize(2);
    }

    @Test
    void expireZeroRemovesWhatWasRetrievedAtUpdate() throws Exception {
        TestContext c = new TestContext(b -> b.expireDays(0)).user("bob", "pw").deliver("bob", M1).deliver("bob", M2);
        c.loggedIn("bob", "pw");
        c.wire("RETR 1");
        c.wire("TOP 2 0");
        assertThat(c.wire("QUIT")).startsWith("+OK");
        assertThat(c.store.messages(MailboxRef.of("bob"))).hasSize(1);
    }

    @Test
    void expireRemovesAtLoginWhatWasRetrievedLongEnoughAgo() throws Exception {
        TestContext c = new TestContext().user("carol", "pw", Map.of("expire", "3")).deliver("carol", M1)
                .deliver("carol", M2);
        c.loggedIn("carol", "pw");
        c.wire("RETR 1");
        c.run("QUIT");
        c.state = SessionState.Authorization.START;
        c.now = c.now.plus(Duration.ofDays(2));
        c.loggedIn("carol", "pw");
        assertThat(c.wire("STAT")).startsWith("+OK 2 ");
        c.run("QUIT");
        c.state = SessionState.Authorization.START;
        c.now = c.now.plus(Duration.ofDays(2));
        c.loggedIn("carol", "pw");
        assertThat(c.wire("STAT")).isEqualTo("+OK 1 " + (M2.length() + 4) + "\r\n");
        assertThat(c.wire("CAPA")).contains("EXPIRE 3\r\n");
    }
}
