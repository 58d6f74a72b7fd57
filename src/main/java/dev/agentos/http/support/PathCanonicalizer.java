package dev.agentos.http.support;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;

/**
 * The one spelling of a request path that routing, authentication exclusions and the policy all see
 * (docs/authorization.md): percent-decoded, {@code //} collapsed, {@code .}/{@code ..} resolved, trailing slashes
 * stripped. Spellings that could mean different things to different layers are refused (empty result):
 * encoded slashes or backslashes, NUL and control characters, matrix parameters, malformed escapes,
 * {@code ..} above the root.
 */
public final class PathCanonicalizer {
  private PathCanonicalizer() {}

  public static Optional<String> canonicalize(String rawPath) {
    if (rawPath == null || rawPath.isEmpty() || rawPath.charAt(0) != '/') return Optional.empty();
    String decoded = percentDecode(rawPath);
    if (decoded == null) return Optional.empty();
    Deque<String> segments = new ArrayDeque<>();
    for (String seg : decoded.split("/", -1)) {
      if (seg.isEmpty() || seg.equals(".")) continue;
      if (seg.equals("..")) {
        if (segments.isEmpty()) return Optional.empty();
        segments.removeLast();
        continue;
      }
      segments.addLast(seg);
    }
    if (segments.isEmpty()) return Optional.of("/");
    StringBuilder out = new StringBuilder();
    for (String seg : segments) out.append('/').append(seg);
    return Optional.of(out.toString());
  }

  /** Decodes %XX (UTF-8); null for anything ambiguous or dangerous. */
  private static String percentDecode(String raw) {
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(raw.length());
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == ';' || c == '\\' || c < 0x20 || c == 0x7f) return null;
      if (c == '%') {
        if (i + 2 >= raw.length()) return null;
        int hi = Character.digit(raw.charAt(i + 1), 16);
        int lo = Character.digit(raw.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) return null;
        int b = (hi << 4) | lo;
        if (b == '/' || b == '\\' || b == ';' || b == '%' || b < 0x20 || b == 0x7f) return null;
        bytes.write(b);
        i += 2;
      } else if (c > 0x7f) {
        byte[] enc = String.valueOf(c).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        bytes.write(enc, 0, enc.length);
      } else {
        bytes.write(c);
      }
    }
    java.nio.charset.CharsetDecoder decoder = java.nio.charset.StandardCharsets.UTF_8.newDecoder();
    try {
      return decoder.decode(java.nio.ByteBuffer.wrap(bytes.toByteArray())).toString();
    } catch (java.nio.charset.CharacterCodingException e) {
      return null;
    }
  }
}
