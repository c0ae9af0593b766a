package dev.postoffice.app;

import dev.postoffice.auth.QuotaLimits;
import dev.postoffice.auth.UserRecord;
import dev.postoffice.storage.Quota;
import dev.postoffice.storage.StorageException;
import dev.postoffice.storage.Usage;
import java.io.IOException;
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

/** {@code postoffice quota [USER]}: each user's usage against the limits, from the usage the store keeps. */
@Command(name = "quota", mixinStandardHelpOptions = true,
        description = {"Print users' usage against their quota: USER, or every user.",
                "Columns: user, octets used, octet limit, messages, message limit, percent of the nearer limit ('-': none)."})
final class QuotaCommand implements Callable<Integer> {
    @Mixin
    DataOption data;

    @Option(names = "--config", paramLabel = "FILE", description = "The server's configuration file, for quota-bytes and quota-messages.")
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "A setting, e.g. --set quota-bytes=1G.")
    Map<String, String> settings = new LinkedHashMap<>();

    @Parameters(paramLabel = "USER", arity = "0..1", description = "One user (default: all).")
    String user;

    @Override
    public Integer call() {
        DataDir dir = data.dataDir();
        ServerSettings s = ServerSettings.load(config);
        try {
            settings.forEach(s::set);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage() + "; known settings: " + ServerSettings.keys(), 2);
        }
        Quota defaults = new LmtpSettings(s).quota();
        List<UserRecord> users;
        try {
            if (user != null) {
                Optional<UserRecord> u = dir.directory().find(user);
                if (u.isEmpty()) {
                    throw new UserError("unknown user " + user, 67);
                }
                users = List.of(u.get());
            } else {
                users = dir.directory().list();
            }
        } catch (IOException e) {
            throw new UserError("cannot read " + dir.usersDescription() + ": " + e.getMessage(), 74);
        }
        int worst = 0;
        System.out.printf("%-24s %14s %14s %9s %9s %6s%n", "user", "octets", "limit", "messages", "limit", "use");
        try (dir; AppStore store = dir.openDelivery(dev.postoffice.message.MessageFormat.LineEnd.CRLF)) {
            for (UserRecord u : users) {
                try {
                    Quota q = QuotaLimits.of(u, defaults);
                    Usage used = store.usage(u.account().mailbox());
                    System.out.printf("%-24s %14d %14s %9d %9s %6s%n", u.name(), used.bytes(), limit(q.maxBytes()),
                            used.messages(), limit(q.maxMessages()), percent(used, q));
                } catch (StorageException | IllegalArgumentException e) {
                    System.err.println("postoffice quota: " + u.name() + ": " + e.getMessage());
                    worst = 74;
                }
            }
        }
        return worst;
    }

    private static String limit(long n) {
        return n == 0 ? "-" : Long.toString(n);
    }

    private static String percent(Usage used, Quota q) {
        double p = Math.max(q.maxBytes() == 0 ? 0 : 100.0 * used.bytes() / q.maxBytes(),
                q.maxMessages() == 0 ? 0 : 100.0 * used.messages() / q.maxMessages());
        return q.limited() ? Math.round(p) + "%" : "-";
    }
}
