package dev.postoffice.lmtp;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** One mail transaction: the sender, the accepted recipients and the message being received. */
final class Transaction implements AutoCloseable {
    /** An accepted recipient: the address as given and the user it names. */
    record Recipient(String address, Recipients.Resolved user) {}

    final String sender;
    /** The SIZE parameter of MAIL FROM, or -1. */
    final long declaredSize;
    final List<Recipient> recipients = new ArrayList<>();
    private final Path spoolDir;
    private Spool spool;
    /** Octets received so far by BDAT. */
    long chunked;
    /** Whether a BDAT chunk has been received. */
    boolean inBdat;

    Transaction(String sender, long declaredSize, Path spoolDir) {
        this.sender = sender;
        this.declaredSize = declaredSize;
        this.spoolDir = spoolDir;
    }

    Spool spool() {
        if (spool == null) {
            spool = new Spool(spoolDir);
        }
        return spool;
    }

    @Override
    public void close() throws IOException {
        if (spool != null) {
            spool.close();
        }
    }
}
