package dev.postoffice.app;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The {@code --data DIR} option shared by the tool commands. */
final class DataOption {
    @Option(names = "--data", paramLabel = "DIR", description = "Data directory (default: ./data).")
    Path data = Path.of("data");

    DataDir dataDir() {
        return new DataDir(data);
    }
}
