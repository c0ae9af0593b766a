package dev.postoffice.server.tls;

import java.nio.file.Path;

/**
 * Run in a child JVM by {@link TlsProvidersTest} with the native libraries' work directory pointing nowhere: prints
 * what {@link TlsManager#create(TlsSettings)} says, and whether it blames the provider, when the provider named
 * by the fourth argument ({@code conscrypt}, {@code accp}) cannot load its library.
 */
final class ProviderUnavailable {
    private ProviderUnavailable() {}

    public static void main(String[] args) {
        TlsSettings settings = TlsSettings.files(Path.of(args[0]), Path.of(args[1]), Path.of(args[2]), "localhost")
                .withProvider(TlsProvider.parse(args[3]));
        try {
            TlsManager.create(settings);
            System.out.println("created");
        } catch (TlsConfigException e) {
            System.out.println((e.aboutProvider() ? "provider error: " : "error: ") + e.getMessage());
        }
    }
}
