package dev.agentos.logging;

import ch.qos.logback.classic.pattern.MessageConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * {@code %msg} for plain-text logs, with every control character of the formatted message escaped
 * ({@code \n} becomes {@code \u000a}), so no value that reaches a log line (a token's {@code sub}, a path, a header,
 * an id) can end it and forge the next one. Installed for {@code %msg} by the shipped logback configuration;
 * JSON log lines are already escaped by their JSON encoding and pass through unchanged.
 */
public final class SafeMessageConverter extends MessageConverter {
  @Override
  public String convert(ILoggingEvent event) {
    return escape(super.convert(event));
  }

  /** C0 and C1 controls, DEL and the Unicode line and paragraph separators, each as a backslash-u escape. */
  public static String escape(String text) {
    if (text == null) return null;
    int first = -1;
    for (int i = 0; i < text.length(); i++) {
      if (isControl(text.charAt(i))) {
        first = i;
        break;
      }
    }
    if (first < 0) return text;
    StringBuilder out = new StringBuilder(text.length() + 16).append(text, 0, first);
    for (int i = first; i < text.length(); i++) {
      char c = text.charAt(i);
      if (isControl(c)) out.append(String.format("\\u%04x", (int) c));
      else out.append(c);
    }
    return out.toString();
  }

  private static boolean isControl(char c) {
    return c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == '\u2028' || c == '\u2029';
  }
}
