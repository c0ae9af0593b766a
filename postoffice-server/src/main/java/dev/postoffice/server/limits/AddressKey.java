package dev.postoffice.server.limits;

import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * The unit limits and the failure throttle count by: an IPv4 address (/32), or an IPv6 /64, since one IPv6 host is
 * normally given a whole /64 and could otherwise open connections and guess passwords from as many addresses as it
 * likes.
 */
public final class AddressKey {
    private AddressKey() {}

    /** {@code 192.0.2.1}, or {@code 2001:db8:0:1::/64} style (the first 64 bits in hex groups). */
    public static String of(InetAddress address) {
        if (address == null) {
            return "?";
        }
        if (address instanceof Inet6Address) {
            byte[] b = address.getAddress();
            StringBuilder s = new StringBuilder(24);
            for (int i = 0; i < 8; i += 2) {
                s.append(Integer.toHexString(((b[i] & 0xff) << 8) | (b[i + 1] & 0xff))).append(':');
            }
            return s.append(":/64").toString();
        }
        return address.getHostAddress();
    }
}
