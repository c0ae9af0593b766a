package dev.postoffice.app;

import dev.postoffice.auth.UserRecord;
import dev.postoffice.storage.MailboxRef;
import dev.postoffice.storage.Maildrop;
import dev.postoffice.storage.MaildropBusyException;
import dev.postoffice.storage.StorageException;
import dev.postoffice.storage.StoredMessage;
import dev.postoffice.storage.maildir.MaildirStore;
import dev.postoffice.storage.pg.PgStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code postoffice migrate --from maildir:DIR --to postgresql://...}: copies users and mail, keeping every UIDL,
 * size, first retrieval and last login, so no client downloads anything twice. Each message is its own transaction
 * and one already there (by UIDL) is skipped: running it again, or after an interruption, copies only what is
 * missing. The Maildirs are read under their POP3 lock and left as they are.
 */
@Command(name = "migrate", mixinStandardHelpOptions = true,
        description = "Copy users and mail from a data directory to PostgreSQL, keeping UIDLs, sizes and retrieval times (idempotent, resumable).")
final class MigrateCommand implements Callable<Integer> {
    @Option(names = "--from", required = true, paramLabel = "maildir:DIR", description = "The data directory to copy from.")
    String from;

    @Option(names = "--to", required = true, paramLabel = "URL", description = "postgresql://HOST:PORT/DB?user=USER")
    String to;

    @Option(names = "--migrate-schema", description = "Apply pending schema migrations to the target first.")
    boolean migrateSchema;

    @Override
    public Integer call() {
        if (!from.startsWith("maildir:") || from.length() == "maildir:".length()) {
            throw new UserError("--from must be maildir:DIR, not '" + from + "'", 2);
        }
        DataDir source = new DataDir(Path.of(from.substring("maildir:".length())));
        if (!Files.isRegularFile(source.usersFile())) {
            throw new UserError("no users file at " + source.usersFile(), 66);
        }
        int worst = 0;
        try (DataDir target = new DataDir(source.path()).store(to, migrateSchema);
                MaildirStore maildirs = source.store()) {
            PgBackend pg = target.pg(false);
            List<UserRecord> users = source.users().list();
            int added = 0;
            for (UserRecord u : users) {
                added += pg.users().copy(u) ? 1 : 0;
            }
            System.out.println("users: " + users.size() + " in " + source.usersFile() + ", " + added + " copied");
            for (UserRecord u : users) {
                worst = Math.max(worst, copyMail(u, maildirs, pg.store()));
            }
        } catch (IOException e) {
            throw new UserError("migration stopped: " + e.getMessage(), 74);
        }
        System.out.println(worst == 0 ? "done" : "done with errors: run the same command again to copy the rest");
        return worst;
    }

    private static int copyMail(UserRecord u, MaildirStore maildirs, PgStore pg) {
        MailboxRef target = MailboxRef.of(u.name());
        int copied = 0;
        int skipped = 0;
        try (Maildrop drop = maildirs.open(u.account().mailbox())) {
            List<StoredMessage> messages = drop.messages();
            for (StoredMessage m : messages) {
                try (InputStream in = drop.body(m).open()) {
                    if (pg.copy(target, m.uidl(), m.size(), in, drop.history().firstRetrieved(m))) {
                        copied++;
                    } else {
                        skipped++;
                    }
                }
                if ((copied + skipped) % 1000 == 0) {
                    System.out.println(u.name() + ": " + (copied + skipped) + " of " + messages.size() + " messages");
                }
            }
            if (drop.history().lastLogin().isPresent()) {
                pg.copyLastLogin(target, drop.history().lastLogin().get());
            }
            System.out.println(u.name() + ": " + messages.size() + " messages, " + copied + " copied, " + skipped
                    + " there already");
            return 0;
        } catch (MaildropBusyException e) {
            System.err.println("postoffice migrate: " + u.name() + ": in use by a POP3 session; skipped, try again");
            return 75;
        } catch (StorageException | IOException e) {
            System.err.println("postoffice migrate: " + u.name() + ": " + e.getMessage() + " (" + copied
                    + " messages copied)");
            return e instanceof StorageException s && !s.temporary() ? 65 : 75;
        }
    }
}
