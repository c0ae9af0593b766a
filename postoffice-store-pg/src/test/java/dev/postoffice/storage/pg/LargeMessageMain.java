package dev.postoffice.storage.pg;

import dev.postoffice.message.MessageFormat;
import dev.postoffice.storage.DeliveryResult;
import dev.postoffice.storage.Envelope;
import dev.postoffice.storage.MailboxRef;
import dev.postoffice.storage.Maildrop;
import java.io.InputStream;

/**
 * Run by {@link PgLargeMessageTest} in a JVM whose heap is smaller than the message: delivers {@code size} octets
 * of LF-ended lines into the store at {@code url}, reads the body back, and prints both canonical sizes.
 */
public final class LargeMessageMain {
    public static void main(String[] args) throws Exception {
        String url = args[0];
        long size = Long.parseLong(args[1]);
        try (PgDatabase db = PgDatabase.open(PgUrl.parse(url), false); PgStore store = new PgStore(db, false)) {
            MailboxRef ref = MailboxRef.of("big");
            DeliveryResult delivered = store.deliver(ref, Envelope.none(), new Lines(size));
            MessageFormat.SizeCounter counter = new MessageFormat.SizeCounter();
            try (Maildrop drop = store.open(ref); InputStream in = drop.body(drop.messages().get(0)).open()) {
                byte[] buf = new byte[1 << 16];
                for (int n; (n = in.read(buf)) >= 0; ) {
                    counter.update(buf, 0, n);
                }
            }
            System.out.println("heap " + Runtime.getRuntime().maxMemory() + " delivered " + delivered.size()
                    + " read " + counter.size());
        }
    }

    /** {@code size} octets of 79-octet lines ending in LF, made as they are read. */
    private static final class Lines extends InputStream {
        private final long size;
        private long pos;

        Lines(long size) {
            this.size = size;
        }

        @Override
        public int read() {
            return pos < size ? next() : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (pos >= size) {
                return -1;
            }
            int n = (int) Math.min(len, size - pos);
            for (int i = 0; i < n; i++) {
                b[off + i] = (byte) next();
            }
            return n;
        }

        private int next() {
            return pos++ % 80 == 79 ? '\n' : 'a' + (int) (pos % 26);
        }
    }
}
