package dev.postoffice.server.command;

import dev.postoffice.protocol.Command;
import dev.postoffice.protocol.Reply;
import dev.postoffice.protocol.ResponseCode;
import dev.postoffice.storage.LeaseLostException;
import dev.postoffice.storage.Maildrop;
import dev.postoffice.storage.StorageException;
import dev.postoffice.storage.StoredMessage;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * QUIT (RFC 1939 sections 4 and 6). From TRANSACTION it is the UPDATE state: the marked messages are removed
 * through the maildrop's lease-fenced commit, retrievals recorded for EXPIRE, and the lease released before the
 * answer (in UPDATE's own transaction where the store can), so a client that reconnects at once is not told IN-USE.
 */
final class QuitHandler implements CommandHandler<Command.Quit> {
    private static final Logger log = LoggerFactory.getLogger(QuitHandler.class);

    public Set<Class<? extends SessionState>> validIn() {
        return BOTH;
    }

    public Reply handle(CommandContext ctx, Command.Quit command) {
        if (!(ctx.state() instanceof SessionState.Transaction t)) {
            ctx.closeAfterReply("QUIT");
            return Reply.ok("Postoffice POP3 server signing off");
        }
        SessionState.Update update = new SessionState.Update(t.account(), t.maildrop(), t.marks());
        if (!ctx.enterUpdate(update)) {
            ctx.closeAfterReply("shutdown before UPDATE");
            return null;
        }
        ctx.closeAfterReply("QUIT");
        Marks marks = t.marks();
        Maildrop maildrop = t.maildrop();
        Optional<Integer> expire = Expiry.days(ctx, t.account());
        if (expire.isPresent() && expire.get() == 0) {
            marks.markRetrievedDeleted(); // EXPIRE 0: the server keeps no message once retrieved
        }
        List<StoredMessage> retrieved = expire.isPresent() ? marks.retrievedMessages() : List.of();
        Reply reply;
        try {
            maildrop.commitAndClose(marks.markedDeleted(), retrieved, ctx.now());
            ctx.server().metrics().deleted(marks.deletedCount());
            reply = Reply.ok("Postoffice POP3 server signing off (" + marks.visibleCount() + " messages left)");
        } catch (LeaseLostException e) {
            log.warn("update refused: user={} reason={}", t.account().name(), e.getMessage());
            reply = Reply.err(ResponseCode.SYS_TEMP, "the maildrop lock was lost; nothing was deleted");
        } catch (StorageException e) {
            log.warn("update failed: ip={} user={} reason={}", ctx.login().peer(), t.account().name(),
                    e.getMessage());
            reply = Reply.err(ResponseCode.SYS_TEMP,
                    "some deleted messages could not be removed; they are still in the maildrop");
        }
        return reply;
    }
}
