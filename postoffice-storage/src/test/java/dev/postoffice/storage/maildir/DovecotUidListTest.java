package dev.postoffice.storage.maildir;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Reading Dovecot's dovecot-uidlist, versions 1 and 3, and tolerating what is not Dovecot's. */
class DovecotUidListTest {
    @TempDir
    Path dir;

    @Test
    void readsVersion3WithExtensions() {
        DovecotUidList list = DovecotUidList.parse("""
                3 V1700000000 N5 G4f0a1b2c3d4e5f60718293a4b5c6d7e8
                1 :1700000001.M1P1.host
                2 W120 S118 :1700000002.M2P1.host,S=118,W=120
                3 P0123abcd G8f1c0a39b2e4 :1700000003.M3P1.host:2,S
                4 O2 P :1700000004.M4P1.host
                """);
        assertThat(list.uidValidity()).isEqualTo(1_700_000_000L);
        assertThat(list.nextUid()).isEqualTo(5);
        assertThat(list.size()).isEqualTo(4);
        assertThat(list.skipped()).isZero();
        assertThat(list.get("1700000001.M1P1.host")).isEqualTo(new DovecotUidList.Entry(1, null, -1, null));
        assertThat(list.get("1700000002.M2P1.host,S=118,W=120")).isEqualTo(new DovecotUidList.Entry(2, null, -1, null));
        // matched by base name: the flags Dovecot may have recorded are not part of it
        assertThat(list.get("1700000003.M3P1.host"))
                .isEqualTo(new DovecotUidList.Entry(3, "0123abcd", -1, "8f1c0a39b2e4"));
        assertThat(list.get("1700000004.M4P1.host")).isEqualTo(new DovecotUidList.Entry(4, "", 2, null));
        assertThat(list.get("1700000003.M3P1.host:2,S")).isNull();
    }

    @Test
    void readsVersion1() {
        DovecotUidList list = DovecotUidList.parse("1 1100000000 3\n1 1100000001.P1.host\n2 1100000002.P2.host:2,RS\n");
        assertThat(list.uidValidity()).isEqualTo(1_100_000_000L);
        assertThat(list.nextUid()).isEqualTo(3);
        assertThat(list.get("1100000002.P2.host")).isEqualTo(new DovecotUidList.Entry(2, null, -1, null));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "\n1 :a\n", "garbage\n1 :a\n", "2 V1 N2\n", "3 N5\n", "3 V0 N5\n", "3 V1 N0\n",
        "3 Vx N5\n", "3 V99999999999 N5\n", "1 12\n", "1 a b\n", "3V1 N2\n", "\u0000\u0001binary"})
    void anUnusableHeaderMakesNoList(String text) {
        assertThat(DovecotUidList.parse(text)).isNull();
    }

    @Test
    void skipsGarbageLinesAndKeepsTheRest() {
        DovecotUidList list = DovecotUidList.parse("""
                3 V7 N20 Gx Zunknown-header
                1 :one
                not a record
                0 :zero-uid
                2 P
                3 Pabc no-colon
                4 :dir/slash
                5 :
                6 :six
                6 :six-again
                99999999999 :huge
                7 :one
                8  :two-spaces
                9 X1 Y2 :unknown-extensions
                """);
        assertThat(list.uidValidity()).isEqualTo(7);
        assertThat(list.skipped()).isEqualTo(8);
        // a base name listed twice: the later record wins, as in Dovecot
        assertThat(list.get("one").uid()).isEqualTo(7);
        assertThat(list.get("six").uid()).isEqualTo(6);
        assertThat(list.get("six-again")).isNull();
        assertThat(list.get("two-spaces").uid()).isEqualTo(8);
        assertThat(list.get("unknown-extensions").uid()).isEqualTo(9);
        assertThat(list.size()).isEqualTo(4);
    }

    @Test
    void readsTheFileAndNeverWritesIt() throws Exception {
        try (MaildirDirs dirs = Fixtures.open(dir)) {
            readsTheFileAndNeverWritesIt(dirs);
        }
    }

    private void readsTheFileAndNeverWritesIt(MaildirDirs dirs) throws Exception {
        assertThat(DovecotUidList.read(dirs, 1)).isNull(); // none
        Path file = dir.resolve(DovecotUidList.FILE_NAME);
        Files.writeString(file, "3 V5 N2\n1 :a:2,S\n");
        file.toFile().setReadOnly();
        long mtime = Files.getLastModifiedTime(file).toMillis();
        DovecotUidList list = DovecotUidList.read(dirs, 1);
        assertThat(list.get("a").uid()).isEqualTo(1);
        assertThat(Files.getLastModifiedTime(file).toMillis()).isEqualTo(mtime);
        Files.delete(file);
        Files.createDirectory(file);
        assertThat(DovecotUidList.read(dirs, 1)).isNull(); // not a regular file
    }

    @Test
    void aFileLargerThanTheListingWarrantsIsIgnoredUnread() throws Exception {
        // The Maildir's owner writes this file: a sparse gigabyte cost them nothing and the server its heap.
        Path file = dir.resolve(DovecotUidList.FILE_NAME);
        try (var ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap("3 V5 N2\n1 :a\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
            ch.truncate(1L << 30);
            ch.write(java.nio.ByteBuffer.wrap(new byte[] {'x'}), (1L << 30) - 1);
        }
        try (MaildirDirs dirs = Fixtures.open(dir)) {
            assertThat(DovecotUidList.read(dirs, 10)).isNull();
            // the bound: 1,024 octets for each message listed and for 1,000 more
            try (var ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
                ch.truncate(1010 * DovecotUidList.BYTES_PER_MESSAGE);
            }
            assertThat(DovecotUidList.read(dirs, 10)).isNotNull();
            assertThat(DovecotUidList.read(dirs, 9)).isNull();
        }
    }

    @Test
    void anOverlongLineIsSkippedWithoutBeingHeld() {
        String huge = "7 :" + "n".repeat(DovecotUidList.MAX_LINE_CHARS * 40);
        DovecotUidList list = DovecotUidList.parse("3 V5 N9\r\n1 :a\r\n" + huge + "\n2 :b\n"
                + "3 :" + "c".repeat(DovecotUidList.MAX_LINE_CHARS - 3) + "\n4 :last");
        assertThat(list.skipped()).isEqualTo(1);
        assertThat(list.get("a").uid()).isEqualTo(1);
        assertThat(list.get("b").uid()).isEqualTo(2);
        assertThat(list.get("c".repeat(DovecotUidList.MAX_LINE_CHARS - 3)).uid()).as("a line of the limit")
                .isEqualTo(3);
        assertThat(list.get("last").uid()).as("the last line without its LF").isEqualTo(4);
        assertThat(list.size()).isEqualTo(4);
    }

    @Test
    void linesAreSplitAcrossEveryBufferBoundary() throws Exception {
        StringBuilder text = new StringBuilder("3 V5 N99999\n");
        for (int i = 1; i <= 3000; i++) {
            text.append(i).append(i % 2 == 0 ? " :m" : " P :m").append(i).append(i % 3 == 0 ? "\r\n" : "\n");
        }
        DovecotUidList list = DovecotUidList.parse(text.toString());
        assertThat(list.size()).isEqualTo(3000);
        assertThat(list.skipped()).isZero();
        for (int i = 1; i <= 3000; i++) {
            assertThat(list.get("m" + i).uid()).isEqualTo(i);
        }
    }
}
