package dev.postoffice.protocol.proxy;

import java.io.IOException;
import java.io.InputStream;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads a PROXY protocol header, version 1 (text) or 2 (binary), from the start of a connection, consuming exactly
 * the header's octets so that what follows (a TLS handshake, POP3 commands) is left in the stream. Strict: anything
 * that is not a well-formed header is {@link ProxyHeaderException}, whose message is short printable ASCII.
 * Memory is bounded: a v1 line is at most 107 octets and v2's trailing TLVs are skipped, never buffered.
 */
public final class ProxyHeaderReader {
    /** The v2 signature; it begins with CRLF CRLF so that a v1 line never matches it. */
    static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
    /** The longest v1 header, CRLF included (proxy-protocol.txt section 2.1). */
    static final int V1_MAX = 107;
    private static final byte[] V1_PREFIX = "PROXY ".getBytes(StandardCharsets.US_ASCII);

    private ProxyHeaderReader() {
    }

    /**
     * Reads one header from {@code in}.
     *
     * @throws ProxyHeaderException when the octets are not a valid header, or the stream ends inside it
     * @throws IOException          when reading fails (a timeout, a reset)
     */
    public static ProxyHeader read(InputStream in) throws IOException {
        byte[] start = new byte[V1_PREFIX.length];
        readFully(in, start, 0, start.length);
        if (Arrays.equals(start, V1_PREFIX)) {
            return readV1(in);
        }
        if (Arrays.equals(start, 0, start.length, V2_SIGNATURE, 0, start.length)) {
            return readV2(in);
        }
        throw new ProxyHeaderException("no PROXY protocol header");
    }

    private static ProxyHeader readV1(InputStream in) throws IOException {
        byte[] line = new byte[V1_MAX];
        System.arraycopy(V1_PREFIX, 0, line, 0, V1_PREFIX.length);
        int n = V1_PREFIX.length;
        while (true) { // one octet at a time: nothing after the header may be consumed
            int b = in.read();
            if (b < 0) {
                throw new ProxyHeaderException("the PROXY header ended early");
            }
            if (n == V1_MAX) {
                throw new ProxyHeaderException("PROXY v1 header longer than 107 octets");
            }
            line[n++] = (byte) b;
            if (b == '\n') {
                break;
            }
        }
        if (n < 2 || line[n - 2] != '\r') {
            throw new ProxyHeaderException("PROXY v1 header not ended by CRLF");
        }
        return parseV1(new String(line, V1_PREFIX.length, n - 2 - V1_PREFIX.length, StandardCharsets.ISO_8859_1));
    }

    /** Parses what follows {@code "PROXY "} on a v1 line, without the CRLF. */
    static ProxyHeader parseV1(String rest) throws ProxyHeaderException {
        if (rest.startsWith("UNKNOWN")) {
            if (rest.length() > 7 && rest.charAt(7) != ' ') {
                throw new ProxyHeaderException("bad PROXY v1 protocol");
            }
            return ProxyHeader.LOCAL; // the rest of the line is to be ignored (section 2.1)
        }
        String[] f = rest.split(" ", -1);
        if (f.length != 5) {
            throw new ProxyHeaderException("PROXY v1 header needs protocol, two addresses and two ports");
        }
        boolean v6 = switch (f[0]) {
            case "TCP4" -> false;
            case "TCP6" -> true;
            default -> throw new ProxyHeaderException("bad PROXY v1 protocol");
        };
        InetAddress src = v6 ? ipv6(f[1]) : ipv4(f[1]);
        InetAddress dst = v6 ? ipv6(f[2]) : ipv4(f[2]);
        return ProxyHeader.proxied(new InetSocketAddress(src, port(f[3])), new InetSocketAddress(dst, port(f[4])));
    }

