package dev.postoffice.lmtp;

import dev.postoffice.storage.CrashPoint;
import dev.postoffice.storage.DeliveryResult;
import dev.postoffice.storage.Envelope;
import dev.postoffice.storage.MailDelivery;
import dev.postoffice.storage.MailboxRef;
import dev.postoffice.storage.QuotaExceededException;
import dev.postoffice.storage.StorageException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stores a received message for each recipient of a transaction, each copy durable before its {@code 250}; a
 * mailbox named twice gets one copy and the same answer for both.
 */
final class Deliveries {
    private static final Logger log = LoggerFactory.getLogger(Deliveries.class);

    private final LmtpConfig config;
    private final MailDelivery store;

    Deliveries(LmtpConfig config, MailDelivery store) {
        this.config = config;
        this.store = store;
    }

    /** The reply for a recipient over quota. */
    String overQuota(String address) {
        return config.quotaTempfail() ? "452 4.2.2 <" + address + "> Mailbox is full, try again later"
                : "552 5.2.2 <" + address + "> Mailbox is full";
    }

    /** Delivers and returns one reply per recipient, in order. */
    List<String> deliver(Transaction tx, String helo, String peer, String txId) {
        boolean single = tx.recipients.stream().map(r -> r.user().mailbox()).distinct().count() == 1;
        ZonedDateTime now = ZonedDateTime.now();
        Map<MailboxRef, String> done = new HashMap<>();
        List<String> replies = new ArrayList<>(tx.recipients.size());
        for (Transaction.Recipient r : tx.recipients) {
            MailboxRef mailbox = r.user().mailbox();
            String reply = done.get(mailbox);
            if (reply == null) {
                byte[] trace = TraceHeaders.build(tx.sender, single ? Optional.of(r.address()) : Optional.empty(),
                        helo, peer, config.hostname(), txId, now);
                reply = deliverOne(tx, r, trace, txId);
                done.put(mailbox, reply);
            }
            replies.add(reply.replace("%ADDR%", r.address()));
        }
        return replies;
    }

    private String deliverOne(Transaction tx, Transaction.Recipient r, byte[] trace, String txId) {
        Envelope envelope = new Envelope(Optional.of(tx.sender), Optional.of(r.address()));
        try (InputStream in = new SequenceInputStream(new ByteArrayInputStream(trace), tx.spool().open())) {
            DeliveryResult result = store.deliver(r.user().mailbox(), envelope, in, r.user().quota());
            log.info("lmtp: delivered {} to {} as {} ({} octets, from <{}>)", txId, r.user().user(), result.id(),
                    result.size(), tx.sender);
            CrashPoint.reach("lmtp-before-reply"); // test hook (the kill -9 matrix)
            return "250 2.0.0 <%ADDR%> " + txId + " Saved";
        } catch (QuotaExceededException e) {
            log.info("lmtp: {} for {} refused: {}", txId, r.user().user(), e.getMessage());
            return overQuota("%ADDR%");
        } catch (StorageException | IOException e) {
            log.warn("lmtp: cannot deliver {} to {}: {}", txId, r.user().user(), e.getMessage());
            return "451 4.3.0 <%ADDR%> Temporary failure storing the message";
        }
    }
}
