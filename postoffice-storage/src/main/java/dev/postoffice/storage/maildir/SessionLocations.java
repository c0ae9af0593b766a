package dev.postoffice.storage.maildir;

import java.util.HashMap;
import java.util.Map;

/**
 * Where a session's messages are: the kept listing's map, shared with other sessions, until a file is found
 * renamed by other software; then a copy of the session's own. A login thus copies nothing.
 */
final class SessionLocations {
    private Map<String, Location> map;
    private boolean own;

    /** @param shared never changed by anyone (it is copied before the first change) */
    SessionLocations(Map<String, Location> shared) {
        this.map = shared;
    }

    /** Where the message is, or null if it is not in the snapshot. */
    Location get(String id) {
        return map.get(id);
    }

    boolean contains(String id) {
        return map.containsKey(id);
    }

    /** The message was found under another name or in the other directory. */
    void moved(String id, Location to) {
        if (!own) {
            map = new HashMap<>(map);
            own = true;
        }
        map.put(id, to);
    }
}
