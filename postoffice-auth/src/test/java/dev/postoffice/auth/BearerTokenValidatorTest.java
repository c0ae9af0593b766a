package dev.postoffice.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.OctetSequenceKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BearerTokenValidatorTest {
    private static final String ISSUER = "https://id.example.org";
    private static final String AUDIENCE = "pop.example.org";

    private static RSAKey rsa;
    private static RSAKey otherRsa;
    private static ECKey ec;

    @TempDir
    Path dir;

    @BeforeAll
    static void keys() throws Exception {
        rsa = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
        otherRsa = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
        ec = new ECKeyGenerator(Curve.P_256).keyID("ec-1").generate();
    }

    // ---- helpers ----

    private static JWTClaimsSet.Builder claims() {
        Instant now = Instant.now();
        return new JWTClaimsSet.Builder()
                .issuer(ISSUER)
                .audience(AUDIENCE)
                .subject("1234")
                .claim("email", "alice@example.org").claim("email_verified", true)
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plus(Duration.ofMinutes(10))));
    }

    private static String sign(JWSSigner signer, JWSHeader header, JWTClaimsSet claims) throws Exception {
        SignedJWT jwt = new SignedJWT(header, claims);
        jwt.sign(signer);
        return jwt.serialize();
    }

    private static String rs256(RSAKey key, JWTClaimsSet claims) throws Exception {
        return sign(new RSASSASigner(key), new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).build(),
                claims);
    }

    private static String rs256(JWTClaimsSet.Builder claims) throws Exception {
        return rs256(rsa, claims.build());
    }

    private Path write(String name, String content) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, content);
        return file;
    }

    private Path jwks(JWK... keys) throws IOException {
        return write("jwks.json", new JWKSet(List.of(keys)).toString(false));
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private BearerTokenValidator validator(Path keyFile) throws IOException {
        return new BearerTokenValidator(new OAuthConfig(keyFile, ISSUER, AUDIENCE));
    }

    private static void valid(BearerTokenValidator.Result result, String user) {
        assertThat(result).isEqualTo(new BearerTokenValidator.Result.Valid(user));
    }

    private static void invalid(BearerTokenValidator.Result result) {
        assertThat(result).isInstanceOf(BearerTokenValidator.Result.Invalid.class);
    }

    // ---- accepted ----

    @Test
    void rsaKeyFromAJwks() throws Exception {
        BearerTokenValidator v = validator(jwks(rsa.toPublicJWK(), ec.toPublicJWK()));
        valid(v.validate(rs256(claims())), "alice@example.org");
        valid(v.validate(sign(new RSASSASigner(rsa), new JWSHeader.Builder(JWSAlgorithm.PS256).keyID("rsa-1").build(),
                claims().build())), "alice@example.org");
        valid(v.validate(sign(new RSASSASigner(rsa), new JWSHeader.Builder(JWSAlgorithm.RS512).build(),
                claims().build())), "alice@example.org");
    }

    @Test
    void ecKeyFromAPemFileWhateverTheKid() throws Exception {
        BearerTokenValidator v = validator(write("ec.pem", pem("PUBLIC KEY", ec.toECPublicKey().getEncoded())));
        valid(v.validate(sign(new ECDSASigner(ec), new JWSHeader.Builder(JWSAlgorithm.ES256).keyID("any").build(),
                claims().build())), "alice@example.org");
        valid(v.validate(sign(new ECDSASigner(ec), new JWSHeader.Builder(JWSAlgorithm.ES256).build(),
                claims().build())), "alice@example.org");
    }

    @Test
    void ecP384AndP521() throws Exception {
        ECKey p384 = new ECKeyGenerator(Curve.P_384).generate();
        ECKey p521 = new ECKeyGenerator(Curve.P_521).generate();
        BearerTokenValidator v = validator(jwks(p384.toPublicJWK(), p521.toPublicJWK()));
        valid(v.validate(sign(new ECDSASigner(p384), new JWSHeader.Builder(JWSAlgorithm.ES384).build(),
                claims().build())), "alice@example.org");
        valid(v.validate(sign(new ECDSASigner(p521), new JWSHeader.Builder(JWSAlgorithm.ES512).build(),
                claims().build())), "alice@example.org");
    }

    @Test
    void rsaKeysFromPemPublicKeysAndCertificates() throws Exception {
        KeyPair pair = KeyPairGenerator.getInstance("RSA").generateKeyPair();
        var now = Instant.now();
        var cert = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(
                new X500Name("CN=id.example.org"), BigInteger.ONE, Date.from(now.minusSeconds(60)),
                Date.from(now.plus(Duration.ofDays(1))), new X500Name("CN=id.example.org"), pair.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withRSA").build(pair.getPrivate())));
        Path file = write("keys.pem", pem("PUBLIC KEY", rsa.toRSAPublicKey().getEncoded())
                + "some text between blocks\n" + pem("CERTIFICATE", cert.getEncoded()));
        BearerTokenValidator v = validator(file);
        valid(v.validate(rs256(claims())), "alice@example.org");
        String byCertKey = sign(new RSASSASigner(pair.getPrivate()), new JWSHeader.Builder(JWSAlgorithm.RS256).build(),
                claims().build());
        valid(v.validate(byCertKey), "alice@example.org");
    }

    @Test
    void aSingleJwkAndPrivateKeysOfWhichOnlyThePublicPartIsUsed() throws Exception {
        valid(validator(write("jwk.json", rsa.toJSONString())).validate(rs256(claims())), "alice@example.org");
    }

    @Test
    void accessTokenTypeAndAudienceLists() throws Exception {
        BearerTokenValidator v = validator(jwks(rsa.toPublicJWK()));
        valid(v.validate(sign(new RSASSASigner(rsa), new JWSHeader.Builder(JWSAlgorithm.RS256)
                .type(new JOSEObjectType("at+jwt")).build(), claims().build())), "alice@example.org");
        valid(v.validate(rs256(claims().audience(List.of("other", AUDIENCE)))), "alice@example.org");
    }

    @Test
    void expiryWithinTheClockSkewAndAnotherUserClaim() throws Exception {
        Instant now = Instant.now();
        BearerTokenValidator v = new BearerTokenValidator(new OAuthConfig(jwks(rsa.toPublicJWK()), ISSUER, AUDIENCE,
                "preferred_username", Duration.ofMinutes(5)));
        valid(v.validate(rs256(claims().claim("preferred_username", "bob")
                .expirationTime(Date.from(now.minus(Duration.ofMinutes(1)))))), "bob");
    }

    @Test
    void anEmailClaimCountsOnlyWhenVerifiedUnlessConfiguredOtherwise() throws Exception {
        BearerTokenValidator v = validator(jwks(rsa.toPublicJWK()));
        invalid(v.validate(rs256(claims().claim("email_verified", false))));
        invalid(v.validate(rs256(claims().claim("email_verified", null))));
        invalid(v.validate(rs256(claims().claim("email_verified", "yes"))));
        valid(v.validate(rs256(claims().claim("email_verified", "true"))), "alice@example.org"); // Cognito's form
        BearerTokenValidator lax = new BearerTokenValidator(new OAuthConfig(jwks(rsa.toPublicJWK()), ISSUER, AUDIENCE,
                "email", null, false));
        valid(lax.validate(rs256(claims().claim("email_verified", null))), "alice@example.org");
        BearerTokenValidator other = new BearerTokenValidator(new OAuthConfig(jwks(rsa.toPublicJWK()), ISSUER,
                AUDIENCE, "preferred_username", null));
        valid(other.validate(rs256(claims().claim("preferred_username", "bob").claim("email_verified", false))),
                "bob");
    }

    // ---- refused ----

    @Test
    void expiredNotYetValidOrWithoutExpiry() throws Exception {
        Instant now = Instant.now();
        BearerTokenValidator v = validator(jwks(rsa.toPublicJWK()));
        invalid(v.validate(rs256(claims().expirationTime(Date.from(now.minus(Duration.ofMinutes(5)))))));
        invalid(v.validate(rs256(claims().notBeforeTime(Date.from(now.plus(Duration.ofMinutes(5)))))));
        invalid(v.validate(rs256(claims().expirationTime(null))));
    }

    @Test
    void wrongIssuerOrAudience() throws Exception {
        BearerTokenValidator v = validator(jwks(rsa.toPublicJWK()));
        invalid(v.validate(rs256(claims().issuer("https://evil.example"))));
        invalid(v.validate(rs256(claims().issuer(null))));
        invalid(v.validate(rs256(claims().audience("other"))));
        invalid(v.validate(rs256(claims().audience((String) null))));
    }

    @Test
    void missingEmptyOrNonStringUserClaim() throws Exception {
        BearerTokenValidator v = validator(jwks(rsa.toPublicJWK()));
        invalid(v.validate(rs256(claims().claim("email", null))));
        invalid(v.validate(rs256(claims().claim("email", ""))));
        invalid(v.validate(rs256(claims().claim("email", List.of("a@example.org")))));
        invalid(v.validate(rs256(claims().claim("email", 42))));
    }

    @Test
    void signedByAnotherKeyOrWithAnUnknownKid() throws Exception {
        BearerTokenValidator v = validator(jwks(rsa.toPublicJWK()));
        invalid(v.validate(rs256(otherRsa, claims().build())));
        invalid(v.validate(sign(new RSASSASigner(rsa), new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("rsa-2").build(),
                claims().build())));
    }

    @Test
    void algNoneAndHmacAreRefused() throws Exception {
        BearerTokenValidator v = validator(jwks(rsa.toPublicJWK()));
        invalid(v.validate(new PlainJWT(claims().build()).serialize()));
        OctetSequenceKey secret = new OctetSequenceKeyGenerator(256).generate();
        invalid(v.validate(sign(new MACSigner(secret), new JWSHeader(JWSAlgorithm.HS256), claims().build())));
        // The classic confusion: HMAC keyed with the RSA public key's bytes.
        byte[] publicBytes = pem("PUBLIC KEY", rsa.toRSAPublicKey().getEncoded()).getBytes(StandardCharsets.US_ASCII);
        invalid(v.validate(sign(new MACSigner(publicBytes), new JWSHeader(JWSAlgorithm.HS256), claims().build())));
        // An RS256 signature relabelled none keeps its signature part.
        String[] parts = rs256(claims()).split("\\.");
        String noneHeader = Base64URL.encode("{\"alg\":\"none\"}").toString();
        invalid(v.validate(noneHeader + "." + parts[1] + "." + parts[2]));
        invalid(v.validate(noneHeader + "." + parts[1] + "."));
    }

    @Test
    void aTamperedPayloadIsRefused() throws Exception {
        BearerTokenValidator v = validator(jwks(rsa.toPublicJWK()));
        String[] parts = rs256(claims()).split("\\.");
        String forged = claims().claim("email", "mallory@example.org").build().toString();
        invalid(v.validate(parts[0] + "." + Base64URL.encode(forged) + "." + parts[2]));
        invalid(v.validate(parts[0] + "." + parts[1] + "." + parts[2].substring(0, parts[2].length() - 4) + "AAAA"));
    }

    @Test
    void algorithmAndKeyTypeMustAgree() throws Exception {
        BearerTokenValidator v = validator(jwks(rsa.toPublicJWK(), ec.toPublicJWK()));
        ECKey p384 = new ECKeyGenerator(Curve.P_384).keyID("ec-1").generate();
        // ES384 signature by a P-384 key whose kid names the P-256 key of the file
        invalid(v.validate(sign(new ECDSASigner(p384), new JWSHeader.Builder(JWSAlgorithm.ES384).keyID("ec-1").build(),
                claims().build())));
    }

    @Test
    void keysForEncryptionOrAnotherAlgorithmAreNotUsed() throws Exception {
        RSAKey encryption = new RSAKey.Builder(rsa.toRSAPublicKey()).keyUse(KeyUse.ENCRYPTION).build();
        assertThatThrownBy(() -> validator(jwks(new OctetSequenceKeyGenerator(256).generate()))).isInstanceOf(IOException.class);
        invalid(validator(jwks(encryption, ec.toPublicJWK())).validate(rs256(claims())));
        RSAKey ps256Only = new RSAKey.Builder(rsa.toRSAPublicKey()).algorithm(JWSAlgorithm.PS256).build();
        invalid(validator(jwks(ps256Only)).validate(rs256(claims())));
    }

    @Test
    void unexpectedTypeGarbageAndOversizeTokens() throws Exception {
        BearerTokenValidator v = validator(jwks(rsa.toPublicJWK()));
        invalid(v.validate(sign(new RSASSASigner(rsa), new JWSHeader.Builder(JWSAlgorithm.RS256)
                .type(new JOSEObjectType("secevent+jwt")).build(), claims().build())));
        invalid(v.validate("not a token"));
        invalid(v.validate("a.b.c"));
        invalid(v.validate(""));
        invalid(v.validate("a".repeat(BearerTokenValidator.MAX_TOKEN_LENGTH + 1)));
    }

    @Test
    void invalidReasonsNeverContainTheToken() throws Exception {
        BearerTokenValidator v = validator(jwks(rsa.toPublicJWK()));
        String token = rs256(otherRsa, claims().build());
        var result = (BearerTokenValidator.Result.Invalid) v.validate(token);
        assertThat(result.reason()).doesNotContain(token.split("\\.")[2]).doesNotContain(token.split("\\.")[1]);
    }

    // ---- key file ----

    @Test
    void theKeyFileIsReloadedWhenItChanges() throws Exception {
        Path file = jwks(rsa.toPublicJWK());
        BearerTokenValidator v = validator(file);
        String oldToken = rs256(claims());
        String newToken = rs256(otherRsa, claims().build());
        valid(v.validate(oldToken), "alice@example.org");
        invalid(v.validate(newToken));

        replace(file, new JWKSet(otherRsa.toPublicJWK()).toString(false));
        invalid(v.validate(oldToken));
        valid(v.validate(newToken), "alice@example.org");
    }

    @Test
    void aMissingOrBrokenKeyFileMakesTokensUnavailableUntilFixed() throws Exception {
        Path file = jwks(rsa.toPublicJWK());
        String good = new JWKSet(rsa.toPublicJWK()).toString(false);
        BearerTokenValidator v = validator(file);
        String token = rs256(claims());

        Files.delete(file);
        assertThat(v.validate(token)).isInstanceOf(BearerTokenValidator.Result.Unavailable.class);
        replace(file, "{ not json");
        assertThat(v.validate(token)).isInstanceOf(BearerTokenValidator.Result.Unavailable.class);
        assertThat(v.validate(token)).isInstanceOf(BearerTokenValidator.Result.Unavailable.class);
        replace(file, good);
        valid(v.validate(token), "alice@example.org");
    }

    private void replace(Path file, String content) throws IOException {
        Path tmp = Files.writeString(dir.resolve("tmp"), content);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    @Test
    void unusableKeyFilesFailAtConstruction() throws Exception {
        KeyPairGenerator small = KeyPairGenerator.getInstance("RSA");
        small.initialize(1024);
        PublicKey weak = small.generateKeyPair().getPublic();
        for (String content : List.of(
                "",
                "garbage",
                "{\"keys\":[]}",
                "{\"kty\":\"nope\"}",
                pem("PRIVATE KEY", new byte[] {1, 2, 3}),
                pem("PUBLIC KEY", new byte[] {1, 2, 3}),
                pem("PUBLIC KEY", weak.getEncoded()),
                new JWKSet(new RSAKey.Builder((RSAPublicKey) weak).build()).toString())) {
            Path file = write("bad", content);
            assertThatThrownBy(() -> validator(file)).as(content).isInstanceOf(IOException.class);
        }
        assertThatThrownBy(() -> validator(dir.resolve("missing"))).isInstanceOf(IOException.class);
    }

    @Test
    void configDefaultsAndChecks() {
        Path file = dir.resolve("k");
        OAuthConfig config = new OAuthConfig(file, ISSUER, AUDIENCE);
        assertThat(config.userClaim()).isEqualTo("email");
        assertThat(config.clockSkew()).isEqualTo(Duration.ofSeconds(60));
        assertThatThrownBy(() -> new OAuthConfig(file, " ", AUDIENCE)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new OAuthConfig(file, ISSUER, null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new OAuthConfig(file, ISSUER, AUDIENCE, "", null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new OAuthConfig(file, ISSUER, AUDIENCE, null, Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new OAuthConfig(null, ISSUER, AUDIENCE)).isInstanceOf(NullPointerException.class);
    }
}
