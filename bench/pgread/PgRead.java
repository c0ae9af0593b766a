import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * PostgreSQL's own ceiling for bench/popload-compare.sh --pg: threads that each read a whole random maildrop's bodies
 * in one query (the best case for the store: no POP3, no session, no lease, one round trip per maildrop) and do
 * nothing with the octets. Prints popload's result line so the script records it like a server's run.
 *
 *   java -cp postoffice-app/target/postoffice.jar bench/pgread/PgRead.java JDBC_URL NAME_PREFIX THREADS SECONDS
 */
public class PgRead {
    public static void main(String[] args) throws Exception {
        String url = args[0];
        String prefix = args[1];
        int threads = Integer.parseInt(args[2]);
        long seconds = Long.parseLong(args[3]);
        List<Long> mailboxes = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(url);
                PreparedStatement ps = c.prepareStatement("SELECT id FROM mailbox WHERE name LIKE ? || '%'")) {
            ps.setString(1, prefix);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    mailboxes.add(rs.getLong(1));
                }
            }
        }
        if (mailboxes.isEmpty()) {
            throw new IllegalStateException("no maildrop named " + prefix + "...");
        }
        AtomicLong octets = new AtomicLong();
        AtomicLong reads = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        long start = System.nanoTime();
        long end = start + seconds * 1_000_000_000L;
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            workers.add(Thread.ofPlatform().start(() -> {
                try (Connection c = DriverManager.getConnection(url); PreparedStatement ps = c.prepareStatement(
                        "SELECT c.data FROM message m JOIN body_chunk c ON c.locator = m.body_locator"
                                + " WHERE m.mailbox_id = ? ORDER BY m.uid, c.seq")) {
                    while (System.nanoTime() < end) {
                        ps.setLong(1, mailboxes.get(ThreadLocalRandom.current().nextInt(mailboxes.size())));
                        long n = 0;
                        try (ResultSet rs = ps.executeQuery()) {
                            while (rs.next()) {
                                n += rs.getBytes(1).length;
                            }
                        }
                        octets.addAndGet(n);
                        reads.incrementAndGet();
                    }
                } catch (Exception e) {
                    errors.incrementAndGet();
                    System.err.println("PgRead: " + e);
                }
            }));
        }
        for (Thread t : workers) {
            t.join();
        }
        double wall = (System.nanoTime() - start) / 1e9;
        System.out.printf("sessions/s %.1f MB/s %.1f errors %d p50_ms 0 p99_ms 0 sessions %d%n", reads.get() / wall,
                octets.get() / 1e6 / wall, errors.get(), reads.get());
    }
}
