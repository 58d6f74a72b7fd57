package dev.agentos.config;

import java.util.List;
import java.util.Locale;

/**
 * One configuration key: its dotted path, its type, its default, and how the environment overrides it.
 * The whole set lives in {@link ConfigSchema}; validation, env overrides and docs/configuration.md are all
 * derived from that one list, so they cannot disagree.
 */
public record ConfigKey(
    String path,
    Type type,
    Object defaultValue,
    boolean secret,
    List<String> allowedValues,
    long min,
    long max,
    String description) {

  public enum Type { STRING, BOOLEAN, INTEGER, STRING_LIST, SCOPE_MAP, ROLE_MAP, ACTOR_MAP, ENUM }

  /** {@code AGENTOS_<SECTION>_<KEY>}: dots become underscores, e.g. {@code AGENTOS_STORAGE_POSTGRES_URL}. */
  public String envVar() {
    return "AGENTOS_" + path.replace('.', '_').toUpperCase(Locale.ROOT);
  }

  static ConfigKey string(String path, String def, String description) {
    return new ConfigKey(path, Type.STRING, def, false, List.of(), 0, 0, description);
  }

  static ConfigKey secret(String path, String description) {
    return new ConfigKey(path, Type.STRING, null, true, List.of(), 0, 0, description);
  }

  static ConfigKey bool(String path, Boolean def, String description) {
    return new ConfigKey(path, Type.BOOLEAN, def, false, List.of(), 0, 0, description);
  }

  static ConfigKey integer(String path, Long def, long min, long max, String description) {
    return new ConfigKey(path, Type.INTEGER, def, false, List.of(), min, max, description);
  }

  static ConfigKey list(String path, List<String> def, boolean secret, String description) {
    return new ConfigKey(path, Type.STRING_LIST, def, secret, List.of(), 0, 0, description);
  }

  static ConfigKey oneOf(String path, String def, List<String> values, String description) {
    return new ConfigKey(path, Type.ENUM, def, false, values, 0, 0, description);
  }

  static ConfigKey roleMap(String path, String description) {
    return new ConfigKey(path, Type.ROLE_MAP, null, false, List.of(), 0, 0, description);
  }

  static ConfigKey actorMap(String path, String description) {
    return new ConfigKey(path, Type.ACTOR_MAP, null, false, List.of(), 0, 0, description);
  }

  static ConfigKey scopeMap(String path, String description) {
    return new ConfigKey(path, Type.SCOPE_MAP, null, false, List.of(), 0, 0, description);
  }
}
