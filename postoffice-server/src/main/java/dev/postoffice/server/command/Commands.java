package dev.postoffice.server.command;

import dev.postoffice.protocol.Command;
import dev.postoffice.protocol.Reply;

/**
 * The table from command to handler. The switch is over a sealed type, so a new command without a handler does
 * not compile. Handlers are stateless; one table serves every session.
 */
public final class Commands {
    private final UserHandler user = new UserHandler();
    private final PassHandler pass = new PassHandler();
    private final ApopHandler apop = new ApopHandler();
    private final QuitHandler quit = new QuitHandler();
    private final CapaHandler capa = new CapaHandler();
    private final NoopHandler noop = new NoopHandler();
    private final StatHandler stat = new StatHandler();
    private final ListHandler list = new ListHandler();
    private final RetrHandler retr = new RetrHandler();
    private final DeleHandler dele = new DeleHandler();
    private final RsetHandler rset = new RsetHandler();
    private final TopHandler top = new TopHandler();
    private final UidlHandler uidl = new UidlHandler();
    private final StlsHandler stls = new StlsHandler();
    private final AuthHandler auth = new AuthHandler();
    private final Utf8Handler utf8 = new Utf8Handler();
    private final LangHandler lang = new LangHandler();

    /** Runs a command: its handler's reply, or the answer to a command not valid in the current state. */
    public Reply dispatch(CommandContext ctx, Command command) {
        return switch (command) {
            case Command.User c -> run(ctx, user, c);
            case Command.Pass c -> run(ctx, pass, c);
            case Command.Apop c -> run(ctx, apop, c);
            case Command.Quit c -> run(ctx, quit, c);
            case Command.Capa c -> run(ctx, capa, c);
            case Command.Noop c -> run(ctx, noop, c);
            case Command.Stat c -> run(ctx, stat, c);
            case Command.List c -> run(ctx, list, c);
            case Command.Retr c -> run(ctx, retr, c);
            case Command.Dele c -> run(ctx, dele, c);
            case Command.Rset c -> run(ctx, rset, c);
            case Command.Top c -> run(ctx, top, c);
            case Command.Uidl c -> run(ctx, uidl, c);
            case Command.Stls c -> run(ctx, stls, c);
            case Command.Auth c -> run(ctx, auth, c);
            case Command.Utf8 c -> run(ctx, utf8, c);
            case Command.Lang c -> run(ctx, lang, c);
        };
    }

    /**
     * A response line of the SASL exchange in progress (the state's {@code sasl} is set); {@code line} is null
     * when it was too long.
     */
    public Reply saslResponse(CommandContext ctx, String line) {
        return auth.respond(ctx, line);
    }

    private static <C extends Command> Reply run(CommandContext ctx, CommandHandler<C> handler, C command) {
        if (!handler.validIn().contains(ctx.state().getClass())) {
            return ctx.invalidCommand(ctx.state() instanceof SessionState.Authorization
                    ? command.keyword() + " is only valid after login"
                    : command.keyword() + " is only valid before login");
        }
        ctx.commandAccepted();
        return handler.handle(ctx, command);
    }
}
