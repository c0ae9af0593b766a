package dev.postoffice.testkit.contract;

import dev.postoffice.storage.MailboxRef;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The contract again for users with a home of their own ({@code HOME/Maildir}), whose lock is a file of its own
 * rather than a link to the server's template: both kinds of lock must fence UPDATE.
 */
class MaildirHomeStoreContractTest extends MaildirStoreContractTest {
    @Override
    protected MailboxRef mailbox() {
        return withHome("alice");
    }

    @Override
    protected MailboxRef otherMailbox() {
        return withHome("bob");
    }

    private MailboxRef withHome(String user) {
        Path home = dataDir.resolve("homes").resolve(user);
        try {
            Files.createDirectories(home);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new MailboxRef(user, Optional.of(home.toString()));
    }
}
