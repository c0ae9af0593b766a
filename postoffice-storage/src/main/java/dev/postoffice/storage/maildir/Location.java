package dev.postoffice.storage.maildir;

import java.nio.file.Path;

/**
 * Where a message's file is: an index into a maildrop's directories ({@code 0} = {@code new/}, {@code 1} =
 * {@code cur/}) and the full file name, flags included.
 */
record Location(int dir, String name) {
    Path in(Path[] dirs) {
        return dirs[dir].resolve(name);
    }
}
