package dev.postoffice.protocol.sasl;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.function.Supplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * SCRAM-SHA-1 (RFC 5802) and SCRAM-SHA-256 (RFC 7677) without channel binding.
 *
 * <pre>
 * C: n,a=authzid,n=user,r=cnonce[,ext]             client-first (gs2 header n or y; p= is refused)
 * S: r=cnonce+snonce,s=salt,i=iterations           server-first
 * C: c=biws,r=cnonce+snonce[,ext],p=proof          client-final
 * S: v=ServerSignature                             sent as a challenge (RFC 5034 section 4)
 * C: (empty)                                       then success
 * </pre>
 *
 * The proof is checked in constant time against the backend's StoredKey. Unknown users get the backend's fake
 * credentials, so their exchange looks the same up to the failure at the proof.
 */
final class ScramExchange<P> extends AbstractExchange<P> {
    /** Longest client nonce in bytes. */
    static final int MAX_NONCE_BYTES = 1024;
    private static final int SERVER_NONCE_BYTES = 24;
    private static final SecureRandom RANDOM = new SecureRandom();

    private enum State { CLIENT_FIRST, CLIENT_FINAL, ACKNOWLEDGE }

    private final SaslBackend<P> backend;
    private final SaslBackend.ScramHash hash;
    private final Supplier<String> serverNonces;
    private State state = State.CLIENT_FIRST;

    private Gs2Header gs2;
    private String authzid;
    private String user;
    private String clientFirstBare;
    private String serverFirst;
    private String nonce;
    private SaslBackend.ScramCredentials credentials;
    private SaslBackend.Verdict.Success<P> verdict;

    ScramExchange(SaslBackend<P> backend, SaslBackend.ScramHash hash) {
        this(backend, hash, ScramExchange::randomNonce);
    }

    /** With a supplier of server nonces, so tests can replay the RFC examples. */
    ScramExchange(SaslBackend<P> backend, SaslBackend.ScramHash hash, Supplier<String> serverNonces) {
        super(hash.mechanism, MAX_MESSAGE_BYTES);
        this.backend = backend;
        this.hash = hash;
        this.serverNonces = serverNonces;
    }

    private static String randomNonce() {
        byte[] bytes = new byte[SERVER_NONCE_BYTES];
        RANDOM.nextBytes(bytes);
        return Base64.getEncoder().withoutPadding().encodeToString(bytes);
    }

    @Override
    Step<P> onStart(byte[] initialResponse) throws MalformedMessageException {
        return initialResponse == null ? challenge(new byte[0]) : clientFirst(initialResponse);
    }

    @Override
    Step<P> onResponse(byte[] response) throws MalformedMessageException {
        return switch (state) {
            case CLIENT_FIRST -> clientFirst(response);
            case CLIENT_FINAL -> clientFinal(response);
            case ACKNOWLEDGE -> {
                if (response.length != 0) {
                    throw new MalformedMessageException(
                            "expected an empty response to the server's final message");
                }
                yield new Step.Success<>(verdict);
            }
        };
    }

    private Step<P> clientFirst(byte[] message) throws MalformedMessageException {
        String text = SaslText.utf8WithoutNul(message);
        gs2 = Gs2Header.parse(text, false);
        clientFirstBare = text.substring(gs2.text().length());
        String[] attributes = clientFirstBare.split(",", -1);
        if (attributes[0].startsWith("m=")) {
            throw new MalformedMessageException("mandatory extensions are not supported");
        }
        if (attributes.length < 2 || !attributes[0].startsWith("n=") || !attributes[1].startsWith("r=")) {
            throw new MalformedMessageException("the first message must have n= and r=");
        }
        checkExtensions(attributes, 2, attributes.length);
        user = SaslText.name(SaslText.decodeSaslName(attributes[0].substring(2), "user name"), "user name");
        authzid = gs2.authzid().isEmpty() ? "" : SaslText.name(gs2.authzid(), "authorization identity");
        String clientNonce = attributes[1].substring(2);
        checkNonce(clientNonce);
        String serverNonce = serverNonces.get();
        nonce = clientNonce + serverNonce;

        switch (backend.scramCredentials(user, hash)) {
            case SaslBackend.ScramLookup.Found found -> credentials = found.credentials();
            case SaslBackend.ScramLookup.Unavailable u -> {
                return new Step.Failure<>(Step.Failure.Kind.UNAVAILABLE, u.reason());
            }
        }
        serverFirst = "r=" + nonce + ",s=" + Base64.getEncoder().encodeToString(credentials.salt())
                + ",i=" + credentials.iterations();
        state = State.CLIENT_FINAL;
        return challenge(serverFirst);
    }

