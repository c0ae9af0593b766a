package dev.postoffice.auth;

import java.nio.file.Path;

/**
 * Run in child JVMs by {@link PasswdFileTest}: adds users {@code <prefix>0} to {@code <prefix>(count-1)} to the
 * passwd-file, so that several processes edit it at once.
 */
public final class PasswdFileAddMain {
    private PasswdFileAddMain() {}

    public static void main(String[] args) throws Exception {
        PasswdFile file = new PasswdFile(Path.of(args[0]));
        String prefix = args[1];
        int count = Integer.parseInt(args[2]);
        for (int i = 0; i < count; i++) {
            file.add(prefix + i, "{PLAIN}pw" + i);
        }
    }
}
