package dev.postoffice.server.tls;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.IDN;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Makes the self-signed pair used when no certificate is configured: EC P-256 signed with
 * SHA256withECDSA, valid for ten years, with the host name, {@code localhost}, {@code 127.0.0.1} and
 * {@code ::1} as subject alternative names.
 */
final class SelfSignedCertificate {
    static final Duration VALIDITY = Duration.ofDays(3650);
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> WORLD_READABLE = PosixFilePermissions.fromString("rw-r--r--");

    private SelfSignedCertificate() {
    }

    /**
     * Generates a pair for {@code hostname} and writes it as {@code certificateFile} (0644) and
     * {@code keyFile} (0600), each atomically, the key first.
     */
    static void generate(String hostname, Path certificateFile, Path keyFile) throws TlsConfigException {
        KeyMaterial material = create(hostname);
        Path dir = certificateFile.toAbsolutePath().getParent();
        try {
            Files.createDirectories(dir);
            writeAtomically(keyFile, pem(new JcaPKCS8Generator(material.key(), null)), true);
            writeAtomically(certificateFile, pem(material.leaf()), false);
        } catch (IOException e) {
            throw new TlsConfigException("cannot write a self-signed certificate to " + dir + ": "
                    + KeyMaterial.oneLine(e), e);
        }
    }

    static KeyMaterial create(String hostname) throws TlsConfigException {
        Map<String, GeneralName> names = new LinkedHashMap<>();
        String name = hostname.strip();
        if (!name.isEmpty()) {
            names.put(name, generalName(name));
        }
        names.putIfAbsent("localhost", new GeneralName(GeneralName.dNSName, "localhost"));
        names.putIfAbsent("127.0.0.1", new GeneralName(GeneralName.iPAddress, "127.0.0.1"));
        names.putIfAbsent("::1", new GeneralName(GeneralName.iPAddress, "::1"));
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair pair = generator.generateKeyPair();
            X500Name subject = new X500NameBuilder(BCStyle.INSTANCE)
                    .addRDN(BCStyle.CN, name.isEmpty() ? "localhost" : name)
                    .build();
            Instant now = Instant.now();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, serial(),
                    Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(VALIDITY)), subject, pair.getPublic());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
            builder.addExtension(Extension.subjectKeyIdentifier, false,
                    new JcaX509ExtensionUtils().createSubjectKeyIdentifier(pair.getPublic()));
            builder.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(names.values().toArray(GeneralName[]::new)));
            X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate())));
            return new KeyMaterial(List.of(certificate), pair.getPrivate());
        } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
            throw new TlsConfigException("cannot generate a self-signed certificate: " + KeyMaterial.oneLine(e), e);
        }
    }

    /** Whether a certificate made by {@link #create} names {@code hostname} (blank: always). */
    static boolean covers(X509Certificate certificate, String hostname) {
        if (hostname.isBlank()) {
            return true;
        }
        try {
            GeneralNames names = GeneralNames.fromExtensions(
                    new JcaX509CertificateHolder(certificate).getExtensions(), Extension.subjectAlternativeName);
            return names != null && Arrays.asList(names.getNames()).contains(generalName(hostname.strip()));
        } catch (TlsConfigException | CertificateEncodingException e) {
            return false;
        }
    }

    /** The host name as an IP address or (IDNA-encoded) DNS name. */
    private static GeneralName generalName(String hostname) throws TlsConfigException {
        if (IPV4.matcher(hostname).matches() || hostname.contains(":")) {
            try {
                return new GeneralName(GeneralName.iPAddress, hostname);
            } catch (IllegalArgumentException e) {
                throw new TlsConfigException("host name " + hostname + " is not a valid IP address for a certificate");
            }
        }
        try {
            return new GeneralName(GeneralName.dNSName, IDN.toASCII(hostname, IDN.USE_STD3_ASCII_RULES));
        } catch (IllegalArgumentException e) {
            throw new TlsConfigException("host name " + hostname + " cannot be used in a certificate: "
                    + KeyMaterial.oneLine(e));
        }
    }

    private static BigInteger serial() {
        byte[] bytes = new byte[16];
        new SecureRandom().nextBytes(bytes);
        return new BigInteger(1, bytes).setBit(126);
    }

    private static String pem(Object object) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(object);
        }
        return out.toString();
    }

    /** Writes through a temporary file in the same directory, fsyncs it, renames it over the target. */
    private static void writeAtomically(Path target, String content, boolean secret) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
        List<FileAttribute<?>> attributes = new ArrayList<>();
        if (posix) {
            attributes.add(PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        }
        Path temp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp", attributes.toArray(FileAttribute[]::new));
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(content.getBytes(StandardCharsets.US_ASCII));
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            if (posix && !secret) {
                Files.setPosixFilePermissions(temp, WORLD_READABLE);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
        try (FileChannel directory = FileChannel.open(dir, StandardOpenOption.READ)) {
            directory.force(true);
        } catch (IOException e) {
            // not every platform can fsync a directory; the rename itself is atomic
        }
    }
}
