package dev.postoffice.client;

/**
 * What one fetch did.
 *
 * @param fetched      messages downloaded and delivered
 * @param bytes        octets downloaded (wire form, before byte-stuffing)
 * @param recovered    messages found already delivered by a run that crashed before recording them
 * @param deleted      messages deleted on the server (QUIT confirmed)
 * @param tooLarge     messages left on the server because of the size limit
 * @param noted        of those, messages whose note (headers, size, how to fetch it) was delivered in this run
 * @param failed       messages the server would not send (they stay on the server)
 * @param onServer     messages the server listed
 * @param login        the login method used
 * @param uidlNote     how messages were identified when the server's UIDLs were unusable, or empty
 */
public record FetchResult(int fetched, long bytes, int recovered, int deleted, int tooLarge, int noted, int failed,
        int onServer, String login, String uidlNote) {
    /** Whether anything new reached the target (a note about a message too large counts). */
    public boolean anythingNew() {
        return fetched > 0 || recovered > 0 || noted > 0;
    }
}
