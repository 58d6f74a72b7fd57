package dev.agentos.common;

import java.util.regex.Pattern;

/**
 * Python's {@code fnmatch} as agno uses it for route patterns: {@code *} matches any run of characters
 * including {@code /}, {@code ?} one character, {@code [seq]} / {@code [!seq]} a set. Case-sensitive.
 * {@code {param}} placeholders are treated as {@code *} (docs/authorization.md).
 */
public final class Fnmatch {
  private Fnmatch() {}

  /** A pattern without {@code * ? [} or {@code {param}} matches only itself: a string comparison will do. */
  public static boolean isLiteral(String pattern) {
    for (int i = 0; i < pattern.length(); i++) {
      char c = pattern.charAt(i);
      if (c == '*' || c == '?' || c == '[' || c == '{') return false;
    }
    return true;
  }

  public static Pattern compile(String pattern) {
    String p = pattern.replaceAll("\\{[^/{}]*\\}", "*");
    StringBuilder re = new StringBuilder("^");
    for (int i = 0; i < p.length(); i++) {
      char c = p.charAt(i);
      switch (c) {
        case '*' -> re.append(".*");
        case '?' -> re.append('.');
        case '[' -> {
          int close = p.indexOf(']', i + 2);
          if (close < 0) {
            re.append("\\[");
          } else {
            String set = p.substring(i + 1, close);
            re.append('[');
            if (set.startsWith("!")) {
              re.append('^');
              set = set.substring(1);
            }
            re.append(set.replace("\\", "\\\\").replace("[", "\\[").replace("^", "\\^"));
            re.append(']');
            i = close;
          }
        }
        default -> re.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return Pattern.compile(re.append('$').toString(), Pattern.DOTALL);
  }

  public static boolean matches(String pattern, String path) {
    return compile(pattern).matcher(path).matches();
  }
}
