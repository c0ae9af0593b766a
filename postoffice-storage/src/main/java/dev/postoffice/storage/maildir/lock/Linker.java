package dev.postoffice.storage.maildir.lock;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Makes a hard link, as {@link Files#createLink}; tests give one that fails, as some file systems do. */
@FunctionalInterface
public interface Linker {
    Linker FILES = Files::createLink;

    void link(Path link, Path existing) throws IOException;
}
