package dev.agentos.policy;

import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A parsed scope list indexed by resource and action, built once per list (PolicyEngine caches it by the list's
 * identity; a verified token's principal, and a role expansion, keep theirs). Answers what
 * {@link Scope#satisfies} answers scope by scope, in constant time, and with the same scope: the first one in the
 * list's order that satisfies the requirement, so every reason ("... granted by X") reads as before.
 */
final class ScopeIndex {
  private final List<Scope> scopes;
  /** The first admin scope's position, or -1. */
  private final int firstAdmin;
  /** resource → action → its scopes (two levels: the parsed strings' own hash codes, no key built per look-up). */
  private final Map<String, Map<String, ResourceAction>> byResourceAction = new HashMap<>();

  /** The scopes of one resource and action: the first global or wildcard one, and the first per id. */
  private static final class ResourceAction {
    int broad = -1;
    final Map<String, Integer> byId = new HashMap<>();
    final Set<String> ids = new LinkedHashSet<>();
  }

  ScopeIndex(List<Scope> scopes) {
    this.scopes = scopes;
    int admin = -1;
    for (int i = 0; i < scopes.size(); i++) {
      Scope s = scopes.get(i);
      switch (s.kind()) {
        case ADMIN -> {
          if (admin < 0) admin = i;
        }
        case GLOBAL -> {
          ResourceAction ra = entry(s);
          if (ra.broad < 0) ra.broad = i;
        }
        case PER_RESOURCE -> {
          ResourceAction ra = entry(s);
          if (s.isWildcard()) {
            if (ra.broad < 0) ra.broad = i;
          } else {
            ra.byId.putIfAbsent(s.id().get(), i);
            ra.ids.add(s.id().get());
          }
        }
        default -> {
          // an unknown scope matches nothing
        }
      }
    }
    this.firstAdmin = admin;
  }

  private ResourceAction entry(Scope s) {
    return byResourceAction.computeIfAbsent(s.resource(), r -> new HashMap<>()).computeIfAbsent(s.action(), a -> new ResourceAction());
  }

  private ResourceAction lookup(String resource, String action) {
    Map<String, ResourceAction> actions = byResourceAction.get(resource);
    return actions == null ? null : actions.get(action);
  }

  List<Scope> scopes() {
    return scopes;
  }

  boolean hasAdmin() {
    return firstAdmin >= 0;
  }

  /** The first scope of the list that satisfies {@code required} for {@code resourceId}, as {@link Scope#satisfies} decides. */
  Optional<Scope> grant(Scope required, String resourceId) {
    int best = firstAdmin;
    if (required.kind() == Scope.Kind.GLOBAL || required.kind() == Scope.Kind.PER_RESOURCE) {
      ResourceAction ra = lookup(required.resource(), required.action());
      if (ra != null) {
        best = earliest(best, ra.broad);
        if (required.kind() == Scope.Kind.PER_RESOURCE) {
          String wanted = required.id().get().equals("*") ? resourceId : required.id().get();
          if (wanted != null) best = earliest(best, ra.byId.getOrDefault(wanted, -1));
        }
      }
    }
    return best < 0 ? Optional.empty() : Optional.of(scopes.get(best));
  }

  /** docs/authorization.md: {"*"} for admin, global or wildcard scopes; otherwise the ids named per resource. */
  Set<String> accessibleIds(String family, String action) {
    if (firstAdmin >= 0) return Set.of("*");
    ResourceAction ra = lookup(family, action);
    if (ra == null) return Set.of();
    if (ra.broad >= 0) return Set.of("*");
    return Set.copyOf(ra.ids);
  }

  private static int earliest(int a, int b) {
    if (a < 0) return b;
    if (b < 0) return a;
    return Math.min(a, b);
  }
}
