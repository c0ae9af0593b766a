package dev.postoffice.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;

/**
 * A one-connection-at-a-time POP3 stand-in for client tests: sends {@code greeting}, then for every
 * command line the raw octets {@code responder} returns (null closes the connection, "" sends nothing).
 */
final class ScriptedServer implements AutoCloseable {
    private final ServerSocket socket;

    ScriptedServer(String greeting, Function<String, String> responder) throws IOException {
        socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            while (!socket.isClosed()) {
                try (Socket s = socket.accept()) {
                    OutputStream out = s.getOutputStream();
                    out.write(greeting.getBytes(StandardCharsets.ISO_8859_1));
                    BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
                    for (String line; (line = in.readLine()) != null; ) {
                        String answer = responder.apply(line);
                        if (answer == null) {
                            break;
                        }
                        out.write(answer.getBytes(StandardCharsets.ISO_8859_1));
                        out.flush();
                    }
                } catch (IOException e) {
                    // next connection
                }
            }
        });
    }

    InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), socket.getLocalPort());
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
