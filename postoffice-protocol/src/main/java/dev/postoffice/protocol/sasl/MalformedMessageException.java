package dev.postoffice.protocol.sasl;

/**
 * A client message that is not valid for its mechanism. The message is a fixed text safe to send to the client;
 * it never quotes the input. Thrown and caught inside this package only.
 */
final class MalformedMessageException extends Exception {
    MalformedMessageException(String reason) {
        super(reason, null, false, false);
    }
}
