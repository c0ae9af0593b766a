package dev.postoffice.storage.maildir;

import dev.postoffice.storage.Maildrop;
import dev.postoffice.storage.MaildropBusyException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Run in a child JVM by the lock tests: opens the maildrop of user {@code args[1]} under data directory
 * {@code args[0]}, prints {@code LOCKED} (or {@code BUSY}) and holds the lock until stdin ends.
 */
public final class LockHolderMain {
    private LockHolderMain() {}

    public static void main(String[] args) throws Exception {
        Maildrop maildrop;
        try {
            maildrop = new MaildirStore(Path.of(args[0])).open(args[1], Optional.empty());
        } catch (MaildropBusyException e) {
            System.out.println("BUSY");
            System.out.flush();
            return;
        }
        try (maildrop) {
            System.out.println("LOCKED");
            System.out.flush();
            while (System.in.read() >= 0) {
                // hold the lock until the parent closes stdin or kills this process
            }
        }
    }
}
