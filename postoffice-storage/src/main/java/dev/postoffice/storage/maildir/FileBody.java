package dev.postoffice.storage.maildir;

import dev.postoffice.message.MessageBody;
import dev.postoffice.message.MessageForm;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.util.Optional;

/**
 * A message file opened for one RETR or TOP: handed out once, as a channel for {@code sendfile} (canonical forms
 * only) or as a stream. Closing either, or the body, closes the file.
 */
final class FileBody implements MessageBody {
    private final FileChannel channel;
    private final MessageForm form;
    private final long size;

    FileBody(FileChannel channel, MessageForm form, long size) {
        this.channel = channel;
        this.form = form;
        this.size = size;
    }

    @Override
    public MessageForm form() {
        return form;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public InputStream open() {
        return Channels.newInputStream(channel);
    }

    @Override
    public Optional<FileChannel> openChannel() {
        return form.canonical() ? Optional.of(channel) : Optional.empty();
    }

    /** Closes the file, also when neither view was taken (a reply that was never sent). */
    @Override
    public void close() throws IOException {
        channel.close();
    }
}
