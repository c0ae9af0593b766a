package dev.postoffice.app;

import dev.postoffice.storage.DeliveryResult;
import dev.postoffice.storage.Envelope;
import dev.postoffice.storage.MailDelivery;
import dev.postoffice.storage.MailboxRef;
import dev.postoffice.storage.Maildrop;
import dev.postoffice.storage.MaildropStore;
import dev.postoffice.storage.Quota;
import dev.postoffice.storage.StorageException;
import dev.postoffice.storage.Usage;
import java.io.InputStream;

/**
 * The store a command opened, whichever backend (the data directory's Maildirs or PostgreSQL): maildrops and
 * delivery in one object that the command closes when it is done.
 */
final class AppStore implements MaildropStore, MailDelivery, AutoCloseable {
    private final MaildropStore maildrops;
    private final MailDelivery delivery;
    private final Runnable closer;

    <S extends MaildropStore & MailDelivery> AppStore(S store, Runnable closer) {
        this.maildrops = store;
        this.delivery = store;
        this.closer = closer;
    }

    @Override
    public Maildrop open(MailboxRef ref) throws StorageException {
        return maildrops.open(ref);
    }

    @Override
    public DeliveryResult deliver(MailboxRef ref, Envelope envelope, InputStream message, Quota quota)
            throws StorageException {
        return delivery.deliver(ref, envelope, message, quota);
    }

    @Override
    public Usage usage(MailboxRef ref) throws StorageException {
        return delivery.usage(ref);
    }

    @Override
    public void close() {
        closer.run();
    }
}
