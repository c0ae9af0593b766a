package dev.postoffice.storage.maildir.lock;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The templates of one store, per template directory, and when not to link: a Maildir on another file system
 * than the template ({@code EXDEV}, remembered per device), a file system that refuses hard links (for good),
 * a template that cannot be created (retried once a minute), or a template linked {@link #MAX_LINKS} times.
 */
final class LinkTemplates {
    /**
     * The most locks of a store linked to one template at once; more are separate files. ext3 allows 32,000
     * links to an inode, ext4 65,000; others more.
     */
    static final int MAX_LINKS = 30_000;

    private static final Logger log = LoggerFactory.getLogger(LinkTemplates.class);

    private final Locks locks;
    private final Linker linker;
    private final ConcurrentHashMap<Path, Dir> dirs = new ConcurrentHashMap<>();
    /** Every template whose inode the store still keeps open; their file keys mark its linked locks. */
    private final List<Template> templates = new CopyOnWriteArrayList<>();
    /** Set when the templates are removed (shutdown, close): locks are separate files from then on. */
    private volatile boolean off;

    LinkTemplates(Locks locks, Linker linker) {
        this.locks = locks;
        this.linker = linker;
    }

    /** The template to link a lock file to, or null for a separate file. */
    Template usable(Path templateDir, Path file) {
        Dir d = dirs.get(templateDir);
        return (d != null ? d : dirs.computeIfAbsent(templateDir, Dir::new)).usable(file);
    }

    void link(Path file, Template t) throws IOException {
        linker.link(file, t.path);
    }

    /** After a failed link other than to an existing lock: decides what to do next time. */
    void linkFailed(Template t, Path file, Exception e) {
        dirs.get(t.dir).linkFailed(t, file, e);
    }

    /** The template of the store with that file key, or null. */
    Template withKey(Object key) {
        if (key != null) {
            for (Template t : templates) {
                if (t.key.equals(key)) {
                    return t;
                }
            }
        }
        return null;
    }

    /** The current template of a template directory, or null if there is none. */
    Path current(Path dir) {
        Dir d = dirs.get(dir);
        Template t = d == null ? null : d.current;
        return t == null || t.gone ? null : t.path;
    }

    /**
     * Touches every template (and so every lock linked to it) and forgets the gone ones no lock links.
     *
     * @return the templates touched
     */
    Set<Template> refresh(FileTime now) {
        Set<Template> fresh = new HashSet<>();
        for (Template t : templates) {
            if (!t.gone && t.touch(now)) {
                fresh.add(t);
            } else if (t.gone && t.links.get() == 0) {
                forget(t);
            }
        }
        return fresh;
    }

    /** A lock linked to it is released. */
    void unlinked(Template t) {
        if (t.links.decrementAndGet() == 0 && off && t.gone) {
            forget(t); // no refresher may be left to do it
        }
    }

    /** No lock of the store links it, and no new one can (its name is gone and never reused). */
    private void forget(Template t) {
        if (templates.remove(t)) {
            t.unpin();
        }
    }

    /** Deletes the templates (locks are separate files from now on); their links, if held, live on. */
    void removeAll() {
        off = true;
        for (Dir d : dirs.values()) {
            synchronized (d) {
                Template t = d.current;
                if (t != null && !t.gone) {
                    t.gone = true; // its links, if sessions still hold some, are refreshed one by one
                    LockFiles.deleteQuietly(t.path, null);
                }
            }
        }
        for (Template t : templates) {
            if (t.links.get() == 0) {
                forget(t);
            }
        }
    }

    /** The template state of one template directory. */
    private final class Dir {
        final Path dir;
        volatile Template current;
        /** Links to templates here fail on their own file system: separate files from now on. */
        volatile boolean refused;
        /** Devices of Maildirs that are on another file system than the template. */
        final Set<Long> otherDevices = ConcurrentHashMap.newKeySet();
        /** When the template may be created again after a failure (epoch millis). */
        long retryAt;
        boolean createFailureLogged;

        Dir(Path dir) {
            this.dir = dir;
        }

        Template usable(Path file) {
            if (refused || off) {
                return null;
            }
            if (!otherDevices.isEmpty()) {
                Path parent = file.toAbsolutePath().getParent();
                if (parent != null && otherDevices.contains(LockFiles.device(parent))) {
                    return null;
                }
            }
            Template t = current;
            if (t == null || t.gone) {
                t = create();
                if (t == null) {
                    return null;
                }
            }
            if (t.links.get() >= MAX_LINKS) {
                return null;
            }
            t.keepFresh();
            return t;
        }

        private Template create() {
            Template t;
            synchronized (this) {
                t = current;
                if (t != null && !t.gone) {
                    return t;
                }
                long now = System.currentTimeMillis();
                if (refused || off || now < retryAt) {
                    return null;
                }
                try {
                    locks.hookShutdown(); // throws IllegalStateException during shutdown: no template then
                    t = Template.create(dir, Owner.of(locks.self(), locks.newToken(), null));
                } catch (IOException | RuntimeException e) {
                    retryAt = now + Refresher.EVERY.toMillis(); // at most one try a minute, logged once
                    if (!createFailureLogged) {
                        createFailureLogged = true;
                        log.warn("cannot create a lock template in {} ({}); POP3 locks are separate files meanwhile",
                                dir, e.toString());
                    } else {
                        log.debug("cannot create a lock template in {}: {}", dir, e.toString());
                    }
                    return null;
                }
                templates.add(t);
                current = t;
            }
            locks.templateCreated(dir); // refreshed even while no lock links it, or others take it as stale
            return t;
        }

        void linkFailed(Template t, Path file, Exception e) {
            if (e instanceof NoSuchFileException) {
                if (!Files.exists(t.path, LinkOption.NOFOLLOW_LINKS)) {
                    t.gone = true;
                    log.warn("the lock template {} vanished; making a new one", t.path);
                }
                return; // or the Maildir is gone: the separate file will tell
            }
            if (e instanceof AccessDeniedException || LockFiles.noRoom(e)) {
                return; // the separate file will tell; a full file system is no refusal of links
            }
            Path parent = file.toAbsolutePath().getParent();
            long dev = parent == null ? -1 : LockFiles.device(parent);
            if (dev >= 0 && t.dev >= 0 && dev != t.dev) {
                if (otherDevices.add(dev)) {
                    log.info("{} is on another file system than the lock template {}: locks there are separate files",
                            parent, t.path);
                }
                return;
            }
            if (!refused) {
                refused = true;
                log.warn("cannot link lock files to the template {} ({}): POP3 locks are separate files from now on",
                        t.path, e.toString());
            }
        }
    }
}
