package dev.postoffice.server.auth;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;

/** Writes MIT keytab files (format 0x502) with a random AES-256 key, as {@code kadmin ktadd} would. */
public final class Keytabs {
    private static final int AES256_CTS_HMAC_SHA1_96 = 18;
    private static final int NT_SRV_HST = 3;

    private Keytabs() {}

    /** A keytab holding one random key of {@code principal} ({@code service/host@REALM}). */
    public static Path write(Path file, String principal) throws IOException {
        int at = principal.lastIndexOf('@');
        String[] components = principal.substring(0, at).split("/");
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        ByteArrayOutputStream entry = new ByteArrayOutputStream();
        DataOutputStream e = new DataOutputStream(entry);
        e.writeShort(components.length);
        counted(e, principal.substring(at + 1));
        for (String c : components) {
            counted(e, c);
        }
        e.writeInt(NT_SRV_HST);
        e.writeInt((int) (System.currentTimeMillis() / 1000));
        e.writeByte(1); // key version
        e.writeShort(AES256_CTS_HMAC_SHA1_96);
        e.writeShort(key.length);
        e.write(key);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DataOutputStream o = new DataOutputStream(out);
        o.writeShort(0x0502);
        o.writeInt(entry.size());
        o.write(entry.toByteArray());
        return Files.write(file, out.toByteArray());
    }

    private static void counted(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeShort(b.length);
        out.write(b);
    }
}
