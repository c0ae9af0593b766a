package dev.postoffice.testkit.memory;

import dev.postoffice.storage.MailDelivery;
import dev.postoffice.storage.MailboxRef;
import dev.postoffice.storage.MaildropStore;
import dev.postoffice.testkit.contract.MaildropStoreContract;

/** The memory store keeps the storage contract (it holds messages in memory, so it declares no streaming). */
class MemoryStoreContractTest extends MaildropStoreContract {
    private final MemoryStore store = new MemoryStore();

    @Override
    protected MaildropStore store() {
        return store;
    }

    @Override
    protected MailDelivery delivery() {
        return store;
    }

    @Override
    protected void breakLease(MailboxRef ref) {
        store.breakLease(ref);
    }
}
