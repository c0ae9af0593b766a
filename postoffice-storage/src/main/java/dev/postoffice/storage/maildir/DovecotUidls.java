package dev.postoffice.storage.maildir;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The UIDLs and order of a Maildir that Dovecot served: a message listed in {@code dovecot-uidlist} gets the UIDL
 * Dovecot served (its {@code P} extension, else the configured {@link UidlFormat}) and Dovecot's place (by
 * {@code O} extension, then UID); any other message keeps Postoffice's own UIDL and follows in Postoffice's order.
 *
 * <p>A UIDL once served never changes, so each one is recorded, at the first login that lists the message, in
 * {@value #FILE_NAME} ({@code <base name> SP <uid>,<uidl>} lines, uid 0 for our own). The record wins over the
 * uidlist: a message delivered after the switch keeps its own UIDL when Dovecot later numbers it, and Dovecot's UIDL
 * stays when Dovecot rebuilds its uidlist with a new UIDVALIDITY or the format setting changes. UIDLs are unique
 * within the maildrop: recorded ones are kept first; a new Dovecot UIDL that is already taken gets {@code -2},
 * {@code -3}... (as Dovecot's {@code pop3_uidl_duplicates = rename}); a base name that equals a Dovecot UIDL gets
 * its {@code sha256:} form, which contains ':' and so equals no base name. Maildirs with neither file cost one
 * failed {@code stat} each and are not touched.
 */
final class DovecotUidls {
    static final String FILE_NAME = "postoffice-uidls";
    private static final long NO_ORDER = 0xFFFF_FFFFL;
    private static final Logger log = LoggerFactory.getLogger(DovecotUidls.class);

    private DovecotUidls() {}

    /** A recorded UIDL: the Dovecot UID it came from, 0 for one of ours. */
    record Kept(long uid, String uidl) {}

    /** A message of the listing with its UIDL and the Dovecot UID that UIDL came from (0: one of ours). */
    record Assigned(MessageMeasurer.Entry entry, String uidl, long dovecotUid) {}

    /**
     * The listing in the order to serve it, each message with its UIDL, and the record updated; null when the
     * Maildir has no uidlist (or {@code format} is null) and no record, so every UIDL is the native one.
     *
     * @param entries the listing in Postoffice's order
     * @param format  how Dovecot formed UIDLs, or null to read no uidlist (recorded UIDLs still hold)
     */
    static List<Assigned> assign(MaildirDirs maildir, List<MessageMeasurer.Entry> entries, UidlFormat format) {
        DovecotUidList list = format == null ? null : DovecotUidList.read(maildir, entries.size());
        Map<String, Kept> kept = NameValueFile.load(maildir, FILE_NAME, entries.size(), DovecotUidls::parseKept);
        if (list == null && kept.isEmpty()) {
            return null;
        }
        List<Assigned> assigned = assign(entries, list, kept, format);
        Map<String, Kept> record = LinkedHashMap.newLinkedHashMap(assigned.size());
        for (Assigned a : assigned) {
            String base = a.entry().base();
            if (NameValueFile.storable(base)) {
                record.put(base, new Kept(a.dovecotUid(), a.uidl()));
            }
        }
        if (!record.equals(kept)) {
            try {
                NameValueFile.store(maildir, FILE_NAME, record, (out, k) -> out.write(k.uid() + "," + k.uidl()));
            } catch (IOException e) {
                log.warn("could not record the UIDLs served from {}: {}", maildir.maildir(), e.toString());
            }
        }
        return assigned;
    }

    /** The assignment itself, without files (for tests). */
    static List<Assigned> assign(List<MessageMeasurer.Entry> entries, DovecotUidList list, Map<String, Kept> kept,
            UidlFormat format) {
        int n = entries.size();
        long[] order = new long[n];
        long[] uid = new long[n];
        List<Integer> positions = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String base = entries.get(i).base();
            DovecotUidList.Entry d = list == null ? null : list.get(base);
            Kept k = kept.get(base);
            uid[i] = d != null ? d.uid() : k != null && k.uid() > 0 ? k.uid() : -1;
            order[i] = d != null && d.pop3Order() >= 0 ? d.pop3Order() : NO_ORDER;
            positions.add(i);
        }
        // Dovecot's messages first, in Dovecot's order (POP3 order, then UID); the others after, in ours.
        positions.sort(Comparator.<Integer>comparingInt(i -> uid[i] < 0 ? 1 : 0)
                .thenComparingLong(i -> uid[i] < 0 ? 0 : order[i])
                .thenComparingLong(i -> uid[i] < 0 ? i : uid[i]));

        String[] uidls = new String[n];
        long[] from = new long[n];
        Set<String> taken = HashSet.newHashSet(n);
        for (int i : positions) { // what was served before stays
            Kept k = kept.get(entries.get(i).base());
            if (k != null && MaildirNames.validUidl(k.uidl()) && taken.add(k.uidl())) {
                uidls[i] = k.uidl();
                from[i] = k.uid();
            }
        }
        for (int i : positions) { // then what Dovecot served
            String base = entries.get(i).base();
            DovecotUidList.Entry d = list == null ? null : list.get(base);
            if (uidls[i] == null && d != null) {
                String uidl = dovecotUidl(d, base, list, format);
                if (MaildirNames.validUidl(uidl)) {
                    uidls[i] = unique(uidl, taken);
                    from[i] = d.uid();
                }
            }
        }
        for (int i : positions) { // then ours
            if (uidls[i] == null) {
                String base = entries.get(i).base();
                String own = MaildirNames.uidl(base);
                uidls[i] = unique(taken.contains(own) ? MaildirNames.derivedUidl(base) : own, taken);
            }
        }
        List<Assigned> out = new ArrayList<>(n);
        for (int i : positions) {
            out.add(new Assigned(entries.get(i), uidls[i], from[i]));
        }
        return out;
    }

    /** The UIDL Dovecot serves for a record: the saved {@code P} one (empty: the base name), else the format's. */
    static String dovecotUidl(DovecotUidList.Entry d, String base, DovecotUidList list, UidlFormat format) {
        if (d.pop3Uidl() != null) {
            return d.pop3Uidl().isEmpty() ? base : d.pop3Uidl();
        }
        return format.expand(d.uid(), list.uidValidity(), base, d.guid());
    }

    /** {@code uidl}, or {@code uidl-2}, {@code uidl-3}... (shortened to stay within 70), the first not taken. */
    private static String unique(String uidl, Set<String> taken) {
        String candidate = uidl;
        for (int k = 2; !taken.add(candidate); k++) {
            String suffix = "-" + k;
            String stem = uidl.length() + suffix.length() > MaildirNames.MAX_UIDL
                    ? uidl.substring(0, MaildirNames.MAX_UIDL - suffix.length()) : uidl;
            candidate = stem + suffix;
        }
        return candidate;
    }

    private static Kept parseKept(String line, int from) {
        int comma = line.indexOf(',', from);
        if (comma < 0 || comma == line.length() - 1) {
            return null;
        }
        long uid = NameValueFile.parseNumber(line, from, comma);
        return uid < 0 ? null : new Kept(uid, line.substring(comma + 1));
    }
}
