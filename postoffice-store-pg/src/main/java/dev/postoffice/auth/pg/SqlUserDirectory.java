package dev.postoffice.auth.pg;

import dev.postoffice.auth.DirectoryCapabilities;
import dev.postoffice.auth.EditableUserDirectory;
import dev.postoffice.auth.NoSuchUserException;
import dev.postoffice.auth.PasswdFile;
import dev.postoffice.auth.UserExistsException;
import dev.postoffice.auth.UserRecord;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Users in the {@code users} table (docs/postgresql.md, "Users"): the passwd-file's fields as columns, read with
 * the passwd-file's own rules ({@link PasswdFile#parseLine}), so the password schemes and the extra fields
 * ({@code expire=}, {@code quota_bytes=}, ...) mean the same. {@link #find} is one query; the capabilities (which
 * SASL mechanisms every user can use) are computed from all users at most every {@value #CAPABILITIES_MILLIS} ms.
 */
public final class SqlUserDirectory implements EditableUserDirectory {
    private static final Logger log = LoggerFactory.getLogger(SqlUserDirectory.class);
    private static final long CAPABILITIES_MILLIS = 10_000;
    private static final String COLUMNS = "name, secret, uid, gid, gecos, home, shell, extra, quota_bytes, quota_messages";

    private final DataSource db;
    private final String where;
    private volatile DirectoryCapabilities capabilities;
    private volatile long capabilitiesNanos;

    /** @param where where the table is, for messages (the store URL without its password) */
    public SqlUserDirectory(DataSource db, String where) {
        this.db = db;
        this.where = where;
    }

    @Override
    public Optional<UserRecord> find(String name) throws IOException {
        try (Connection c = db.getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM users WHERE name = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? record(rs) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new IOException("cannot look the user up in " + where + ": " + e.getMessage(), e);
        }
    }

    @Override
    public DirectoryCapabilities capabilities() throws IOException {
        DirectoryCapabilities c = capabilities;
        if (c == null || System.nanoTime() - capabilitiesNanos > CAPABILITIES_MILLIS * 1_000_000) {
            c = DirectoryCapabilities.ofUsers(list());
            capabilities = c;
            capabilitiesNanos = System.nanoTime();
        }
        return c;
    }

    @Override
    public List<UserRecord> list() throws IOException {
        List<UserRecord> out = new ArrayList<>();
        try (Connection c = db.getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM users ORDER BY name");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                record(rs).ifPresent(out::add);
            }
        } catch (SQLException e) {
            throw new IOException("cannot list the users in " + where + ": " + e.getMessage(), e);
        }
        return out;
    }

    @Override
    public void add(String name, String secret) throws IOException {
        PasswdFile.validateName(name);
        validateSecret(secret);
        try (Connection c = db.getConnection();
                PreparedStatement ps = c.prepareStatement("INSERT INTO users (name, secret) VALUES (?, ?)"
                        + " ON CONFLICT (name) DO NOTHING")) {
            ps.setString(1, name);
            ps.setString(2, secret);
            if (ps.executeUpdate() == 0) {
                throw new UserExistsException(name);
            }
        } catch (SQLException e) {
            throw new IOException("cannot add the user to " + where + ": " + e.getMessage(), e);
        }
        capabilities = null;
    }

    @Override
    public void setSecret(String name, String secret) throws IOException {
        validateSecret(secret);
        update("UPDATE users SET secret = ? WHERE name = ?", name, secret);
    }

    @Override
    public void remove(String name) throws IOException {
        update("DELETE FROM users WHERE name = ? AND ? IS NOT NULL", name, name);
    }

    /**
     * Copies a user from another directory (migration), keeping the secret, home and extra fields; false when the
     * user exists already (left as it is), so a migration may run again.
     */
    public boolean copy(UserRecord user) throws IOException {
        StringBuilder extra = new StringBuilder();
        user.extra().forEach((k, v) -> extra.append(extra.isEmpty() ? "" : " ").append(k)
                .append(v.isEmpty() ? "" : "=" + v));
        try (Connection c = db.getConnection();
                PreparedStatement ps = c.prepareStatement("INSERT INTO users (name, secret, home, extra)"
                        + " VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING")) {
            ps.setString(1, user.name());
            ps.setString(2, user.secret());
            ps.setString(3, user.home().map(Object::toString).orElse(""));
            ps.setString(4, extra.toString());
            capabilities = null;
            return ps.executeUpdate() == 1;
        } catch (SQLException e) {
            throw new IOException("cannot copy the user " + user.name() + " to " + where + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String describe() {
        return where;
    }

    private void update(String sql, String name, String value) throws IOException {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            if (sql.startsWith("DELETE")) {
                ps.setString(1, name);
                ps.setString(2, value);
            } else {
                ps.setString(1, value);
                ps.setString(2, name);
            }
            if (ps.executeUpdate() == 0) {
                throw new NoSuchUserException(name);
            }
        } catch (SQLException e) {
            throw new IOException("cannot update the user in " + where + ": " + e.getMessage(), e);
        }
        capabilities = null;
    }

    /** The row as the passwd-file line it stands for, parsed by the file's rules; a bad row is skipped. */
    private Optional<UserRecord> record(ResultSet rs) throws SQLException {
        StringBuilder line = new StringBuilder(rs.getString(1));
        for (int i = 2; i <= 7; i++) {
            line.append(':').append(rs.getString(i));
        }
        line.append(':').append(extraWithQuotaColumns(rs.getString(8), rs.getObject(9, Long.class),
                rs.getObject(10, Long.class)));
        try {
            return Optional.of(PasswdFile.parseLine(line.toString()));
        } catch (IllegalArgumentException e) {
            log.warn("users table: skipping the row of {}: {}", rs.getString(1), e.getMessage());
            return Optional.empty();
        }
    }

    /** The extra fields, where a quota column that is set replaces the extra field of the same name. */
    static String extraWithQuotaColumns(String extra, Long bytes, Long messages) {
        StringBuilder out = new StringBuilder();
        for (String field : extra.trim().split("\\s+")) {
            boolean replaced = (bytes != null && field.startsWith("quota_bytes="))
                    || (messages != null && field.startsWith("quota_messages="));
            if (!field.isEmpty() && !replaced) {
                out.append(out.isEmpty() ? "" : " ").append(field);
            }
        }
        if (bytes != null) {
            out.append(out.isEmpty() ? "" : " ").append("quota_bytes=").append(bytes);
        }
        if (messages != null) {
            out.append(out.isEmpty() ? "" : " ").append("quota_messages=").append(messages);
        }
        return out.toString();
    }

    private static void validateSecret(String secret) {
        if (secret == null || secret.isEmpty() || secret.chars().anyMatch(ch -> ch == ':' || Character.isISOControl(ch))) {
            throw new IllegalArgumentException("Secret must not be empty, nor contain ':' or control characters");
        }
    }
}
