package dev.postoffice.server.command;

import dev.postoffice.protocol.Reply;
import dev.postoffice.storage.StoredMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.function.Function;

/** What the TRANSACTION commands share: the session's marks, message numbers, and the LIST/UIDL shape. */
final class Messages {
    private Messages() {}

    static Marks marks(CommandContext ctx) {
        return ((SessionState.Transaction) ctx.state()).marks();
    }

    /** The answer for a number that names no visible message (RFC 1939: missing, or marked deleted). */
    static Reply missing(Marks marks, int number) {
        return Reply.err(marks.isDeleted(number) ? "message " + number + " already deleted" : "no such message");
    }

    /**
     * The shape LIST and UIDL share (RFC 1939 sections 5 and 7): with a number, one {@code +OK n value} line;
     * without, {@code +OK header} and a {@code n value} line for every message not marked deleted.
     */
    static Reply listing(CommandContext ctx, OptionalInt number, String header,
            Function<StoredMessage, String> value) {
        Marks marks = marks(ctx);
        if (number.isPresent()) {
            int n = number.getAsInt();
            StoredMessage m = marks.visible(n);
            return m == null ? missing(marks, n) : Reply.ok(n + " " + value.apply(m));
        }
        List<String> lines = new ArrayList<>(marks.visibleCount());
        for (int n = 1; n <= marks.size(); n++) {
            StoredMessage m = marks.visible(n);
            if (m != null) {
                lines.add(n + " " + value.apply(m));
            }
        }
        return Reply.lines(header, lines);
    }
}
