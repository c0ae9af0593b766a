package dev.postoffice.client;

import dev.postoffice.protocol.client.ReplyReader;
import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Delivery over LMTP (RFC 2033) to one local recipient, on one connection for the whole run: LHLO once, then per
 * message MAIL FROM:&lt;&gt;, RCPT TO, DATA with dot-stuffing; the recipient's {@code 250} after the final dot
 * is the server's promise of durability. Like an MDA, an LMTP server cannot be asked whether it already holds a
 * message, so a crash between that {@code 250} and the journal write delivers the message again on the next run.
 */
public final class LmtpTarget implements Target {
    private final InetSocketAddress address;
    private final String recipient;
    private final Duration timeout;
    private Socket socket;
    private ReplyReader in;
    private OutputStream out;

    public LmtpTarget(InetSocketAddress address, String recipient, Duration timeout) {
        this.address = address;
        this.recipient = recipient;
        this.timeout = timeout;
    }

    @Override
    public boolean lineFeeds() {
        return false; // the wire's CRLF
    }

    @Override
    public boolean holds(String key) {
        return false;
    }

    private void connect() throws IOException {
        if (socket != null) {
            return;
        }
        Socket s = new Socket();
        try {
            s.connect(address, (int) timeout.toMillis());
            s.setSoTimeout((int) timeout.toMillis());
            socket = s;
            in = new ReplyReader(s.getInputStream(), 8192);
            out = new BufferedOutputStream(s.getOutputStream(), 64 * 1024);
            expect(reply(), "220", "greeting");
            command("LHLO " + java.net.InetAddress.getLoopbackAddress().getHostName(), "250", "LHLO");
        } catch (IOException e) {
            drop();
            throw e;
        }
    }

    /** The last line of a (possibly multi-line) reply. */
    private String reply() throws IOException {
        String line;
        do {
            line = in.line();
            if (line == null) {
                throw new IOException("the LMTP server closed the connection");
            }
        } while (line.length() > 3 && line.charAt(3) == '-');
        return line;
    }

    private static void expect(String reply, String code, String what) throws IOException {
        if (!reply.startsWith(code)) {
            String shown = reply.replaceAll("\\p{Cntrl}", "?");
            throw new IOException("LMTP " + what + ": " + (shown.length() > 200 ? shown.substring(0, 200) : shown));
        }
    }

    private void command(String line, String code, String what) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        expect(reply(), code, what);
    }

    @Override
    public Delivery begin(String key) throws IOException {
        connect();
        try {
            command("MAIL FROM:<>", "250", "MAIL");
            command("RCPT TO:<" + recipient + ">", "250", "RCPT TO:<" + recipient + ">");
            command("DATA", "354", "DATA");
        } catch (IOException e) {
            drop();
            throw e;
        }
        DotStuffing stream = new DotStuffing(out);
        return new Delivery() {
            @Override
            public OutputStream stream() {
                return stream;
            }

            @Override
            public void commit() throws IOException {
                try {
                    stream.finish();
                    out.flush();
                    expect(reply(), "250", "delivery (message left on the server)");
                } catch (IOException e) {
                    drop();
                    throw e;
                }
            }

            @Override
            public void abort() {
                drop(); // the server discards a DATA cut off by a closed connection
            }
        };
    }

    @Override
    public void sync() {
        // each 250 is the server's promise of durability
    }

    @Override
    public void close() {
        if (socket != null) {
            try {
                out.write("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                reply();
            } catch (IOException e) {
                // closing anyway
            }
            drop();
        }
    }

    private void drop() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException e) {
                // nothing to do
            }
            socket = null;
        }
    }

    /** Doubles a dot that starts a line and ends the message with CRLF.CRLF. */
    static final class DotStuffing extends FilterOutputStream {
        private int last = '\n';
        private int beforeLast = '\r';

        DotStuffing(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            if (b == '.' && last == '\n') {
                out.write('.');
            }
            out.write(b);
            beforeLast = last;
            last = b;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            for (int i = off; i < off + len; i++) {
                write(b[i] & 0xff);
            }
        }

        @Override
        public void close() {
            // the connection stays open; finish() ends the message
        }

        void finish() throws IOException {
            if (last != '\n' || beforeLast != '\r') {
                out.write(last == '\r' ? new byte[] {'\n'} : new byte[] {'\r', '\n'});
            }
            out.write(".\r\n".getBytes(StandardCharsets.US_ASCII));
        }
    }
}
