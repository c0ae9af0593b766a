package dev.postoffice.app;

import dev.postoffice.auth.NoSuchUserException;
import dev.postoffice.auth.PasswdFile;
import dev.postoffice.auth.PasswordSchemes;
import dev.postoffice.auth.UserExistsException;
import dev.postoffice.auth.UserRecord;
import dev.postoffice.protocol.sasl.SaslPrep;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code postoffice user add|passwd|del|list}: edits DIR/users. */
@Command(name = "user", mixinStandardHelpOptions = true, description = "Manage users in DATA/users (or the --store database's users table).",
        subcommands = {UserCommand.Add.class, UserCommand.Passwd.class, UserCommand.Del.class, UserCommand.List.class})
final class UserCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand: add, passwd, del or list");
    }

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = "Add a user; the password is read from the first line of standard input.")
    static final class Add implements Callable<Integer> {
        @Parameters(paramLabel = "NAME", description = "User name, e.g. alice or alice@example.org.")
        String name;

        @Mixin
        DataOption data;

        @Option(names = "--scheme", paramLabel = "SCHEME",
                description = "Password scheme: ARGON2ID (default; SCRAM-SHA-256 when the server offers SCRAM-SHA-256: every user can use it already, or the configuration's sasl-mechanisms names it), BLF-CRYPT, SHA512-CRYPT, SHA256-CRYPT, SCRAM-SHA-256, SCRAM-SHA-1, or PLAIN (needed for APOP and CRAM-MD5).")
        String scheme;

        @Option(names = "--config", paramLabel = "FILE",
                description = "The server's configuration file, whose sasl-mechanisms decide the default scheme.")
        Path config;

        @Override
        public Integer call() {
            validate(name);
            try (DataDir dir = data.dataDir()) {
                String secret = encode(scheme != null ? scheme : defaultScheme(dir, offered(config)), readPassword());
                try {
                    (dir.postgres() ? dir : dir.create()).directory().add(name, secret);
                } catch (IOException e) {
                    throw new UserError("cannot update " + dir.usersDescription() + ": " + e.getMessage(), 74);
                } catch (IllegalArgumentException | UserExistsException | NoSuchUserException e) {
                    throw new UserError(e.getMessage(), 1);
                }
            }
            System.out.println("added " + name);
            return 0;
        }
    }

    @Command(name = "passwd", mixinStandardHelpOptions = true,
            description = "Change a user's password; the new one is read from the first line of standard input.")
    static final class Passwd implements Callable<Integer> {
        @Parameters(paramLabel = "NAME")
        String name;

        @Mixin
        DataOption data;

        @Option(names = "--scheme", paramLabel = "SCHEME", description = "Password scheme (default: ARGON2ID).")
        String scheme = PasswordSchemes.DEFAULT_SCHEME;

        @Override
        public Integer call() {
            String secret = encode(scheme, readPassword());
            try (DataDir dir = data.dataDir()) {
                try {
                    dir.directory().setSecret(name, secret);
                } catch (IOException e) {
                    throw new UserError("cannot update " + dir.usersDescription() + ": " + e.getMessage(), 74);
                }
            } catch (IllegalArgumentException | UserExistsException | NoSuchUserException e) {
                throw new UserError(e.getMessage(), 67);
            }
            System.out.println("password changed for " + name);
            return 0;
        }
    }

    @Command(name = "del", mixinStandardHelpOptions = true,
            description = "Delete a user from the users file (the Maildir is kept).")
    static final class Del implements Callable<Integer> {
        @Parameters(paramLabel = "NAME")
        String name;

        @Mixin
        DataOption data;

        @Override
        public Integer call() {
            try (DataDir dir = data.dataDir()) {
                try {
                    dir.directory().remove(name);
                } catch (IOException e) {
                    throw new UserError("cannot update " + dir.usersDescription() + ": " + e.getMessage(), 74);
                }
            } catch (IllegalArgumentException | UserExistsException | NoSuchUserException e) {
                throw new UserError(e.getMessage(), 67);
            }
            System.out.println("deleted " + name + " (mail kept)");
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List users and their password schemes.")
    static final class List implements Callable<Integer> {
        @Mixin
        DataOption data;

        @Override
        public Integer call() {
            try (DataDir dir = data.dataDir()) {
                try {
                    for (UserRecord u : dir.directory().list()) {
                        System.out.println(u.name() + "\t" + schemeOf(u.secret()));
                    }
                } catch (IOException e) {
                    throw new UserError("cannot read " + dir.usersDescription() + ": " + e.getMessage(), 74);
                }
            }
            return 0;
        }
    }

    static void validate(String name) {
        try {
            PasswdFile.validateName(name);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage(), 2);
        }
        String prepared = SaslPrep.name(name).orElseThrow(() -> new UserError(
                "the name contains characters that cannot be used in a login name", 2));
        if (!prepared.equals(name)) {
            throw new UserError("the name is not in normalised form (SASLprep); use '" + prepared + "'", 2);
        }
    }

    /** The mechanisms the configuration file offers explicitly ({@code sasl-mechanisms}); empty when it does not. */
    static java.util.List<String> offered(Path config) {
        String value = ServerSettings.load(config).get("sasl-mechanisms");
        return value == null ? java.util.List.of()
                : ServerSettings.list(value).stream().map(m -> m.toUpperCase(Locale.ROOT)).toList();
    }

    /**
     * The scheme for a new user when none is given, so that the new user can use what the server offers:
     * SCRAM-SHA-256 (Dovecot's {@code {SCRAM-SHA-256}} form, which USER/PASS and PLAIN verify too) when the
     * configuration offers SCRAM-SHA-256 explicitly or every user of the directory can use it (an ARGON2ID user
     * would make the server stop offering it to everyone); SCRAM-SHA-1 likewise; ARGON2ID otherwise.
     */
    static String defaultScheme(DataDir dir, java.util.List<String> offered) {
        for (String scram : java.util.List.of("SCRAM-SHA-256", "SCRAM-SHA-1")) {
            if (offered.contains(scram)) {
                System.out.println("the configuration offers " + scram + ", so the new password is stored as " + scram
                        + " (--scheme ARGON2ID to choose otherwise)");
                return scram;
            }
        }
        if (offered.contains("CRAM-MD5") || offered.contains("APOP")) {
            System.out.println("note: CRAM-MD5 and APOP need a PLAIN (cleartext) secret; this user cannot use them "
                    + "unless added with --scheme PLAIN");
        }
        try {
            if ((dir.postgres() || java.nio.file.Files.exists(dir.usersFile()))
                    && dir.directory().capabilities().everyoneCan("SCRAM-SHA-256")) {
                System.out.println("every user can use SCRAM-SHA-256, so the new password is stored as SCRAM-SHA-256 "
                        + "(--scheme ARGON2ID to choose otherwise)");
                return "SCRAM-SHA-256";
            }
        } catch (IOException e) {
            throw new UserError("cannot read " + dir.usersDescription() + ": " + e.getMessage(), 74);
        }
        return PasswordSchemes.DEFAULT_SCHEME;
    }

    /** Hashes the password after SASLprep (RFC 4013), the form every login path compares. */
    static String encode(String scheme, String password) {
        String prepared = SaslPrep.password(password).orElseThrow(() -> new UserError(
                "the password contains characters that cannot be used (control or unassigned characters)", 65));
        try {
            return PasswordSchemes.encode(scheme.toUpperCase(Locale.ROOT), prepared);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage(), 2);
        }
    }

    static String schemeOf(String secret) {
        if (secret.startsWith("{")) {
            int close = secret.indexOf('}');
            if (close > 0) {
                return secret.substring(1, close);
            }
        }
        return "CRYPT";
    }

    /** The first line of standard input, or a prompt (twice) on a terminal. */
    static String readPassword() {
        Console console = System.console();
        if (isTerminal()) {
            char[] a = console.readPassword("Password: ");
            char[] b = console.readPassword("Repeat password: ");
            if (a == null || b == null || !Arrays.equals(a, b)) {
                throw new UserError("passwords do not match", 1);
            }
            return nonEmpty(new String(a));
        }
        try {
            String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            if (line == null) {
                throw new UserError("no password on standard input", 65);
            }
            return nonEmpty(line);
        } catch (IOException e) {
            throw new UserError("cannot read the password: " + e.getMessage(), 74);
        }
    }

    private static boolean isTerminal() {
        Console c = System.console();
        try {
            return c != null && (boolean) Console.class.getMethod("isTerminal").invoke(c);
        } catch (ReflectiveOperationException e) {
            return c != null;
        }
    }

    private static String nonEmpty(String password) {
        if (password.isEmpty()) {
            throw new UserError("empty password", 65);
        }
        return password;
    }
}
