package dev.postoffice.protocol;

/**
 * The canonical form in which a stored message crosses the wire (RFC 1939 section 3 and RFC 5322):
 * every line ends in CRLF, whatever the stored file used ({@code LF}, {@code CRLF} or a lone {@code CR}),
 * and a message that does not end in a line break gets a final CRLF.
 *
 * <p>The size of a message in this form is what STAT and LIST report, and it is exactly the number of
 * octets RETR sends before byte-stuffing. {@link WireEncoder} produces the form; {@link SizeCounter}
 * measures it with the same rules, so the two can never disagree.
 */
public final class MessageFormat {
    private MessageFormat() {}

    /**
     * Counts the canonical size of a message fed in chunks. Line-ending rules are the same as
     * {@link WireEncoder}: CRLF, LF and a lone CR each end a line, and each line end becomes CRLF.
     */
    public static final class SizeCounter {
        private long size;
        private boolean pendingCr;
        private boolean atLineStart = true;

        public void update(byte[] buf, int off, int len) {
            long n = size;
            boolean cr = pendingCr;
            boolean start = atLineStart;
            for (int i = off, end = off + len; i < end; i++) {
                byte b = buf[i];
                if (cr) {
                    cr = false;
                    if (b == '\n') {
                        continue; // CRLF already counted at the CR
                    }
                }
                if (b == '\r') {
                    n += 2;
                    cr = true;
                    start = true;
                } else if (b == '\n') {
                    n += 2;
                    start = true;
                } else {
                    n++;
                    start = false;
                }
            }
            size = n;
            pendingCr = cr;
            atLineStart = start;
        }

        /** The canonical size of everything fed so far, including a final CRLF if the input lacks one. */
        public long size() {
            return atLineStart ? size : size + 2;
        }

        /** Whether the input fed so far ends with a line break (or is empty). */
        public boolean endsWithLineBreak() {
            return atLineStart;
        }
    }

    /** The canonical size of a whole message held in memory. */
    public static long canonicalSize(byte[] message) {
        SizeCounter c = new SizeCounter();
        c.update(message, 0, message.length);
        return c.size();
    }
}
