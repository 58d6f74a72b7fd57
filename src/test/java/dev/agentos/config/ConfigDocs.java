package dev.agentos.config;
/** Prints the key tables of docs/configuration.md from {@link ConfigSchema} (run it after adding a key). */
public final class ConfigDocs {
  public static void main(String[] a) {
    StringBuilder sb = new StringBuilder();
    String section = "";
    for (ConfigKey k : ConfigSchema.KEYS) {
      String sec = k.path().substring(0, k.path().lastIndexOf('.'));
      if (!sec.equals(section)) {
        section = sec;
        sb.append("\n### `").append(sec).append("`\n\n| key | type | default | env var | meaning |\n|---|---|---|---|---|\n");
      }
      String type = switch (k.type()) { case STRING -> "string"; case BOOLEAN -> "boolean"; case INTEGER -> "integer (" + k.min() + "–" + k.max() + ")"; case STRING_LIST -> "list of strings"; case SCOPE_MAP -> "map"; case ROLE_MAP -> "map of roles"; case ACTOR_MAP -> "map of actors"; case ENUM -> String.join(" \\| ", k.allowedValues()); };
      Object d = k.defaultValue();
      String def = d == null ? "—" : d.toString();
      if (k.secret()) def = def.equals("[]") ? "[] (secret)" : "— (secret)";
      sb.append("| `").append(k.path()).append("` | ").append(type).append(" | ").append(def.replace("|", "\\|")).append(" | `").append(k.envVar()).append("` | ").append(k.description().replace("|", "\\|")).append(" |\n");
    }
    System.out.print(sb);
  }
}
