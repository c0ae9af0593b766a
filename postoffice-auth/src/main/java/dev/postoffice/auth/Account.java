package dev.postoffice.auth;

import java.nio.file.Path;
import java.util.Optional;

/**
 * An authenticated user: the canonical name from the user directory and, when the directory names one,
 * the user's home directory (the Maildir then lives at {@code home/Maildir}, as with Postfix's
 * {@code home_mailbox = Maildir/}).
 */
public record Account(String name, Optional<Path> home) {}
