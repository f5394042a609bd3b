package dev.baton.internal.codec;

import java.security.SecureRandom;
import java.time.InstantSource;

/** UUIDv7 task ids (RFC 9562): time-ordered, so ids sort roughly by creation. */
public final class Ids {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private Ids() {}

  public static String uuidV7(InstantSource clock) {
    long ms = clock.millis();
    byte[] r = new byte[10];
    RANDOM.nextBytes(r);
    long hi = (ms << 16) | 0x7000L | ((r[0] & 0x0fL) << 8) | (r[1] & 0xffL);
    long lo = 0x8000_0000_0000_0000L | ((r[2] & 0x3fL) << 56);
    for (int i = 3; i < 10; i++) {
      lo |= (r[i] & 0xffL) << (8 * (9 - i));
    }
    return format(hi, lo);
  }

  private static String format(long hi, long lo) {
    char[] out = new char[36];
    int p = 0;
    for (int i = 0; i < 16; i++) {
      if (i == 8 || i == 12) {
        out[p++] = '-';
      }
      out[p++] = HEX[(int) ((hi >>> (60 - 4 * i)) & 0xf)];
    }
    for (int i = 0; i < 16; i++) {
      if (i == 0 || i == 4) {
        out[p++] = '-';
      }
      out[p++] = HEX[(int) ((lo >>> (60 - 4 * i)) & 0xf)];
    }
    return new String(out);
  }
}
