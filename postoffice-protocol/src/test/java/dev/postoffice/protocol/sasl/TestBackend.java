package dev.postoffice.protocol.sasl;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A backend over a map of cleartext passwords, recording every call with its arguments. Principals are the
 * authorized user's name. {@code admin} may authorize as anyone; {@code unavailable} makes every call fail as
 * a broken directory would.
 */
final class TestBackend implements SaslBackend<String> {
    final Map<String, String> passwords = new HashMap<>();
    final Map<String, String> tokens = new HashMap<>();
    final List<String> calls = new ArrayList<>();
    byte[] scramSalt = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    int scramIterations = 4096;
    boolean unavailable;
    /** GSSAPI's service side; null: none configured. */
    GssapiAcceptor gssapi;

    TestBackend with(String user, String password) {
        passwords.put(user, password);
        return this;
    }

    TestBackend withToken(String token, String user) {
        tokens.put(token, user);
        return this;
    }

    private boolean mayAuthorize(String authzid, String authcid) {
        return authzid.isEmpty() || authzid.equals(authcid) || (authcid.equals("admin") && passwords.containsKey(authzid));
    }

    private Verdict<String> success(String authzid, String authcid) {
        String user = authzid.isEmpty() ? authcid : authzid;
        return new Verdict.Success<>("principal:" + user, user);
    }

    @Override
    public Verdict<String> checkPassword(String authzid, String authcid, String password) {
        calls.add("password|" + authzid + "|" + authcid + "|" + password);
        if (unavailable) {
            return new Verdict.Unavailable<>("directory down");
        }
        if (password.equals(passwords.get(authcid)) && mayAuthorize(authzid, authcid)) {
            return success(authzid, authcid);
        }
        return new Verdict.Rejected<>();
    }

    @Override
    public Verdict<String> checkCramMd5(String user, String challenge, String digest) {
        calls.add("cram|" + user + "|" + challenge + "|" + digest);
        if (unavailable) {
            return new Verdict.Unavailable<>("directory down");
        }
        String password = passwords.get(user);
        if (password != null && HexFormat.of().formatHex(Crypto.hmac("HmacMD5", password.getBytes(StandardCharsets.UTF_8),
                challenge.getBytes(StandardCharsets.UTF_8))).equals(digest)) {
            return success("", user);
        }
        return new Verdict.Rejected<>();
    }

    @Override
    public ScramLookup scramCredentials(String user, ScramHash hash) {
        calls.add("scram|" + user + "|" + hash.mechanism);
        if (unavailable) {
            return new ScramLookup.Unavailable("directory down");
        }
        String password = passwords.getOrDefault(user, "fake password nobody knows");
        return new ScramLookup.Found(Crypto.scramCredentials(hash, password, scramSalt, scramIterations));
    }

    @Override
    public Verdict<String> scramAuthenticated(String authzid, String authcid) {
        calls.add("scram-ok|" + authzid + "|" + authcid);
        return mayAuthorize(authzid, authcid) ? success(authzid, authcid) : new Verdict.Rejected<>();
    }

    @Override
    public Verdict<String> checkBearer(String user, String token) {
        calls.add("bearer|" + user + "|" + token);
        if (unavailable) {
            return new Verdict.Unavailable<>("keys unreadable");
        }
        String owner = tokens.get(token);
        if (owner != null && (user.isEmpty() || user.equals(owner))) {
            return success("", owner);
        }
        return new Verdict.Rejected<>();
    }

    @Override
    public boolean supports(String mechanism) {
        return !Set.of("OAUTHBEARER", "XOAUTH2").contains(mechanism) || !tokens.isEmpty();
    }

    static String b64(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
    }

    @Override
    public java.util.Optional<GssapiAcceptor> gssapi() {
        return java.util.Optional.ofNullable(gssapi);
    }
}
