package dev.postoffice.bench;

/** What a latency is measured for: each command, and a few spans across commands. */
public enum Op {
    /** TCP connect until the greeting has arrived. */
    CONNECT("connect"),
    CAPA("CAPA"),
    USER("USER"),
    PASS("PASS"),
    STAT("STAT"),
    LIST("LIST"),
    UIDL("UIDL"),
    RETR("RETR"),
    TOP("TOP"),
    NOOP("NOOP"),
    QUIT("QUIT"),
    /** Connect until the PASS reply: an authenticated session. */
    LOGIN("login"),
    /** Connect until the reply to the STAT right after PASS (the login scenario's figure of merit). */
    LOGIN_TO_STAT("login-to-stat"),
    /** A whole session, connect until the server closed after QUIT. */
    SESSION("session");

    private final String label;

    Op(String label) {
        this.label = label;
    }

    /** The name in reports and JSON. */
    public String label() {
        return label;
    }

    /** Whether this is one POP3 command (as opposed to a span). */
    public boolean isCommand() {
        return this != CONNECT && this != LOGIN && this != LOGIN_TO_STAT && this != SESSION;
    }
}
