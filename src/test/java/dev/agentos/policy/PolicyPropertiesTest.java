package dev.agentos.policy;

import dev.agentos.contract.Decision;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.agentos.contract.Principal;
import dev.agentos.config.AgentOsConfig;
import dev.agentos.config.ConfigLoader;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.stream.LongStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Properties of the scope grammar and the decision, checked on generated scopes and requests. Each seed is
 * its own test case, so a failure names the seed that reproduces it; every request in the default route
 * map is a candidate, with its {@code *}s filled by generated ids.
 */
@DisplayName("Policy properties on generated scopes and requests")
class PolicyPropertiesTest {
  private static final String ADMIN = "agent_os:admin";
  private static final List<String> IDS = List.of("a1", "a2", "a7", "t1", "w1", "s-1", "x.y", "ÄÖ", "*", "");
  private static final List<String> RESOURCES = List.of("agents", "teams", "workflows", "sessions", "memories", "traces",
      "knowledge", "evals", "metrics", "config", "registry", "schedules", "approvals", "users", "system", "nope");
  private static final List<String> ACTIONS = List.of("read", "write", "run", "delete", "admin", "*", "");
  private static final PolicyEngine ENGINE = new PolicyEngine(
      ConfigLoader.fromJson(new JsonObject(), Map.of()).authorization());

  static LongStream seeds() {
    return LongStream.rangeClosed(1, 40);
  }

  private record Request(String method, String path) {
    @Override
    public String toString() {
      return method + " " + path;
    }
  }

  private static Request request(Random r) {
    List<RouteScopeMap.Entry> entries = ENGINE.routes().entries();
    RouteScopeMap.Entry e = entries.get(r.nextInt(entries.size()));
    StringBuilder path = new StringBuilder();
    for (char c : e.pattern().toCharArray()) {
      if (c == '*') path.append(List.of("a1", "a2", "a7", "t1", "w1", "s-1").get(r.nextInt(6)));
      else path.append(c);
    }
    return new Request(e.method(), path.toString());
  }

  /** Well-formed scopes mostly, with a share of odd and malformed ones. */
  private static String scope(Random r) {
    int kind = r.nextInt(10);
    String res = RESOURCES.get(r.nextInt(RESOURCES.size()));
    String act = ACTIONS.get(r.nextInt(ACTIONS.size()));
    return switch (kind) {
      case 0 -> ADMIN;
      case 1, 2, 3 -> res + ":" + act;
      case 4, 5, 6 -> res + ":" + IDS.get(r.nextInt(IDS.size())) + ":" + act;
      case 7 -> res + ":*:" + act;
      default -> garbage(r);
    };
  }

  private static String garbage(Random r) {
    String alphabet = ":*:ab\u0000 \t\n:/%..\uD83D\uDE00" + ADMIN;
    StringBuilder sb = new StringBuilder();
    int n = r.nextInt(24);
    for (int i = 0; i < n; i++) sb.append(alphabet.charAt(r.nextInt(alphabet.length())));
    return sb.toString();
  }

  private static List<String> scopes(Random r, int max, boolean allowAdmin) {
    List<String> out = new ArrayList<>();
    int n = r.nextInt(max + 1);
    while (out.size() < n) {
      String s = scope(r);
      if (allowAdmin || !s.equals(ADMIN)) out.add(s);
    }
    return out;
  }

  private static Principal principal(List<String> scopes, List<String> roles) {
    return new Principal(Principal.Kind.JWT, Optional.of("u"), scopes, roles, Optional.empty(), new JsonObject(), 0);
  }

  private static boolean isListing(Request q) {
    return q.method.equals("GET") && Set.of("/agents", "/teams", "/workflows").contains(q.path);
  }

