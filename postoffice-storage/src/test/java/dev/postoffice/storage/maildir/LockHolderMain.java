package dev.postoffice.storage.maildir;

import dev.postoffice.storage.Maildrop;
import dev.postoffice.storage.MaildropBusyException;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Run in a child JVM by the lock tests: opens the maildrop of user {@code args[1]} under data directory
 * {@code args[0]}, prints {@code LOCKED} (or {@code BUSY}) and holds the lock until stdin ends, then closes
 * the maildrop. With {@code --wait-for-go} as {@code args[2]} it first prints {@code READY} and waits for a
 * line on stdin, so that several children can try to open at the same moment.
 */
public final class LockHolderMain {
    private LockHolderMain() {}

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        MaildirStore store = new MaildirStore(Path.of(args[0]));
        if (args.length > 2 && args[2].equals("--wait-for-go")) {
            System.out.println("READY");
            System.out.flush();
            in.readLine();
        }
        Maildrop maildrop;
        try {
            maildrop = store.open(dev.postoffice.storage.MailboxRef.of(args[1]));
        } catch (MaildropBusyException e) {
            System.out.println("BUSY");
            System.out.flush();
            return;
        }
        try (maildrop) {
            System.out.println("LOCKED");
            System.out.flush();
            while (in.read() >= 0) {
                // hold the lock until the parent closes stdin or kills this process
            }
        }
    }
}
