package dev.agentos.policy;

import java.util.Map;
import java.util.regex.Pattern;

/**
 * Renders the scope reference table of docs/authorization.md from the route map itself; a test fails when
 * the document and the map disagree. Regenerate: {@code java -cp target/classes src/test/java/dev/agentos/policy/ScopeReference.java}.
 */
public final class ScopeReference {
  private static final Pattern FAMILY_WITH_ID = Pattern.compile("^/(?:a2a/)?(agents|teams|workflows)/\\*.*");

  private ScopeReference() {}

  public static String table() {
    StringBuilder sb = new StringBuilder("| method | path pattern | required scope | per resource |\n|---|---|---|---|\n");
    for (RouteScopeMap.Entry e : RouteScopeMap.withDefaults(Map.of()).entries()) {
      boolean perResource = FAMILY_WITH_ID.matcher(e.pattern()).matches();
      String scope = String.join(", ", e.required());
      String shown = perResource ? scope.replaceFirst(":", ":<id>:") : scope;
      sb.append("| ").append(e.method()).append(" | `").append(e.pattern()).append("` | `").append(shown).append("` | ")
          .append(perResource ? "yes" : "").append(" |\n");
    }
    return sb.toString();
  }

  public static void main(String[] args) {
    System.out.print(table());
  }
}
