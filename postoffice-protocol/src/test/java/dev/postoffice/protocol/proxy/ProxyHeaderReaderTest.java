package dev.postoffice.protocol.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.postoffice.protocol.ChunkedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** PROXY v1 and v2 headers, valid and not, fed in every chunk size; nothing after the header is consumed. */
class ProxyHeaderReaderTest {
    private static final byte[] AFTER = "+rest of the stream\r\n".getBytes(StandardCharsets.US_ASCII);

    static Stream<Arguments> cases() throws Exception {
        List<Object[]> table = new ArrayList<>();
        // v1
        table.add(new Object[] {v1("PROXY TCP4 192.0.2.7 198.51.100.1 56324 110\r\n"), "192.0.2.7:56324>198.51.100.1:110"});
        table.add(new Object[] {v1("PROXY TCP6 2001:db8::7 2001:db8::1 65535 995\r\n"),
                "2001:db8:0:0:0:0:0:7:65535>2001:db8:0:0:0:0:0:1:995"});
        table.add(new Object[] {v1("PROXY UNKNOWN\r\n"), "LOCAL"});
        table.add(new Object[] {v1("PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n"), "LOCAL"});
        table.add(new Object[] {v1("PROXY TCP4 192.0.2.7 198.51.100.1 0 0\r\n"), "192.0.2.7:0>198.51.100.1:0"});
        table.add(new Object[] {v1("PROXY TCP4 192.0.2.7 198.51.100.1 56324 110\n"), "ERR:CRLF"});
        table.add(new Object[] {v1("PROXY TCP4 192.0.2.7 198.51.100.1 56324\r\n"), "ERR:needs"});
        table.add(new Object[] {v1("PROXY TCP4 192.0.2.7  198.51.100.1 56324 110\r\n"), "ERR:needs"});
        table.add(new Object[] {v1("PROXY TCP4 192.0.2.256 198.51.100.1 56324 110\r\n"), "ERR:IPv4"});
        table.add(new Object[] {v1("PROXY TCP4 192.0.2.07 198.51.100.1 56324 110\r\n"), "ERR:IPv4"});
        table.add(new Object[] {v1("PROXY TCP4 example.org 198.51.100.1 56324 110\r\n"), "ERR:IPv4"});
        table.add(new Object[] {v1("PROXY TCP4 2001:db8::7 198.51.100.1 56324 110\r\n"), "ERR:IPv4"});
        table.add(new Object[] {v1("PROXY TCP6 192.0.2.7 2001:db8::1 1 2\r\n"), "ERR:IPv6"});
        table.add(new Object[] {v1("PROXY TCP6 localhost 2001:db8::1 1 2\r\n"), "ERR:IPv6"});
        table.add(new Object[] {v1("PROXY TCP6 1:2:3 2001:db8::1 1 2\r\n"), "ERR:IPv6"});
        table.add(new Object[] {v1("PROXY TCP4 192.0.2.7 198.51.100.1 65536 110\r\n"), "ERR:port"});
        table.add(new Object[] {v1("PROXY TCP4 192.0.2.7 198.51.100.1 +1 110\r\n"), "ERR:port"});
        table.add(new Object[] {v1("PROXY TCP4 192.0.2.7 198.51.100.1 0110 110\r\n"), "ERR:port"});
        table.add(new Object[] {v1("PROXY UDP4 192.0.2.7 198.51.100.1 1 2\r\n"), "ERR:protocol"});
        table.add(new Object[] {v1("PROXY UNKNOWNX\r\n"), "ERR:protocol"});
        table.add(new Object[] {v1("PROXY TCP4 " + "1".repeat(100) + "\r\n"), "ERR:107"});
        table.add(new Object[] {v1("PROXY TCP4 192.0.2.7"), "ERR:early"});
        table.add(new Object[] {v1("USER alice\r\n"), "ERR:no PROXY"});
        table.add(new Object[] {v1("PROX"), "ERR:early"});
        // v2
        byte[] v4 = addresses("192.0.2.7", "198.51.100.1", 56324, 110);
        byte[] v6 = addresses("2001:db8::7", "2001:db8::1", 443, 995);
        table.add(new Object[] {v2(0x21, 0x11, v4), "192.0.2.7:56324>198.51.100.1:110"});
        table.add(new Object[] {v2(0x21, 0x21, v6), "2001:db8:0:0:0:0:0:7:443>2001:db8:0:0:0:0:0:1:995"});
        byte[] withTlvs = concat(v4, new byte[] {0x04, 0x00, 0x03, 'a', 'b', 'c'}, new byte[600]);
        table.add(new Object[] {v2(0x21, 0x11, withTlvs), "192.0.2.7:56324>198.51.100.1:110"});
        table.add(new Object[] {v2(0x20, 0x00, new byte[0]), "LOCAL"});
        table.add(new Object[] {v2(0x20, 0x11, v4), "LOCAL"});
        table.add(new Object[] {v2(0x21, 0x00, new byte[0]), "LOCAL"});
        table.add(new Object[] {v2(0x21, 0x31, new byte[216]), "LOCAL"});
        table.add(new Object[] {v2(0x21, 0x12, v4), "ERR:transport"});
        table.add(new Object[] {v2(0x11, 0x11, v4), "ERR:version"});
        table.add(new Object[] {v2(0x22, 0x11, v4), "ERR:command"});
        table.add(new Object[] {v2(0x21, 0x41, v4), "ERR:family"});
        table.add(new Object[] {v2(0x21, 0x21, v4), "ERR:too short"});
        byte[] truncated = v2(0x21, 0x11, v4);
        table.add(new Object[] {java.util.Arrays.copyOf(truncated, truncated.length - 3), "ERR:early"});
        byte[] badSignature = v2(0x21, 0x11, v4);
        badSignature[7] = 'X';
        table.add(new Object[] {badSignature, "ERR:no PROXY"});
        List<Arguments> out = new ArrayList<>();
        for (Object[] row : table) {
            for (int chunk : new int[] {1, 2, 3, 5, 7, 13, 16, 64, 4096}) {
                out.add(Arguments.of(row[0], chunk, row[1]));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "[{index}] chunk {1}: {2}")
    @MethodSource("cases")
    void readsHeadersFedInAnyChunkSize(byte[] header, int chunk, String expected) throws IOException {
        boolean complete = !expected.equals("ERR:early");
        InputStream in = new ChunkedInputStream(complete ? concat(header, AFTER) : header, chunk);
        if (expected.startsWith("ERR:")) {
            Throwable t = catchThrowable(() -> ProxyHeaderReader.read(in));
            assertThat(t).isInstanceOf(ProxyHeaderException.class).hasMessageContaining(expected.substring(4));
            assertThat(t.getMessage().chars().allMatch(c -> c >= 0x20 && c < 0x7f)).isTrue();
            return;
        }
        ProxyHeader h = ProxyHeaderReader.read(in);
        assertThat(describe(h)).isEqualTo(expected);
        assertThat(in.readAllBytes()).as("nothing after the header consumed").isEqualTo(AFTER);
    }

    private static String describe(ProxyHeader h) {
        if (h.local()) {
            return "LOCAL";
        }
        return h.source().getAddress().getHostAddress() + ":" + h.source().getPort() + ">"
                + h.destination().getAddress().getHostAddress() + ":" + h.destination().getPort();
    }

    static byte[] v1(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static byte[] v2(int versionCommand, int familyTransport, byte[] block) {
        ByteBuffer b = ByteBuffer.allocate(16 + block.length);
        b.put(HexFormat.of().parseHex("0d0a0d0a000d0a515549540a"));
        b.put((byte) versionCommand).put((byte) familyTransport).putShort((short) block.length).put(block);
        return b.array();
    }

    static byte[] addresses(String src, String dst, int srcPort, int dstPort) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(InetAddress.getByName(src).getAddress());
        out.write(InetAddress.getByName(dst).getAddress());
        out.write(new byte[] {(byte) (srcPort >> 8), (byte) srcPort, (byte) (dstPort >> 8), (byte) dstPort});
        return out.toByteArray();
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

}
