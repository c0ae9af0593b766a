package dev.postoffice.message;

/**
 * The canonical form in which a stored message crosses the wire (RFC 1939 section 3 and RFC 5322):
 * every line ends in CRLF, whatever the stored file used ({@code LF}, {@code CRLF} or a lone {@code CR}),
 * and a message that does not end in a line break gets a final CRLF.
 *
 * <p>The size of a message in this form is what STAT and LIST report, and it is exactly the number of
 * octets RETR sends before byte-stuffing. the protocol's {@code WireEncoder} produces the form; {@link SizeCounter}
 * measures it with the same rules, so the two can never disagree.
 */
public final class MessageFormat {
    private MessageFormat() {}

    /**
     * Counts the canonical size of a message fed in chunks. Line-ending rules are the same as
     * the protocol's {@code WireEncoder}: CRLF, LF and a lone CR each end a line, and each line end becomes CRLF.
     */
    public static final class SizeCounter {
        private long size;
        private long raw;
        private long dotLines;
        private boolean pendingCr;
        private boolean atLineStart = true;

        public void update(byte[] buf, int off, int len) {
            long n = size;
            long dots = dotLines;
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
                    if (start && b == '.') {
                        dots++;
                    }
                    n++;
                    start = false;
                }
            }
            size = n;
            raw += len;
            dotLines = dots;
            pendingCr = cr;
            atLineStart = start;
        }

        /**
         * Whether the input fed so far is already in canonical form: only CRLF line ends, ending with one. Such
         * a message needs at most byte-stuffing on the way out. An empty input is not.
         */
        public boolean isCanonical() {
            return raw > 0 && raw == size();
        }

        /** Whether a line of the input fed so far starts with '.', which RETR byte-stuffs. */
        public boolean hasDotLines() {
            return dotLines > 0;
        }

        /**
         * Whether the input fed so far is already exactly what RETR sends before the termination line: canonical
         * and with no line to byte-stuff. Such a message can go from storage to the wire unchanged.
         */
        public boolean isWireForm() {
            return isCanonical() && dotLines == 0;
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

    /** The line end a {@link LineEndConverter} writes. */
    public enum LineEnd {
        /** CR LF, the canonical form: a message stored so can be sent without conversion. */
        CRLF("\r\n"),
        /** A lone LF, the Unix and traditional Maildir convention. */
        LF("\n");

        private final byte[] octets;

        LineEnd(String octets) {
            this.octets = octets.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        }
    }

    /**
     * Rewrites a message fed in chunks so that every line end (CRLF, LF or a lone CR, the same rules as
     * {@link SizeCounter}) is the chosen {@link LineEnd}, and a message that does not end in a line break gets
     * one. Nothing is byte-stuffed: this is the stored form, not the wire form. With {@link LineEnd#CRLF} the
     * output is the canonical form itself, so its length is the canonical size.
     */
    public static final class LineEndConverter {
        private final byte[] eol;
        private boolean pendingCr;
        private boolean atLineStart = true;

        public LineEndConverter(LineEnd lineEnd) {
            this.eol = lineEnd.octets;
        }

        /** The most octets {@link #convert} can write for {@code len} input octets. */
        public static int maxOutput(int len) {
            return 2 * len;
        }

        /**
         * Converts {@code in[off, off + len)} into {@code out} from index 0 and returns how many octets it wrote.
         * {@code out} must hold at least {@link #maxOutput maxOutput(len)} octets.
         */
        public int convert(byte[] in, int off, int len, byte[] out) {
            int o = 0;
            int i = off;
            int end = off + len;
            while (i < end) {
                byte b = in[i];
                if (pendingCr) {
                    pendingCr = false;
                    if (b == '\n') {
                        i++; // the LF of a CRLF, whose line end went out at the CR
                        continue;
                    }
                }
                if (b == '\r' || b == '\n') {
                    System.arraycopy(eol, 0, out, o, eol.length);
                    o += eol.length;
                    pendingCr = b == '\r';
                    atLineStart = true;
                    i++;
                    continue;
                }
                int j = LineScan.lineEnd(in, i + 1, end);
                System.arraycopy(in, i, out, o, j - i);
                o += j - i;
                atLineStart = false;
                i = j;
            }
            return o;
        }

        /**
         * Ends the message: writes the final line end into {@code out} (at least {@code 2} octets) if the input
         * did not end with one, and returns how many octets it wrote.
         */
        public int finish(byte[] out) {
            if (atLineStart) {
                return 0;
            }
            System.arraycopy(eol, 0, out, 0, eol.length);
            atLineStart = true;
            return eol.length;
        }
    }

    /** The canonical size of a whole message held in memory. */
    public static long canonicalSize(byte[] message) {
        SizeCounter c = new SizeCounter();
        c.update(message, 0, message.length);
        return c.size();
    }
}
