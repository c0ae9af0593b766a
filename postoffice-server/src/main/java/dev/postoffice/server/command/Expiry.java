package dev.postoffice.server.command;

import dev.postoffice.auth.Account;
import dev.postoffice.auth.DirectoryCapabilities;
import java.util.Optional;

/** The RFC 2449 EXPIRE policy in effect: for CAPA, for EXPIRE at login and for EXPIRE 0 at UPDATE. */
final class Expiry {
    private Expiry() {}

    /** In days, or empty for NEVER: the user's own ({@code expire=} in the users file) or else the server's. */
    static Optional<Integer> days(CommandContext ctx, Account account) {
        return account.expireDays().orElse(ctx.server().config().expireDays());
    }

    /**
     * The EXPIRE capability's argument. After login, the user's value. Before login, when the policy varies per
     * user, the shortest any user has followed by USER (RFC 2449 section 6.7).
     */
    static String capability(CommandContext ctx) {
        if (ctx.state() instanceof SessionState.Transaction t) {
            return days(ctx, t.account()).map(String::valueOf).orElse("NEVER");
        }
        Optional<Integer> days = ctx.server().config().expireDays();
        DirectoryCapabilities directory = ctx.server().directory().get();
        if (directory.perUserExpire()) {
            Optional<Integer> min = directory.minUserExpireDays();
            if (min.isPresent() && (days.isEmpty() || min.get() < days.get())) {
                days = min;
            }
            return days.map(String::valueOf).orElse("NEVER") + " USER";
        }
        return days.map(String::valueOf).orElse("NEVER");
    }
}
