package dev.postoffice.protocol;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * A parsed POP3 command (RFC 1939 sections 4 to 7, RFC 2449 section 5). {@link CommandParser} turns a
 * line into one of these; what a command means in a given state is up to the session.
 */
public sealed interface Command {
    /** The keyword as the RFCs spell it, upper case. */
    String keyword();

    // AUTHORIZATION state (RFC 1939 section 4 and 7)
    record User(String name) implements Command {
        public String keyword() { return "USER"; }
    }

    /** PASS takes the rest of the line as one argument: a password may contain spaces (RFC 1939 7). */
    record Pass(String password) implements Command {
        public String keyword() { return "PASS"; }
        @Override public String toString() { return "Pass[password=<hidden>]"; }
    }

    record Apop(String name, String digest) implements Command {
        public String keyword() { return "APOP"; }
    }

    /** STLS (RFC 2595 section 4). */
    record Stls() implements Command {
        public String keyword() { return "STLS"; }
    }

    /**
     * AUTH (RFC 5034): without a mechanism it asks for the list of mechanisms (as Outlook does); the
     * initial response is still base64 (or "=" for an empty one), decoded by the session.
     */
    record Auth(Optional<String> mechanism, Optional<String> initialResponse) implements Command {
        public String keyword() { return "AUTH"; }
        @Override public String toString() { return "Auth[mechanism=" + mechanism + "]"; }
    }

    /** UTF8 (RFC 6856 section 2). */
    record Utf8() implements Command {
        public String keyword() { return "UTF8"; }
    }

    /** LANG [tag] (RFC 6856 section 3): without a tag, lists the languages. */
    record Lang(Optional<String> tag) implements Command {
        public String keyword() { return "LANG"; }
    }

    // Any state
    record Quit() implements Command {
        public String keyword() { return "QUIT"; }
    }

    record Capa() implements Command {
        public String keyword() { return "CAPA"; }
    }

    record Noop() implements Command {
        public String keyword() { return "NOOP"; }
    }

    // TRANSACTION state (RFC 1939 section 5)
    record Stat() implements Command {
        public String keyword() { return "STAT"; }
    }

    /** LIST with an empty {@code message} lists every message. */
    record List(OptionalInt message) implements Command {
        public String keyword() { return "LIST"; }
    }

    record Retr(int message) implements Command {
        public String keyword() { return "RETR"; }
    }

    record Dele(int message) implements Command {
        public String keyword() { return "DELE"; }
    }

    record Rset() implements Command {
        public String keyword() { return "RSET"; }
    }

    /** TOP msg n: the header, the blank line and the first {@code lines} lines of the body. */
    record Top(int message, long lines) implements Command {
        public String keyword() { return "TOP"; }
    }

    /** UIDL with an empty {@code message} lists every message. */
    record Uidl(OptionalInt message) implements Command {
        public String keyword() { return "UIDL"; }
    }
}
