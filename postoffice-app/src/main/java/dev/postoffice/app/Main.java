package dev.postoffice.app;

import dev.postoffice.bench.BenchCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code postoffice} command line. */
@Command(name = "postoffice", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Postoffice: a POP3 mail system for the JVM.",
        subcommands = {ServeCommand.class, DemoCommand.class, UserCommand.class, DeliverCommand.class, QuotaCommand.class,
                FetchCommand.class, AdminCommands.Who.class, AdminCommands.Kick.class, AdminCommands.Reload.class,
                DoctorCommand.class, DbCommand.class, MigrateCommand.class,
                BenchCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (used by tests too). */
    public static int run(String... args) {
        configureLogging(args);
        CommandLine cli = new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof UserError u) {
                commandLine.getErr().println("postoffice: " + u.getMessage());
                return u.exitCode();
            }
            commandLine.getErr().println("postoffice: unexpected error: " + e);
            return 70; // EX_SOFTWARE
        });
        cli.setParameterExceptionHandler((e, a) -> {
            CommandLine c = e.getCommandLine();
            c.getErr().println("postoffice: " + e.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(e, c.getErr());
            c.usage(c.getErr());
            return 2;
        });
        return cli.execute(args);
    }

    /** Server commands log to stdout at INFO; tools log only warnings, to stderr, keeping stdout clean. */
    private static void configureLogging(String[] args) {
        String first = args.length > 0 ? args[0] : "";
        if (!first.equals("serve") && !first.equals("demo") && !first.equals("bench")) {
            System.setProperty("postoffice.log.level", System.getProperty("postoffice.log.level", "WARN"));
            System.setProperty("postoffice.log.target", "System.err");
        }
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command");
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"postoffice " + (v == null ? "development build" : v)};
        }
    }
}
