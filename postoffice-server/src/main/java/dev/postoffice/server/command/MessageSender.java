package dev.postoffice.server.command;

import dev.postoffice.protocol.ResponseCode;
import dev.postoffice.server.session.Session;
import dev.postoffice.storage.StoredMessage;
import java.io.IOException;
import java.io.InputStream;

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
