package dev.postoffice.client;

import dev.postoffice.protocol.client.ReplyReader;
import dev.postoffice.protocol.client.StatusLine;
import dev.postoffice.protocol.sasl.ClientMechanism;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One POP3 connection from the client side: greeting, CAPA, STLS or implicit TLS, login by the strongest method
 * both sides allow (or the one asked for), then commands the caller may pipeline ({@link #send} several, then
 * read their replies in order through {@link #reader}). Wire parsing is the protocol module's {@link ReplyReader}.
 */
public final class Pop3Client implements AutoCloseable {
    private static final Pattern APOP_TIMESTAMP = Pattern.compile("<[^<>@\\s]*@[^<>\\s]*>");
    private static final int BUFFER = 64 * 1024;

    private final PopUrl url;
    private final ConnectOptions options;
    private Socket socket;
    private ReplyReader reader;
    private OutputStream out;
    private boolean tls;
    private boolean local;
    private String apopTimestamp;
    private Set<String> capabilities = Set.of();
    private List<String> saslMechanisms = List.of();

    private Pop3Client(PopUrl url, ConnectOptions options) {
        this.url = url;
        this.options = options;
    }

    /** Connects, reads the greeting and CAPA, and starts TLS as the URL and the options ask. */
    public static Pop3Client connect(PopUrl url, ConnectOptions options) throws IOException, FetchException {
        Pop3Client c = new Pop3Client(url, options);
        try {
            c.open();
            return c;
        } catch (IOException | FetchException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    private void open() throws IOException, FetchException {
        Socket s = new Socket();
        int timeout = (int) options.timeout().toMillis();
        s.connect(new InetSocketAddress(url.host(), url.port()), timeout);
        s.setSoTimeout(timeout);
        s.setTcpNoDelay(true);
        socket = s;
        local = s.getInetAddress().isLoopbackAddress(); // the address connected to, whatever the name said
        if (url.implicitTls()) {
            socket = options.tls().wrap(s, url.host(), url.port());
            tls = true;
        }
        streams();
        StatusLine greeting = reader.status();
        if (!greeting.ok()) {
            throw new FetchException(true, "the server refused the connection: " + greeting.text());
        }
        Matcher m = APOP_TIMESTAMP.matcher(greeting.text());
        apopTimestamp = m.find() ? m.group() : null;
        capa();
        boolean wantStls = !tls && (options.stls() || !local);
        if (wantStls && capabilities.contains("STLS")) {
            send("STLS");
            StatusLine r = reader.status();
            if (!r.ok()) {
                throw new FetchException(true, "STLS refused: " + r.text());
            }
            reader.discardBuffered();
            socket = options.tls().wrap(socket, url.host(), url.port());
            tls = true;
            streams();
            capa();
        } else if (wantStls && (options.stls() || !options.allowCleartext())) {
            // before any login command and before the password is even looked up: nothing secret was sent
            throw new FetchException(false, url.host() + " does not offer STLS: refusing to log in without TLS"
                    + (options.stls() ? " (use pop3s:// for implicit TLS)"
                    : " to another host (use pop3s://, or --allow-cleartext to send the login and the mail in clear)"));
        }
    }

    private void streams() throws IOException {
        reader = new ReplyReader(socket.getInputStream(), BUFFER);
        out = new BufferedOutputStream(socket.getOutputStream(), 16 * 1024);
    }

    private void capa() throws IOException {
        send("CAPA");
        StatusLine r = reader.status();
        Set<String> caps = new LinkedHashSet<>();
        List<String> sasl = new ArrayList<>();
        if (r.ok()) {
            for (String line = reader.line(); !line.equals("."); line = reader.line()) {
                String[] words = line.strip().split("\\s+");
                String name = words[0].toUpperCase(Locale.ROOT);
                caps.add(name);
                if (name.equals("SASL")) {
                    for (int i = 1; i < words.length; i++) {
                        sasl.add(words[i].toUpperCase(Locale.ROOT));
                    }
                }
            }
        }
        capabilities = caps;
        saslMechanisms = sasl;
    }

    /** Whether the server advertised a capability (upper case, e.g. {@code PIPELINING}, {@code UIDL}). */
    public boolean has(String capability) {
        return capabilities.contains(capability);
    }

    public boolean isTls() {
        return tls;
    }

    /**
     * Logs in with the secret (a password, or a bearer token for OAUTHBEARER and XOAUTH2), which is looked up only
     * when the method chosen needs one (GSSAPI does not: the Kerberos ticket is the credential). Returns the method
     * used ({@code SCRAM-SHA-256}, {@code APOP}, {@code USER}, {@code GSSAPI}, ...).
     */
    public String login(Fetcher.SecretSource secret) throws IOException, FetchException {
        String method = chooseMethod();
        boolean cleartext = method.equals("USER") || method.equals("PLAIN") || method.equals("LOGIN")
                || ClientMechanism.FOR_TOKENS.contains(method);
        if (cleartext && !tls && !local && !options.allowCleartext()) {
            throw new FetchException(false, "refusing to send a " + (method.startsWith("O") || method.startsWith("X")
                    ? "token" : "password") + " in clear to " + url.host()
                    + ": use pop3s://, a server with STLS, or --allow-cleartext");
        }
        StatusLine result = switch (method) {
            case "USER" -> userPass(secret.get());
            case "APOP" -> apop(secret.get());
            case "GSSAPI" -> gssapi();
            default -> {
                ClientMechanism m = ClientMechanism.create(method, url.user(), secret.get(), url.host(), url.port());
                yield sasl(m.name(), m.initialResponse(), m::respond);
            }
        };
        if (!result.ok()) {
            boolean temporary = result.hasCode("SYS/TEMP") || result.hasCode("IN-USE") || result.hasCode("LOGIN-DELAY");
            throw new FetchException(temporary, "login as " + url.user() + " failed (" + method + "): "
                    + result.code().map(c -> "[" + c + "] ").orElse("") + result.text());
        }
        return method;
    }

    private StatusLine gssapi() throws IOException, FetchException {
        GssapiClient gss = GssapiClient.start(url.user(), url.host(), options.keytab(), url.user());
        byte[] initial;
        try {
            initial = gss.initialResponse(); // before AUTH: without a service ticket nothing is sent
        } catch (javax.security.sasl.SaslException e) {
            throw new FetchException(false, "GSSAPI: no ticket for pop/" + url.host() + ": " + GssapiClient.reason(e), e);
        }
        return sasl("GSSAPI", initial, gss::respond);
    }

    private String chooseMethod() throws FetchException {
        Optional<String> asked = url.auth();
        if (asked.isPresent()) {
            String a = asked.get();
            if (a.equals("+APOP")) {
                if (apopTimestamp == null) {
                    throw new FetchException(false, "APOP asked for, but the server's greeting has no timestamp");
                }
                return "APOP";
            }
            if (a.equals("+USER")) {
                return "USER";
            }
            if (!ClientMechanism.FOR_PASSWORDS.contains(a) && !ClientMechanism.FOR_TOKENS.contains(a) && !a.equals("GSSAPI")) {
                throw new FetchException(false, "unknown authentication method " + a);
            }
            if (!saslMechanisms.isEmpty() && !saslMechanisms.contains(a)) {
                throw new FetchException(false, "the server does not offer " + a + " (it offers " + saslMechanisms + ")");
            }
            return a;
        }
        for (String m : ClientMechanism.FOR_PASSWORDS) {
            if (m.equals("PLAIN") && apopTimestamp != null) {
                return "APOP"; // stronger than any cleartext method
            }
            if (saslMechanisms.contains(m)) {
                return m;
            }
        }
        return apopTimestamp != null ? "APOP" : "USER";
    }

    private StatusLine userPass(String password) throws IOException {
        if (has("PIPELINING")) {
            send("USER " + url.user(), false);
            send("PASS " + password);
            StatusLine user = reader.status();
            StatusLine pass = reader.status();
            return user.ok() ? pass : user;
        }
        send("USER " + url.user());
        StatusLine user = reader.status();
        if (!user.ok()) {
            return user;
        }
        send("PASS " + password);
        return reader.status();
    }

    private StatusLine apop(String secret) throws IOException {
        try {
            byte[] digest = MessageDigest.getInstance("MD5").digest((apopTimestamp + secret).getBytes(StandardCharsets.UTF_8));
            send("APOP " + url.user() + " " + HexFormat.of().formatHex(digest));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        return reader.status();
    }

    /** One step of a SASL exchange: the response to a server challenge. */
    @FunctionalInterface
    private interface Step {
        byte[] respond(byte[] challenge) throws Exception;
    }

    private StatusLine sasl(String name, byte[] initial, Step step) throws IOException, FetchException {
        String line = "AUTH " + name;
        if (initial != null) {
            String ir = initial.length == 0 ? "=" : Base64.getEncoder().encodeToString(initial);
            if (line.length() + 1 + ir.length() <= 253) {
                line += " " + ir;
                initial = null;
            }
        }
        send(line);
        boolean first = true;
        while (true) {
            StatusLine r = reader.status();
            if (!r.continuation()) {
                return r;
            }
            byte[] response;
            try {
                response = first && initial != null ? initial : step.respond(Base64.getDecoder().decode(r.text().strip()));
            } catch (IOException e) {
                throw e;
            } catch (Exception e) {
                send("*");
                reader.status();
                throw new FetchException(false, "authentication with " + name + " aborted: " + GssapiClient.reason(e));
            }
            first = false;
            send(response.length == 0 ? "" : Base64.getEncoder().encodeToString(response));
        }
    }

    /** Writes a command and flushes. */
    public void send(String command) throws IOException {
        send(command, true);
    }

    /** Writes a command; {@code flush} false keeps it buffered to go out with the next ones (pipelining). */
    public void send(String command, boolean flush) throws IOException {
        out.write(command.getBytes(StandardCharsets.UTF_8));
        out.write('\r');
        out.write('\n');
        if (flush) {
            out.flush();
        }
    }

    public void flush() throws IOException {
        out.flush();
    }

    /** The connection's reader, for replies to commands sent. */
    public ReplyReader reader() {
        return reader;
    }

    /** Sends QUIT and returns its reply: {@code +OK} means the server's UPDATE state succeeded. */
    public StatusLine quit() throws IOException {
        send("QUIT");
        return reader.status();
    }

    @Override
    public void close() {
        try {
            if (socket != null) {
                socket.close();
            }
        } catch (IOException ignored) {
            // nothing to do: the connection is gone either way
        }
    }
}
