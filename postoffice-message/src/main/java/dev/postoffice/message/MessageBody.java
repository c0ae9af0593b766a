package dev.postoffice.message;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.util.Optional;

/**
 * A stored message's octets as a backend hands them out for RETR and TOP. The protocol layer chooses how to send
 * them from {@link #form()}; nothing here holds a whole message in memory.
 */
public interface MessageBody extends Closeable {
    /** How the stored octets relate to the wire form. */
    MessageForm form();

    /** The canonical size in octets: exactly what RETR sends before byte-stuffing (what LIST reports). */
    long size();

    /** The stored octets from the start. The caller closes the stream. */
    InputStream open() throws IOException;

    /**
     * The optional zero-copy capability: for a {@link MessageForm#canonical() canonical} body, a channel over the
     * stored octets from which {@code sendfile} can send them. Empty when the backend cannot offer one (a database
     * row, an object store); the caller then uses {@link #open()}. The caller closes the channel.
     */
    default Optional<FileChannel> openChannel() throws IOException {
        return Optional.empty();
    }

    /** Releases what the body holds open (a file opened when the body was handed out). Idempotent. */
    @Override
    default void close() throws IOException {}
}
