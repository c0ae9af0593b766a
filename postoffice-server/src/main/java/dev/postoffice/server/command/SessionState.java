package dev.postoffice.server.command;

import dev.postoffice.auth.Account;
import dev.postoffice.protocol.sasl.SaslExchange;
import dev.postoffice.storage.Maildrop;
import java.util.Objects;

/** The states of a POP3 session (RFC 1939 section 3), each carrying what it needs. */
public sealed interface SessionState {
    /**
     * After the greeting, until the client has logged in.
     *
     * @param pendingUser the name a USER command gave, for the next PASS; null when none
     * @param failures    failed logins on this connection so far
     * @param sasl        the SASL exchange in progress (after AUTH and a challenge); null when none
     */
    record Authorization(String pendingUser, int failures, Sasl sasl) implements SessionState {
        /** The state after the greeting. */
        public static final Authorization START = new Authorization(null, 0, null);

        public Authorization withPendingUser(String user) {
            return new Authorization(user, failures, null);
        }

        public Authorization withSasl(Sasl exchange) {
            return new Authorization(null, failures, exchange);
        }

        /** After an attempt that did not log in: no pending USER, no exchange; {@code failed} counts one more. */
        public Authorization after(boolean failed) {
            return new Authorization(null, failed ? failures + 1 : failures, null);
        }
    }

    /**
     * A SASL exchange waiting for the client's next response line.
     *
     * @param consulted whether the backend has been asked about the client's data already (SCRAM's credentials
     *                  for its first message, a bearer token's validation): cancelling then counts as a failure
     */
    record Sasl(String mechanism, SaslExchange<Account> exchange, boolean consulted) {
        public Sasl {
            Objects.requireNonNull(mechanism, "mechanism");
            Objects.requireNonNull(exchange, "exchange");
        }

        public Sasl(String mechanism, SaslExchange<Account> exchange) {
            this(mechanism, exchange, false);
        }

        /** After the client sent data: SCRAM and the bearer-token mechanisms consult the backend with any. */
        Sasl afterClientData() {
            boolean asks = mechanism.startsWith("SCRAM-") || mechanism.equals("OAUTHBEARER")
                    || mechanism.equals("XOAUTH2");
            return asks ? new Sasl(mechanism, exchange, true) : this;
        }
    }

    /** Logged in, maildrop leased: the client works with its messages. */
    record Transaction(Account account, Maildrop maildrop, Marks marks) implements SessionState {}

    /** After QUIT from TRANSACTION: the marked messages are being removed, then the lease is released. */
    record Update(Account account, Maildrop maildrop, Marks marks) implements SessionState {}
}