    private static ProxyHeader readV2(InputStream in) throws IOException {
        byte[] head = new byte[V2_SIGNATURE.length + 4];
        System.arraycopy(V2_SIGNATURE, 0, head, 0, V1_PREFIX.length);
        readFully(in, head, V1_PREFIX.length, head.length - V1_PREFIX.length);
        if (!Arrays.equals(head, 0, V2_SIGNATURE.length, V2_SIGNATURE, 0, V2_SIGNATURE.length)) {
            throw new ProxyHeaderException("no PROXY protocol header");
        }
        int versionCommand = head[12] & 0xff;
        int familyTransport = head[13] & 0xff;
        int length = ((head[14] & 0xff) << 8) | (head[15] & 0xff);
        if (versionCommand >> 4 != 2) {
            throw new ProxyHeaderException("unsupported PROXY protocol version");
        }
        int command = versionCommand & 0x0f;
        if (command > 1) {
            throw new ProxyHeaderException("unknown PROXY v2 command");
        }
        int family = familyTransport >> 4;
        int transport = familyTransport & 0x0f;
        if (family > 3 || transport > 2) {
            throw new ProxyHeaderException("unknown PROXY v2 address family or transport");
        }
        int addressLength = switch (family) {
            case 1 -> 12;
            case 2 -> 36;
            case 3 -> 216;
            default -> 0;
        };
        if (command == 0) { // LOCAL: the proxy's own connection (a health check); the block is skipped unread
            skip(in, length);
            return ProxyHeader.LOCAL;
        }
        if (length < addressLength) {
            throw new ProxyHeaderException("PROXY v2 address block too short");
        }
        if (family == 0 || family == 3) { // UNSPEC, or a UNIX socket: no client address to take
            skip(in, length);
            return ProxyHeader.LOCAL;
        }
        if (transport != 1) {
            throw new ProxyHeaderException("PROXY v2 header for a transport other than TCP");
        }
        byte[] addresses = new byte[addressLength];
        readFully(in, addresses, 0, addressLength);
        skip(in, length - addressLength); // TLVs: nothing here needs them
        int size = family == 1 ? 4 : 16;
        InetAddress src = InetAddress.getByAddress(Arrays.copyOfRange(addresses, 0, size));
        InetAddress dst = InetAddress.getByAddress(Arrays.copyOfRange(addresses, size, 2 * size));
        int srcPort = ((addresses[2 * size] & 0xff) << 8) | (addresses[2 * size + 1] & 0xff);
        int dstPort = ((addresses[2 * size + 2] & 0xff) << 8) | (addresses[2 * size + 3] & 0xff);
        return ProxyHeader.proxied(new InetSocketAddress(src, srcPort), new InetSocketAddress(dst, dstPort));
    }

    private static InetAddress ipv4(String s) throws ProxyHeaderException {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            throw new ProxyHeaderException("bad IPv4 address in PROXY header");
        }
        byte[] octets = new byte[4];
        for (int i = 0; i < 4; i++) {
            String p = parts[i];
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')
                    || (p.length() > 1 && p.charAt(0) == '0') || Integer.parseInt(p) > 255) {
                throw new ProxyHeaderException("bad IPv4 address in PROXY header");
            }
            octets[i] = (byte) Integer.parseInt(p);
        }
        return address(octets);
    }

    private static InetAddress ipv6(String s) throws ProxyHeaderException {
        // Only hex digits, colons and (for an embedded IPv4 part) dots: never a name to look up.
        if (s.isEmpty() || s.length() > 45 || s.indexOf(':') < 0
                || !s.chars().allMatch(c -> c == ':' || c == '.' || Character.digit(c, 16) >= 0)) {
            throw new ProxyHeaderException("bad IPv6 address in PROXY header");
        }
        try {
            InetAddress a = InetAddress.getByName(s);
            if (!(a instanceof Inet6Address) && !(a instanceof Inet4Address)) {
                throw new ProxyHeaderException("bad IPv6 address in PROXY header");
            }
            return a;
        } catch (UnknownHostException e) {
            throw new ProxyHeaderException("bad IPv6 address in PROXY header");
        }
    }

    private static InetAddress address(byte[] octets) {
        try {
            return InetAddress.getByAddress(octets);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // unreachable: 4 or 16 octets
        }
    }

    private static int port(String s) throws ProxyHeaderException {
        if (s.isEmpty() || s.length() > 5 || !s.chars().allMatch(c -> c >= '0' && c <= '9')
                || (s.length() > 1 && s.charAt(0) == '0')) {
            throw new ProxyHeaderException("bad port in PROXY header");
        }
        int port = Integer.parseInt(s);
        if (port > 65535) {
            throw new ProxyHeaderException("bad port in PROXY header");
        }
        return port;
    }

    private static void readFully(InputStream in, byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            int n = in.read(b, off, len);
            if (n < 0) {
                throw new ProxyHeaderException("the PROXY header ended early");
            }
            off += n;
            len -= n;
        }
    }

    private static void skip(InputStream in, int n) throws IOException {
        byte[] scratch = new byte[Math.min(n, 512)];
        while (n > 0) {
            int r = in.read(scratch, 0, Math.min(n, scratch.length));
            if (r < 0) {
                throw new ProxyHeaderException("the PROXY header ended early");
            }
            n -= r;
        }
    }
}
