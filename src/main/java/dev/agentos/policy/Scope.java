package dev.agentos.policy;

import java.util.Optional;

/**
 * One parsed scope (docs/authorization.md): {@code admin}, {@code resource:action} (global),
 * {@code resource:id:action} (per resource, id {@code *} = wildcard), or unknown (matches nothing).
 * No normalisation: comparison is exact. The legacy resource {@code system} means {@code config}.
 */
public record Scope(Kind kind, String raw, String resource, Optional<String> id, String action) {

  public enum Kind { ADMIN, GLOBAL, PER_RESOURCE, UNKNOWN }

  public static Scope parse(String raw, String adminScope) {
    if (raw == null) return new Scope(Kind.UNKNOWN, "", "", Optional.empty(), "");
    if (raw.equals(adminScope)) return new Scope(Kind.ADMIN, raw, "", Optional.empty(), "");
    String[] parts = raw.split(":", -1);
    if (parts.length == 2) {
      return new Scope(Kind.GLOBAL, raw, alias(parts[0]), Optional.empty(), parts[1]);
    }
    if (parts.length == 3) {
      return new Scope(Kind.PER_RESOURCE, raw, alias(parts[0]), Optional.of(parts[1]), parts[2]);
    }
    return new Scope(Kind.UNKNOWN, raw, "", Optional.empty(), "");
  }

  private static String alias(String resource) {
    return resource.equals("system") ? "config" : resource;
  }

  public boolean isWildcard() {
    return kind == Kind.PER_RESOURCE && id.get().equals("*");
  }

  /**
   * Does this (user) scope satisfy {@code required} for {@code resourceId} (docs/authorization.md)?
   * A per-resource requirement is met by a global or wildcard scope, or by the same id; a global requirement
   * only by a global or wildcard scope.
   */
  public boolean satisfies(Scope required, String resourceId) {
    if (kind == Kind.ADMIN) return true;
    if (kind == Kind.UNKNOWN || required.kind == Kind.UNKNOWN || required.kind == Kind.ADMIN) return false;
    if (!resource.equals(required.resource) || !action.equals(required.action)) return false;
    if (required.kind == Kind.PER_RESOURCE) {
      if (kind == Kind.GLOBAL || isWildcard()) return true;
      String wanted = required.id.get().equals("*") ? resourceId : required.id.get();
      return wanted != null && id.get().equals(wanted);
    }
    return kind == Kind.GLOBAL || isWildcard();
  }
}
