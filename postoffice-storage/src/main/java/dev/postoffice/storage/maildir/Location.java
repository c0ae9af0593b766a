package dev.postoffice.storage.maildir;

import java.nio.file.Path;

/**
 * Where a message's file is: an index into a maildrop's directories ({@link MaildirDirs#NEW} or
 * {@link MaildirDirs#CUR}) and the full file name, flags included.
 */
record Location(int dir, String name) {
    /** The file's path, for messages. */
    Path in(MaildirDirs dirs) {
        return dirs.path(dir, name);
    }
}