    private Step<P> clientFinal(byte[] message) throws MalformedMessageException {
        String text = SaslText.utf8WithoutNul(message);
        String[] attributes = text.split(",", -1);
        if (attributes.length < 3 || !attributes[0].startsWith("c=") || !attributes[1].startsWith("r=")
                || !attributes[attributes.length - 1].startsWith("p=")) {
            throw new MalformedMessageException("the final message must have c=, r= and p=");
        }
        checkExtensions(attributes, 2, attributes.length - 1);
        byte[] channelBinding = base64(attributes[0].substring(2), "channel binding");
        if (!MessageDigest.isEqual(channelBinding, gs2.text().getBytes(StandardCharsets.UTF_8))) {
            throw new MalformedMessageException("channel binding data does not match the GS2 header");
        }
        if (!attributes[1].substring(2).equals(nonce)) {
            throw new MalformedMessageException("the nonce does not match");
        }
        byte[] proof = base64(attributes[attributes.length - 1].substring(2), "proof");
        if (proof.length != hash.length) {
            throw new MalformedMessageException("the proof has the wrong length");
        }
        String withoutProof = text.substring(0, text.lastIndexOf(",p="));
        byte[] authMessage = (clientFirstBare + "," + serverFirst + "," + withoutProof)
                .getBytes(StandardCharsets.UTF_8);

        // ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage); the proof holds if H(ClientKey) = StoredKey.
        byte[] clientSignature = hmac(credentials.storedKey(), authMessage);
        byte[] clientKey = new byte[proof.length];
        for (int i = 0; i < clientKey.length; i++) {
            clientKey[i] = (byte) (proof[i] ^ clientSignature[i]);
        }
        if (!MessageDigest.isEqual(digest(clientKey), credentials.storedKey())) {
            return rejected();
        }
        switch (backend.scramAuthenticated(authzid, user)) {
            case SaslBackend.Verdict.Success<P> s -> verdict = s;
            case SaslBackend.Verdict.Rejected<P> r -> {
                return rejected();
            }
            case SaslBackend.Verdict.Unavailable<P> u -> {
                return new Step.Failure<>(Step.Failure.Kind.UNAVAILABLE, u.reason());
            }
        }
        state = State.ACKNOWLEDGE;
        String serverSignature = Base64.getEncoder().encodeToString(hmac(credentials.serverKey(), authMessage));
        return challenge("v=" + serverSignature);
    }

    private void checkNonce(String clientNonce) throws MalformedMessageException {
        if (clientNonce.isEmpty() || clientNonce.length() > MAX_NONCE_BYTES) {
            throw new MalformedMessageException("the client nonce must have 1 to "
                    + MAX_NONCE_BYTES + " characters");
        }
        for (int i = 0; i < clientNonce.length(); i++) {
            char c = clientNonce.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                throw new MalformedMessageException("the client nonce must be printable ASCII");
            }
        }
    }

    /** RFC 5802 section 7: each extension is {@code attr-val}, a letter, {@code =} and a non-empty value. */
    private void checkExtensions(String[] attributes, int from, int to) throws MalformedMessageException {
        for (int i = from; i < to; i++) {
            String a = attributes[i];
            if (a.length() < 3 || a.charAt(1) != '=' || !isAsciiLetter(a.charAt(0))) {
                throw new MalformedMessageException("an invalid attribute");
            }
        }
    }

    private static boolean isAsciiLetter(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    private byte[] base64(String value, String what) throws MalformedMessageException {
        try {
            return Base64.getDecoder().decode(value);
        } catch (IllegalArgumentException e) {
            throw new MalformedMessageException("the " + what + " is not valid base64");
        }
    }

    private byte[] hmac(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance(hash.hmac);
            mac.init(new SecretKeySpec(key, hash.hmac));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(hash.hmac + " is missing from this JRE", e);
        }
    }

    private byte[] digest(byte[] data) {
        try {
            return MessageDigest.getInstance(hash.digest).digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(hash.digest + " is missing from this JRE", e);
        }
    }
}
