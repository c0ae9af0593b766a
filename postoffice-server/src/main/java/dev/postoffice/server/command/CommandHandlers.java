package dev.postoffice.server.command;

import dev.postoffice.protocol.Command;
import dev.postoffice.server.session.Session;
import dev.postoffice.server.session.SessionState;
import java.io.IOException;

/**
 * The table from command to handler. The switch is over a sealed type, so a new command without a
 * handler does not compile.
 */
public final class CommandHandlers {
    private static final UserHandler USER = new UserHandler();
    private static final PassHandler PASS = new PassHandler();
    private static final ApopHandler APOP = new ApopHandler();
    private static final QuitHandler QUIT = new QuitHandler();
    private static final CapaHandler CAPA = new CapaHandler();
    private static final NoopHandler NOOP = new NoopHandler();
    private static final StatHandler STAT = new StatHandler();
    private static final ListHandler LIST = new ListHandler();
    private static final RetrHandler RETR = new RetrHandler();
    private static final DeleHandler DELE = new DeleHandler();
    private static final RsetHandler RSET = new RsetHandler();
    private static final TopHandler TOP = new TopHandler();
    private static final UidlHandler UIDL = new UidlHandler();
    private static final StlsHandler STLS = new StlsHandler();
    private static final AuthHandler AUTH = new AuthHandler();
    private static final Utf8Handler UTF8 = new Utf8Handler();
    private static final LangHandler LANG = new LangHandler();

    private CommandHandlers() {}

    public static void dispatch(Session session, Command command) throws IOException {
        switch (command) {
            case Command.User c -> run(session, USER, c);
            case Command.Pass c -> run(session, PASS, c);
            case Command.Apop c -> run(session, APOP, c);
            case Command.Quit c -> run(session, QUIT, c);
            case Command.Capa c -> run(session, CAPA, c);
            case Command.Noop c -> run(session, NOOP, c);
            case Command.Stat c -> run(session, STAT, c);
            case Command.List c -> run(session, LIST, c);
            case Command.Retr c -> run(session, RETR, c);
            case Command.Dele c -> run(session, DELE, c);
            case Command.Rset c -> run(session, RSET, c);
            case Command.Top c -> run(session, TOP, c);
            case Command.Uidl c -> run(session, UIDL, c);
            case Command.Stls c -> run(session, STLS, c);
            case Command.Auth c -> run(session, AUTH, c);
            case Command.Utf8 c -> run(session, UTF8, c);
            case Command.Lang c -> run(session, LANG, c);
        }
    }

    private static <C extends Command> void run(Session session, CommandHandler<C> handler, C command)
            throws IOException {
        if (!handler.validIn().contains(session.state())) {
            session.badCommand(session.state() == SessionState.AUTHORIZATION
                    ? command.keyword() + " is only valid after login"
                    : command.keyword() + " is only valid before login");
            return;
        }
        session.commandAccepted();
        handler.handle(session, command);
    }
}
