package dev.postoffice.protocol;

/**
 * A command line that cannot be parsed. The message is safe to send after {@code -ERR}: it names the
 * problem and never echoes the offending input.
 */
public final class CommandSyntaxException extends Exception {
    private final boolean unknownCommand;

    public CommandSyntaxException(String message, boolean unknownCommand) {
        super(message, null, false, false);
        this.unknownCommand = unknownCommand;
    }

    public CommandSyntaxException(String message) {
        this(message, false);
    }

    /** True if the keyword itself is not a POP3 command we know, as opposed to bad arguments. */
    public boolean unknownCommand() {
        return unknownCommand;
    }
}