  /** The ids a decision lets through on a listing ("*" = all). */
  private static Set<String> visible(Decision d) {
    return d.allowed() ? d.accessibleIds().orElse(Set.of("*")) : Set.of();
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  @DisplayName("arbitrary strings never make scope parsing or a decision throw")
  void neverThrows(long seed) {
    Random r = new Random(seed);
    for (int i = 0; i < 250; i++) {
      String raw = r.nextBoolean() ? garbage(r) : scope(r);
      assertThatCode(() -> Scope.parse(raw, ADMIN)).as(raw).doesNotThrowAnyException();
      List<String> granted = scopes(r, 6, true);
      granted.add(raw);
      String method = List.of("GET", "POST", "PATCH", "DELETE", "PUT", "OPTIONS", "TRACE").get(r.nextInt(7));
      String path = r.nextBoolean() ? request(r).path : "/" + garbage(r);
      assertThatCode(() -> ENGINE.authorize(principal(granted, List.of()), method, path)).as(granted + " " + method + " " + path)
          .doesNotThrowAnyException();
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  @DisplayName("a disabled user is refused (revoked, never allowed) on every route whatever their scopes and roles, and so is a service account minted for them")
  void disabledUserNeverAllowed(long seed) {
    AgentOsConfig.Authorization config = ConfigLoader.fromJson(new JsonObject(), Map.of()).authorization();
    PolicyEngine engine = new PolicyEngine(config);
    engine.useRoles(engine.roles().withManaged(config, new JsonObject().put("tenants", new JsonObject().put("",
        new JsonObject().put("subjects", new JsonObject().put("u", new JsonArray().add("owner"))).put("disabled", new JsonArray().add("u"))))));
    Random r = new Random(seed);
    for (int i = 0; i < 250; i++) {
      List<String> granted = scopes(r, 6, true);
      Request q = r.nextInt(4) == 0 ? new Request("GET", "/" + garbage(r)) : request(r);
      Decision user = engine.authorize(principal(granted, List.of("owner", "member")), q.method, q.path);
      assertThat(user.allowed()).as("%s %s", granted, q).isFalse();
      assertThat(user.revoked()).isTrue();
      Principal bot = new Principal(Principal.Kind.SERVICE_ACCOUNT, Optional.of("sa:bot"), granted, List.of(), Optional.empty(),
          new JsonObject().put(Principal.MINTED_FOR_CLAIM, "u"), 0);
      assertThat(engine.authorize(bot, q.method, q.path).revoked()).as("%s %s", granted, q).isTrue();
      assertThat(engine.check(bot, "agents:run", null).allowed()).isFalse();
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  @DisplayName("adding an actor never widens access: a delegated request is allowed only if the subject alone would be, and lists no more")
  void addingAnActorNeverWidens(long seed) {
    Random r = new Random(seed);
    JsonObject actors = new JsonObject();
    for (String id : List.of("bot-a", "bot-b")) {
      JsonArray granted = new JsonArray();
      for (String sc : scopes(r, 5, true)) if (sc.equals(ADMIN) || sc.matches("[a-z_]+:([A-Za-z0-9.*-]+:)?[a-z*]+")) granted.add(sc);
      actors.put(id, new JsonObject().put("scopes", granted));
    }
    AgentOsConfig.Authorization config = ConfigLoader.fromJson(new JsonObject().put("authorization", new JsonObject()
        .put("actors", actors).put("user_isolation", r.nextBoolean())), Map.of()).authorization();
    PolicyEngine engine = new PolicyEngine(config);
    List<String> pool = List.of("bot-a", "bot-b", "not-registered");
    for (int i = 0; i < 250; i++) {
      Principal alone = principal(scopes(r, 6, true), List.of());
      List<Principal.Actor> chain = new ArrayList<>();
      for (String id : pool) if (r.nextBoolean()) chain.add(new Principal.Actor(id, Optional.empty(), Optional.empty()));
      Principal delegated = new Principal(alone.kind(), alone.userId(), alone.scopes(), alone.roles(), alone.sessionId(), alone.claims(),
          alone.expiresAt(), alone.tenantId(), alone.tokenRef(), chain);
      Request q = request(r);
      Decision without = engine.authorize(alone, q.method, q.path);
      Decision with = engine.authorize(delegated, q.method, q.path);
      if (with.allowed()) {
        assertThat(without.allowed()).as("%s through %s allowed %s, but not alone", alone.scopes(), chain, q).isTrue();
        assertThat(!with.admin() || without.admin()).as("an actor made %s an admin on %s", alone.scopes(), q).isTrue();
        if (with.scopedUserId().isEmpty()) assertThat(without.scopedUserId()).as("isolation follows the subject").isEmpty();
      }
      if (isListing(q) && !visible(without).contains("*")) {
        assertThat(visible(without)).as("%s through %s on %s", alone.scopes(), chain, q).containsAll(visible(with));
      }
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  @DisplayName("adding scopes never removes access (no deny rules involved)")
  void addingScopesNeverRemovesAccess(long seed) {
    Random r = new Random(seed);
    for (int i = 0; i < 250; i++) {
      List<String> base = scopes(r, 5, true);
      List<String> more = new ArrayList<>(base);
      more.addAll(scopes(r, 5, true));
      Request q = request(r);
      Decision before = ENGINE.authorize(principal(base, List.of()), q.method, q.path);
      Decision after = ENGINE.authorize(principal(more, List.of()), q.method, q.path);
      if (before.allowed()) {
        assertThat(after.allowed()).as("%s allowed %s but %s does not", base, q, more).isTrue();
      }
      if (isListing(q) && !visible(after).contains("*")) {
        assertThat(visible(after)).as("%s on %s", more, q).containsAll(visible(before));
      }
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  @DisplayName("a deny always wins: whatever a denied scope would grant is refused, even to the admin scope")
  void denyAlwaysWins(long seed) {
    Random r = new Random(seed);
    for (int i = 0; i < 120; i++) {
      String denied;
      do {
        denied = scope(r);
      } while (Scope.parse(denied, ADMIN).kind() == Scope.Kind.UNKNOWN || denied.equals(ADMIN));
      PolicyEngine engine = new PolicyEngine(ConfigLoader.fromJson(new JsonObject().put("authorization", new JsonObject()
          .put("roles", new JsonObject().put("restricted", new JsonObject().put("scopes", new JsonArray())
              .put("deny", new JsonArray().add(denied))))), Map.of()).authorization());
      List<String> granted = scopes(r, 6, true);
      if (r.nextBoolean()) granted.add(ADMIN);
      Request q = request(r);
      Decision alone = ENGINE.authorize(principal(List.of(denied), List.of()), q.method, q.path);
      Decision withDeny = engine.authorize(principal(granted, List.of("restricted")), q.method, q.path);
      // a route that requires nothing (any authenticated caller: the consent routes) is not one a deny can withhold
      if (!alone.allowed() || alone.required().isEmpty()) continue;
      if (isListing(q)) {
        // a listing stays readable, but nothing the deny covers is in it
        Set<String> covered = visible(alone);
        Set<String> shown = visible(withDeny);
        if (covered.contains("*")) {
          assertThat(withDeny.allowed()).as("deny %s, %s on %s", denied, granted, q).isFalse();
        } else if (shown.contains("*")) {
          assertThat(withDeny.excludedIds()).as("deny %s, %s on %s", denied, granted, q).containsAll(covered);
        } else {
          assertThat(shown).as("deny %s, %s on %s", denied, granted, q).doesNotContainAnyElementsOf(covered);
        }
      } else {
        assertThat(withDeny.allowed()).as("deny %s, scopes %s on %s", denied, granted, q).isFalse();
      }
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  @DisplayName("the admin scope allows every mapped request when no deny applies")
  void adminAllowsEverything(long seed) {
    Random r = new Random(seed);
    for (int i = 0; i < 100; i++) {
      Request q = request(r);
      List<String> granted = scopes(r, 4, false);
      granted.add(r.nextInt(granted.size() + 1), ADMIN);
      Decision d = ENGINE.authorize(principal(granted, List.of()), q.method, q.path);
      assertThat(d.allowed()).as("%s on %s", granted, q).isTrue();
      if (isListing(q)) assertThat(visible(d)).contains("*");
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  @DisplayName("a per-resource scope never grants another id")
  void perResourceScopesStayOnTheirId(long seed) {
    Random r = new Random(seed);
    List<String> families = List.of("agents", "teams", "workflows");
    List<String> ids = List.of("a1", "a2", "a7", "t1", "w1");
    for (int i = 0; i < 200; i++) {
      String family = families.get(r.nextInt(3));
      String mine = ids.get(r.nextInt(ids.size()));
      String action = List.of("read", "run", "write", "delete").get(r.nextInt(4));
      List<String> granted = List.of(family + ":" + mine + ":" + action);
      String other;
      do {
        other = ids.get(r.nextInt(ids.size()));
      } while (other.equals(mine));
      for (Request q : List.of(new Request("GET", "/" + family + "/" + other), new Request("POST", "/" + family + "/" + other + "/runs"),
          new Request("PATCH", "/" + family + "/" + other), new Request("DELETE", "/" + family + "/" + other),
          new Request("POST", "/" + family + "/" + other + "/runs/r1/cancel"))) {
        assertThat(ENGINE.authorize(principal(granted, List.of()), q.method, q.path).allowed()).as("%s on %s", granted, q).isFalse();
      }
      Decision listing = ENGINE.authorize(principal(granted, List.of()), "GET", "/" + family);
      assertThat(visible(listing)).as("%s on GET /%s", granted, family).isSubsetOf(Set.of(mine));
    }
  }
}
