package dev.postoffice.app;

import dev.postoffice.auth.QuotaLimits;
import dev.postoffice.auth.UserRecord;
import dev.postoffice.message.MessageFormat;
import dev.postoffice.storage.CrashPoint;
import dev.postoffice.storage.Envelope;
import dev.postoffice.storage.MailDelivery;
import dev.postoffice.storage.Quota;
import dev.postoffice.storage.QuotaExceededException;
import dev.postoffice.storage.StorageException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code postoffice deliver}: stores messages in a user's Maildir, each atomically, within the user's quota (the
 * same rules as LMTP). Exit codes follow sysexits.h as MTAs expect: 0 delivered, 65 unusable input, 66 unreadable
 * file, 67 unknown user, 75 temporary failure (the MTA retries later), 77 over quota (75 with
 * {@code quota-full-tempfail = yes}).
 */
@Command(name = "deliver", mixinStandardHelpOptions = true,
        description = {"Deliver messages to a user's Maildir (or the --store database): each FILE, or one message from standard input.",
                "Exit codes (sysexits.h): 0 ok, 65 unusable input, 66 cannot open FILE, 67 unknown user, 75 temporary failure,"
                        + " 77 over quota (75 with quota-full-tempfail = yes)."})
final class DeliverCommand implements Callable<Integer> {
    static final int EX_OK = 0;
    static final int EX_DATAERR = 65;
    static final int EX_NOINPUT = 66;
    static final int EX_NOUSER = 67;
    static final int EX_TEMPFAIL = 75;
    static final int EX_NOPERM = 77;

    @Option(names = "--user", required = true, paramLabel = "NAME", description = "The recipient.")
    String user;

    @Option(names = "--line-ends", paramLabel = "crlf|lf",
            description = {"Line ends to store messages with (default: ${DEFAULT-VALUE}). crlf is the form POP3 sends,"
                    + " so such messages go out unchanged (with sendfile on cleartext connections); lf is the Maildir"
                    + " tradition, for Maildirs other software reads as well. Every line end of the message is"
                    + " rewritten either way."})
    MessageFormat.LineEnd lineEnd = MessageFormat.LineEnd.CRLF;

    @Mixin
    DataOption data;

    @Option(names = "--config", paramLabel = "FILE",
            description = "The server's configuration file, for the quota-* settings.")
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "A setting, e.g. --set quota-bytes=1G.")
    Map<String, String> settings = new LinkedHashMap<>();

    @Parameters(paramLabel = "FILE", arity = "0..*", description = "Message files (default: one message from stdin).")
    List<Path> files = List.of();

    @Override
    public Integer call() {
        try (DataDir dir = data.dataDir()) {
            int code = deliver(dir);
            if (files.size() <= 1) { // several files count one by one, below
                DeliveryCounts.add(dir.path(), result(code));
            }
            return code;
        }
    }

    /** The delivery result a sysexits code stands for, as {@code postoffice_deliveries_total} counts it. */
    static String result(int code) {
        return code == EX_OK ? "ok" : code == EX_TEMPFAIL ? "temporary" : "permanent";
    }

    private int deliver(DataDir dir) {
        Optional<UserRecord> record;
        try {
            record = dir.directory().find(user);
        } catch (IOException e) {
            System.err.println("postoffice deliver: cannot read " + dir.usersDescription() + ": " + e.getMessage());
            return EX_TEMPFAIL;
        } catch (UserError e) {
            System.err.println("postoffice deliver: " + e.getMessage());
            return e.exitCode() == 69 ? EX_TEMPFAIL : e.exitCode();
        }
        if (record.isEmpty()) {
            System.err.println("postoffice deliver: unknown user " + user);
            return EX_NOUSER;
        }
        UserRecord u = record.get();
        LmtpSettings rules = rules();
        Quota quota;
        try {
            quota = QuotaLimits.of(u, rules.quota());
        } catch (IllegalArgumentException e) {
            System.err.println("postoffice deliver: " + dir.usersDescription() + ": user " + user + ": " + e.getMessage());
            return EX_TEMPFAIL;
        }
        int overQuota = rules.tempfail() ? EX_TEMPFAIL : EX_NOPERM;
        MailDelivery store = dir.openDelivery(lineEnd);
        if (files.isEmpty()) {
            return deliverOne(store, u, quota, overQuota, System.in, "standard input");
        }
        int worst = EX_OK;
        int delivered = 0;
        for (Path f : files) {
            int code;
            try (InputStream in = Files.newInputStream(f)) {
                code = deliverOne(store, u, quota, overQuota, in, f.toString());
            } catch (NoSuchFileException e) {
                System.err.println("postoffice deliver: " + f + ": no such file");
                code = EX_NOINPUT;
            } catch (IOException e) {
                System.err.println("postoffice deliver: " + f + ": " + e.getMessage());
                code = EX_NOINPUT;
            }
            if (files.size() > 1) {
                DeliveryCounts.add(dir.path(), result(code));
            }
            if (code == EX_OK) {
                delivered++;
            } else if (worst == EX_OK || code == EX_TEMPFAIL && worst != EX_TEMPFAIL) {
                worst = code;
            }
        }
        if (files.size() > 1 && worst != EX_OK) {
            System.err.println("postoffice deliver: " + delivered + " of " + files.size() + " messages delivered");
        }
        return worst;
    }

    private LmtpSettings rules() {
        ServerSettings s = ServerSettings.load(config);
        try {
            settings.forEach(s::set);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage() + "; known settings: " + ServerSettings.keys(), 2);
        }
        return new LmtpSettings(s);
    }

    private static int deliverOne(MailDelivery store, UserRecord u, Quota quota, int overQuota, InputStream in,
            String source) {
        try {
            store.deliver(u.account().mailbox(), Envelope.none(), in, quota);
            CrashPoint.reach("deliver-before-reply");
            return EX_OK;
        } catch (QuotaExceededException e) {
            System.err.println("postoffice deliver: " + source + ": " + e.getMessage());
            return overQuota;
        } catch (StorageException e) {
            System.err.println("postoffice deliver: " + source + ": " + e.getMessage());
            return e.temporary() ? EX_TEMPFAIL : EX_DATAERR;
        }
    }
}
