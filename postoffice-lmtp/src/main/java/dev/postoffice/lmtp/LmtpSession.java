package dev.postoffice.lmtp;

import dev.postoffice.storage.MailDelivery;
import dev.postoffice.storage.Usage;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One LMTP connection (RFC 2033), on its own virtual thread: LHLO, MAIL, RCPT, DATA or BDAT with one reply per
 * accepted recipient, RSET, NOOP, VRFY, QUIT. Replies are flushed only when the client has nothing more buffered,
 * so pipelined commands are answered in one write. Delivery is {@link Deliveries}' part.
 */
final class LmtpSession implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(LmtpSession.class);
    /** RFC 5321 section 4.5.3.1.4 allows 512 octets; parameters of extensions make it longer in practice. */
    static final int MAX_LINE = 2048;
    static final int MAX_BAD_COMMANDS = 10;

    private final Link link;
    private final LmtpConfig config;
    private final Recipients recipients;
    private final MailDelivery store;
    private final Deliveries deliveries;
    private final DeliveryObserver observer;
    private final String id;
    private LmtpInput input;
    private OutputStream out;
    private String helo;
    private Transaction tx;
    private int badCommands;
    private int transactions;
    private volatile long deadline = Long.MAX_VALUE;
    /** The timeout of what is being read now: a command, or a block of data. */
    private volatile java.time.Duration phase = java.time.Duration.ofMinutes(5);
    private volatile boolean timedOut;
    private volatile boolean forced; // closed by the watchdog after the deadline's grace
    private static final long GRACE = 30_000_000_000L;
    private volatile boolean stopping;

    LmtpSession(Link link, LmtpConfig config, Recipients recipients, MailDelivery store, DeliveryObserver observer,
            String id) {
        this.observer = observer;
        this.link = link;
        this.config = config;
        this.recipients = recipients;
        this.store = store;
        this.id = id;
        this.deliveries = new Deliveries(config, store);
    }

    /**
     * Called by the watchdog: past the deadline shuts the input (the session answers 421 and ends); if the session
     * is still there 30 s later (the command timeout, if shorter), blocked writing to a client that never reads,
     * closes the connection, which ends the write.
     */
    void checkDeadline(long now) {
        if (now - deadline > 0 && !timedOut) {
            timedOut = true;
            link.shutdownInput();
        } else if (timedOut && !forced && now - deadline > Math.min(GRACE, config.commandTimeout().toNanos())) {
            forced = true;
            log.info("lmtp {}: closing a session still there after its deadline (a client not reading)", link.peer());
            link.close();
        }
    }

    /** Called at shutdown: the session ends before its next command. */
    void shutdown() {
        stopping = true;
        link.shutdownInput();
    }

    private void expectWithin(java.time.Duration d) {
        phase = d;
        deadline = System.nanoTime() + d.toNanos();
    }

    /** More octets arrived: the current phase's timeout starts again (RFC 5321's is per block of data). */
    private void progress() {
        deadline = System.nanoTime() + phase.toNanos();
    }

    @Override
    public void run() {
        try (link) {
            input = new LmtpInput(link.in(), this::progress);
            out = new BufferedOutputStream(link.out(), 8192);
            reply("220 " + config.hostname() + " LMTP Postoffice ready");
            StringBuilderBytes line = new StringBuilderBytes();
            while (true) {
                expectWithin(config.commandTimeout());
                if (!input.hasBuffered()) {
                    out.flush();
                }
                LmtpInput.LineStatus status = input.readLine(line, MAX_LINE);
                if (status == null) {
                    if (stopping) {
                        reply("421 4.3.2 " + config.hostname() + " Service shutting down");
                        out.flush();
                    } else if (timedOut) {
                        reply("421 4.4.2 " + config.hostname() + " Timeout, closing connection");
                        out.flush();
                        log.info("lmtp {}: timeout", link.peer());
                    }
                    return;
                }
                if (status == LmtpInput.LineStatus.TOO_LONG ? !bad("500 5.5.2 Line too long") : !handle(line.toString())) {
                    out.flush();
                    return;
                }
            }
        } catch (IOException e) {
            if (timedOut) {
                log.info("lmtp {}: timeout", link.peer());
            } else {
                log.info("lmtp {}: connection lost: {}", link.peer(), e.toString());
            }
        } catch (RuntimeException e) {
            log.error("lmtp {}: internal error", link.peer(), e);
            try {
                reply("421 4.3.0 Internal error, closing connection");
                out.flush();
            } catch (IOException | RuntimeException ignored) {
                // the connection is going anyway
            }
        } finally {
            closeTransaction();
        }
    }

    /** Runs one command; false to end the session. */
    private boolean handle(String line) throws IOException {
        int sp = line.indexOf(' ');
        String verb = (sp < 0 ? line : line.substring(0, sp)).toUpperCase(Locale.ROOT);
        String arg = sp < 0 ? "" : line.substring(sp + 1);
        switch (verb) {
            case "LHLO" -> {
                return lhlo(arg.trim());
            }
            case "HELO", "EHLO" -> {
                return bad("500 5.5.1 This is LMTP: use LHLO");
            }
            case "MAIL" -> {
                return mail(arg);
            }
            case "RCPT" -> {
                return rcpt(arg);
            }
            case "DATA" -> {
                return data(arg);
            }
            case "BDAT" -> {
                return bdat(arg);
            }
            case "RSET" -> {
                closeTransaction();
                reply("250 2.0.0 Ok");
            }
            case "NOOP" -> reply("250 2.0.0 Ok");
            case "VRFY" -> reply("252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery");
            case "HELP" -> reply("214 2.0.0 Commands: LHLO MAIL RCPT DATA BDAT RSET NOOP VRFY QUIT (RFC 2033)");
            case "STARTTLS" -> {
                return startTls(arg);
            }
            case "QUIT" -> {
                reply("221 2.0.0 " + config.hostname() + " closing connection");
                return false;
            }
            default -> {
                return bad("500 5.5.2 Unknown command");
            }
        }
        badCommands = 0;
        return true;
    }

    private boolean lhlo(String name) throws IOException {
        if (name.isEmpty() || name.indexOf(' ') >= 0) {
            return bad("501 5.5.4 Syntax: LHLO hostname");
        }
        badCommands = 0;
        closeTransaction();
        helo = name;
        reply("250-" + config.hostname());
        reply("250-PIPELINING");
        reply("250-ENHANCEDSTATUSCODES");
        reply("250-8BITMIME");
        reply("250-SIZE " + config.maxMessageSize());
        reply("250-CHUNKING");
        if (link.tlsAvailable()) {
            reply("250-STARTTLS");
        }
        reply("250 SMTPUTF8");
        return true;
    }

    /**
     * RFC 3207: {@code 220}, the handshake, then a fresh session (LHLO again). Whatever the client sent after
     * STARTTLS in cleartext is dropped with the old buffer, never read as commands over TLS.
     */
    private boolean startTls(String arg) throws IOException {
        if (!link.tlsAvailable()) {
            return bad("502 5.5.1 STARTTLS not available");
        }
        if (!arg.isBlank()) {
            return bad("501 5.5.4 Syntax: STARTTLS");
        }
        reply("220 2.0.0 Ready to start TLS");
        out.flush();
        link.startTls();
        input = new LmtpInput(link.in(), this::progress);
        out = new BufferedOutputStream(link.out(), 8192);
        closeTransaction();
        helo = null;
        badCommands = 0;
        return true;
    }

    private boolean mail(String arg) throws IOException {
        if (helo == null) {
            return bad("503 5.5.1 Send LHLO first");
        }
        if (tx != null) {
            return bad("503 5.5.1 Sender already given");
        }
        if (!arg.regionMatches(true, 0, "FROM:", 0, 5)) {
            return bad("501 5.5.4 Syntax: MAIL FROM:<address>");
        }
        Address from;
        try {
            from = Address.parse(arg.substring(5));
        } catch (IllegalArgumentException e) {
            return bad("501 5.1.7 Bad sender address syntax: " + e.getMessage());
        }
        long size;
        try {
            size = MailParams.size(from.params());
        } catch (IllegalArgumentException e) {
            return bad(e.getMessage());
        }
        if (size > config.maxMessageSize()) {
            reply("552 5.3.4 Message size exceeds fixed maximum message size");
            return true;
        }
        tx = new Transaction(from.address(), size, config.spoolDir());
        badCommands = 0;
        reply("250 2.1.0 Ok");
        return true;
    }

    private boolean rcpt(String arg) throws IOException {
        if (tx == null) {
            return bad("503 5.5.1 Need MAIL before RCPT");
        }
        if (tx.inBdat) {
            return bad("503 5.5.1 RCPT after BDAT");
        }
        if (!arg.regionMatches(true, 0, "TO:", 0, 3)) {
            return bad("501 5.5.4 Syntax: RCPT TO:<address>");
        }
        Address to;
        try {
            to = Address.parse(arg.substring(3));
        } catch (IllegalArgumentException e) {
            return bad("501 5.1.3 Bad recipient address syntax: " + e.getMessage());
        }
        if (!to.params().isEmpty()) {
            return bad("555 5.5.4 Unsupported RCPT parameter");
        }
        badCommands = 0;
        if (tx.recipients.size() >= config.maxRecipients()) {
            reply("452 4.5.3 Too many recipients");
            return true;
        }
        Optional<Recipients.Resolved> user;
        try {
            user = recipients.resolve(to);
        } catch (IOException e) {
            log.warn("lmtp {}: cannot look up <{}>: {}", link.peer(), to.address(), e.getMessage());
            reply("451 4.3.0 <" + to.address() + "> Temporary user lookup failure");
            observer.recipient(DeliveryObserver.Outcome.TEMPORARY_FAILURE, "temporary");
            return true;
        }
        if (user.isEmpty()) {
            reply("550 5.1.1 <" + to.address() + "> User doesn't exist");
            observer.recipient(DeliveryObserver.Outcome.UNKNOWN_USER, "permanent");
            return true;
        }
        Recipients.Resolved u = user.get();
        if (u.quota().limited()) {
            try {
                Usage usage = store.usage(u.mailbox());
                if (!u.quota().admits(usage, Math.max(1, tx.declaredSize))) {
                    String full = deliveries.overQuota(to.address());
                    reply(full);
                    observer.recipient(DeliveryObserver.Outcome.OVER_QUOTA, DeliveryObserver.result(full));
                    return true;
                }
            } catch (dev.postoffice.storage.StorageException e) {
                log.warn("lmtp {}: cannot read the usage of {}: {}", link.peer(), u.user(), e.getMessage());
                reply("451 4.3.0 <" + to.address() + "> Temporary failure");
                observer.recipient(DeliveryObserver.Outcome.TEMPORARY_FAILURE, "temporary");
                return true;
            }
        }
        tx.recipients.add(new Transaction.Recipient(to.address(), u));
        reply("250 2.1.5 Ok");
        return true;
    }

    private boolean data(String arg) throws IOException {
        if (!arg.isBlank()) {
            return bad("501 5.5.4 Syntax: DATA");
        }
        if (tx == null) {
            return bad("503 5.5.1 Need MAIL before DATA");
        }
        if (tx.recipients.isEmpty()) {
            return bad("503 5.5.1 No valid recipients");
        }
        if (tx.inBdat) {
            return bad("503 5.5.1 DATA after BDAT");
        }
        badCommands = 0;
        reply("354 Start mail input; end with <CRLF>.<CRLF>");
        out.flush();
        expectWithin(config.dataTimeout());
        Spool spool = tx.spool();
        long size = input.readData(spool, config.maxMessageSize() + 1);
        finishTransaction(size);
        return true;
    }

    private boolean bdat(String arg) throws IOException {
        String[] parts = arg.trim().split(" +");
        long count;
        try {
            count = Long.parseLong(parts[0]);
        } catch (NumberFormatException e) {
            count = -1;
        }
        boolean last = parts.length == 2 && parts[1].equalsIgnoreCase("LAST");
        if (count < 0 || parts.length > 2 || parts.length == 2 && !last) {
            // The chunk's length is unknown: its octets cannot be told from commands any more.
            reply("501 5.5.4 Syntax: BDAT size [LAST]; closing connection");
            return false;
        }
        expectWithin(config.dataTimeout());
        if (tx == null || tx.recipients.isEmpty()) {
            input.readChunk(OutputStream.nullOutputStream(), count, 0, 0);
            if (tx != null && last) {
                closeTransaction();
            }
            return bad(tx == null ? "503 5.5.1 Need MAIL before BDAT" : "503 5.5.1 No valid recipients");
        }
        badCommands = 0;
        tx.inBdat = true;
        tx.chunked += input.readChunk(tx.spool(), count, tx.chunked, config.maxMessageSize() + 1);
        if (!last) {
            reply("250 2.0.0 " + count + " octets received");
            return true;
        }
        finishTransaction(tx.chunked);
        return true;
    }

    /** The end of a message: one reply per accepted recipient, then the transaction is over. */
    private void finishTransaction(long size) throws IOException {
        expectWithin(config.commandTimeout());
        Transaction t = tx;
        if (size > config.maxMessageSize()) {
            for (Transaction.Recipient r : t.recipients) {
                reply("552 5.3.4 <" + r.address() + "> Message size exceeds fixed maximum message size");
                observer.recipient(DeliveryObserver.Outcome.TOO_LARGE, "permanent");
            }
        } else {
            t.spool().finish();
            String txId = id + "." + (++transactions);
            for (String r : deliveries.deliver(t, helo, link.peer(), txId)) {
                reply(r);
                observer.recipient(DeliveryObserver.outcome(r), DeliveryObserver.result(r));
            }
        }
        closeTransaction();
    }

    private void closeTransaction() {
        if (tx != null) {
            try {
                tx.close();
            } catch (IOException e) {
                log.warn("lmtp {}: cannot remove a spool file: {}", link.peer(), e.toString());
            }
            tx = null;
        }
    }

    /** Answers a bad command; false (close) after too many in a row. */
    private boolean bad(String text) throws IOException {
        reply(text);
        if (++badCommands >= MAX_BAD_COMMANDS) {
            reply("421 4.7.0 " + config.hostname() + " Too many errors, closing connection");
            return false;
        }
        return true;
    }

    private void reply(String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.write('\r');
        out.write('\n');
    }
}
