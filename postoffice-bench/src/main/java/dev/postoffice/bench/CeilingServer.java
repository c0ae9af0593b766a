package dev.postoffice.bench;

import dev.postoffice.protocol.Command;
import dev.postoffice.protocol.CommandParser;
import dev.postoffice.protocol.CommandSyntaxException;
import dev.postoffice.protocol.LineReader;
import dev.postoffice.protocol.ResponseWriter;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;

import picocli.CommandLine.Option;

/**
 * The benchmark's ceiling: a POP3 responder that does no real work, to measure what the load generator
 * itself can drive on this machine. It accepts any USER/PASS, holds every maildrop in memory already in
 * wire form (line ends canonical, byte-stuffed, terminated; made by the protocol module's own encoder),
 * and answers STAT, LIST, UIDL, RETR, TOP, NOOP, CAPA, DELE, RSET and QUIT from precomputed bytes, one
 * virtual thread per connection. It keeps no locks and removes nothing.
 *
 * <p>Maildrops come from a manifest (see {@link Corpus}): the same messages per user as the real servers
 * get, so download rates compare. Users not in the manifest get an empty maildrop. Without a manifest
 * every user gets {@code --messages} synthetic messages of about {@code --size} octets.
 */
@CommandLine.Command(name = "ceiling-server", mixinStandardHelpOptions = true,
        description = "A POP3 responder that does no real work: the generator's own limit on this machine.")
public final class CeilingServer implements Callable<Integer>, AutoCloseable {
    private static final byte[] OK = ascii("+OK\r\n");

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Listen address (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "0", description = "Listen port (default: any free port, printed).")
    int port;

    @Option(names = "--manifest", paramLabel = "FILE", description = "Maildrops: 'user<TAB>file file ...' lines.")
    Path manifest;

    @Option(names = "--messages", defaultValue = "10", description = "Synthetic messages per user without a manifest (default: ${DEFAULT-VALUE}).")
    int messages;

    @Option(names = "--size", defaultValue = "4096", description = "Octets of each synthetic message (default: ${DEFAULT-VALUE}).")
    int size;

    /**
     * One message in wire form: {@code retr} is the whole RETR response (status line, stuffed body,
     * terminator), {@code top0} the body of the {@code TOP n 0} response.
     */
    record Message(long size, byte[] retr, byte[] top0, byte[] raw) {}

    /** One user's maildrop with its precomputed listings. */
    record Maildrop(Message[] messages, byte[] stat, byte[] list, byte[] uidl, String[] uidls) {}

    private ServerSocket serverSocket;
    private Map<String, Maildrop> maildrops;
    private Maildrop fallback;
    private volatile boolean closing;

