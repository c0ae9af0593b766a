package dev.postoffice.server.tls;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the {@code openssl} command line to make keys and certificates exactly as operators (and certbot)
 * have them, and to act as a TLS client.
 */
final class OpenSsl {
    /** Key forms as {@code openssl} writes them, with the first line each form starts with. */
    enum KeyForm {
        RSA_PKCS1("-----BEGIN RSA PRIVATE KEY-----", "genrsa", "-traditional", "-out", "%s", "2048"),
        RSA_PKCS8("-----BEGIN PRIVATE KEY-----", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                "-out", "%s"),
        EC_SEC1("-----BEGIN EC PARAMETERS-----", "ecparam", "-name", "prime256v1", "-genkey", "-out", "%s"),
        EC_PKCS8("-----BEGIN PRIVATE KEY-----", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-out", "%s");

        final String firstLine;
        private final String[] command;

        KeyForm(String firstLine, String... command) {
            this.firstLine = firstLine;
            this.command = command;
        }
    }

    /** A pair made by {@link #selfSigned}. */
    record Pair(Path certificate, Path key) {
        X509Certificate leaf() {
            return certificates(certificate).get(0);
        }
    }

    /** The outcome of one command. */
    record Result(int exitCode, String stdout, String stderr) {
        String all() {
            return stdout + stderr;
        }
    }

    private final Path dir;

    OpenSsl(Path dir) {
        this.dir = dir;
    }

    Path key(KeyForm form, String name) {
        Path file = dir.resolve(name);
        String[] args = form.command.clone();
        for (int i = 0; i < args.length; i++) {
            args[i] = args[i].replace("%s", file.toString());
        }
        ok(args);
        return file;
    }

    /** A self-signed certificate for localhost and 127.0.0.1 over a new key of the given form. */
    Pair selfSigned(KeyForm form, String name) {
        Path key = key(form, name + "-key.pem");
        Path certificate = dir.resolve(name + "-cert.pem");
        ok("req", "-new", "-x509", "-key", key.toString(), "-out", certificate.toString(), "-days", "30",
                "-subj", "/CN=" + name, "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1");
        return new Pair(certificate, key);
    }

    /**
     * A root CA, an intermediate CA signed by it and a server certificate signed by the intermediate.
     * Returns the root, the server pair as certbot's cert.pem (leaf only) and fullchain.pem (leaf, then
     * intermediate), and the intermediate certificate.
     */
    Chain chain(String name) {
        Pair root = selfSignedCa(name + "-root");
        Path intermediateKey = key(KeyForm.EC_PKCS8, name + "-intermediate-key.pem");
        Path intermediate = signed(intermediateKey, "/CN=" + name + " intermediate", root, name + "-intermediate.pem",
                "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n");
        Path leafKey = key(KeyForm.EC_SEC1, name + "-privkey.pem");
        Path leaf = signed(leafKey, "/CN=localhost", new Pair(intermediate, intermediateKey), name + "-cert.pem",
                "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                        + "extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n");
        Path fullchain = dir.resolve(name + "-fullchain.pem");
        try {
            Files.writeString(fullchain, Files.readString(leaf) + Files.readString(intermediate));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Chain(root.certificate(), intermediate, leaf, fullchain, leafKey);
    }

    record Chain(Path root, Path intermediate, Path cert, Path fullchain, Path privkey) {
    }

    private Pair selfSignedCa(String name) {
        Path key = key(KeyForm.EC_PKCS8, name + "-key.pem");
        Path certificate = dir.resolve(name + ".pem");
        ok("req", "-new", "-x509", "-key", key.toString(), "-out", certificate.toString(), "-days", "30",
                "-subj", "/CN=" + name, "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        return new Pair(certificate, key);
    }

    private Path signed(Path key, String subject, Pair issuer, String name, String extensions) {
        Path csr = dir.resolve(name + ".csr");
        Path ext = dir.resolve(name + ".ext");
        Path certificate = dir.resolve(name);
        try {
            Files.writeString(ext, extensions);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ok("req", "-new", "-key", key.toString(), "-subj", subject, "-out", csr.toString());
        ok("x509", "-req", "-in", csr.toString(), "-CA", issuer.certificate().toString(), "-CAkey",
                issuer.key().toString(), "-CAcreateserial", "-days", "30", "-sha256", "-extfile", ext.toString(),
                "-out", certificate.toString());
        return certificate;
    }

    /** {@code openssl x509 -fingerprint -sha256}'s value. */
    String fingerprint(Path certificate) {
        String out = ok("x509", "-in", certificate.toString(), "-noout", "-fingerprint", "-sha256").stdout().strip();
        return out.substring(out.indexOf('=') + 1);
    }

    Result ok(String... args) {
        Result result = run(null, args);
        if (result.exitCode() != 0) {
            throw new AssertionError("openssl " + String.join(" ", args) + " failed: " + result.all());
        }
        return result;
    }

    /** Runs openssl with {@code input} on its standard input (closed afterwards; none when null). */
    Result run(String input, String... args) {
        List<String> command = new ArrayList<>();
        command.add("openssl");
        command.addAll(List.of(args));
        try {
            Process process = new ProcessBuilder(command).directory(dir.toFile()).start();
            ByteArrayOutputStream stdout = new ByteArrayOutputStream();
            ByteArrayOutputStream stderr = new ByteArrayOutputStream();
            Thread out = Thread.ofVirtual().start(() -> copy(process.getInputStream(), stdout));
            Thread err = Thread.ofVirtual().start(() -> copy(process.getErrorStream(), stderr));
            try (OutputStream in = process.getOutputStream()) {
                if (input != null) {
                    in.write(input.getBytes(StandardCharsets.US_ASCII));
                }
            } catch (IOException e) {
                // the process may exit before reading its input
            }
            if (!process.waitFor(2, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new AssertionError("openssl " + String.join(" ", args) + " did not finish");
            }
            out.join();
            err.join();
            return new Result(process.exitValue(), stdout.toString(StandardCharsets.UTF_8),
                    stderr.toString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static void copy(InputStream in, ByteArrayOutputStream out) {
        try (in) {
            in.transferTo(out);
        } catch (IOException e) {
            // the process is gone
        }
    }

    static List<X509Certificate> certificates(Path pem) {
        try (InputStream in = Files.newInputStream(pem)) {
            List<X509Certificate> list = new ArrayList<>();
            for (var c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                list.add((X509Certificate) c);
            }
            return list;
        } catch (Exception e) {
            throw new AssertionError("cannot read " + pem, e);
        }
    }

    /** Puts {@code source} in place of {@code target} with a rename, as certbot's symlink switch does. */
    static void replace(Path source, Path target) {
        try {
            Path temp = target.resolveSibling(target.getFileName() + ".new");
            Files.copy(source, temp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
