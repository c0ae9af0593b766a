package dev.postoffice.storage.maildir;

import dev.postoffice.storage.StorageException;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes a session's deleted messages for good (the POP3 UPDATE state): unlinks each file, follows a file that
 * other software renamed meanwhile, removes the extra copies of a base name listed twice, and fsyncs the
 * directories it changed. A message whose file cannot be removed stays intact and is named in the exception.
 */
final class MaildirRemover {
    private static final Logger log = LoggerFactory.getLogger(MaildirRemover.class);

    private final MaildirDirs dirs;
    /** The session's locations, updated when a file is found renamed. */
    private final SessionLocations locations;
    private final Map<String, List<Location>> copies;
    /** The session's removed messages, added to as files go. */
    private final Set<String> removed;

    MaildirRemover(MaildirDirs dirs, SessionLocations locations, Map<String, List<Location>> copies,
            Set<String> removed) {
        this.dirs = dirs;
        this.locations = locations;
        this.copies = copies;
        this.removed = removed;
    }

    /**
     * Removes the messages of {@code targets} (base name to location), none of them removed yet.
     *
     * @throws StorageException temporary, if a message could not be removed or the directories not synced
     */
    void remove(Map<String, Location> targets) throws StorageException {
        boolean[] touched = new boolean[2]; // new, cur
        Set<String> vanished = new HashSet<>();
        List<String> failed = new ArrayList<>();
        for (Map.Entry<String, Location> t : targets.entrySet()) {
            unlink(t.getKey(), t.getValue(), touched, vanished, failed);
            dev.postoffice.storage.CrashPoint.reach("update-removed"); // test hook (issue 15's kill -9 matrix)
        }
        if (!vanished.isEmpty()) {
            Map<String, Location> moved = null;
            try {
                moved = MaildirListing.list(dirs, vanished);
            } catch (IOException e) {
                log.warn("cannot list the maildir {}: {}", dirs.maildir(), e.toString());
            }
            for (String id : vanished) {
                if (moved == null) {
                    failed.add(id); // cannot tell whether it is gone
                } else if (moved.containsKey(id)) {
                    locations.moved(id, moved.get(id)); // renamed by other software
                    unlink(id, moved.get(id), touched, null, failed);
                } else {
                    removed.add(id); // already gone counts as removed
                }
            }
        }

        for (String id : targets.keySet()) {
            List<Location> extra = copies.get(id);
            if (extra != null && removed.contains(id)) {
                removeCopies(id, extra, touched, failed);
            }
        }

        IOException syncFailure = null;
        for (int d = 0; d < touched.length; d++) {
            if (touched[d]) {
                try {
                    dirs.fsync(d);
                } catch (IOException e) {
                    syncFailure = e;
                }
            }
        }
        if (!failed.isEmpty()) {
            String ids = String.join(" ", failed.subList(0, Math.min(failed.size(), 5)));
            throw new StorageException(failed.size() + " of " + targets.size() + " messages could not be removed: "
                    + ids + (failed.size() > 5 ? " ..." : ""), true);
        }
        if (syncFailure != null) {
            throw new StorageException("messages removed but the maildir could not be synced", true, syncFailure);
        }
    }

    /**
     * Unlinks the other files of a removed message, so that it does not come back in the next session; a copy
     * that cannot be removed makes the removal of the message fail.
     */
    private void removeCopies(String id, List<Location> extra, boolean[] touched, List<String> failed) {
        for (Location copy : extra) {
            try {
                if (dirs.deleteIfExists(copy.dir(), copy.name())) {
                    touched[copy.dir()] = true;
                }
            } catch (IOException e) {
                log.warn("cannot remove {}, a second copy of message {}: {}", copy.in(dirs), id, e.toString());
                failed.add(id);
            }
        }
    }

    /**
     * Unlinks one message file. Success, or a missing file when {@code vanished} is null, marks the
     * message removed; a missing file is noted in {@code vanished} when given; a failure goes to
     * {@code failed}.
     */
    private void unlink(String id, Location location, boolean[] touched, Set<String> vanished, List<String> failed) {
        try {
            dirs.delete(location.dir(), location.name());
            touched[location.dir()] = true;
            removed.add(id);
        } catch (NoSuchFileException e) {
            if (vanished != null) {
                vanished.add(id);
            } else {
                removed.add(id);
            }
        } catch (IOException e) {
            log.warn("could not remove message file {}: {}", location.in(dirs), e.toString());
            failed.add(id);
        }
    }
}
