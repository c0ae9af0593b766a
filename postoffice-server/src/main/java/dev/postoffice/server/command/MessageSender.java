package dev.postoffice.server.command;

import dev.postoffice.protocol.ResponseCode;
import dev.postoffice.protocol.ResponseWriter;
import dev.postoffice.server.session.Session;
import dev.postoffice.storage.Maildrop;
import dev.postoffice.storage.StoredMessage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.util.Optional;

/** Streams a stored message for RETR and TOP. */
final class MessageSender {
    private static final long NOT_CANONICAL = -2;

    private MessageSender() {}

    /**
     * RETR of a message the maildrop stores in canonical form: the file's octets go out unchanged (from the
     * file straight to the socket where the connection allows it), or with only byte-stuffing added.
     *
     * @return as {@link #send}, or {@link #NOT_CANONICAL} if the message is not stored so (nothing was sent)
     */
    private static long sendCanonical(Session session, StoredMessage m, String okText) throws IOException {
        Optional<Maildrop.CanonicalFile> file;
        try {
            file = session.transaction().maildrop().openCanonical(m);
        } catch (IOException e) {
            session.out().err(ResponseCode.SYS_TEMP, "message cannot be read right now");
            return -1;
        }
        if (file.isEmpty()) {
            return NOT_CANONICAL;
        }
        try (FileChannel ch = file.get().file()) {
            session.out().ok(okText);
            try {
                return session.out().canonicalMessage(ch, m.size(), file.get().dotLines(), session.directTransfer());
            } catch (ResponseWriter.MessageReadException e) {
                session.abort("message " + m.id() + " became unreadable during transfer: " + e.getMessage());
                return -1;
            }
        }
    }

    /**
     * Opens the message, answers {@code +OK} and streams it. If it cannot be opened the client gets
     * {@code -ERR [SYS/TEMP]}; if reading fails after {@code +OK} went out, the connection is aborted
     * (without UPDATE), since a multi-line response cannot be taken back.
     *
     * @return the canonical octets sent, or -1 if nothing was sent
     */
    static long send(Session session, StoredMessage m, String okText, long bodyLines) throws IOException {
        if (bodyLines < 0) {
            long sent = sendCanonical(session, m, okText);
            if (sent != NOT_CANONICAL) {
                return sent;
            }
        }
        InputStream in;
        try {
            in = session.transaction().maildrop().openMessage(m);
        } catch (IOException e) {
            session.out().err(ResponseCode.SYS_TEMP, "message cannot be read right now");
            return -1;
        }
        try (in) {
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
