package dev.postoffice.storage.maildir;

import dev.postoffice.storage.RetrievalHistory;
import dev.postoffice.storage.StorageException;
import dev.postoffice.storage.StoredMessage;
import java.io.IOException;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;

/**
 * RFC 2449 history of one Maildir, kept in two {@link NameValueFile}s beside the messages: first-retrieval times
 * for EXPIRE, {@value #RETRIEVED_FILE} ({@code <base name> SP <epoch seconds>} lines), and the last login for
 * LOGIN-DELAY, {@value #LAST_LOGIN_FILE} (one {@code login SP <epoch milliseconds>} line). Written only by the
 * session that holds the maildrop, which this history is part of; a damaged file reads as empty.
 */
final class MaildirHistory implements RetrievalHistory {
    static final String RETRIEVED_FILE = "postoffice-retrieved";
    static final String LAST_LOGIN_FILE = "postoffice-last-login";
    private static final String LOGIN_KEY = "login";

    private final MaildirDirs maildir;
    private final MaildirMaildrop session;
    /** First-retrieval times by base name, read at first use. */
    private Map<String, Long> retrieved;

    MaildirHistory(MaildirDirs maildir, MaildirMaildrop session) {
        this.maildir = maildir;
        this.session = session;
    }

    private Map<String, Long> retrieved() {
        if (retrieved == null) {
            retrieved = NameValueFile.load(maildir, RETRIEVED_FILE, session.messages().size(),
                    NameValueFile::parseNumber);
        }
        return retrieved;
    }

    @Override
    public Optional<Instant> firstRetrieved(StoredMessage message) {
        session.ensureOpen();
        Long seconds;
        try {
            seconds = retrieved().get(message.id());
        } finally {
            maildir.release();
        }
        return seconds == null ? Optional.empty() : Optional.of(Instant.ofEpochSecond(seconds));
    }

    /** {@inheritDoc} Forgets messages that are gone: removed in this session, or by other software before it. */
    @Override
    public void recordRetrieved(Collection<StoredMessage> messages, Instant when) throws StorageException {
        session.ensureOpen();
        Map<String, Long> times = retrieved();
        boolean changed = false;
        for (StoredMessage m : messages) {
            session.location(m.id()); // only messages of this snapshot
            if (!session.removed(m.id()) && NameValueFile.storable(m.id())
                    && times.putIfAbsent(m.id(), when.getEpochSecond()) == null) {
                changed = true;
            }
        }
        changed |= times.keySet().removeIf(id -> session.removed(id) || !session.listed(id));
        if (changed) {
            try {
                NameValueFile.store(maildir, RETRIEVED_FILE, times, (out, n) -> out.write(Long.toString(n)));
            } catch (IOException e) {
                throw new StorageException("cannot record retrieval times in " + maildir.maildir() + ": "
                        + e.getMessage(), true, e);
            } finally {
                maildir.release();
            }
        }
    }

    @Override
    public Optional<Instant> lastLogin() {
        session.ensureOpen();
        Long millis;
        try {
            millis = NameValueFile.load(maildir, LAST_LOGIN_FILE, 1, NameValueFile::parseNumber).get(LOGIN_KEY);
        } finally {
            maildir.release();
        }
        return millis == null ? Optional.empty() : Optional.of(Instant.ofEpochMilli(millis));
    }

    @Override
    public void recordLogin(Instant when) throws StorageException {
        session.ensureOpen();
        try {
            NameValueFile.store(maildir, LAST_LOGIN_FILE, Map.of(LOGIN_KEY, when.toEpochMilli()),
                    (out, n) -> out.write(Long.toString(n)));
        } catch (IOException e) {
            throw new StorageException("cannot record the login time in " + maildir.maildir() + ": " + e.getMessage(),
                    true, e);
        } finally {
            maildir.release();
        }
    }
}
