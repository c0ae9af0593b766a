package dev.postoffice.app;

import dev.postoffice.storage.StorageException;
import dev.postoffice.storage.pg.PgDatabase;
import dev.postoffice.storage.pg.PgUrl;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code postoffice db migrate|status --store URL}: the PostgreSQL schema's version (docs/postgresql.md). */
@Command(name = "db", mixinStandardHelpOptions = true, description = "The PostgreSQL store's schema.",
        subcommands = {DbCommand.Migrate.class, DbCommand.Status.class})
final class DbCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand: migrate or status");
    }

    @Command(name = "migrate", mixinStandardHelpOptions = true,
            description = "Apply pending schema migrations (nodes refuse to start until this ran, or with --migrate-schema).")
    static final class Migrate implements Callable<Integer> {
        @Option(names = "--store", required = true, paramLabel = "URL", description = "postgresql://HOST:PORT/DB?user=USER")
        String store;

        @Override
        public Integer call() {
            try (PgDatabase db = open(store, true)) {
                System.out.println("schema of " + db.url() + " is at version " + db.schemaVersion());
            }
            return 0;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "Print the schema's version; exit 1 if migrations are pending.")
    static final class Status implements Callable<Integer> {
        @Option(names = "--store", required = true, paramLabel = "URL", description = "postgresql://HOST:PORT/DB?user=USER")
        String store;

        @Override
        public Integer call() {
            try (PgDatabase db = open(store, false)) {
                System.out.println("schema of " + db.url() + " is at version " + db.schemaVersion() + ", up to date");
                return 0;
            } catch (UserError e) {
                if (e.exitCode() == 78) {
                    System.out.println(e.getMessage());
                    return 1;
                }
                throw e;
            }
        }
    }

    private static PgDatabase open(String url, boolean migrate) {
        PgUrl parsed;
        try {
            parsed = PgUrl.parse(url);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage(), 2);
        }
        try {
            return PgDatabase.open(parsed, migrate);
        } catch (StorageException e) {
            throw new UserError(e.getMessage(), e.temporary() ? 69 : 78);
        }
    }
}
