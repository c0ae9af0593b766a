package dev.postoffice.message;

/**
 * How a stored message's octets relate to what RETR sends (see docs/architecture.md). Whatever the form,
 * the message's size is its canonical size ({@link MessageFormat}): what RETR sends before byte-stuffing.
 */
public enum MessageForm {
    /** CRLF line ends, a final CRLF, no line starting with '.': the octets are sent unchanged. */
    WIRE,
    /** CRLF line ends and a final CRLF, but some lines start with '.': only byte-stuffing is added. */
    DOTTED,
    /** Anything else (LF or lone CR line ends, no final line break): converted on the way out. */
    RAW;

    /** Whether the stored octets are the canonical form (CRLF everywhere, final CRLF), so sizes equal file sizes. */
    public boolean canonical() {
        return this != RAW;
    }
}
