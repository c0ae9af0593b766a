package dev.postoffice.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layering docs/architecture.md promises, checked on the main sources of every module: no import cycle
 * between packages, the wire protocol and storage independent of each other, and no main file over about 400
 * lines unless its class comment says why.
 */
class ArchitectureTest {
    /** A reference to one of our types: imports, static imports and fully qualified names in code. */
    private static final Pattern REFERENCE = Pattern.compile("\\bdev\\.postoffice((?:\\.[a-z][a-z0-9_]*)+)\\.[A-Z]");
    private static final Pattern PACKAGE = Pattern.compile("(?m)^package (dev\\.postoffice[\\w.]*);");
    private static final int MAX_LINES = 420;
    private static final String LONG_FILE_REASON = "Longer than 400 lines because";

    private static final Map<String, Set<String>> edges = new TreeMap<>();
    private static final Map<Path, String> sources = new HashMap<>();

    @BeforeAll
    static void readSources() throws IOException {
        Path root = Path.of("..").toAbsolutePath().normalize();
        try (Stream<Path> modules = Files.list(root)) {
            for (Path module : modules.filter(p -> p.getFileName().toString().startsWith("postoffice-")).toList()) {
                Path main = module.resolve("src/main/java");
                if (!Files.isDirectory(main)) {
                    continue;
                }
                try (Stream<Path> files = Files.walk(main)) {
                    for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                        String text = Files.readString(f);
                        sources.put(f, text);
                        Matcher pm = PACKAGE.matcher(text);
                        if (!pm.find()) {
                            continue;
                        }
                        String pkg = pm.group(1);
                        Set<String> out = edges.computeIfAbsent(pkg, k -> new TreeSet<>());
                        Matcher m = REFERENCE.matcher(text);
                        while (m.find()) {
                            String target = "dev.postoffice" + m.group(1);
                            if (!target.equals(pkg)) {
                                out.add(target);
                            }
                        }
                    }
                }
            }
        }
        assertThat(edges).as("packages found").containsKeys("dev.postoffice.protocol", "dev.postoffice.storage",
                "dev.postoffice.server.command", "dev.postoffice.server.session");
    }

    @Test
    void noImportCycleBetweenPackages() {
        assertThat(cycles()).as("package cycles (each line: packages that reach each other)").isEmpty();
    }

    @Test
    void theWireProtocolKnowsNothingOfStorageAndStorageNothingOfTheProtocol() {
        assertThat(referencesFrom("dev.postoffice.protocol")).noneMatch(p -> p.startsWith("dev.postoffice.storage")
                || p.startsWith("dev.postoffice.auth") || p.startsWith("dev.postoffice.server"));
        assertThat(referencesFrom("dev.postoffice.storage")).noneMatch(p -> p.startsWith("dev.postoffice.protocol")
                || p.startsWith("dev.postoffice.auth") || p.startsWith("dev.postoffice.server"));
        assertThat(referencesFrom("dev.postoffice.message")).isEmpty();
        assertThat(referencesFrom("dev.postoffice.lmtp")).as("LMTP delivers through the storage API and the user directory")
                .allMatch(p -> p.equals("dev.postoffice.storage") || p.equals("dev.postoffice.auth")
                        || p.equals("dev.postoffice.message"));
    }

    @Test
    void commandHandlersDoNotSeeTheSessionOrTheSocket() {
        assertThat(edges.get("dev.postoffice.server.command")).doesNotContain("dev.postoffice.server.session",
                "dev.postoffice.server.listen");
        for (Map.Entry<Path, String> e : sources.entrySet()) {
            if (e.getKey().toString().contains("/server/command/")) {
                assertThat(e.getValue()).as(e.getKey().toString()).doesNotContain("java.net.Socket", "ResponseWriter");
            }
        }
    }

    @Test
    void theStorageApiMentionsNoFiles() throws IOException {
        for (Map.Entry<Path, String> e : sources.entrySet()) {
            Path f = e.getKey();
            if (f.getParent().endsWith(Path.of("dev/postoffice/storage"))) {
                assertThat(e.getValue()).as(f.toString())
                        .doesNotContain("java.nio.file", "java.io.File;", "FileChannel");
            }
        }
    }

    @Test
    void noMainFileIsLongWithoutSayingWhy() {
        List<String> tooLong = new ArrayList<>();
        for (Map.Entry<Path, String> e : sources.entrySet()) {
            long lines = e.getValue().lines().count();
            if (lines > MAX_LINES && !e.getValue().contains(LONG_FILE_REASON)) {
                tooLong.add(e.getKey().getFileName() + " (" + lines + " lines)");
            }
        }
        assertThat(tooLong).as("main files over " + MAX_LINES + " lines whose class comment does not say \""
                + LONG_FILE_REASON + " ...\"").isEmpty();
    }

    private static Set<String> referencesFrom(String prefix) {
        Set<String> out = new TreeSet<>();
        edges.forEach((pkg, targets) -> {
            if (pkg.equals(prefix) || pkg.startsWith(prefix + ".")) {
                targets.stream().filter(t -> !t.equals(prefix) && !t.startsWith(prefix + ".")).forEach(out::add);
            }
        });
        return out;
    }

    /** Strongly connected components of more than one package (Tarjan). */
    private static List<Set<String>> cycles() {
        Map<String, Integer> index = new HashMap<>();
        Map<String, Integer> low = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        Set<String> onStack = new TreeSet<>();
        List<Set<String>> out = new ArrayList<>();
        int[] counter = {0};
        for (String v : edges.keySet()) {
            if (!index.containsKey(v)) {
                connect(v, index, low, stack, onStack, out, counter);
            }
        }
        return out;
    }

    private static void connect(String v, Map<String, Integer> index, Map<String, Integer> low, Deque<String> stack,
            Set<String> onStack, List<Set<String>> out, int[] counter) {
        index.put(v, counter[0]);
        low.put(v, counter[0]);
        counter[0]++;
        stack.push(v);
        onStack.add(v);
        for (String w : edges.getOrDefault(v, Set.of())) {
            if (!index.containsKey(w)) {
                connect(w, index, low, stack, onStack, out, counter);
                low.put(v, Math.min(low.get(v), low.get(w)));
            } else if (onStack.contains(w)) {
                low.put(v, Math.min(low.get(v), index.get(w)));
            }
        }
        if (low.get(v).equals(index.get(v))) {
            Set<String> component = new TreeSet<>();
            String w;
            do {
                w = stack.pop();
                onStack.remove(w);
                component.add(w);
            } while (!w.equals(v));
            if (component.size() > 1) {
                out.add(component);
            }
        }
    }
}
