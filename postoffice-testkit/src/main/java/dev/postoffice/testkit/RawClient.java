package dev.postoffice.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.SSLContext;

/** A byte-exact POP3 client over a plain (or already TLS) socket, for tests that look at the wire itself. */
public final class RawClient implements AutoCloseable {
    private Socket socket;
    private InputStream in;
    private OutputStream out;
    private final String greeting;

    /** Connects to {@code port} on 127.0.0.1 and reads the greeting. */
    public RawClient(int port) throws IOException {
        this(new Socket("127.0.0.1", port));
    }

    /** Over an already connected socket, e.g. a TLS one for POP3S; reads the greeting. */
    public RawClient(Socket connected) throws IOException {
        socket = connected;
        socket.setSoTimeout(10_000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
        greeting = line();
    }

    /** The server's greeting line. */
    public String greeting() {
        return greeting;
    }

    /** The socket the client talks over now (the TLS one after {@link #startTls}). */
    public Socket socket() {
        return socket;
    }

    /** After +OK to STLS: continues over TLS on the same connection. */
    public RawClient startTls(SSLContext context) throws IOException {
        socket = TlsClient.upgrade(context, socket);
        socket.setSoTimeout(10_000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
        return this;
    }

    /** True if the server sends nothing within the given time. */
    public boolean silentFor(int millis) throws IOException {
        int old = socket.getSoTimeout();
        socket.setSoTimeout(millis);
        try {
            return in.read() == -2;
        } catch (SocketTimeoutException e) {
            return true;
        } finally {
            socket.setSoTimeout(old);
        }
    }

    /** Sends raw text (add CRLF yourself). */
    public RawClient send(String text) throws IOException {
        return sendBytes(text.getBytes(StandardCharsets.UTF_8));
    }

    public RawClient sendBytes(byte[] b) throws IOException {
        out.write(b);
        out.flush();
        return this;
    }

    /** Sends one command and returns the status line. */
    public String cmd(String command) throws IOException {
        send(command + "\r\n");
        return line();
    }

    /** Reads one line; the terminator must be CRLF. Returns null at EOF. */
    public String line() throws IOException {
        byte[] b = lineBytes();
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    /** Reads one line's octets without the CRLF, which must end it; null at EOF. */
    public byte[] lineBytes() throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int prev = -1;
        while (true) {
            int c = in.read();
            if (c < 0) {
                if (buf.size() == 0) {
                    return null;
                }
                throw new IOException("EOF inside a line: " + buf);
            }
            if (c == '\n') {
                if (prev != '\r') {
                    throw new IOException("bare LF from server after: " + buf);
                }
                byte[] b = buf.toByteArray();
                return Arrays.copyOf(b, b.length - 1);
            }
            buf.write(c);
            prev = c;
        }
    }

    /** Reads the body of a multi-line response up to the terminating ".", as the raw wire lines. */
    public List<String> multiline() throws IOException {
        List<String> lines = new ArrayList<>();
        String l;
        while (!(l = line()).equals(".")) {
            lines.add(l);
        }
        return lines;
    }

    /** Reads a multi-line body and undoes byte-stuffing, giving the exact octets of the message. */
    public byte[] multilineOctets() throws IOException {
        ByteArrayOutputStream msg = new ByteArrayOutputStream();
        while (true) {
            byte[] l = lineBytes();
            if (l == null) {
                throw new IOException("EOF inside a multi-line response");
            }
            if (l.length == 1 && l[0] == '.') {
                return msg.toByteArray();
            }
            int off = l.length > 0 && l[0] == '.' ? 1 : 0;
            msg.write(l, off, l.length - off);
            msg.write('\r');
            msg.write('\n');
        }
    }

    /** True once the server has closed the connection. */
    public boolean closedByServer() throws IOException {
        try {
            return in.read() < 0;
        } catch (SocketException e) {
            return true;
        }
    }

    /** USER and PASS; fails unless both are answered +OK. */
    public RawClient login(String user, String password) throws IOException {
        String r1 = cmd("USER " + user);
        String r2 = cmd("PASS " + password);
        if (!r1.startsWith("+OK") || !r2.startsWith("+OK")) {
            throw new IOException("login failed: " + r1 + " / " + r2);
        }
        return this;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
