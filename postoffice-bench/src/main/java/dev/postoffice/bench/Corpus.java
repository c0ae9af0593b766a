package dev.postoffice.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Writes the benchmark's mail, deterministically from a seed: a pool of distinct messages with a
 * realistic size mix (LF line ends, as an MTA stores them; plain text, multipart with base64
 * attachments, some lines that need byte-stuffing), and a manifest that gives each user its messages.
 * The same manifest feeds {@code postoffice deliver}, the Dovecot Maildir tree and the {@link CeilingServer},
 * so all three serve the same octets.
 *
 * <p>Output in {@code --out}: {@code pool/*.eml}, {@code manifest} ({@code user<TAB>pool/a.eml pool/b.eml ...}),
 * and the generator's users files: {@code users-mail} (the users with mail), {@code users-many} (the one
 * user with {@code --many} small messages) and {@code users-idle} ({@code --idle-users} users with empty
 * maildrops, all with one shared password). Passwords are {@code pw-NAME}, except the idle users'.
 */
@Command(name = "corpus", mixinStandardHelpOptions = true, description = "Write the benchmark's mail corpus.")
public final class Corpus implements Callable<Integer> {
    /** The idle users' shared password (one hash serves them all). */
    public static final String IDLE_PASSWORD = "idle-pw";

    @Option(names = "--out", required = true, description = "Output directory.")
    Path out;

    @Option(names = "--users", defaultValue = "200", description = "Users with mail (default: ${DEFAULT-VALUE}).")
    int users;

    @Option(names = "--messages", defaultValue = "50", description = "Messages per user (default: ${DEFAULT-VALUE}).")
    int messages;

    @Option(names = "--pool", defaultValue = "500", description = "Distinct messages to draw from (default: ${DEFAULT-VALUE}).")
    int pool;

    @Option(names = "--max-size", defaultValue = "2000000", description = "Largest pool message in octets (default: ${DEFAULT-VALUE}).")
    int maxSize;

    @Option(names = "--big-mb", defaultValue = "50", description = "One extra message of this many MB for the first user (0: none; default: ${DEFAULT-VALUE}).")
    int bigMb;

    @Option(names = "--many", defaultValue = "10000", description = "Messages of the user 'many' (0: no such user; default: ${DEFAULT-VALUE}).")
    int many;

    @Option(names = "--idle-users", defaultValue = "10000", description = "Users with empty maildrops for idle and stat (default: ${DEFAULT-VALUE}).")
    int idleUsers;

    @Option(names = "--dotted-percent", defaultValue = "100", description = "Share of pool messages whose text may "
            + "have lines starting with a dot, about one line in 40 (default: ${DEFAULT-VALUE}: every text message, "
            + "the dot-heavy corpus; a few percent is closer to real mail).")
    int dottedPercent;

    @Option(names = "--seed", defaultValue = "42", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed;

    private static final String[] WORDS = ("the of and to in is that for it as was with be by on not he this are or "
            + "his from at which but have an they you were her she there been one all we their has would when "
            + "if so no will more can out up about into them some could time these two may then do first any "
            + "my now such like our over man me even most made after also did many before must through back "
            + "years where much your way well down should because each just those people how too little state "
            + "good very make world still own see men work long get here between both life being under never "
            + "day same another know while last might us great old year off come since against go came right "
            + "used take three meeting report invoice schedule release budget server quarter attached review "
            + "please thanks regards project update deadline customer figures").split(" ");

    public static void main(String[] args) {
        System.exit(new CommandLine(new Corpus()).execute(args));
    }

    @Override
    public Integer call() throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        // its own stream, so that the messages and the manifest stay those of the seed whatever the share
        SplittableRandom dotted = new SplittableRandom(seed + 1);
        Path poolDir = out.resolve("pool");
        Files.createDirectories(poolDir);
        List<String> names = new ArrayList<>();
        List<Integer> small = new ArrayList<>();
        long[] sizes = new long[pool];
        long poolOctets = 0;
        for (int i = 0; i < pool; i++) {
            int size = sampleSize(random, maxSize);
            byte[] m = message(random.split(), i, size, dotted.nextInt(100) < dottedPercent);
            String name = String.format(Locale.ROOT, "pool/m%04d.eml", i);
            Files.write(out.resolve(name), m);
            names.add(name);
            sizes[i] = m.length;
            poolOctets += m.length;
            if (m.length <= 16 * 1024) {
                small.add(i);
            }
        }
        String big = null;
        if (bigMb > 0) {
            big = "pool/big.eml";
            Files.write(out.resolve(big), message(random.split(), pool, bigMb * 1_000_000));
        }
        StringBuilder manifest = new StringBuilder("# user<TAB>message files relative to this directory\n");
        StringBuilder mail = new StringBuilder();
        long octets = 0;
        for (int u = 1; u <= users; u++) {
            String user = String.format(Locale.ROOT, "user%04d", u);
            manifest.append(user).append('\t');
            for (int k = 0; k < messages; k++) {
                int pick = random.nextInt(names.size());
                manifest.append(k == 0 ? "" : " ").append(names.get(pick));
                octets += sizes[pick];
            }
            if (u == 1 && big != null) {
                manifest.append(messages == 0 ? "" : " ").append(big);
            }
            manifest.append('\n');
            mail.append(user).append(" pw-").append(user).append('\n');
        }
        if (many > 0) {
            if (small.isEmpty()) {
                throw new IllegalStateException("the pool has no message under 16 KB for the user 'many'");
            }
            manifest.append("many\t");
            for (int k = 0; k < many; k++) {
                manifest.append(k == 0 ? "" : " ").append(names.get(small.get(random.nextInt(small.size()))));
            }
            manifest.append('\n');
            Files.writeString(out.resolve("users-many"), "many pw-many\n");
        }
        StringBuilder idle = new StringBuilder();
        for (int u = 1; u <= idleUsers; u++) {
            idle.append(String.format(Locale.ROOT, "idle%05d %s%n", u, IDLE_PASSWORD));
        }
        Files.writeString(out.resolve("manifest"), manifest);
        Files.writeString(out.resolve("users-mail"), mail);
        Files.writeString(out.resolve("users-idle"), idle);
        System.out.printf(Locale.ROOT, "corpus: %d pool messages (%.1f MB), %d users x %d messages (%.1f MB)%s%s, "
                        + "%d idle users, in %s%n", pool, poolOctets / 1e6, users, messages, octets / 1e6,
                big == null ? "" : " + one " + bigMb + " MB message", many > 0 ? " + user 'many' with " + many : "",
                idleUsers, out);
        return 0;
    }

    /**
     * A message size: 45 % 2-8 KB, 25 % 8-40 KB, 18 % 40-300 KB, 9 % 300 KB-1 MB, 3 % 1-2 MB (capped at
     * {@code max}); log-uniform within each band. The mean is about 140 KB.
     */
    static int sampleSize(SplittableRandom r, int max) {
        int band = r.nextInt(100);
        double lo;
        double hi;
        if (band < 45) {
            lo = 2_000;
            hi = 8_000;
        } else if (band < 70) {
            lo = 8_000;
            hi = 40_000;
        } else if (band < 88) {
            lo = 40_000;
            hi = 300_000;
        } else if (band < 97) {
            lo = 300_000;
            hi = 1_000_000;
        } else {
            lo = 1_000_000;
            hi = 2_000_000;
        }
        double size = Math.exp(Math.log(lo) + r.nextDouble() * (Math.log(hi) - Math.log(lo)));
        return (int) Math.min(max, Math.max(2_000, size));
    }

    /**
     * One message of about {@code size} octets with LF line ends: headers as an MTA leaves them, then plain
     * text (up to 40 KB) or a multipart with a short text and a base64 attachment. Some body lines start
     * with a dot.
     */
    static byte[] message(SplittableRandom r, int index, int size) {
        return message(r, index, size, true);
    }

    /** As {@link #message(SplittableRandom, int, int)}; without {@code dotLines} no line starts with a dot. */
    static byte[] message(SplittableRandom r, int index, int size, boolean dotLines) {
        StringBuilder m = new StringBuilder(Math.min(size, 1 << 20) + 1024);
        long epoch = 1_760_000_000L + index * 3_600L + r.nextInt(3_600);
        String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(Instant.ofEpochSecond(epoch).atOffset(ZoneOffset.UTC));
        String from = WORDS[r.nextInt(WORDS.length)] + "." + WORDS[r.nextInt(WORDS.length)] + "@example.org";
        m.append("Return-Path: <").append(from).append(">\n");
        m.append("Received: from mx").append(r.nextInt(9) + 1).append(".example.org (mx.example.org [192.0.2.")
                .append(r.nextInt(250) + 1).append("])\n\tby mail.example.net (Postfix) with ESMTPS id ")
                .append(Long.toHexString(r.nextLong() & 0xffffffffffL).toUpperCase(Locale.ROOT))
                .append("\n\tfor <user@example.net>; ").append(date).append('\n');
        m.append("Date: ").append(date).append('\n');
        m.append("From: ").append(capitalized(r)).append(' ').append(capitalized(r)).append(" <").append(from).append(">\n");
        m.append("To: user@example.net\n");
        m.append("Subject: ").append(sentence(r, 4 + r.nextInt(6))).append('\n');
        m.append("Message-ID: <").append(Long.toHexString(r.nextLong())).append('.').append(index)
                .append("@example.org>\n");
        m.append("MIME-Version: 1.0\n");
        if (size <= 40_000) {
            m.append("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n");
            text(r, m, size, dotLines);
        } else {
            String boundary = "=_b" + Long.toHexString(r.nextLong());
            m.append("Content-Type: multipart/mixed; boundary=\"").append(boundary).append("\"\n\n");
            m.append("This is a multi-part message in MIME format.\n\n--").append(boundary).append('\n');
            m.append("Content-Type: text/plain; charset=utf-8\n\n");
            text(r, m, m.length() + 1_500, dotLines);
            m.append("\n--").append(boundary).append('\n');
            m.append("Content-Type: application/octet-stream; name=\"attachment-").append(index).append(".bin\"\n");
            m.append("Content-Transfer-Encoding: base64\n");
            m.append("Content-Disposition: attachment; filename=\"attachment-").append(index).append(".bin\"\n\n");
            int base64Octets = Math.max(0, size - m.length() - boundary.length() - 10);
            byte[] data = new byte[base64Octets / 77 * 57 + 57];
            r.nextBytes(data);
            String b64 = Base64.getMimeEncoder(76, new byte[] {'\n'}).encodeToString(data);
            m.append(b64, 0, Math.min(b64.length(), base64Octets)).append('\n');
            m.append("--").append(boundary).append("--\n");
        }
        return m.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Appends wrapped paragraphs until {@code m} is about {@code size} long. */
    private static void text(SplittableRandom r, StringBuilder m, int size, boolean dotLines) {
        while (m.length() < size) {
            int lines = 2 + r.nextInt(6);
            for (int l = 0; l < lines && m.length() < size; l++) {
                int choice = r.nextInt(40);
                if (choice == 0 && dotLines) {
                    m.append("..."); // a line that starts with a dot: byte-stuffed on the wire
                } else if (choice == 1 && dotLines) {
                    m.append(". ");
                } else if (choice <= 2) {
                    m.append("> ");
                }
                int len = 0;
                while (len < 60 + r.nextInt(12)) {
                    String w = WORDS[r.nextInt(WORDS.length)];
                    m.append(len == 0 ? "" : " ").append(w);
                    len += w.length() + 1;
                }
                m.append('\n');
            }
            m.append('\n');
        }
    }

    private static String sentence(SplittableRandom r, int words) {
        StringBuilder b = new StringBuilder(capitalized(r));
        for (int i = 1; i < words; i++) {
            b.append(' ').append(WORDS[r.nextInt(WORDS.length)]);
        }
        return b.toString();
    }

    private static String capitalized(SplittableRandom r) {
        String w = WORDS[r.nextInt(WORDS.length)];
        return Character.toUpperCase(w.charAt(0)) + w.substring(1);
    }
}
