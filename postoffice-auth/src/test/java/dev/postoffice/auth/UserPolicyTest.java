package dev.postoffice.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The {@code expire=} extra field, parsed once into the account's policy, and the directory's EXPIRE figures. */
class UserPolicyTest {
    @Test
    void expireValuesParse() {
        assertThat(Expire.parse(null)).isEqualTo(new Expire.ServerDefault());
        assertThat(Expire.parse("NeVeR")).isEqualTo(new Expire.Never());
        assertThat(Expire.parse(" 7 ")).isEqualTo(new Expire.Days(7));
        assertThat(Expire.parse("0")).isEqualTo(new Expire.Days(0));
        for (String ignored : new String[] {"-1", "soon", "", "7d"}) {
            assertThat(Expire.parse(ignored)).as(ignored).isEqualTo(new Expire.ServerDefault());
        }
        assertThatThrownBy(() -> new Expire.Days(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theUsersPolicyOverridesTheServers() {
        Optional<Integer> server = Optional.of(30);
        assertThat(new Expire.ServerDefault().days(server)).contains(30);
        assertThat(new Expire.ServerDefault().days(Optional.empty())).isEmpty();
        assertThat(new Expire.Never().days(server)).isEmpty();
        assertThat(new Expire.Days(3).days(server)).contains(3);
        assertThat(new Expire.Days(3).days(Optional.empty())).contains(3);
    }

    @Test
    void aPasswdLineGivesMailboxAndPolicy() {
        UserRecord r = new UserRecord("ann", "{PLAIN}x", Optional.of(Path.of("/home/ann")), Map.of("expire", "5"));
        assertThat(r.account().mailbox().user()).isEqualTo("ann");
        assertThat(r.account().mailbox().locator()).contains("/home/ann");
        assertThat(r.account().policy()).isEqualTo(new UserPolicy(new Expire.Days(5)));
        assertThat(r.home()).contains(Path.of("/home/ann"));
        assertThat(new UserRecord("bo", "x", Optional.empty(), Map.of()).account().policy())
                .isEqualTo(UserPolicy.SERVER_DEFAULT);
    }

    @Test
    void capabilitiesCountOnlyUsersWithAPolicyOfTheirOwn() {
        UserRecord plain = new UserRecord("a", "{PLAIN}x", Optional.empty(), Map.of("expire", "bogus"));
        UserRecord never = new UserRecord("b", "x", Optional.empty(), Map.of("expire", "never"));
        UserRecord nine = new UserRecord("c", "x", Optional.empty(), Map.of("expire", "9"));
        UserRecord four = new UserRecord("d", "x", Optional.empty(), Map.of("expire", "4"));
        assertThat(DirectoryCapabilities.ofUsers(List.of(plain)))
                .usingRecursiveComparison().ignoringFields("coverage").isEqualTo(new DirectoryCapabilities(true, false, false, Optional.empty(), false));
        assertThat(DirectoryCapabilities.ofUsers(List.of(never)).perUserExpire()).isTrue();
        assertThat(DirectoryCapabilities.ofUsers(List.of(never)).minUserExpireDays()).isEmpty();
        assertThat(DirectoryCapabilities.ofUsers(List.of(plain, nine, never, four)).minUserExpireDays()).contains(4);
    }
}
