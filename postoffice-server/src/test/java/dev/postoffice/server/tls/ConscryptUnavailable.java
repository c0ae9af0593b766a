package dev.postoffice.server.tls;

import java.nio.file.Path;

/**
 * Run in a child JVM by {@link TlsProvidersTest} with Conscrypt's native work directory pointing nowhere: prints
 * what {@link TlsManager#create(TlsSettings)} says when {@code tls-provider = conscrypt} cannot load its library.
 */
final class ConscryptUnavailable {
    private ConscryptUnavailable() {}

    public static void main(String[] args) {
        TlsSettings settings = TlsSettings.files(Path.of(args[0]), Path.of(args[1]), Path.of(args[2]), "localhost")
                .withProvider(TlsProvider.CONSCRYPT);
        try {
            TlsManager.create(settings);
            System.out.println("created");
        } catch (TlsConfigException e) {
            System.out.println("error: " + e.getMessage());
        }
    }
}
