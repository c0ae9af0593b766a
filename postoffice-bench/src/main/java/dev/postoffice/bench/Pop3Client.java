package dev.postoffice.bench;

import dev.postoffice.protocol.ResponseCode;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * A small blocking POP3 client (RFC 1939) for load generation: one command at a time, every response read
 * in full and byte-exactly, every octet counted.
 *
 * <p>Multi-line responses are parsed on the receive buffer without copying lines: the terminating
 * {@code CRLF.CRLF} is found, byte-stuffing is undone while counting, and the count for RETR is checked
 * against the size LIST announced, so a server that sends a different number of octets than it reports
 * shows up as a protocol error. Failures are thrown as {@link Pop3Exception} with their {@link ErrorKind}.
 */
public final class Pop3Client implements Closeable {
    private static final int MAX_LINE = 4096;
    private static final String IN_USE = "[" + ResponseCode.IN_USE.wire() + "]";
    private static final String AUTH = "[" + ResponseCode.AUTH.wire() + "]";

    /** A scan listing (LIST or UIDL): message numbers and, per number, the size or the unique id. */
    public record Listing<T>(int[] numbers, List<T> values) {
        public int size() {
            return numbers.length;
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final LongAdder wireIn;
    private final byte[] buf;
    private int pos;
    private int limit;
    private byte[] line = new byte[256];
    private long bytesIn;
    private long bytesOut;
    private boolean authenticated;

    private Pop3Client(Socket socket, int bufferSize, LongAdder wireIn) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
        this.buf = new byte[bufferSize];
        this.wireIn = wireIn;
    }

    /**
     * Connects and reads the greeting.
     *
     * @param bufferSize the receive buffer of this client (small for idle sessions, larger for downloads)
     * @param wireIn     where received octets are added as they arrive (for live rates), or null
     */
    public static Pop3Client connect(InetSocketAddress address, int connectTimeoutMillis, int readTimeoutMillis,
            int bufferSize, LongAdder wireIn) throws Pop3Exception {
        return connect(address, null, connectTimeoutMillis, readTimeoutMillis, bufferSize, wireIn);
    }

    /** The same from a local address of the caller's choice (null: the system's). */
    public static Pop3Client connect(InetSocketAddress address, java.net.InetAddress from, int connectTimeoutMillis,
            int readTimeoutMillis, int bufferSize, LongAdder wireIn) throws Pop3Exception {
        Socket s = new Socket();
        try {
            if (from != null) {
                s.bind(new InetSocketAddress(from, 0));
            }
            s.setTcpNoDelay(true);
            s.connect(address, connectTimeoutMillis);
            s.setSoTimeout(readTimeoutMillis);
            Pop3Client c = new Pop3Client(s, bufferSize, wireIn);
            c.status("greeting");
            return c;
        } catch (IOException e) {
            closeQuietly(s);
            throw classify(e, "connect");
        }
    }

    /** USER and PASS; a rejection is {@link ErrorKind#AUTH} unless the server names another code. */
    public void login(String user, String password) throws Pop3Exception {
        user(user);
        pass(password);
    }

    public void user(String user) throws Pop3Exception {
        command("USER " + user, "USER");
    }

    public void pass(String password) throws Pop3Exception {
        command("PASS " + password, "PASS");
        authenticated = true;
    }

    /** Whether PASS succeeded on this connection. */
    public boolean authenticated() {
        return authenticated;
    }

    /** STAT: {message count, octets}. */
    public long[] stat() throws Pop3Exception {
        String s = command("STAT", "STAT");
        String[] parts = s.split(" ");
        try {
            return new long[] {Long.parseLong(parts[0]), Long.parseLong(parts[1])};
        } catch (RuntimeException e) {
            throw new Pop3Exception(ErrorKind.PROTOCOL, "STAT answer is not +OK count size: " + printable(s));
        }
    }

    public void noop() throws Pop3Exception {
        command("NOOP", "NOOP");
    }

    /** CAPA: the capability lines. */
    public List<String> capa() throws Pop3Exception {
        command("CAPA", "CAPA");
        List<String> lines = new ArrayList<>();
        try {
            for (String l; (l = multiLine()) != null; ) {
                lines.add(l);
            }
        } catch (IOException e) {
            throw classify(e, "CAPA");
        }
        return lines;
    }

