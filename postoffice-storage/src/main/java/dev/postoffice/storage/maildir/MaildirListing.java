package dev.postoffice.storage.maildir;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Lists a Maildir's {@code new/} and {@code cur/} by base name (the name before {@code :} and any {@code ,} field),
 * skipping dotfiles. Messages are keyed by base name so that other software may move them to {@code cur/} or
 * change their flags while a session runs.
 */
final class MaildirListing {
    private MaildirListing() {}

    /**
     * Lists the messages, or only those in {@code wanted} when it is not null. A base name found in both
     * directories keeps its {@code cur/} file.
     */
    static Map<String, Location> list(MaildirDirs dirs, Set<String> wanted) throws IOException {
        return list(dirs, wanted, null);
    }

    /**
     * Lists {@code new/} and {@code cur/}: every message's base name and where its file is. A base name found
     * twice (a copy left in {@code new/} by software that meant to move it to {@code cur/}) maps to the last
     * one found, the one in {@code cur/}; when {@code copies} is given, the others are added to it.
     */
    static Map<String, Location> list(MaildirDirs dirs, Set<String> wanted, Map<String, List<Location>> copies)
            throws IOException {
        Map<String, Location> found = new HashMap<>();
        for (int d : new int[] {MaildirDirs.NEW, MaildirDirs.CUR}) {
            for (String name : dirs.names(d)) {
                if (name.isEmpty() || name.charAt(0) == '.') {
                    continue;
                }
                String base = MaildirNames.baseName(name);
                if (!base.isEmpty() && (wanted == null || wanted.contains(base))) {
                    Location other = found.put(base, new Location(d, name));
                    if (other != null && copies != null) {
                        copies.computeIfAbsent(base, b -> new ArrayList<>(1)).add(other);
                    }
                }
            }
        }
        return found;
    }
}
