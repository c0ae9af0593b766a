package dev.postoffice.app;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code postoffice who}, {@code kick} and {@code reload}: requests to a running server's admin endpoint. */
final class AdminCommands {
    private AdminCommands() {}

    /** Where the endpoint is and its token: from the options, else from the configuration file. */
    static final class Endpoint {
        @Option(names = "--admin", paramLabel = "HOST:PORT", description = "The server's admin endpoint (default: the configuration's admin).")
        String admin;

        @Option(names = "--config", paramLabel = "FILE", description = "Configuration file to take admin and admin-token-file from.")
        Path config;

        @Option(names = "--token-file", paramLabel = "FILE", description = "File holding the bearer token (default: the configuration's admin-token-file).")
        Path tokenFile;

        /** Sends the request; prints the body to stdout on success. Exit 0, or 1 when the server said no. */
        int call(String method, String path) {
            ServerSettings s = ServerSettings.load(config);
            String address = admin != null ? admin : s.get("admin");
            if (address == null || address.equalsIgnoreCase("off")) {
                throw new UserError("no admin endpoint: give --admin HOST:PORT or set admin in --config FILE", 2);
            }
            Path token = tokenFile != null ? tokenFile
                    : s.get("admin-token-file") != null ? Path.of(s.get("admin-token-file")) : null;
            var hp = Values.hostPort(address);
            String host = hp.getAddress().isAnyLocalAddress() ? "127.0.0.1" : hp.getAddress().getHostAddress();
            if (host.contains(":")) {
                host = "[" + host + "]";
            }
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://" + host + ":" + hp.getPort() + path))
                    .timeout(Duration.ofSeconds(30)).method(method, HttpRequest.BodyPublishers.noBody());
            try {
                if (token != null) {
                    request.header("Authorization", "Bearer " + Files.readString(token, StandardCharsets.UTF_8).strip());
                }
                HttpResponse<String> response = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()
                        .send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
                if (response.statusCode() / 100 != 2) {
                    System.err.print("postoffice: " + response.statusCode() + " " + response.body());
                    return 1;
                }
                System.out.print(response.body());
                return 0;
            } catch (IOException e) {
                throw new UserError("cannot reach the admin endpoint " + address + ": " + e, 69);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 1;
            }
        }
    }

    static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    @Command(name = "who", mixinStandardHelpOptions = true,
            description = "List a running server's sessions: id, user, address, listener, state, since, bytes sent.")
    static final class Who implements Callable<Integer> {
        @Mixin
        Endpoint endpoint;

        @Parameters(arity = "0..1", paramLabel = "USER", description = "Only this user's sessions.")
        String user;

        @Override
        public Integer call() {
            return endpoint.call("GET", "/sessions" + (user == null ? "" : "?user=" + encode(user)));
        }
    }

    @Command(name = "kick", mixinStandardHelpOptions = true,
            description = "End a user's sessions on a running server, without UPDATE: nothing is deleted.")
    static final class Kick implements Callable<Integer> {
        @Mixin
        Endpoint endpoint;

        @Parameters(paramLabel = "USER", description = "The user whose sessions to end.")
        String user;

        @Override
        public Integer call() {
            return endpoint.call("POST", "/kick?user=" + encode(user));
        }
    }

    @Command(name = "reload", mixinStandardHelpOptions = true,
            description = "Make a running server re-read its configuration (as SIGHUP does) and print what changed.")
    static final class Reload implements Callable<Integer> {
        @Mixin
        Endpoint endpoint;

        @Override
        public Integer call() {
            return endpoint.call("POST", "/reload");
        }
    }
}
