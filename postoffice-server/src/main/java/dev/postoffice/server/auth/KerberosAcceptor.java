package dev.postoffice.server.auth;

import dev.postoffice.protocol.sasl.GssapiAcceptor;
import dev.postoffice.server.ServerConfig;
import java.nio.file.Files;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import javax.security.auth.Subject;
import javax.security.auth.kerberos.KerberosPrincipal;
import javax.security.auth.kerberos.KeyTab;
import javax.security.auth.login.AppConfigurationEntry;
import javax.security.auth.login.Configuration;
import javax.security.auth.login.LoginContext;
import javax.security.auth.login.LoginException;
import javax.security.sasl.SaslException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The GSSAPI service side over a keytab: the JDK's Krb5LoginModule, configured in code (no JAAS file), logs the
 * service principal in as an acceptor ({@code isInitiator=false}: no KDC contact, the keys stay in the keytab,
 * which is re-read on use, so a rotated keytab takes effect without a restart). Steps of an exchange run under
 * that subject with {@link Subject#callAs}. Maps an authenticated principal to a user name: {@code user@REALM}
 * of the configured realm only, without an instance ({@code user/admin@REALM} is no user). Safe for concurrent
 * use. See docs/security.md.
 */
public final class KerberosAcceptor implements GssapiAcceptor {
    private static final Logger log = LoggerFactory.getLogger(KerberosAcceptor.class);
    private static final String LOGIN_MODULE = "com.sun.security.auth.module.Krb5LoginModule";

    private final ServerConfig.Gssapi config;
    private final String realm;
    private volatile Subject subject;
    private volatile String lastProblem;

    public KerberosAcceptor(ServerConfig.Gssapi config) {
        this.config = Objects.requireNonNull(config, "config");
        int at = config.principal().lastIndexOf('@');
        this.realm = config.realm().orElse(config.principal().substring(at + 1));
    }

    /** The realm whose principals are users here. */
    public String realm() {
        return realm;
    }

    /**
     * Whether GSSAPI can be offered now: the keytab is readable, holds keys of the service principal, and the
     * principal logged in from it.
     */
    public boolean usable() {
        if (!Files.isReadable(config.keytab())) {
            problem("gssapi-keytab " + config.keytab() + " is not readable; GSSAPI is not offered");
            return false;
        }
        try {
            KerberosPrincipal service = new KerberosPrincipal(config.principal());
            if (KeyTab.getInstance(service, config.keytab().toFile()).getKeys(service).length == 0) {
                problem("gssapi-keytab " + config.keytab() + " holds no key of " + config.principal()
                        + "; GSSAPI is not offered");
                return false;
            }
        } catch (IllegalArgumentException e) {
            problem("gssapi-principal " + config.principal() + " is not a Kerberos name: " + e.getMessage());
            return false;
        }
        try {
            subject();
            return true;
        } catch (Unavailable e) {
            return false;
        }
    }

    /**
     * The user a principal logs in as: {@code user} for {@code user@REALM} of {@link #realm()}; empty for another
     * realm, an instance ({@code a/b@REALM}) or an empty name.
     */
    public Optional<String> user(String principal) {
        int at = principal.lastIndexOf('@');
        if (at < 1 || !principal.substring(at + 1).equals(realm)) {
            return Optional.empty();
        }
        String user = principal.substring(0, at);
        return user.indexOf('/') >= 0 || user.indexOf('\\') >= 0 ? Optional.empty() : Optional.of(user);
    }

    @Override
    public <T> T asService(Step<T> step) throws SaslException, Unavailable {
        Subject s = subject();
        try {
            return Subject.callAs(s, step::run);
        } catch (CompletionException e) {
            if (e.getCause() instanceof SaslException se) {
                throw se;
            }
            throw new SaslException("GSSAPI step failed", e.getCause());
        }
    }

    @Override
    public void refused(String reason) {
        log.info("gssapi: refused: {}", reason);
    }

    private Subject subject() throws Unavailable {
        Subject s = subject;
        if (s != null) {
            return s;
        }
        synchronized (this) {
            if (subject == null) {
                try {
                    LoginContext login = new LoginContext("postoffice-gssapi", new Subject(), null, jaas());
                    login.login();
                    subject = login.getSubject();
                    lastProblem = null;
                    log.info("gssapi: accepting as {} with keys from {}", config.principal(), config.keytab());
                } catch (LoginException e) {
                    String problem = "gssapi: cannot log in as " + config.principal() + " from " + config.keytab()
                            + ": " + e.getMessage();
                    problem(problem);
                    throw new Unavailable(problem);
                }
            }
            return subject;
        }
    }

    /** Logs a problem once, not at every CAPA. */
    private void problem(String text) {
        if (!text.equals(lastProblem)) {
            lastProblem = text;
            log.warn(text);
        }
    }

    private Configuration jaas() {
        Map<String, String> options = Map.of(
                "useKeyTab", "true",
                "keyTab", config.keytab().toAbsolutePath().toString(),
                "storeKey", "true",
                "isInitiator", "false",
                "doNotPrompt", "true",
                "principal", config.principal());
        AppConfigurationEntry entry = new AppConfigurationEntry(LOGIN_MODULE,
                AppConfigurationEntry.LoginModuleControlFlag.REQUIRED, options);
        return new Configuration() {
            @Override
            public AppConfigurationEntry[] getAppConfigurationEntry(String name) {
                return new AppConfigurationEntry[] {entry};
            }
        };
    }
}
