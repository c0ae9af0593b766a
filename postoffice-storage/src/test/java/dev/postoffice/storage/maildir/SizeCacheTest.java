package dev.postoffice.storage.maildir;

import static dev.postoffice.storage.maildir.Fixtures.USER;
import static dev.postoffice.storage.maildir.Fixtures.byId;
import static dev.postoffice.storage.maildir.Fixtures.canonical;
import static dev.postoffice.storage.maildir.Fixtures.put;
import static org.assertj.core.api.Assertions.assertThat;

import dev.postoffice.storage.Maildrop;
import dev.postoffice.storage.StoredMessage;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SizeCacheTest {
    static final String A = "1600000001.P1.host";
    static final String B = "1600000002.P1.host";
    static final String CONTENT_A = "Subject: a\n\nbody a\n";
    static final String CONTENT_B = "Subject: b\n\nbody b without newline";

    @TempDir
    Path dataDir;
    Path maildir;
    Path cache;
    MaildirStore store;

    @BeforeEach
    void setUp() throws Exception {
        maildir = Fixtures.maildir(dataDir);
        cache = maildir.resolve(SizeCache.FILE_NAME);
        store = new MaildirStore(dataDir);
        put(maildir, "new", A, CONTENT_A);
        put(maildir, "cur", B + ":2,S", CONTENT_B);
    }

    private List<StoredMessage> snapshot() throws Exception {
        try (Maildrop m = store.open(dev.postoffice.storage.MailboxRef.of(USER))) {
            return m.messages();
        }
    }

    private List<String> cacheLines() throws Exception {
        return Files.readAllLines(cache, StandardCharsets.UTF_8);
    }

    @Test
    void openWritesTheCache() throws Exception {
        snapshot();
        assertThat(cacheLines()).containsExactly(A + " " + canonical(CONTENT_A) + "c", B + " " + canonical(CONTENT_B) + "c");
    }

    @Test
    void cachedSizeIsUsed() throws Exception {
        Files.writeString(cache, A + " 12345c\n" + B + " 777w\n");
        List<StoredMessage> messages = snapshot();
        assertThat(messages).extracting(StoredMessage::size).containsExactly(12345L, 777L);
    }

    @Test
    void theStoredFormIsRecordedAndOnlyCanonicalFilesAreOfferedAsSuch() throws Exception {
        String wire = "1600000003.P1.host";
        String dotted = "1600000004.P1.host";
        put(maildir, "new", wire, "Subject: w\r\n\r\nbody\r\n");
        put(maildir, "new", dotted, "Subject: d\r\n\r\n.body\r\n");
        try (Maildrop m = store.open(dev.postoffice.storage.MailboxRef.of(USER))) {
            assertThat(Fixtures.openCanonical(m, byId(m, A))).isEmpty(); // LF line ends
            Fixtures.CanonicalFile d = Fixtures.openCanonical(m, byId(m, dotted)).orElseThrow();
            d.file().close();
            assertThat(d.dotLines()).as("a line to byte-stuff").isTrue();
            Fixtures.CanonicalFile w = Fixtures.openCanonical(m, byId(m, wire)).orElseThrow();
            try (FileChannel ch = w.file()) {
                assertThat(w.dotLines()).isFalse();
                assertThat(ch.size()).isEqualTo(byId(m, wire).size()).isEqualTo(20);
            }
        }
        assertThat(cacheLines()).contains(wire + " 20w", dotted + " 21d");
    }

    @Test
    void entriesFromBeforeTheFormWasRecordedAreSettledOnce() throws Exception {
        String wire = "1600000003.P1.host";
        put(maildir, "new", wire, "Subject: w\r\n\r\nbody\r\n");
        // Sizes that differ from the files' settle the form without reading them; the same size is read again.
        Files.writeString(cache, A + " 12345\n" + B + " 777\n" + wire + " 20\n");
        try (Maildrop m = store.open(dev.postoffice.storage.MailboxRef.of(USER))) {
            assertThat(m.messages()).extracting(StoredMessage::size).containsExactly(12345L, 777L, 20L);
            Fixtures.openCanonical(m, byId(m, wire)).orElseThrow().file().close();
        }
        assertThat(cacheLines()).containsExactly(A + " 12345c", B + " 777c", wire + " 20w");
    }

    @Test
    void aFileThatIsNotTheSizeRecordedIsNotOfferedAsWireForm() throws Exception {
        String wire = "1600000003.P1.host";
        put(maildir, "new", wire, "Subject: w\r\n\r\nbody\r\n");
        Files.writeString(cache, A + " 19c\n" + B + " 42c\n" + wire + " 25w\n");
        try (Maildrop m = store.open(dev.postoffice.storage.MailboxRef.of(USER))) {
            assertThat(Fixtures.openCanonical(m, byId(m, wire))).isEmpty();
        }
    }

    @Test
    void unchangedCacheIsNotRewritten() throws Exception {
        snapshot();
        Object before = Files.readAttributes(cache, BasicFileAttributes.class).fileKey();
        snapshot();
        assertThat(Files.readAttributes(cache, BasicFileAttributes.class).fileKey()).isEqualTo(before);
    }

    @Test
    void newMessagesAreAddedAndVanishedOnesDropped() throws Exception {
        snapshot();
        Files.delete(maildir.resolve("new").resolve(A));
        String c = "1600000003.P1.host";
        put(maildir, "new", c, "Subject: c\n\n");
        snapshot();
        assertThat(cacheLines()).containsExactly(B + " " + canonical(CONTENT_B) + "c", c + " " + canonical("Subject: c\n\n") + "c");
    }

    @Test
    void namesWithSpacesAreCached() throws Exception {
        String spaced = "1600000003.a name with spaces";
        put(maildir, "new", spaced, "x\n");
        snapshot();
        assertThat(cacheLines()).contains(spaced + " 3c");
        Files.writeString(cache, A + " 1\n" + B + " 2\n" + spaced + " 3333\n");
        try (Maildrop m = store.open(dev.postoffice.storage.MailboxRef.of(USER))) {
            assertThat(byId(m, spaced).size()).isEqualTo(3333);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "garbage",
        "1600000001.P1.host 12\n1600000002.P1.host\n",
        "1600000001.P1.host -5\n",
        "1600000001.P1.host 12x\n",
        "1600000001.P1.host 12cw\n",
        "1600000001.P1.host w\n",
        " 12\n",
        "1600000001.P1.host 99999999999999999999999\n",
        "\u0000\u0001\u0002 binary",
    })
    void corruptCacheIsIgnoredAndRebuilt(String corrupt) throws Exception {
        Files.writeString(cache, corrupt, StandardCharsets.ISO_8859_1);
        assertThat(snapshot()).extracting(StoredMessage::size).containsExactly(canonical(CONTENT_A), canonical(CONTENT_B));
        assertThat(cacheLines()).containsExactly(A + " " + canonical(CONTENT_A) + "c", B + " " + canonical(CONTENT_B) + "c");
    }

    @Test
    void invalidUtf8CacheIsIgnored() throws Exception {
        Files.write(cache, new byte[] {'1', '6', (byte) 0xff, (byte) 0xfe, ' ', '1', '\n'});
        assertThat(snapshot()).extracting(StoredMessage::size).containsExactly(canonical(CONTENT_A), canonical(CONTENT_B));
        assertThat(cacheLines()).hasSize(2);
    }

    @Test
    void cacheThatIsADirectoryIsNotFatal() throws Exception {
        Files.createDirectories(cache.resolve("sub"));
        assertThat(snapshot()).extracting(StoredMessage::size).containsExactly(canonical(CONTENT_A), canonical(CONTENT_B));
        assertThat(maildir.resolve(SizeCache.FILE_NAME + ".tmp")).doesNotExist();
    }

    @Test
    void leftoverTemporaryCacheFileIsReplaced() throws Exception {
        Files.writeString(maildir.resolve(SizeCache.FILE_NAME + ".tmp"), "half-written");
        snapshot();
        assertThat(cacheLines()).hasSize(2);
        assertThat(maildir.resolve(SizeCache.FILE_NAME + ".tmp")).doesNotExist();
    }

    @Test
    void buffersAreSizedToTheFileWithinBounds() {
        assertThat(NameValueFile.bufferSize(0)).isEqualTo(128);
        assertThat(NameValueFile.bufferSize(1000)).isEqualTo(1001);
        assertThat(NameValueFile.bufferSize(10_000_000)).isEqualTo(8192);
    }

    @Test
    void linesAndFilesLongerThanTheBufferAreRead() throws Exception {
        String longName = "1600000003." + "x".repeat(200) + ".host"; // longer than the smallest buffer (128)
        put(maildir, "new", longName, "x\n");
        snapshot();
        assertThat(cacheLines()).contains(longName + " 3c");
        StringBuilder big = new StringBuilder(A + " 11\n" + B + " 22\n" + longName + " 33\n");
        for (int i = 0; i < 1000; i++) { // about 30 KB: several fills of the largest buffer
            big.append("1500000000.P").append(i).append(".gone 1\n");
        }
        Files.writeString(cache, big);
        try (Maildrop m = store.open(dev.postoffice.storage.MailboxRef.of(USER))) {
            assertThat(m.messages()).extracting(StoredMessage::size).containsExactly(11L, 22L, 33L);
        }
        assertThat(cacheLines()).containsExactly(A + " 11c", B + " 22c", longName + " 33c");
    }

    @Test
    void removeUpdatesTheCache() throws Exception {
        try (Maildrop m = store.open(dev.postoffice.storage.MailboxRef.of(USER))) {
            m.commit(List.of(byId(m, A)), List.of(), java.time.Instant.now());
        }
        assertThat(cacheLines()).containsExactly(B + " " + canonical(CONTENT_B) + "c");
    }
}
