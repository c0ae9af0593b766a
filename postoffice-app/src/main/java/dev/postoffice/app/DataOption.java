package dev.postoffice.app;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The {@code --data DIR} option shared by the tool commands. */
final class DataOption {
    @Option(names = "--data", paramLabel = "DIR", description = "Data directory (default: ./data).")
    Path data = Path.of("data");

    @Option(names = "--store", paramLabel = "URL",
            description = "Where users and mail are: maildir (default: the data directory) or postgresql://HOST:PORT/DB?user=USER (password from password-file=F in the URL or POSTOFFICE_DB_PASSWORD).")
    String store;

    DataDir dataDir() {
        return new DataDir(data).store(store, false);
    }
}
