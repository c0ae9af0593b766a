package dev.postoffice.protocol.sasl;

/**
 * LOGIN (draft-murchison-sasl-login): the server asks {@code Username:} and then {@code Password:}; each answer is
 * one UTF-8 string. An initial response is taken as the user name. Names and passwords are prepared with SASLprep
 * as for PLAIN, so a password works the same with both.
 */
final class LoginExchange<P> extends AbstractExchange<P> {
    static final String USERNAME_PROMPT = "Username:";
    static final String PASSWORD_PROMPT = "Password:";

    private final SaslBackend<P> backend;
    private String user;

    LoginExchange(SaslBackend<P> backend) {
        super("LOGIN", MAX_MESSAGE_BYTES);
        this.backend = backend;
    }

    @Override
    Step<P> onStart(byte[] initialResponse) throws MalformedMessageException {
        return initialResponse == null ? challenge(USERNAME_PROMPT) : acceptUser(initialResponse);
    }

    @Override
    Step<P> onResponse(byte[] response) throws MalformedMessageException {
        if (user == null) {
            return acceptUser(response);
        }
        String password = SaslText.password(SaslText.utf8WithoutNul(response));
        return outcome(backend.checkPassword("", user, password));
    }

    private Step<P> acceptUser(byte[] message) throws MalformedMessageException {
        user = SaslText.name(SaslText.utf8WithoutNul(message), "user name");
        return challenge(PASSWORD_PROMPT);
    }
}
