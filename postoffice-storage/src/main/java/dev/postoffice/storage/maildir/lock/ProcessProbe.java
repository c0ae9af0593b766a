package dev.postoffice.storage.maildir.lock;

/**
 * Tells whether a process of this host that an owner line names is still running: that pid, started when the
 * line says (not a later process that got the same pid), in this boot. {@link ProcProbe} asks the kernel;
 * tests give a fake.
 */
@FunctionalInterface
public interface ProcessProbe {
    /** Whether the process is alive; true when that cannot be told (the safe side: its lock is held). */
    boolean alive(ProcessId process);
}
