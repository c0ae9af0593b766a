package dev.postoffice.server;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.mail.Flags;
import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.Multipart;
import jakarta.mail.Session;
import jakarta.mail.Store;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Properties;
import org.apache.commons.net.pop3.POP3Client;
import org.apache.commons.net.pop3.POP3MessageInfo;
import org.eclipse.angus.mail.pop3.POP3Folder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real POP3 client libraries against a real server: Angus Mail (Jakarta Mail) and Apache Commons Net. */
class RealClientsTest {
    static final String PLAIN = "From: Ann <ann@example.org>\r\nTo: alice@example.org\r\nSubject: plain\r\n"
            + "Message-ID: <1@example.org>\r\n\r\nFirst line.\r\n.\r\n..two dots\r\nLast line.\r\n";
    static final String KOREAN = "From: kim@example.org\nTo: alice@example.org\nSubject: =?UTF-8?B?7JWI64WV?=\n"
            + "MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n"
            + "안녕하세요, 회의는 내일 오전 10시입니다.\n";
    static final String MULTIPART = "From: ann@example.org\nSubject: report\nMIME-Version: 1.0\n"
            + "Content-Type: multipart/mixed; boundary=\"b1\"\n\n--b1\nContent-Type: text/plain\n\nSee attached.\n"
            + "--b1\nContent-Type: application/octet-stream; name=\"data.bin\"\nContent-Transfer-Encoding: base64\n"
            + "Content-Disposition: attachment; filename=\"data.bin\"\n\nAAECAwQFBgcICQ==\n--b1--\n";
    static final String NO_NEWLINE = "From: x@example.org\nSubject: unterminated\n\nlast line without newline";

    @TempDir
    Path data;
    TestServer server;

    @BeforeEach
    void setUp() throws Exception {
        server = new TestServer(data).user("alice", "secret");
        for (String m : new String[] {PLAIN, KOREAN, MULTIPART, NO_NEWLINE}) {
            server.deliver("alice", m);
        }
    }

    @AfterEach
    void tearDown() {
        server.close();
    }

    @Test
    void angusMailReadsEveryMessageAndDeletesOnClose() throws Exception {
        Properties p = new Properties();
        p.put("mail.pop3.host", "127.0.0.1");
        p.put("mail.pop3.port", String.valueOf(server.port()));
        p.put("mail.pop3.connectiontimeout", "5000");
        p.put("mail.pop3.timeout", "5000");
        Session session = Session.getInstance(p);
        Store store = session.getStore("pop3");
        store.connect("alice", "secret");
        POP3Folder inbox = (POP3Folder) store.getFolder("INBOX");
        inbox.open(Folder.READ_WRITE);
        assertThat(inbox.getMessageCount()).isEqualTo(4);
        Message[] messages = inbox.getMessages();

        assertThat(messages[0].getSubject()).isEqualTo("plain");
        assertThat(text(messages[0])).isEqualTo("First line.\r\n.\r\n..two dots\r\nLast line.\r\n");
        assertThat(messages[1].getSubject()).isEqualTo("안녕");
        assertThat(((String) messages[1].getContent())).contains("회의는 내일 오전 10시입니다");
        Multipart mp = (Multipart) messages[2].getContent();
        assertThat(mp.getCount()).isEqualTo(2);
        assertThat(mp.getBodyPart(1).getFileName()).isEqualTo("data.bin");
        ByteArrayOutputStream att = new ByteArrayOutputStream();
        mp.getBodyPart(1).getInputStream().transferTo(att);
        assertThat(att.toByteArray()).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        assertThat(messages[3].getSubject()).isEqualTo("unterminated");
        // delivery adds the missing final newline; LIST counts every line end as CRLF
        assertThat(inbox.getSizes()[3]).isEqualTo(NO_NEWLINE.length() + 1 + 4);
        String uid0 = inbox.getUID(messages[0]);
        assertThat(uid0).isNotBlank();

        messages[0].setFlag(Flags.Flag.DELETED, true);
        inbox.close(true);
        store.close();
        assertThat(server.storedCount("alice")).isEqualTo(3);

        store = session.getStore("pop3");
        store.connect("alice", "secret");
        inbox = (POP3Folder) store.getFolder("INBOX");
        inbox.open(Folder.READ_ONLY);
        assertThat(inbox.getMessageCount()).isEqualTo(3);
        assertThat(inbox.getMessages()[0].getSubject()).isEqualTo("안녕");
        assertThat(inbox.getUID(inbox.getMessages()[0])).isNotEqualTo(uid0);
        inbox.close(false);
        store.close();
    }