    /** LIST: message numbers and sizes. */
    public Listing<Long> list() throws Pop3Exception {
        return listing("LIST", Long::parseLong);
    }

    /** UIDL: message numbers and unique ids. */
    public Listing<String> uidl() throws Pop3Exception {
        return listing("UIDL", s -> s);
    }

    /**
     * RETR: receives the whole message and returns its octets with byte-stuffing undone and the terminator
     * left out.
     *
     * @param expectedSize the size LIST gave, checked against what arrives; negative to skip the check
     */
    public long retr(int message, long expectedSize) throws Pop3Exception {
        command("RETR " + message, "RETR");
        long n = body("RETR");
        if (expectedSize >= 0 && n != expectedSize) {
            throw new Pop3Exception(ErrorKind.PROTOCOL,
                    "RETR " + message + " sent " + n + " octets, LIST said " + expectedSize);
        }
        return n;
    }

    /** TOP: returns the octets received, byte-stuffing undone. */
    public long top(int message, long lines) throws Pop3Exception {
        command("TOP " + message + " " + lines, "TOP");
        return body("TOP");
    }

    /** QUIT, then waits briefly for the server to close the connection, as it must. */
    public void quit() throws Pop3Exception {
        command("QUIT", "QUIT");
        try {
            socket.setSoTimeout(2000);
            while (pos < limit || in.read(buf, 0, buf.length) >= 0) {
                pos = limit; // anything after the final +OK is ignored
            }
        } catch (IOException e) {
            // the session is over either way
        }
    }

    /** Octets received on this connection. */
    public long bytesIn() {
        return bytesIn;
    }

    /** Octets sent on this connection. */
    public long bytesOut() {
        return bytesOut;
    }

    @Override
    public void close() {
        closeQuietly(socket);
    }

    /** Sends a command line and reads its status line; returns the text after {@code +OK}. */
    public String command(String command, String keyword) throws Pop3Exception {
        try {
            byte[] b = (command + "\r\n").getBytes(StandardCharsets.UTF_8);
            out.write(b);
            bytesOut += b.length;
            return status(keyword);
        } catch (IOException e) {
            throw classify(e, keyword);
        }
    }

    private String status(String keyword) throws IOException {
        int n = readLine();
        String s = new String(line, 0, n, StandardCharsets.UTF_8);
        if (s.startsWith("+OK") && (n == 3 || line[3] == ' ')) {
            return n == 3 ? "" : s.substring(4);
        }
        if (s.startsWith("-ERR")) {
            ErrorKind kind;
            if (s.contains(IN_USE)) {
                kind = ErrorKind.IN_USE;
            } else if (s.contains(AUTH) || (keyword.equals("PASS") && s.indexOf('[') < 0)) {
                kind = ErrorKind.AUTH;
            } else {
                kind = ErrorKind.ERR_OTHER;
            }
            throw new Pop3Exception(kind, keyword + ": " + printable(s));
        }
        throw new Pop3Exception(ErrorKind.PROTOCOL, keyword + ": not a status line: " + printable(s));
    }

    private <T> Listing<T> listing(String keyword, java.util.function.Function<String, T> parse) throws Pop3Exception {
        command(keyword, keyword);
        int[] numbers = new int[64];
        List<T> values = new ArrayList<>();
        try {
            for (String l; (l = multiLine()) != null; ) {
                int sp = l.indexOf(' ');
                try {
                    int number = Integer.parseInt(l, 0, sp, 10);
                    T value = parse.apply(l.substring(sp + 1));
                    if (values.size() == numbers.length) {
                        numbers = java.util.Arrays.copyOf(numbers, numbers.length * 2);
                    }
                    numbers[values.size()] = number;
                    values.add(value);
                } catch (RuntimeException e) {
                    throw new Pop3Exception(ErrorKind.PROTOCOL, keyword + ": bad listing line: " + printable(l));
                }
            }
        } catch (IOException e) {
            throw classify(e, keyword);
        }
        return new Listing<>(java.util.Arrays.copyOf(numbers, values.size()), values);
    }

