package dev.postoffice.server.command;

import dev.postoffice.auth.Account;
import dev.postoffice.auth.AuthResult;
import dev.postoffice.protocol.Reply;
import dev.postoffice.protocol.ResponseCode;
import dev.postoffice.server.ServerConfig;
import dev.postoffice.server.login.LoginPolicy;
import dev.postoffice.storage.Maildrop;
import dev.postoffice.storage.MaildropBusyException;
import dev.postoffice.storage.StorageException;
import dev.postoffice.storage.StoredMessage;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The end of every login (USER/PASS, APOP, AUTH): on success the maildrop is opened with its lease, RFC 2449
 * LOGIN-DELAY and EXPIRE are applied, and the session enters TRANSACTION; a failure is logged, throttled and
 * counted. See docs/protocol.md.
 */
final class Logins {
    private static final Logger log = LoggerFactory.getLogger(Logins.class);

    private Logins() {}

    static Reply complete(CommandContext ctx, String user, String mechanism, AuthResult result) {
        return complete(ctx, user, mechanism, result, "authentication failed");
    }

    /** As above, with the text a rejection is answered with (a SASL mechanism's reason, safe to send). */
    static Reply complete(CommandContext ctx, String user, String mechanism, AuthResult result, String failureText) {
        SessionState.Authorization auth = (SessionState.Authorization) ctx.state();
        LoginPolicy policy = ctx.login();
        switch (result) {
            case AuthResult.Success s -> {
                policy.succeeded(user);
                ctx.enter(auth.after(false));
                return open(ctx, s.account(), mechanism);
            }
            case AuthResult.Rejected r -> {
                policy.logAttempt(user, mechanism, ctx.secure(), "fail");
                SessionState.Authorization next = auth.after(true);
                ctx.enter(next);
                sleep(policy.failed(user == null || user.equals("-") ? null : user));
                if (policy.tooManyFailures(next.failures())) {
                    ctx.closeAfterReply("too many authentication failures");
                    return Reply.err(ResponseCode.AUTH, failureText + "; too many failures, closing the connection");
                }
                return Reply.err(ResponseCode.AUTH, failureText);
            }
            case AuthResult.Unavailable u -> {
                policy.logAttempt(user, mechanism, ctx.secure(), "unavailable");
                log.warn("authentication unavailable: {}", u.reason());
                ctx.enter(auth.after(false));
                return Reply.err(ResponseCode.SYS_TEMP, "authentication is temporarily unavailable, try again later");
            }
        }
    }

    private static Reply open(CommandContext ctx, Account a, String mechanism) {
        LoginPolicy policy = ctx.login();
        ServerConfig config = ctx.server().config();
        Maildrop maildrop;
        try {
            maildrop = ctx.server().store().open(a.mailbox());
        } catch (MaildropBusyException e) {
            policy.logAttempt(a.name(), mechanism, ctx.secure(), "in-use");
            return Reply.err(ResponseCode.IN_USE, "maildrop is locked by another session, try again later");
        } catch (StorageException e) {
            policy.logAttempt(a.name(), mechanism, ctx.secure(), "maildrop-unavailable");
            log.warn("maildrop of {} cannot be opened: {}", a.name(), e.getMessage());
            return Reply.err(e.temporary() ? ResponseCode.SYS_TEMP : ResponseCode.SYS_PERM,
                    "maildrop cannot be opened" + (e.temporary() ? ", try again later" : ""));
        }
        if (!config.loginDelay().isZero() && !loginDelayPassed(ctx, maildrop, a.name())) {
            maildrop.close(); // nothing was done: release the lease, no UPDATE
            policy.logAttempt(a.name(), mechanism, ctx.secure(), "login-delay");
            return Reply.err(ResponseCode.LOGIN_DELAY, "minimum time between logins is "
                    + config.loginDelay().toSeconds() + " seconds");
        }
        Marks marks = new Marks(expire(ctx, maildrop, a));
        ctx.enter(new SessionState.Transaction(a, maildrop, marks));
        policy.logAttempt(a.name(), mechanism, ctx.secure(), "ok");
        return Reply.ok(a.name() + "'s maildrop has " + marks.visibleCount() + " messages (" + marks.visibleSize()
                + " octets)");
    }

    /**
     * RFC 2449 LOGIN-DELAY: whether the previous login, recorded with the maildrop (so a restart or another server
     * on the same storage does not forget it), is at least the delay ago; if so, records this one. A recorded time
     * in the future (the clock was set back) does not count, so that a clock change cannot lock users out; if the
     * time cannot be recorded the login goes ahead.
     */
    private static boolean loginDelayPassed(CommandContext ctx, Maildrop maildrop, String user) {
        Instant now = ctx.now();
        Optional<Instant> last = maildrop.history().lastLogin().filter(t -> !t.isAfter(now));
        if (last.isPresent()
                && Duration.between(last.get(), now).compareTo(ctx.server().config().loginDelay()) < 0) {
            return false;
        }
        try {
            maildrop.history().recordLogin(now);
        } catch (StorageException e) {
            log.warn("cannot record the login of {} for LOGIN-DELAY: {}", user, e.getMessage());
        }
        return true;
    }

    /**
     * RFC 2449 EXPIRE: removes messages first retrieved more than the policy's days ago, before the client sees the
     * list (through the same fenced commit as UPDATE); returns the messages that remain.
     */
    private static List<StoredMessage> expire(CommandContext ctx, Maildrop maildrop, Account a) {
        List<StoredMessage> all = maildrop.messages();
        Optional<Integer> days = Expiry.days(ctx, a);
        if (days.isEmpty() || days.get() == 0) {
            return all;
        }
        Instant cutoff = ctx.now().minus(Duration.ofDays(days.get()));
        List<StoredMessage> keep = new ArrayList<>(all.size());
        List<StoredMessage> expired = new ArrayList<>();
        for (StoredMessage m : all) {
            Optional<Instant> first = maildrop.history().firstRetrieved(m);
            (first.isPresent() && !first.get().isAfter(cutoff) ? expired : keep).add(m);
        }
        if (expired.isEmpty()) {
            return all;
        }
        try {
            maildrop.commit(expired, List.of(), ctx.now());
            log.info("expire: user={} removed={} days={}", a.name(), expired.size(), days.get());
            return keep;
        } catch (StorageException e) {
            log.warn("expire failed: {}", e.getMessage());
            return all;
        }
    }

    private static void sleep(Duration d) {
        long millis = d.toMillis();
        if (millis <= 0) {
            return;
        }
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
