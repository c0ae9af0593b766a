package dev.postoffice.protocol.sasl;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The client's side of the mechanisms in {@link SaslMechanisms}: what a POP3 client sends for {@code AUTH}. The
 * exchange is driven by the caller: {@link #initialResponse()} (sent on the AUTH line when the server allows it),
 * then {@link #respond} to each server challenge. SCRAM checks the server's signature and fails the exchange if it
 * is wrong, so a server that does not know the password cannot pretend to.
 */
public abstract sealed class ClientMechanism {
    /** Mechanisms a client may choose for a password, strongest first. */
    public static final List<String> FOR_PASSWORDS = List.of("SCRAM-SHA-256", "SCRAM-SHA-1", "CRAM-MD5", "PLAIN", "LOGIN");
    /** Mechanisms that take a bearer token instead of a password. */
    public static final List<String> FOR_TOKENS = List.of("OAUTHBEARER", "XOAUTH2");

    private final String name;

    private ClientMechanism(String name) {
        this.name = name;
    }

    public final String name() {
        return name;
    }

    /** The initial response, or null for a server-first mechanism (CRAM-MD5). */
    public abstract byte[] initialResponse();

    /**
     * The response to a challenge.
     *
     * @throws BadChallengeException when the challenge is malformed or proves the server a fake
     */
    public final byte[] respond(byte[] challenge) throws BadChallengeException {
        try {
            return answer(challenge);
        } catch (MalformedMessageException e) {
            throw new BadChallengeException(e.getMessage());
        }
    }

    abstract byte[] answer(byte[] challenge) throws MalformedMessageException;

    /** A server challenge the client cannot answer; the message is safe to show. */
    public static final class BadChallengeException extends Exception {
        private static final long serialVersionUID = 1L;

        BadChallengeException(String reason) {
            super(reason, null, false, false);
        }
    }

    /**
     * A client for {@code mechanism}.
     *
     * @param secret a password, or a bearer token for OAUTHBEARER and XOAUTH2
     * @param host   the server's name and port, for OAUTHBEARER's fields
     * @throws IllegalArgumentException for a mechanism not in {@link SaslMechanisms#ALL}
     */
    public static ClientMechanism create(String mechanism, String user, String secret, String host, int port) {
        if (!SaslMechanisms.isKnown(mechanism)) {
            throw new IllegalArgumentException("unknown SASL mechanism: " + mechanism);
        }
        return switch (mechanism.toUpperCase(Locale.ROOT)) {
            case "SCRAM-SHA-256" -> new Scram("SCRAM-SHA-256", "HmacSHA256", "SHA-256", user, secret);
            case "SCRAM-SHA-1" -> new Scram("SCRAM-SHA-1", "HmacSHA1", "SHA-1", user, secret);
            case "CRAM-MD5" -> new CramMd5(user, secret);
            case "PLAIN" -> new Fixed("PLAIN", utf8("\0" + user + "\0" + secret), new byte[0]);
            case "LOGIN" -> new Login(user, secret);
            case "OAUTHBEARER" -> new Fixed("OAUTHBEARER", utf8("n,a=" + saslName(user) + ",\u0001host=" + host
                    + "\u0001port=" + port + "\u0001auth=Bearer " + secret + "\u0001\u0001"), new byte[] {1});
            case "XOAUTH2" -> new Fixed("XOAUTH2", utf8("user=" + user + "\u0001auth=Bearer " + secret + "\u0001\u0001"),
                    new byte[0]);
            default -> throw new IllegalStateException("unreachable");
        };
    }

    /**
     * PLAIN, OAUTHBEARER, XOAUTH2: one message; a later challenge (an error report) gets the mechanism's dummy
     * answer (OAUTHBEARER's {@code %x01}, RFC 7628 section 3.2.3; empty for the others).
     */
    static final class Fixed extends ClientMechanism {
        private final byte[] message;
        private final byte[] afterError;

        Fixed(String name, byte[] message, byte[] afterError) {
            super(name);
            this.message = message;
            this.afterError = afterError;
        }

        @Override
        public byte[] initialResponse() {
            return message.clone();
        }

        @Override
        byte[] answer(byte[] challenge) {
            return challenge.length == 0 ? message.clone() : afterError.clone();
        }
    }

    /** LOGIN: the user name, then the password, whatever the prompts say. */
    static final class Login extends ClientMechanism {
        private final String user;
        private final String password;
        private int step;

        Login(String user, String password) {
            super("LOGIN");
            this.user = user;
            this.password = password;
        }

        @Override
        public byte[] initialResponse() {
            step = 1;
            return utf8(user);
        }

        @Override
        byte[] answer(byte[] challenge) throws MalformedMessageException {
            step++;
            return switch (step) {
                case 1 -> utf8(user);
                case 2 -> utf8(password);
                default -> throw new MalformedMessageException("the server asked LOGIN for more than a name and a password");
            };
        }
    }

    /** CRAM-MD5 (RFC 2195): {@code user SP hex(HMAC-MD5(secret, challenge))}. */
    static final class CramMd5 extends ClientMechanism {
        private final String user;
        private final String secret;

        CramMd5(String user, String secret) {
            super("CRAM-MD5");
            this.user = user;
            this.secret = secret;
        }

        @Override
        public byte[] initialResponse() {
            return null;
        }

        @Override
        byte[] answer(byte[] challenge) {
            return utf8(user + " " + HexFormat.of().formatHex(hmac("HmacMD5", utf8(secret), challenge)));
        }
    }

    /** SCRAM (RFC 5802, RFC 7677) without channel binding; verifies the server's signature. */
    static final class Scram extends ClientMechanism {
        private static final SecureRandom RANDOM = new SecureRandom();
        private final String hmac;
        private final String digest;
        private final String password;
        private final String clientFirstBare;
        private String expectedServerFinal;
        private int step;

        Scram(String name, String hmac, String digest, String user, String password) {
            super(name);
            this.hmac = hmac;
            this.digest = digest;
            this.password = password;
            byte[] nonce = new byte[18];
            RANDOM.nextBytes(nonce);
            this.clientFirstBare = "n=" + saslName(user) + ",r=" + Base64.getEncoder().encodeToString(nonce);
        }

        @Override
        public byte[] initialResponse() {
            step = 1;
            return utf8("n,," + clientFirstBare);
        }

        @Override
        byte[] answer(byte[] challenge) throws MalformedMessageException {
            step++;
            String text = SaslText.utf8WithoutNul(challenge);
            return switch (step) {
                case 1 -> utf8("n,," + clientFirstBare);
                case 2 -> clientFinal(text);
                case 3 -> {
                    if (expectedServerFinal == null || !MessageDigest.isEqual(utf8(text), utf8(expectedServerFinal))) {
                        throw new MalformedMessageException("the server's SCRAM signature is wrong: it does not know the password");
                    }
                    yield new byte[0];
                }
                default -> throw new MalformedMessageException("the server sent more SCRAM messages than the protocol has");
            };
        }

        private byte[] clientFinal(String serverFirst) throws MalformedMessageException {
            String nonce = attribute(serverFirst, "r");
            String clientNonce = clientFirstBare.substring(clientFirstBare.indexOf(",r=") + 3);
            if (!nonce.startsWith(clientNonce) || nonce.length() == clientNonce.length()) {
                throw new MalformedMessageException("the server's SCRAM nonce does not extend ours");
            }
            byte[] salt;
            int iterations;
            try {
                salt = Base64.getDecoder().decode(attribute(serverFirst, "s"));
                iterations = Integer.parseInt(attribute(serverFirst, "i"));
            } catch (IllegalArgumentException e) {
                throw new MalformedMessageException("the server's SCRAM salt or iteration count is malformed");
            }
            if (iterations < 1 || iterations > 10_000_000) {
                throw new MalformedMessageException("the server's SCRAM iteration count is out of range");
            }
            byte[] salted = hi(utf8(SaslText.saslPrep(password, "password")), salt, iterations);
            String withoutProof = "c=biws,r=" + nonce;
            byte[] authMessage = utf8(clientFirstBare + "," + serverFirst + "," + withoutProof);
            byte[] clientKey = hmac(hmac, salted, utf8("Client Key"));
            byte[] storedKey;
            try {
                storedKey = MessageDigest.getInstance(digest).digest(clientKey);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
            byte[] signature = hmac(hmac, storedKey, authMessage);
            for (int i = 0; i < clientKey.length; i++) {
                clientKey[i] ^= signature[i];
            }
            byte[] serverKey = hmac(hmac, salted, utf8("Server Key"));
            expectedServerFinal = "v=" + Base64.getEncoder().encodeToString(hmac(hmac, serverKey, authMessage));
            return utf8(withoutProof + ",p=" + Base64.getEncoder().encodeToString(clientKey));
        }

        private byte[] hi(byte[] key, byte[] salt, int iterations) {
            byte[] block = new byte[salt.length + 4];
            System.arraycopy(salt, 0, block, 0, salt.length);
            block[block.length - 1] = 1;
            try {
                Mac mac = Mac.getInstance(hmac);
                mac.init(new SecretKeySpec(key, hmac));
                byte[] u = mac.doFinal(block);
                byte[] result = u.clone();
                for (int i = 1; i < iterations; i++) {
                    u = mac.doFinal(u);
                    for (int j = 0; j < result.length; j++) {
                        result[j] ^= u[j];
                    }
                }
                return result;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }

        private static String attribute(String message, String name) throws MalformedMessageException {
            for (String a : message.split(",")) {
                if (a.startsWith(name + "=")) {
                    return a.substring(name.length() + 1);
                }
            }
            throw new MalformedMessageException("the server's SCRAM message has no " + name + "= attribute");
        }
    }

    static byte[] hmac(String algorithm, byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance(algorithm);
            mac.init(new SecretKeySpec(key, algorithm));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** RFC 5802 saslname: {@code ,} and {@code =} escaped. */
    static String saslName(String user) {
        return user.replace("=", "=3D").replace(",", "=2C");
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
