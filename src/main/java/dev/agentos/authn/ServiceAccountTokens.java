package dev.agentos.authn;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Service-account tokens: {@value #PREFIX} + base62 of 32 random bytes. Only the SHA-256 (hex) is stored; a
 * bearer with the prefix is never parsed as a JWT.
 */
public final class ServiceAccountTokens {
  public static final String PREFIX = "agentos_pat_";
  public static final int DISPLAY_PREFIX_LENGTH = 16;
  private static final String ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  private static final BigInteger BASE = BigInteger.valueOf(62);
  private static final SecureRandom RANDOM = new SecureRandom();

  private ServiceAccountTokens() {}

  /** The exact shape {@link #generate} makes: the prefix and 43 base62 characters. */
  public static boolean wellFormed(String token) {
    if (token.length() != PREFIX.length() + 43 || !token.startsWith(PREFIX)) return false;
    for (int i = PREFIX.length(); i < token.length(); i++) {
      char c = token.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return false;
    }
    return true;
  }

  public static boolean looksLikeOne(String bearer) {
    return bearer.startsWith(PREFIX);
  }

  public static String generate() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    BigInteger n = new BigInteger(1, bytes);
    StringBuilder sb = new StringBuilder();
    while (n.signum() > 0) {
      BigInteger[] qr = n.divideAndRemainder(BASE);
      sb.append(ALPHABET.charAt(qr[1].intValue()));
      n = qr[0];
    }
    while (sb.length() < 43) sb.append('0');
    return PREFIX + sb.reverse();
  }

  public static String hash(String token) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public static String displayPrefix(String token) {
    return token.substring(0, Math.min(DISPLAY_PREFIX_LENGTH, token.length()));
  }
}
