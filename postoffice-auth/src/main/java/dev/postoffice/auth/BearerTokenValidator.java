package dev.postoffice.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.Key;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.X509EncodedKeySpec;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Validates OAuth 2.0 bearer tokens that are JWTs (RFC 7519) signed by an issuer whose public keys are in a local
 * file, and names the user they were issued for.
 *
 * <p>Accepted: RS256/384/512, PS256/384/512 and ES256/384/512 signatures by a key of the file (RSA keys of at least
 * 2048 bits; EC keys on P-256, P-384, P-521), {@code typ} absent, {@code JWT} or {@code at+jwt} (RFC 9068), the
 * configured {@code iss} exactly, an {@code aud} that contains the configured audience, an {@code exp} (required)
 * and any {@code nbf} within the clock skew, the user claim as a non-empty string, and for the {@code email}
 * claim {@code email_verified} true (unless configured otherwise). Everything else, {@code
 * alg: none} and HMAC included, is refused. When the token's header names a {@code kid}, only keys with that id
 * (or, failing any, keys without an id, as PEM keys are) are tried.
 *
 * <p>The key file is checked for changes (one {@code stat}) on every validation and re-read when its modification
 * time, size or inode changed. While it is missing or unusable, validation answers {@link Result.Unavailable}
 * rather than trusting keys that may have been withdrawn. Safe for concurrent use; never logs tokens.
 */
public final class BearerTokenValidator {
    private static final Logger log = LoggerFactory.getLogger(BearerTokenValidator.class);

    /** Longest token accepted, in characters. */
    public static final int MAX_TOKEN_LENGTH = 16 * 1024;
    private static final int MAX_KEY_FILE_BYTES = 1024 * 1024;
    private static final int MIN_RSA_BITS = 2048;
    private static final Set<JWSAlgorithm> ALGORITHMS = Set.of(
            JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512,
            JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512,
            JWSAlgorithm.ES256, JWSAlgorithm.ES384, JWSAlgorithm.ES512);
    private static final Set<Curve> CURVES = Set.of(Curve.P_256, Curve.P_384, Curve.P_521);
    private static final Pattern PEM_BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

    /** The outcome of a validation. */
    public sealed interface Result {
        /** The token is valid; {@code user} is its user claim. */
        record Valid(String user) implements Result {}

        /** The token is not acceptable; the reason is for logs (it never contains the token). */
        record Invalid(String reason) implements Result {}

        /** The key file cannot be used now; the reason is for logs. */
        record Unavailable(String reason) implements Result {}
    }

    /** What identifies one version of the key file. */
    private record Stamp(Object fileKey, FileTime modified, long size) {}

    /** The keys of one version of the file, or why that version is unusable. */
    private record Keys(Stamp stamp, List<JWK> keys, String error) {}

    private final OAuthConfig config;
    private final DefaultJWTClaimsVerifier<SecurityContext> claimsVerifier;
    private final Object reloadLock = new Object();
    private volatile Keys keys;

    /**
     * Loads the key file now, so that a wrong configuration shows at startup.
     *
     * @throws IOException if the file cannot be read or holds no usable RSA or EC public key
     */
    public BearerTokenValidator(OAuthConfig config) throws IOException {
        this.config = Objects.requireNonNull(config, "config");
        // Nimbus asks these sets whether they contain null, which Set.of() answers with an exception.
        claimsVerifier = new DefaultJWTClaimsVerifier<>(
                new HashSet<>(List.of(config.audience())),
                new JWTClaimsSet.Builder().issuer(config.issuer()).build(),
                new HashSet<>(List.of("exp", config.userClaim())),
                new HashSet<>());
        claimsVerifier.setMaxClockSkew((int) config.clockSkew().toSeconds());
        Stamp stamp = stat(config.keyFile());
        List<JWK> loaded = load(config.keyFile());
        keys = new Keys(stamp, loaded, null);
    }

    /** The configuration this validator was built with. */
    public OAuthConfig config() {
        return config;
    }