    /** The next line of a multi-line response, byte-stuffing undone, or null at the terminating line. */
    private String multiLine() throws IOException {
        int n = readLine();
        if (n > 0 && line[0] == '.') {
            if (n == 1) {
                return null;
            }
            return new String(line, 1, n - 1, StandardCharsets.UTF_8);
        }
        return new String(line, 0, n, StandardCharsets.UTF_8);
    }

    /** Reads a line into {@link #line}; returns its length without CRLF (or a bare LF). */
    private int readLine() throws IOException {
        int len = 0;
        while (true) {
            if (pos == limit) {
                fill();
            }
            int i = pos;
            byte[] b = buf;
            while (i < limit && b[i] != '\n') {
                i++;
            }
            int n = i - pos;
            if (len + n > line.length) {
                if (len + n > MAX_LINE) {
                    throw new Pop3Exception(ErrorKind.PROTOCOL, "response line longer than " + MAX_LINE + " octets");
                }
                line = java.util.Arrays.copyOf(line, Math.max(line.length * 2, len + n));
            }
            System.arraycopy(b, pos, line, len, n);
            len += n;
            if (i < limit) {
                pos = i + 1;
                if (len > 0 && line[len - 1] == '\r') {
                    len--;
                }
                return len;
            }
            pos = limit;
        }
    }

    // States of the body scanner.
    private static final int LINE_START = 0;
    private static final int DOT = 1;
    private static final int DOT_CR = 2;
    private static final int IN_LINE = 3;

    /**
     * Reads a multi-line body up to and including the terminating {@code CRLF.CRLF}; returns its octets
     * with stuffing dots removed and without the terminator.
     */
    private long body(String keyword) throws Pop3Exception {
        long octets = 0;
        int state = LINE_START;
        try {
            while (true) {
                if (pos == limit) {
                    fill();
                }
                byte[] b = buf;
                int i = pos;
                int end = limit;
                while (i < end) {
                    if (state == IN_LINE) {
                        int j = i;
                        while (j < end && b[j] != '\n') {
                            j++;
                        }
                        if (j < end) {
                            octets += j - i + 1;
                            i = j + 1;
                            state = LINE_START;
                        } else {
                            octets += end - i;
                            i = end;
                        }
                        continue;
                    }
                    byte c = b[i++];
                    switch (state) {
                        case LINE_START -> {
                            if (c == '.') {
                                state = DOT;
                            } else {
                                octets++;
                                state = c == '\n' ? LINE_START : IN_LINE;
                            }
                        }
                        case DOT -> {
                            if (c == '\r') {
                                state = DOT_CR;
                            } else if (c == '\n') {
                                throw new Pop3Exception(ErrorKind.PROTOCOL, keyword + ": a line of one dot ends in a bare LF");
                            } else {
                                octets++; // the leading dot was stuffing; this octet is content
                                state = IN_LINE;
                            }
                        }
                        default -> { // DOT_CR
                            if (c == '\n') {
                                pos = i;
                                return octets;
                            }
                            octets += 2; // the CR and this octet; the dot was stuffing
                            state = IN_LINE;
                        }
                    }
                }
                pos = end;
            }
        } catch (IOException e) {
            throw classify(e, keyword);
        }
    }

    private void fill() throws IOException {
        int n = in.read(buf, 0, buf.length);
        if (n < 0) {
            throw new Pop3Exception(ErrorKind.CLOSED, "connection closed by the server");
        }
        pos = 0;
        limit = n;
        bytesIn += n;
        if (wireIn != null) {
            wireIn.add(n);
        }
    }

    static Pop3Exception classify(IOException e, String during) {
        if (e instanceof Pop3Exception p) {
            return p;
        }
        if (e instanceof ConnectException) {
            return new Pop3Exception(ErrorKind.CONNECT_REFUSED, during + ": " + e.getMessage(), e);
        }
        if (e instanceof SocketTimeoutException) {
            return new Pop3Exception(ErrorKind.TIMEOUT, during + ": timed out", e);
        }
        return new Pop3Exception(ErrorKind.IO, during + ": " + e, e);
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder(Math.min(s.length(), 120));
        for (int i = 0; i < s.length() && i < 120; i++) {
            char c = s.charAt(i);
            b.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        return b.toString();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }
}
