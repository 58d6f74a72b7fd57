package dev.agentos.contract;

/** Text from outside (a peer, a token, a path) made safe for a log line: control characters are escaped. */
public final class LogSafe {
  private static final int MAX = 300;

  private LogSafe() {}

  public static String clean(String text) {
    if (text == null) return "";
    StringBuilder out = new StringBuilder(Math.min(text.length(), MAX));
    for (int i = 0; i < text.length() && out.length() < MAX; i++) {
      char c = text.charAt(i);
      if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == '\u2028' || c == '\u2029') {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }
}
