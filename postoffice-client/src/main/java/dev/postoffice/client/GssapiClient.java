package dev.postoffice.client;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import javax.security.auth.Subject;
import javax.security.auth.login.AppConfigurationEntry;
import javax.security.auth.login.Configuration;
import javax.security.auth.login.LoginContext;
import javax.security.auth.login.LoginException;
import javax.security.sasl.Sasl;
import javax.security.sasl.SaslClient;
import javax.security.sasl.SaslException;

/**
 * SASL GSSAPI (RFC 4752) from the client's side, through the JDK: the user's Kerberos credentials are logged in
 * with {@code Krb5LoginModule} (the ticket cache {@code kinit} left, {@code KRB5CCNAME} or the default; or a
 * keytab), and the JDK's GSSAPI {@link SaslClient} runs as that subject for service {@code pop@HOST}, asking for no
 * security layer (TLS protects the session). There is no password: the ticket is the credential.
 */
final class GssapiClient {
    private final Subject subject;
    private final SaslClient sasl;

    private GssapiClient(Subject subject, SaslClient sasl) {
        this.subject = subject;
        this.sasl = sasl;
    }

    /**
     * Logs the user's credentials in and prepares the exchange.
     *
     * @param authzid   the user to log in as (the URL's user; the server checks the ticket's principal may)
     * @param keytab    a keytab to log in from instead of the ticket cache (for cron jobs)
     * @param principal with a keytab: the client principal whose key it holds
     * @throws FetchException (permanent) when there is no usable ticket or key: kinit, or the keytab, must fix it
     */
    static GssapiClient start(String authzid, String host, Optional<Path> keytab, String principal) throws FetchException {
        useKrb5Config(System.getenv("KRB5_CONFIG"));
        Map<String, String> options = new HashMap<>();
        options.put("doNotPrompt", "true");
        options.put("refreshKrb5Config", "true");
        if (keytab.isPresent()) {
            options.put("useKeyTab", "true");
            options.put("keyTab", keytab.get().toString());
            options.put("principal", principal);
            options.put("storeKey", "false");
        } else {
            options.put("useTicketCache", "true");
        }
        Configuration config = new Configuration() {
            @Override
            public AppConfigurationEntry[] getAppConfigurationEntry(String name) {
                return new AppConfigurationEntry[] {new AppConfigurationEntry("com.sun.security.auth.module.Krb5LoginModule",
                        AppConfigurationEntry.LoginModuleControlFlag.REQUIRED, options)};
            }
        };
        Subject subject;
        try {
            LoginContext lc = new LoginContext("postoffice-fetch", new Subject(), null, config);
            lc.login();
            subject = lc.getSubject();
        } catch (LoginException e) {
            throw new FetchException(false, "no usable Kerberos credentials for GSSAPI ("
                    + (keytab.isPresent() ? "keytab " + keytab.get() : "run kinit, or give --keytab") + "): " + e.getMessage(), e);
        }
        try {
            SaslClient sasl = Subject.callAs(subject, () -> Sasl.createSaslClient(new String[] {"GSSAPI"}, authzid,
                    "pop", host, Map.of(Sasl.QOP, "auth"), null));
            if (sasl == null) {
                throw new FetchException(false, "this Java runtime has no GSSAPI SASL client");
            }
            return new GssapiClient(subject, sasl);
        } catch (CompletionException e) {
            throw new FetchException(false, "GSSAPI could not start: " + e.getCause().getMessage(), e.getCause());
        }
    }

    /**
     * The JDK reads {@code java.security.krb5.conf} or /etc/krb5.conf; MIT's tools read {@code KRB5_CONFIG}. Where
     * only the variable is set, the JDK is pointed at the same file (the first of its list that exists).
     */
    private static void useKrb5Config(String krb5Config) {
        if (krb5Config == null || System.getProperty("java.security.krb5.conf") != null) {
            return;
        }
        for (String f : krb5Config.split(":")) {
            if (!f.isEmpty() && Files.isReadable(Path.of(f))) {
                System.setProperty("java.security.krb5.conf", f);
                return;
            }
        }
    }

    /** The first token (the AP-REQ): it asks the KDC for a ticket for {@code pop/HOST} if the cache has none. */
    byte[] initialResponse() throws SaslException {
        return evaluate(new byte[0]);
    }

    byte[] respond(byte[] challenge) throws SaslException {
        return evaluate(challenge);
    }

    private byte[] evaluate(byte[] challenge) throws SaslException {
        try {
            byte[] r = Subject.callAs(subject, () -> sasl.evaluateChallenge(challenge));
            return r == null ? new byte[0] : r;
        } catch (CompletionException e) {
            if (e.getCause() instanceof SaslException s) {
                throw s;
            }
            throw new SaslException(String.valueOf(e.getCause()), e.getCause());
        }
    }

    /** Why a failed step failed, in one line (the JDK nests the GSS and Kerberos reasons). */
    static String reason(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null && sb.length() < 400; t = t.getCause()) {
            if (t.getMessage() != null && !sb.toString().contains(t.getMessage())) {
                sb.append(sb.isEmpty() ? "" : ": ").append(t.getMessage());
            }
        }
        return sb.toString();
    }
}
