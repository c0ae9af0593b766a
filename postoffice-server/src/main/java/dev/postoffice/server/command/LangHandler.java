package dev.postoffice.server.command;

import dev.postoffice.protocol.Command;
import dev.postoffice.server.session.Session;
import dev.postoffice.server.session.SessionState;
import java.io.IOException;
import java.util.Locale;
import java.util.Set;

/** LANG [tag] (RFC 6856 section 3). Responses are in English, the only language offered. */
final class LangHandler implements CommandHandler<Command.Lang> {
    public Set<SessionState> validIn() {
        return Set.of(SessionState.AUTHORIZATION, SessionState.TRANSACTION);
    }

    public void handle(Session session, Command.Lang command) throws IOException {
        if (command.tag().isEmpty()) {
            session.out().ok("language listing follows");
            session.out().line("en English");
            session.out().end();
            return;
        }
        String tag = command.tag().get().toLowerCase(Locale.ROOT);
        if (tag.equals("*") || tag.equals("en") || tag.startsWith("en-") || tag.equals("i-default")) {
            session.out().ok("en language is English");
        } else {
            session.out().err("unsupported language " + (tag.length() <= 20 && tag.matches("[a-z0-9-]+") ? tag : ""));
        }
    }
}
