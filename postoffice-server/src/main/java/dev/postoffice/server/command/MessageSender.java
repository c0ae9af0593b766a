package dev.postoffice.server.command;

import dev.postoffice.message.MessageBody;
import dev.postoffice.message.MessageForm;
import dev.postoffice.protocol.ResponseCode;
import dev.postoffice.protocol.ResponseWriter;
import dev.postoffice.server.session.Session;
import dev.postoffice.storage.StoredMessage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.util.Optional;

/** Streams a stored message for RETR and TOP. */
final class MessageSender {
    private MessageSender() {}

    /**
     * Opens the message, answers {@code +OK} and streams it. If it cannot be opened the client gets
     * {@code -ERR [SYS/TEMP]}; if reading fails after {@code +OK} went out, the connection is aborted
     * (without UPDATE), since a multi-line response cannot be taken back.
     *
     * @return the canonical octets sent, or -1 if nothing was sent
     */
    static long send(Session session, StoredMessage m, String okText, long bodyLines) throws IOException {
        MessageBody body;
        Optional<FileChannel> channel;
        try {
            body = session.transaction().maildrop().body(m);
            channel = bodyLines < 0 ? body.openChannel() : Optional.empty();
        } catch (IOException e) {
            session.out().err(ResponseCode.SYS_TEMP, "message cannot be read right now");
            return -1;
        }
        if (channel.isPresent()) {
            try (FileChannel ch = channel.get()) {
                session.out().ok(okText);
                try {
                    return session.out().canonicalMessage(ch, m.size(), body.form() == MessageForm.DOTTED,
                            session.directTransfer());
                } catch (ResponseWriter.MessageReadException e) {
                    session.abort("message " + m.id() + " became unreadable during transfer: " + e.getMessage());
                    return -1;
                }
            }
        }
        try (InputStream in = body.open()) {
            session.out().ok(okText);
            try {
                return session.out().message(new ReadFailureMarker(in), bodyLines, m.size());
            } catch (ReadFailureMarker.ReadFailed e) {
                session.abort("message " + m.id() + " became unreadable during transfer: " + e.getCause().getMessage());
                return -1;
            }
        }
    }
}
