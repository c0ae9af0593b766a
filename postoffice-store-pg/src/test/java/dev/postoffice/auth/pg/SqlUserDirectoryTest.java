package dev.postoffice.auth.pg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.postoffice.auth.Expire;
import dev.postoffice.auth.NoSuchUserException;
import dev.postoffice.auth.PasswordSchemes;
import dev.postoffice.auth.QuotaLimits;
import dev.postoffice.auth.UserExistsException;
import dev.postoffice.auth.UserRecord;
import dev.postoffice.storage.Quota;
import dev.postoffice.storage.pg.PgDatabase;
import dev.postoffice.storage.pg.PgUrl;
import dev.postoffice.testkit.pg.TestPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The users table read with the passwd-file's rules: schemes, extra fields, capabilities, edits. */
class SqlUserDirectoryTest {
    private PgDatabase db;
    private SqlUserDirectory users;

    @BeforeEach
    void start() throws Exception {
        db = PgDatabase.open(PgUrl.parse(TestPostgres.newDatabase().url()), true);
        users = new SqlUserDirectory(db.dataSource(), db.url().toString());
    }

    @AfterEach
    void stop() {
        db.close();
    }

    @Test
    void rowsMeanWhatPasswdFileLinesMean() throws Exception {
        String hash = PasswordSchemes.encode("SHA512-CRYPT", "secret");
        try (Connection c = db.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement("INSERT INTO users (name, secret, extra) VALUES (?, ?, ?)")) {
            ps.setString(1, "carol@example.org");
            ps.setString(2, hash);
            ps.setString(3, "expire=7 quota_bytes=1000 quota_messages=5");
            ps.executeUpdate();
            ps.setString(1, "bad/name");
            ps.setString(2, "{PLAIN}x");
            ps.setString(3, "");
            ps.executeUpdate();
        }
        UserRecord carol = users.find("carol@example.org").orElseThrow();
        assertThat(PasswordSchemes.verify("secret", carol.secret())).isTrue();
        assertThat(carol.account().policy().expire()).isEqualTo(new Expire.Days(7));
        assertThat(QuotaLimits.of(carol, Quota.NONE)).isEqualTo(new Quota(1000, 5, false));
        assertThat(users.find("nobody")).isEmpty();
        assertThat(users.list()).extracting(UserRecord::name).as("a row the file's rules reject is skipped")
                .containsExactly("carol@example.org");
        assertThat(users.capabilities().cleartext()).isFalse();
    }

    @Test
    void quotaColumnsWinOverTheExtraFieldsAndNullLeavesThem() throws Exception {
        try (Connection c = db.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO users (name, secret, extra, quota_bytes, quota_messages) VALUES (?, ?, ?, ?, ?)")) {
            ps.setString(1, "dave");
            ps.setString(2, "{PLAIN}x");
            ps.setString(3, "expire=3 quota_bytes=99 quota_messages=7");
            ps.setLong(4, 2_000_000);
            ps.setObject(5, null);
            ps.executeUpdate();
            ps.setString(1, "erin");
            ps.setString(3, "");
            ps.setObject(4, null);
            ps.setLong(5, 0);
            ps.executeUpdate();
        }
        UserRecord dave = users.find("dave").orElseThrow();
        assertThat(QuotaLimits.of(dave, Quota.NONE)).isEqualTo(new Quota(2_000_000, 7, false));
        assertThat(dave.account().policy().expire()).isEqualTo(new Expire.Days(3));
        assertThat(QuotaLimits.of(users.find("erin").orElseThrow(), new Quota(500, 9, false)))
                .as("0 is no limit; NULL keeps the default").isEqualTo(new Quota(500, 0, false));
        try (Connection c = db.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement("UPDATE users SET quota_bytes = -1 WHERE name = 'erin'")) {
            assertThatThrownBy(ps::executeUpdate).as("the schema refuses a negative quota")
                    .isInstanceOf(java.sql.SQLException.class);
        }
    }

    @Test
    void editsAndTheirErrors() throws Exception {
        users.add("alice", PasswordSchemes.encode("PLAIN", "one"));
        assertThat(users.capabilities().cleartext()).isTrue();
        assertThatThrownBy(() -> users.add("alice", "{PLAIN}two")).isInstanceOf(UserExistsException.class);
        assertThatThrownBy(() -> users.add("a:b", "{PLAIN}two")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> users.add("bob", "{PLAIN}a:b")).isInstanceOf(IllegalArgumentException.class);

        users.setSecret("alice", PasswordSchemes.encode("ARGON2ID", "two"));
        assertThat(PasswordSchemes.verify("two", users.find("alice").orElseThrow().secret())).isTrue();
        assertThat(users.capabilities().cleartext()).as("recomputed after an edit").isFalse();
        assertThatThrownBy(() -> users.setSecret("bob", "{PLAIN}x")).isInstanceOf(NoSuchUserException.class);

        users.remove("alice");
        assertThat(users.list()).isEmpty();
        assertThatThrownBy(() -> users.remove("alice")).isInstanceOf(NoSuchUserException.class);
    }
}