    public static void main(String[] args) {
        System.exit(new CommandLine(new CeilingServer()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Map<String, Maildrop> drops;
        Maildrop other;
        if (manifest != null) {
            drops = fromManifest(manifest);
            other = maildrop(List.of());
        } else {
            drops = Map.of();
            other = synthetic(messages, size);
        }
        try (CeilingServer s = start(new InetSocketAddress(InetAddress.getByName(host), port), drops, other)) {
            System.out.println("ceiling listening on " + host + ":" + s.port() + " (" + drops.size()
                    + " maildrops from the manifest)");
            System.out.flush();
            new CountDownLatch(1).await(); // until the process is stopped
        }
        return 0;
    }

    /** Starts a responder; {@code other} is the maildrop of users not in {@code drops}. */
    public static CeilingServer start(InetSocketAddress address, Map<String, Maildrop> drops, Maildrop other)
            throws IOException {
        CeilingServer s = new CeilingServer();
        s.maildrops = drops;
        s.fallback = other;
        s.serverSocket = new ServerSocket();
        s.serverSocket.setReuseAddress(true);
        s.serverSocket.bind(address, 4096);
        Thread.ofPlatform().name("ceiling-acceptor").daemon().start(s::acceptLoop);
        return s;
    }

    public int port() {
        return serverSocket.getLocalPort();
    }

    @Override
    public void close() throws IOException {
        closing = true;
        serverSocket.close();
    }

    private void acceptLoop() {
        while (!closing) {
            try {
                Socket socket = serverSocket.accept();
                Thread.ofVirtual().start(() -> serve(socket));
            } catch (SocketException e) {
                return; // closed
            } catch (IOException e) {
                // a failed accept: keep going
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            socket.setTcpNoDelay(true);
            OutputStream raw = new BufferedOutputStream(socket.getOutputStream(), 16 * 1024);
            LineReader in = new LineReader(socket.getInputStream(), 1024, 64 * 1024, raw::flush);
            raw.write(ascii("+OK ceiling POP3 responder ready\r\n"));
            String user = null;
            Maildrop drop = null;
            while (true) {
                LineReader.Result r = in.read(255);
                if (r == LineReader.Result.EOF || r == LineReader.Result.TOO_LONG_FATAL) {
                    return;
                }
                if (r == LineReader.Result.TOO_LONG) {
                    raw.write(ascii("-ERR line too long\r\n"));
                    continue;
                }
                Command command;
                try {
                    command = CommandParser.parse(in.line(), in.lineLength());
                } catch (CommandSyntaxException e) {
                    raw.write(ascii("-ERR " + e.getMessage() + "\r\n"));
                    continue;
                }
                if (drop == null && !(command instanceof Command.User || command instanceof Command.Pass
                        || command instanceof Command.Capa || command instanceof Command.Quit)) {
                    raw.write(ascii("-ERR log in first\r\n"));
                    continue;
                }
                switch (command) {
                    case Command.User u -> {
                        user = u.name();
                        raw.write(OK);
                    }
                    case Command.Pass p -> {
                        if (user == null) {
                            raw.write(ascii("-ERR send USER first\r\n"));
                        } else {
                            drop = maildrops.getOrDefault(user, fallback);
                            raw.write(ascii("+OK " + drop.messages().length + " messages\r\n"));
                        }
                    }
                    case Command.Stat s -> raw.write(drop.stat());
                    case Command.List l -> {
                        if (l.message().isEmpty()) {
                            raw.write(drop.list());
                        } else if (valid(drop, l.message().getAsInt())) {
                            int n = l.message().getAsInt();
                            raw.write(ascii("+OK " + n + " " + drop.messages()[n - 1].size() + "\r\n"));
                        } else {
                            raw.write(ascii("-ERR no such message\r\n"));
                        }
                    }
                    case Command.Uidl u -> {
                        if (u.message().isEmpty()) {
                            raw.write(drop.uidl());
                        } else if (valid(drop, u.message().getAsInt())) {
                            int n = u.message().getAsInt();
                            raw.write(ascii("+OK " + n + " " + drop.uidls()[n - 1] + "\r\n"));
                        } else {
                            raw.write(ascii("-ERR no such message\r\n"));
                        }
                    }
                    case Command.Retr c -> {
                        if (valid(drop, c.message())) {
                            raw.write(drop.messages()[c.message() - 1].retr());
                        } else {
                            raw.write(ascii("-ERR no such message\r\n"));
                        }
                    }
                    case Command.Top t -> {
                        if (valid(drop, t.message())) {
                            Message m = drop.messages()[t.message() - 1];
                            raw.write(OK);
                            if (t.lines() == 0) {
                                raw.write(m.top0());
                            } else {
                                raw.write(encode(m.raw(), t.lines()));
                            }
                        } else {
                            raw.write(ascii("-ERR no such message\r\n"));
                        }
                    }
                    case Command.Dele d -> raw.write(valid(drop, d.message()) ? OK : ascii("-ERR no such message\r\n"));
                    case Command.Noop n -> raw.write(OK);
                    case Command.Rset r2 -> raw.write(OK);
                    case Command.Capa c -> raw.write(ascii("+OK\r\nTOP\r\nUIDL\r\nUSER\r\nPIPELINING\r\n"
                            + "IMPLEMENTATION ceiling\r\n.\r\n"));
                    case Command.Quit q -> {
                        raw.write(ascii("+OK bye\r\n"));
                        raw.flush();
                        return;
                    }
                    default -> raw.write(ascii("-ERR not supported here; use USER and PASS\r\n"));
                }
            }
        } catch (IOException e) {
            // the client went away
        }
    }

    private static boolean valid(Maildrop drop, int n) {
        return n >= 1 && n <= drop.messages().length;
    }

    // ---- building maildrops ----

    /** A maildrop of these stored messages (any line ends), numbered from 1, with UIDLs m1, m2, ... */
    public static Maildrop maildrop(List<Message> messages) {
        Message[] ms = messages.toArray(new Message[0]);
        long total = 0;
        StringBuilder list = new StringBuilder();
        StringBuilder uidl = new StringBuilder();
        String[] uidls = new String[ms.length];
        for (int i = 0; i < ms.length; i++) {
            total += ms[i].size();
            uidls[i] = "m" + (i + 1) + "-" + ms[i].size();
            list.append(i + 1).append(' ').append(ms[i].size()).append("\r\n");
            uidl.append(i + 1).append(' ').append(uidls[i]).append("\r\n");
        }
        byte[] listBytes = ascii("+OK " + ms.length + " messages (" + total + " octets)\r\n" + list + ".\r\n");
        byte[] uidlBytes = ascii("+OK\r\n" + uidl + ".\r\n");
        return new Maildrop(ms, ascii("+OK " + ms.length + " " + total + "\r\n"), listBytes, uidlBytes, uidls);
    }

    /** A message in wire form, encoded by the protocol module exactly as Postoffice sends it. */
    public static Message message(byte[] raw) {
        long size = dev.postoffice.message.MessageFormat.canonicalSize(raw);
        ByteArrayOutputStream retr = new ByteArrayOutputStream(raw.length + raw.length / 32 + 64);
        try {
            ResponseWriter w = new ResponseWriter(retr, 16 * 1024);
            w.ok(size + " octets");
            w.message(new ByteArrayInputStream(raw), -1);
            w.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // in memory: cannot happen
        }
        return new Message(size, retr.toByteArray(), encode(raw, 0), raw);
    }

    private static byte[] encode(byte[] raw, long bodyLines) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ResponseWriter w = new ResponseWriter(out, 16 * 1024);
            w.message(new ByteArrayInputStream(raw), bodyLines);
            w.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** {@code count} messages of about {@code octets} each, some with lines that need byte-stuffing. */
    public static Maildrop synthetic(int count, int octets) {
        List<Message> ms = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ms.add(message(Corpus.message(new java.util.SplittableRandom(i), i, Math.max(300, octets))));
        }
        return maildrop(ms);
    }

    /** Reads a manifest; message files are shared between users and loaded once. */
    static Map<String, Maildrop> fromManifest(Path manifest) throws IOException {
        Path base = manifest.toAbsolutePath().getParent();
        Map<String, Message> loaded = new HashMap<>();
        Map<String, Maildrop> drops = new HashMap<>();
        for (String line : Files.readAllLines(manifest, StandardCharsets.UTF_8)) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] parts = line.split("\t", 2);
            List<Message> ms = new ArrayList<>();
            if (parts.length == 2 && !parts[1].isBlank()) {
                for (String f : parts[1].trim().split(" +")) {
                    Message m = loaded.get(f);
                    if (m == null) {
                        m = message(Files.readAllBytes(base.resolve(f)));
                        loaded.put(f, m);
                    }
                    ms.add(m);
                }
            }
            drops.put(parts[0], maildrop(ms));
        }
        return drops;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
