package dev.postoffice.server.tls;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * A certificate chain and the private key of its first certificate, read from PEM files.
 *
 * @param chain the server certificate first, then the intermediates in the order of the file
 * @param key   the private key of {@code chain.get(0)}
 */
record KeyMaterial(List<X509Certificate> chain, PrivateKey key) {
    /** Far more than any certificate chain or key; keeps a wrong path (a log, a device) from being slurped. */
    private static final int MAX_PEM_BYTES = 1 << 20;

    KeyMaterial {
        chain = List.copyOf(chain);
    }

    X509Certificate leaf() {
        return chain.get(0);
    }

    /**
     * Reads and cross-checks a PEM certificate chain and a PEM private key (PKCS#1, SEC1 with or without
     * an {@code EC PARAMETERS} block, or PKCS#8; RSA or EC; unencrypted).
     *
     * @throws TlsConfigException with a one-line message naming the file at fault
     */
    static KeyMaterial load(Path certificateFile, Path keyFile) throws TlsConfigException {
        List<X509Certificate> chain = readChain(certificateFile);
        PrivateKey key = readKey(keyFile);
        if (!matches(chain.get(0), key)) {
            boolean matchesLater = chain.stream().skip(1).anyMatch(c -> matches(c, key));
            throw new TlsConfigException("private key " + keyFile + " does not match the certificate in "
                    + certificateFile + (matchesLater ? " (the server certificate must come first in the file)" : ""));
        }
        return new KeyMaterial(chain, key);
    }

    private static List<X509Certificate> readChain(Path file) throws TlsConfigException {
        String text = read(file, "certificate");
        List<X509Certificate> chain = new ArrayList<>();
        JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
        try (PEMParser parser = new PEMParser(new StringReader(text))) {
            for (Object o = parser.readObject(); o != null; o = parser.readObject()) {
                if (o instanceof X509CertificateHolder holder) {
                    chain.add(converter.getCertificate(holder));
                }
            }
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            throw new TlsConfigException("certificate file " + file + " is not valid PEM: " + oneLine(e), e);
        }
        if (chain.isEmpty()) {
            throw new TlsConfigException("certificate file " + file + " contains no PEM certificate (BEGIN CERTIFICATE)");
        }
        return chain;
    }

    private static PrivateKey readKey(Path file) throws TlsConfigException {
        String text = read(file, "private key");
        PrivateKeyInfo info = null;
        try (PEMParser parser = new PEMParser(new StringReader(text))) {
            Object o;
            while (info == null && (o = parser.readObject()) != null) {
                switch (o) {
                    case PEMKeyPair pair -> info = pair.getPrivateKeyInfo();
                    case PrivateKeyInfo plain -> info = plain;
                    case PEMEncryptedKeyPair encrypted -> throw encrypted(file);
                    case PKCS8EncryptedPrivateKeyInfo encrypted -> throw encrypted(file);
                    default -> {
                        // EC PARAMETERS before a SEC1 key, or certificates in a combined file
                    }
                }
            }
        } catch (TlsConfigException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new TlsConfigException("private key file " + file + " is not valid PEM: " + oneLine(e), e);
        }
        if (info == null) {
            throw new TlsConfigException("private key file " + file + " contains no PEM private key");
        }
        PrivateKey key;
        try {
            key = new JcaPEMKeyConverter().getPrivateKey(info);
        } catch (IOException | RuntimeException e) {
            throw new TlsConfigException("private key file " + file + " holds an unusable key: " + oneLine(e), e);
        }
        if (!key.getAlgorithm().equals("RSA") && !key.getAlgorithm().equals("EC")) {
            throw new TlsConfigException("private key file " + file + " holds a " + key.getAlgorithm()
                    + " key; only RSA and EC keys are supported");
        }
        return key;
    }

    private static TlsConfigException encrypted(Path file) {
        return new TlsConfigException("private key file " + file
                + " is encrypted; encrypted keys are not supported (decrypt it with 'openssl pkey')");
    }

    /** Whether {@code key} is the private half of the certificate's public key: sign and verify a nonce. */
    private static boolean matches(X509Certificate certificate, PrivateKey key) {
        PublicKey publicKey = certificate.getPublicKey();
        if (!publicKey.getAlgorithm().equals(key.getAlgorithm())) {
            return false;
        }
        String algorithm = key.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
        byte[] nonce = new byte[32];
        new SecureRandom().nextBytes(nonce);
        try {
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(nonce);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(nonce);
            return verifier.verify(signature);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    private static String read(Path file, String what) throws TlsConfigException {
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes(MAX_PEM_BYTES + 1);
        } catch (NoSuchFileException e) {
            throw new TlsConfigException("cannot read " + what + " file " + file + ": no such file", e);
        } catch (AccessDeniedException e) {
            throw new TlsConfigException("cannot read " + what + " file " + file + ": permission denied", e);
        } catch (IOException e) {
            throw new TlsConfigException("cannot read " + what + " file " + file + ": " + oneLine(e), e);
        }
        if (bytes.length > MAX_PEM_BYTES) {
            throw new TlsConfigException(what + " file " + file + " is too large for a PEM file");
        }
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    /** The exception's message (or its cause's) on one line. */
    static String oneLine(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String message = t.getMessage();
            if (message != null && !message.isBlank()) {
                return message.strip().replaceAll("\\s*[\\r\\n]+\\s*", " ");
            }
        }
        return e.getClass().getSimpleName();
    }
}
