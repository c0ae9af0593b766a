package dev.postoffice.protocol.sasl;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/** The SASL mechanisms Postoffice implements, and the factory of their exchanges. */
public final class SaslMechanisms {
    /** Every mechanism, strongest first: the order in which to advertise them. */
    public static final List<String> ALL = List.of(
            "GSSAPI", "SCRAM-SHA-256", "SCRAM-SHA-1", "CRAM-MD5", "PLAIN", "LOGIN", "OAUTHBEARER", "XOAUTH2");

    /**
     * The largest decoded client message any mechanism accepts (a bearer token of
     * {@value BearerExchange#MAX_TOKEN_BYTES} bytes plus the other fields); others stop at
     * {@value AbstractExchange#MAX_MESSAGE_BYTES}. A longer message fails the exchange as malformed.
     */
    public static final int MAX_MESSAGE_BYTES = BearerExchange.MAX_BEARER_MESSAGE_BYTES;

    private static final Set<String> CLEARTEXT = Set.of("PLAIN", "LOGIN", "OAUTHBEARER", "XOAUTH2");

    private SaslMechanisms() {}

    /** Whether {@code mechanism} (case-insensitive) is one of {@link #ALL}. */
    public static boolean isKnown(String mechanism) {
        return mechanism != null && ALL.contains(mechanism.toUpperCase(Locale.ROOT));
    }

    /**
     * Whether the mechanism sends a reusable secret (a password or a bearer token) in the clear, so that it must
     * be refused on cleartext connections from non-local addresses: PLAIN, LOGIN, OAUTHBEARER and XOAUTH2.
     *
     * @throws IllegalArgumentException for a mechanism not in {@link #ALL}
     */
    public static boolean sendsCleartextSecret(String mechanism) {
        return CLEARTEXT.contains(canonical(mechanism));
    }

    /**
     * A new exchange. Whether the mechanism should be offered at all ({@link SaslBackend#supports}, cleartext
     * policy, configuration) is for the caller to decide first.
     *
     * @param mechanism a name from {@link #ALL}, case-insensitive
     * @param hostname  the server's name, for CRAM-MD5's challenge
     * @throws IllegalArgumentException for a mechanism not in {@link #ALL}
     */
    public static <P> SaslExchange<P> start(String mechanism, SaslBackend<P> backend, String hostname) {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(hostname, "hostname");
        return switch (canonical(mechanism)) {
            case "GSSAPI" -> new GssapiExchange<>(backend);
            case "SCRAM-SHA-256" -> new ScramExchange<>(backend, SaslBackend.ScramHash.SHA_256);
            case "SCRAM-SHA-1" -> new ScramExchange<>(backend, SaslBackend.ScramHash.SHA_1);
            case "CRAM-MD5" -> new CramMd5Exchange<>(backend, CramMd5Exchange.newChallenge(hostname));
            case "PLAIN" -> new PlainExchange<>(backend);
            case "LOGIN" -> new LoginExchange<>(backend);
            case "OAUTHBEARER" -> new OAuthBearerExchange<>(backend);
            case "XOAUTH2" -> new XOAuth2Exchange<>(backend);
            default -> throw new IllegalStateException("unreachable");
        };
    }

    private static String canonical(String mechanism) {
        if (!isKnown(mechanism)) {
            throw new IllegalArgumentException("Unknown SASL mechanism");
        }
        return mechanism.toUpperCase(Locale.ROOT);
    }
}
