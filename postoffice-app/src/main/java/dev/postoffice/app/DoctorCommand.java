package dev.postoffice.app;

import dev.postoffice.auth.UserRecord;
import dev.postoffice.server.ServerConfig;
import dev.postoffice.server.tls.TlsConfigException;
import dev.postoffice.server.tls.TlsManager;
import dev.postoffice.server.tls.TlsProvider;
import dev.postoffice.server.tls.TlsSettings;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code postoffice doctor}: checks what breaks deployments (configuration, users file, data directory, Maildirs,
 * ports, certificate, store) and prints one line per finding with its fix; exit 0 only when nothing is wrong.
 */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = "Check the configuration, users file, data directory, ports and certificate; one line per"
                + " problem with its fix. Exit 0 only when nothing is wrong.")
final class DoctorCommand implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE", description = "Configuration file to check (and take data, ports and the certificate from).")
    Path config;

    @Option(names = "--data", paramLabel = "DIR", description = "Data directory (default: the configuration's data, else ./data).")
    Path data;

    @Option(names = "--store", paramLabel = "URL",
            description = "Where users and mail are: maildir (default) or postgresql://HOST:PORT/DB?user=USER; checked for reachability, schema and users.")
    private String store;

    private final List<String> findings = new ArrayList<>();

    private void finding(String where, String problem, String fix) {
        findings.add(where + ": " + problem + "; fix: " + fix);
    }

    @Override
    public Integer call() {
        ServerSettings settings = checkConfiguration();
        Path dir = data != null ? data : settings.get("data") != null ? Path.of(settings.get("data")) : Path.of("data");
        String url = store != null ? store : settings.get("store");
        boolean postgres = url != null && !url.equals("maildir");
        if (checkDataDirectory(dir) && !postgres) {
            checkUsers(new DataDir(dir));
            checkMaildirs(new DataDir(dir));
        }
        if (postgres) {
            checkDatabase(url);
        }
        checkPorts(settings);
        checkCertificate(settings, dir);
        findings.forEach(System.out::println);
        System.out.println(findings.isEmpty() ? "doctor: no problems found"
                : "doctor: " + findings.size() + " problem(s) found");
        return findings.isEmpty() ? 0 : 1;
    }

    private ServerSettings checkConfiguration() {
        ServerSettings s = new ServerSettings();
        if (config == null) {
            return s;
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(config, StandardCharsets.UTF_8);
        } catch (IOException | java.io.UncheckedIOException e) {
            finding(config.toString(), "cannot be read (" + e.getMessage() + ")", "check the path and its permissions");
            return s;
        }
        LinkedHashMap<String, String> values = new LinkedHashMap<>();
        for (String p : ServerSettings.problems(config, lines, values)) {
            int colon = p.indexOf(": ", config.toString().length() + 1);
            finding(p.substring(0, colon), p.substring(colon + 2), "correct the line (keys are listed in the README)");
        }
        values.forEach(s::set);
        try {
            s.build(ServerConfig.builder());
        } catch (UserError e) {
            finding(config.toString(), e.getMessage(), "correct the configuration");
        }
        return s;
    }

    private boolean checkDataDirectory(Path dir) {
        if (!Files.isDirectory(dir)) {
            finding(dir.toString(), "the data directory does not exist",
                    "create it owned by the service user: install -d -o postoffice -g postoffice -m 0700 " + dir);
            return false;
        }
        String me = System.getProperty("user.name");
        try {
            String owner = Files.getOwner(dir).getName();
            if (!owner.equals(me)) {
                finding(dir.toString(), "owned by " + owner + ", not " + me + " who runs this check",
                        "run doctor as the service user, or chown -R SERVICE-USER " + dir);
            }
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(dir);
            if (mode.contains(PosixFilePermission.OTHERS_WRITE) || mode.contains(PosixFilePermission.GROUP_WRITE)) {
                finding(dir.toString(), "writable by group or others: anyone could plant mail or users",
                        "chmod go-w " + dir + " (0700 is best)");
            }
            Path users = dir.resolve("users");
            if (Files.exists(users) && (Files.getPosixFilePermissions(users).contains(PosixFilePermission.OTHERS_READ)
                    || Files.getPosixFilePermissions(users).contains(PosixFilePermission.OTHERS_WRITE))) {
                finding(users.toString(), "readable or writable by others: it holds password hashes",
                        "chmod 600 " + users);
            }
        } catch (UnsupportedOperationException | IOException e) {
            // not a POSIX file system: no ownership and mode checks
        }
        if (!Files.isWritable(dir)) {
            finding(dir.toString(), "not writable: the store cannot keep locks, deliveries or generated keys",
                    "chown SERVICE-USER " + dir + " or run as its owner");
        }
        return true;
    }

    /** The PostgreSQL store: a valid URL, reachable, its schema current, and at least one user. */
    private void checkDatabase(String url) {
        String where = dev.postoffice.storage.pg.PgUrl.redact(url);
        if (!dev.postoffice.storage.pg.PgUrl.isPostgres(url)) {
            finding(where, "not a store URL", "store = maildir or postgresql://HOST:PORT/DB?user=USER");
            return;
        }
        try (PgBackend pg = PgBackend.open(url, false, false)) {
            if (pg.users().list().isEmpty()) {
                finding(where, "no users in the database: nobody can log in", "postoffice user add NAME --store URL");
            }
        } catch (UserError e) {
            finding(where, e.getMessage(), e.exitCode() == 78 ? "postoffice db migrate --store URL"
                    : "check the host, port, database, user and password (password-file= or POSTOFFICE_DB_PASSWORD)");
        } catch (java.io.IOException e) {
            finding(where, "cannot list the users (" + e.getMessage() + ")", "grant the store's user access to its tables");
        }
    }

    private void checkUsers(DataDir dir) {
        Path users = dir.usersFile();
        if (!Files.exists(users)) {
            finding(users.toString(), "no users file: nobody can log in", "postoffice user add NAME --data " + dir.path());
            return;
        }
        try {
            for (String p : dir.users().problems()) {
                finding(users + ":" + p.substring(0, p.indexOf(':')), p.substring(p.indexOf(':') + 2),
                        p.contains("defined again") ? "remove the later line"
                                : p.contains("no scheme") ? "set a new password: postoffice user passwd NAME"
                                : "correct or remove the line (user:{SCHEME}secret:uid:gid::home)");
            }
        } catch (IOException e) {
            finding(users.toString(), "cannot be read (" + e.getMessage() + ")", "chmod 600 and chown it to the service user");
        }
    }

    private void checkMaildirs(DataDir dir) {
        List<Path> maildirs = new ArrayList<>();
        try (DirectoryStream<Path> homes = Files.newDirectoryStream(dir.path().resolve("home"))) {
            homes.forEach(h -> maildirs.add(h.resolve("Maildir")));
        } catch (IOException e) {
            // no home directory yet: nothing delivered
        }
        try {
            for (UserRecord u : dir.users().list()) {
                u.home().ifPresent(h -> maildirs.add(h.resolve("Maildir"))); // homes outside the data directory
            }
        } catch (IOException | RuntimeException e) {
            // reported by checkUsers
        }
        for (Path md : maildirs.stream().distinct().toList()) {
            for (Path p : List.of(md.getParent(), md, md.resolve("cur"), md.resolve("new"), md.resolve("tmp"))) {
                if (Files.isSymbolicLink(p)) {
                    String target;
                    try {
                        target = Files.readSymbolicLink(p).toString();
                    } catch (IOException e) {
                        target = "?";
                    }
                    finding(p.toString(), "is a symbolic link (to " + target + "): the server refuses it",
                            "replace the link with the directory itself (mv the target into place)");
                }
            }
        }
    }

    private void checkPorts(ServerSettings s) {
        String[][] listeners = {{"pop3", "0.0.0.0:110"}, {"pop3s", "0.0.0.0:995"}, {"admin", "off"}};
        for (String[] l : listeners) {
            String v = s.get(l[0]) != null ? s.get(l[0]) : l[1];
            if (v.equalsIgnoreCase("off") || v.equalsIgnoreCase("none")) {
                continue;
            }
            InetSocketAddress address;
            try {
                address = Values.hostPort(v);
            } catch (IllegalArgumentException e) {
                continue; // reported with the configuration
            }
            try (ServerSocket ss = new ServerSocket()) {
                ss.setReuseAddress(true);
                ss.bind(address);
            } catch (IOException e) {
                String msg = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
                if (msg.contains("permission") || msg.contains("access")) {
                    finding(l[0] + " " + v, "binding needs privileges",
                            "run under systemd with AmbientCapabilities=CAP_NET_BIND_SERVICE (packaging/postoffice.service)"
                                    + " or use a port above 1023");
                } else {
                    finding(l[0] + " " + v, "cannot be bound (" + e.getMessage() + "): the port is in use",
                            "stop what listens there (ss -ltnp 'sport = :" + address.getPort() + "') or choose another"
                                    + " port; ignore this if it is Postoffice itself, running");
                }
            }
        }
    }

    private void checkCertificate(ServerSettings s, Path dir) {
        Optional<Path> cert = Optional.ofNullable(s.get("tls-cert")).map(Path::of);
        Optional<Path> key = Optional.ofNullable(s.get("tls-key")).map(Path::of);
        Path generated = dir.resolve("tls");
        Path certFile = cert.orElse(generated.resolve("cert.pem"));
        if (cert.isEmpty() && !Files.exists(certFile)) {
            return; // generated at the first start
        }
        String hostname = s.get("hostname") != null ? s.get("hostname") : ServerConfig.defaults().hostname();
        try {
            String named = s.get("tls-provider");
            TlsProvider provider = named == null ? TlsProvider.JDK : TlsProvider.parse(named);
            TlsManager.create(new TlsSettings(cert, key, generated, hostname, Duration.ofSeconds(30), provider));
        } catch (TlsConfigException e) {
            if (e.aboutProvider()) {
                finding("tls-provider", e.getMessage(), "set tls-provider = jdk");
            } else {
                finding(certFile.toString(), e.getMessage(), "install the matching certificate chain and key");
            }
            return;
        } catch (IllegalArgumentException e) {
            finding("tls-provider", e.getMessage(), "set tls-provider to one of " + TlsProvider.names());
            return;
        }
        List<X509Certificate> chain = new ArrayList<>();
        try (InputStream in = Files.newInputStream(certFile)) {
            CertificateFactory.getInstance("X.509").generateCertificates(in).forEach(c -> chain.add((X509Certificate) c));
        } catch (IOException | java.security.GeneralSecurityException e) {
            finding(certFile.toString(), "cannot be read: " + e.getMessage(), "install a PEM certificate chain");
            return;
        }
        X509Certificate leaf = chain.get(0);
        Instant notAfter = leaf.getNotAfter().toInstant();
        if (notAfter.isBefore(Instant.now().plus(Duration.ofDays(30)))) {
            finding(certFile.toString(), (notAfter.isBefore(Instant.now()) ? "expired on " : "expires on ") + notAfter,
                    "renew it (certbot renew); the server picks renewed files up by itself");
        }
        if (chain.size() == 1 && !leaf.getIssuerX500Principal().equals(leaf.getSubjectX500Principal())) {
            finding(certFile.toString(), "holds no intermediate certificate: clients may not trust it",
                    "use the full chain (certbot's fullchain.pem, not cert.pem)");
        }
        if (!covers(leaf, hostname)) {
            finding(certFile.toString(), "is not valid for the host name " + hostname,
                    "get a certificate for " + hostname + ", or set hostname to a name it covers");
        }
    }

    private static boolean covers(X509Certificate leaf, String hostname) {
        String host = hostname.strip().toLowerCase(Locale.ROOT);
        try {
            if (leaf.getSubjectAlternativeNames() != null) {
                for (List<?> san : leaf.getSubjectAlternativeNames()) {
                    String name = String.valueOf(san.get(1)).toLowerCase(Locale.ROOT);
                    if (name.equals(host) || (name.startsWith("*.") && host.endsWith(name.substring(1))
                            && host.indexOf('.') == host.length() - name.length() + 1)) {
                        return true;
                    }
                }
            }
        } catch (java.security.cert.CertificateParsingException e) {
            return false;
        }
        return false;
    }
}
