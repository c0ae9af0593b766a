package dev.postoffice.bench;

import java.util.Locale;

/** What each simulated client does. */
public enum Scenario {
    /** connect, USER/PASS, STAT, QUIT, as fast as the server allows. */
    LOGIN("connect, USER/PASS, STAT, QUIT"),
    /** login, LIST, UIDL, RETR of every message (sizes checked against LIST), QUIT without DELE. */
    DOWNLOAD("login, LIST, UIDL, RETR every message, QUIT (no DELE)"),
    /**
     * A blend of what real clients do: 50 % poll (STAT, UIDL), 25 % fetch a few new messages (CAPA, STAT,
     * UIDL, LIST, RETR 1 to 3), 15 % header scan like mutt (CAPA, UIDL, LIST, TOP n 0 for up to 10), 10 %
     * full download (LIST, UIDL, RETR all). Never DELE, so every run sees the same maildrops.
     */
    MIXED("50% poll, 25% fetch 1-3 new, 15% TOP n 0 scan, 10% full download; no DELE"),
    /** N sessions logged in and held for the duration, NOOP every interval (default 30 s), then QUIT. */
    IDLE("N sessions logged in and held, NOOP every interval, then QUIT"),
    /** N sessions logged in and held, each sending STAT every interval (default 1 s): latency under many sessions. */
    STAT("N sessions logged in and held, STAT every interval, then QUIT");

    private final String description;

    Scenario(String description) {
        this.description = description;
    }

    public String description() {
        return description;
    }

    /** Whether the scenario opens N long sessions instead of running short ones back to back. */
    public boolean holdsSessions() {
        return this == IDLE || this == STAT;
    }

    /** Default seconds between commands of a held session. */
    public double defaultInterval() {
        return this == IDLE ? 30 : 1;
    }

    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }
}
