package dev.postoffice.server.command;

import dev.postoffice.protocol.Command;
import dev.postoffice.server.session.Session;
import dev.postoffice.server.session.SessionState;
import java.io.IOException;
import java.util.Set;

/** Carries out one POP3 command. One class per command, named after it. */
public interface CommandHandler<C extends Command> {
    /** The states in which the command is valid (RFC 1939 sections 4 to 7). */
    Set<SessionState> validIn();

    /** Runs the command; the session has already checked the state. Writes exactly one response. */
    void handle(Session session, C command) throws IOException;
}