    @Test
    void angusMailOverStartTlsAndImplicitTls() throws Exception {
        for (String protocol : new String[] {"pop3", "pop3s"}) {
            Properties p = new Properties();
            p.put("mail." + protocol + ".host", "127.0.0.1");
            p.put("mail." + protocol + ".port", String.valueOf(protocol.equals("pop3") ? server.port() : server.tlsPort()));
            p.put("mail." + protocol + ".ssl.trust", "*");
            p.put("mail." + protocol + ".ssl.checkserveridentity", "false");
            p.put("mail." + protocol + ".timeout", "5000");
            if (protocol.equals("pop3")) {
                p.put("mail.pop3.starttls.enable", "true");
                p.put("mail.pop3.starttls.required", "true");
            }
            Store store = Session.getInstance(p).getStore(protocol);
            store.connect("alice", "secret");
            Folder inbox = store.getFolder("INBOX");
            inbox.open(Folder.READ_ONLY);
            assertThat(inbox.getMessageCount()).as(protocol).isEqualTo(4);
            assertThat(inbox.getMessage(1).getSubject()).isEqualTo("plain");
            inbox.close(false);
            store.close();
        }
    }

    @Test
    void commonsNetListsRetrievesTopsAndDeletes() throws Exception {
        POP3Client c = new POP3Client();
        c.setCharset(StandardCharsets.ISO_8859_1); // one char per octet, so lengths are octet counts
        c.setDefaultTimeout(5000);
        c.connect("127.0.0.1", server.port());
        assertThat(c.login("alice", "wrong")).isFalse();
        assertThat(c.login("alice", "secret")).isTrue();
        POP3MessageInfo status = c.status();
        assertThat(status.number).isEqualTo(4);
        POP3MessageInfo[] list = c.listMessages();
        assertThat(list).hasSize(4);
        long total = 0;
        for (POP3MessageInfo info : list) {
            total += info.size;
            String body = read(c.retrieveMessage(info.number));
            // Commons Net hands back the message with CRLF lines and stuffing undone.
            assertThat((long) body.length()).as("message %d", info.number).isEqualTo(info.size);
        }
        assertThat(status.size).isEqualTo(total);
        assertThat(read(c.retrieveMessageTop(1, 0))).isEqualTo(
                "From: Ann <ann@example.org>\r\nTo: alice@example.org\r\nSubject: plain\r\nMessage-ID: <1@example.org>\r\n\r\n");
        POP3MessageInfo[] uids = c.listUniqueIdentifiers();
        assertThat(uids).hasSize(4);
        assertThat(c.listUniqueIdentifier(2).identifier).isEqualTo(uids[1].identifier);
        assertThat(c.deleteMessage(4)).isTrue();
        assertThat(c.retrieveMessage(4)).isNull();
        assertThat(c.reset()).isTrue();
        assertThat(c.deleteMessage(2)).isTrue();
        assertThat(c.noop()).isTrue();
        assertThat(c.logout()).isTrue();
        c.disconnect();
        assertThat(server.storedCount("alice")).isEqualTo(3);
    }

    private static String text(Message m) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        m.getDataHandler().getInputStream().transferTo(out);
        return out.toString(StandardCharsets.UTF_8);
    }

    private static String read(Reader r) throws Exception {
        StringBuilder b = new StringBuilder();
        try (BufferedReader br = new BufferedReader(r)) {
            String line;
            while ((line = br.readLine()) != null) {
                b.append(line).append("\r\n");
            }
        }
        return b.toString();
    }
}
