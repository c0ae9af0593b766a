package dev.postoffice.server.command;

import dev.postoffice.protocol.Command;
import dev.postoffice.protocol.Reply;
import java.util.Set;

/** Carries out one POP3 command and returns its reply. One class per command, named after it. */
public interface CommandHandler<C extends Command> {
    /** The states in which the command is valid (RFC 1939 sections 4 to 7). */
    Set<Class<? extends SessionState>> validIn();

    /** Runs the command; the state has been checked. May change the state through the context. */
    Reply handle(CommandContext ctx, C command);

    /** Only before login. */
    Set<Class<? extends SessionState>> AUTHORIZATION = Set.of(SessionState.Authorization.class);
    /** Only after login. */
    Set<Class<? extends SessionState>> TRANSACTION = Set.of(SessionState.Transaction.class);
    /** Before and after login. */
    Set<Class<? extends SessionState>> BOTH = Set.of(SessionState.Authorization.class, SessionState.Transaction.class);
}
