package dev.agentos.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("ScopeIndex answers exactly what a scan of Scope.satisfies answers, with the same scope")
class ScopeIndexTest {
  private static final String ADMIN = "agent_os:admin";
  private static final String[] RESOURCES = {"agents", "teams", "sessions", "system", "config", "x"};
  private static final String[] ACTIONS = {"read", "run", "write", "delete"};
  private static final String[] IDS = {"a1", "a2", "*", "b"};

  private static String randomScope(Random r) {
    return switch (r.nextInt(6)) {
      case 0 -> ADMIN;
      case 1 -> RESOURCES[r.nextInt(RESOURCES.length)] + ":" + ACTIONS[r.nextInt(ACTIONS.length)];
      case 2 -> "nonsense-" + r.nextInt(3);
      default -> RESOURCES[r.nextInt(RESOURCES.length)] + ":" + IDS[r.nextInt(IDS.length)] + ":" + ACTIONS[r.nextInt(ACTIONS.length)];
    };
  }

  /** The engine's previous linear answers, the specification of the index. */
  private static Optional<Scope> scan(List<Scope> scopes, Scope required, String resourceId) {
    for (Scope u : scopes) if (u.satisfies(required, resourceId)) return Optional.of(u);
    return Optional.empty();
  }

  private static Set<String> scanIds(List<Scope> scopes, String family, String action) {
    Set<String> ids = new HashSet<>();
    for (Scope u : scopes) {
      if (u.kind() == Scope.Kind.ADMIN) return Set.of("*");
      if (!u.resource().equals(family) || !u.action().equals(action)) continue;
      if (u.kind() == Scope.Kind.GLOBAL || u.isWildcard()) return Set.of("*");
      if (u.kind() == Scope.Kind.PER_RESOURCE) ids.add(u.id().get());
    }
    return ids;
  }

  @Test
  @DisplayName("20,000 seeded random scope lists and requirements: same grant (same scope, so the same reason) and same accessible ids")
  void sameAsScan() {
    Random r = new Random(20261201L);
    for (int run = 0; run < 20_000; run++) {
      List<Scope> scopes = new ArrayList<>();
      int n = r.nextInt(12);
      for (int i = 0; i < n; i++) scopes.add(Scope.parse(randomScope(r), ADMIN));
      ScopeIndex index = new ScopeIndex(List.copyOf(scopes));
      Scope required = Scope.parse(randomScope(r), ADMIN);
      String resourceId = r.nextInt(4) == 0 ? null : IDS[r.nextInt(IDS.length)];
      assertThat(index.grant(required, resourceId)).as("%s for %s (%s)", scopes, required.raw(), resourceId)
          .isEqualTo(scan(scopes, required, resourceId));
      String family = RESOURCES[r.nextInt(RESOURCES.length)];
      String action = ACTIONS[r.nextInt(ACTIONS.length)];
      assertThat(index.accessibleIds(family, action)).as("%s ids of %s:%s", scopes, family, action)
          .isEqualTo(scanIds(scopes, family, action));
      assertThat(index.hasAdmin()).isEqualTo(scopes.stream().anyMatch(s -> s.kind() == Scope.Kind.ADMIN));
    }
  }
}