    /** Validates {@code token} (the part after {@code Bearer }). */
    public Result validate(String token) {
        Objects.requireNonNull(token, "token");
        if (token.isEmpty() || token.length() > MAX_TOKEN_LENGTH) {
            return new Result.Invalid("token is empty or longer than " + MAX_TOKEN_LENGTH + " characters");
        }
        Keys current = currentKeys();
        if (current.error() != null) {
            return new Result.Unavailable(current.error());
        }
        DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
        processor.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(
                JOSEObjectType.JWT, new JOSEObjectType("at+jwt"), new JOSEObjectType("application/at+jwt"), null));
        processor.setJWSKeySelector(selector(current.keys()));
        processor.setJWTClaimsSetVerifier(claimsVerifier);
        JWTClaimsSet claims;
        try {
            claims = processor.process(token, null);
        } catch (ParseException e) {
            return new Result.Invalid("not a JWT");
        } catch (BadJOSEException | JOSEException e) {
            return new Result.Invalid(reason(e));
        }
        Object user = claims.getClaim(config.userClaim());
        if (!(user instanceof String name) || name.isEmpty()) {
            return new Result.Invalid("claim " + config.userClaim() + " is not a non-empty string");
        }
        if (config.checksEmailVerified()) {
            Object verified = claims.getClaim("email_verified");
            if (!Boolean.TRUE.equals(verified) && !"true".equals(verified)) {
                return new Result.Invalid("email not verified");
            }
        }
        return new Result.Valid(name);
    }

    /**
     * A fixed reason for a refused token. The library's messages quote the token (its {@code typ} header, its
     * claims), which an unauthenticated client chooses: they never reach the log.
     */
    static String reason(Exception e) {
        String m = String.valueOf(e.getMessage());
        return switch (e) {
            case com.nimbusds.jwt.proc.BadJWTException x when m.startsWith("Expired JWT") -> "expired";
            case com.nimbusds.jwt.proc.BadJWTException x when m.startsWith("JWT before use time") -> "not yet valid";
            case com.nimbusds.jwt.proc.BadJWTException x -> "claims not accepted (issuer, audience or required claims)";
            case com.nimbusds.jose.proc.BadJWSException x -> "signature or key not accepted";
            case BadJOSEException x -> "header not accepted (type or algorithm)";
            default -> "cannot be verified";
        };
    }

    private Keys currentKeys() {
        Stamp stamp;
        try {
            stamp = stat(config.keyFile());
        } catch (IOException e) {
            return new Keys(null, List.of(), "cannot read OAuth key file " + config.keyFile() + ": " + e);
        }
        Keys k = keys;
        if (stamp.equals(k.stamp())) {
            return k;
        }
        synchronized (reloadLock) {
            k = keys;
            if (stamp.equals(k.stamp())) {
                return k;
            }
            try {
                k = new Keys(stamp, load(config.keyFile()), null);
                log.info("OAuth key file {} reloaded: {} keys", config.keyFile(), k.keys().size());
            } catch (IOException e) {
                k = new Keys(stamp, List.of(), "OAuth key file " + config.keyFile() + " is unusable: " + e.getMessage());
                log.warn("{}; bearer tokens are refused until it is fixed", k.error());
            }
            keys = k;
            return k;
        }
    }

    private static Stamp stat(Path file) throws IOException {
        BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
        return new Stamp(attrs.fileKey(), attrs.lastModifiedTime(), attrs.size());
    }

    // ---- key selection ----

    private static JWSKeySelector<SecurityContext> selector(List<JWK> keys) {
        return (JWSHeader header, SecurityContext context) -> {
            JWSAlgorithm alg = header.getAlgorithm();
            if (!ALGORITHMS.contains(alg)) {
                return List.of();
            }
            List<JWK> candidates = keys.stream().filter(k -> fits(k, alg)).toList();
            String kid = header.getKeyID();
            if (kid != null) {
                List<JWK> named = candidates.stream().filter(k -> kid.equals(k.getKeyID())).toList();
                candidates = named.isEmpty()
                        ? candidates.stream().filter(k -> k.getKeyID() == null).toList()
                        : named;
            }
            List<Key> selected = new ArrayList<>();
            for (JWK k : candidates) {
                try {
                    selected.add(k instanceof RSAKey rsa ? rsa.toRSAPublicKey() : ((ECKey) k).toECPublicKey());
                } catch (JOSEException e) {
                    // A key that cannot be converted cannot verify anything; the other candidates may.
                }
            }
            return selected;
        };
    }

    private static boolean fits(JWK key, JWSAlgorithm alg) {
        if (key.getKeyUse() != null && !KeyUse.SIGNATURE.equals(key.getKeyUse())) {
            return false;
        }
        if (key.getAlgorithm() != null && !key.getAlgorithm().equals(alg)) {
            return false;
        }
        if (JWSAlgorithm.Family.RSA.contains(alg)) {
            return key instanceof RSAKey;
        }
        return key instanceof ECKey ec && Curve.forJWSAlgorithm(alg).contains(ec.getCurve());
    }

    // ---- loading ----

    /** The usable public keys of a JWKS, JWK or PEM file. */
    static List<JWK> load(Path file) throws IOException {
        if (Files.size(file) > MAX_KEY_FILE_BYTES) {
            throw new IOException("larger than " + MAX_KEY_FILE_BYTES + " bytes");
        }
        String text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8).strip();
        List<JWK> candidates = text.startsWith("{") ? parseJson(text) : parsePem(text);
        List<JWK> usable = new ArrayList<>();
        for (JWK jwk : candidates) {
            if (jwk instanceof RSAKey rsa && rsa.size() >= MIN_RSA_BITS) {
                usable.add(rsa.toPublicJWK());
            } else if (jwk instanceof ECKey ec && CURVES.contains(ec.getCurve())) {
                usable.add(ec.toPublicJWK());
            }
        }
        if (usable.isEmpty()) {
            throw new IOException("no RSA (2048 bits or more) or EC (P-256, P-384, P-521) public key in " + file);
        }
        return List.copyOf(usable);
    }

    private static List<JWK> parseJson(String text) throws IOException {
        try {
            return text.contains("\"keys\"") ? JWKSet.parse(text).getKeys() : List.of(JWK.parse(text));
        } catch (ParseException e) {
            throw new IOException("not a valid JWKS or JWK: " + e.getMessage(), e);
        }
    }

    private static List<JWK> parsePem(String text) throws IOException {
        List<JWK> keys = new ArrayList<>();
        Matcher m = PEM_BLOCK.matcher(text);
        while (m.find()) {
            byte[] der;
            try {
                der = Base64.getMimeDecoder().decode(m.group(2));
            } catch (IllegalArgumentException e) {
                throw new IOException("invalid base64 in a PEM block", e);
            }
            PublicKey key = switch (m.group(1)) {
                case "PUBLIC KEY" -> publicKey(der);
                case "CERTIFICATE" -> certificateKey(der);
                default -> null;
            };
            if (key instanceof RSAPublicKey rsa) {
                keys.add(new RSAKey.Builder(rsa).build());
            } else if (key instanceof ECPublicKey ec) {
                Curve curve = Curve.forECParameterSpec(ec.getParams());
                if (curve != null) {
                    keys.add(new ECKey.Builder(curve, ec).build());
                }
            }
        }
        if (keys.isEmpty() && !m.reset().find()) {
            throw new IOException("neither JSON nor PEM with PUBLIC KEY or CERTIFICATE blocks");
        }
        return keys;
    }

    private static PublicKey publicKey(byte[] der) throws IOException {
        for (String algorithm : List.of("RSA", "EC")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePublic(new X509EncodedKeySpec(der));
            } catch (InvalidKeySpecException e) {
                // Try the next algorithm.
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(algorithm + " is missing from this JRE", e);
            }
        }
        throw new IOException("a PUBLIC KEY block is neither RSA nor EC");
    }

    private static PublicKey certificateKey(byte[] der) throws IOException {
        try {
            return CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der))
                    .getPublicKey();
        } catch (CertificateException e) {
            throw new IOException("invalid CERTIFICATE block: " + e.getMessage(), e);
        }
    }
}
