package dev.agentos.policy;

import dev.agentos.contract.Decision;
import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.contract.Principal;
import dev.agentos.config.AgentOsConfig;
import dev.agentos.config.ConfigLoader;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@DisplayName("Role expansion and deny rules")
class RoleExpansionTest {
  private static final AgentOsConfig.Authorization CONFIG = ConfigLoader.fromJson(new JsonObject().put("authorization",
      new JsonObject().put("roles", new JsonObject()
          .put("reviewer", new JsonObject().put("scopes", new JsonArray().add("sessions:read").add("traces:read"))
              .put("deny", new JsonArray().add("sessions:delete")))
          .put("no-delete", new JsonObject().put("deny", new JsonArray().add("agents:delete").add("teams:delete")))
          .put("hide-secret", new JsonObject().put("deny", new JsonArray().add("agents:secret:read"))))), Map.of()).authorization();

  private static PolicyEngine engine() {
    PolicyEngine engine = new PolicyEngine(CONFIG);
    JsonArray managed = new JsonArray().add(new JsonObject().put("name", "analyst").put("scopes", new JsonArray().add("metrics:read"))
        .put("deny", new JsonArray()));
    engine.useRoles(engine.roles().withManaged(CONFIG, RoleDirectory.snapshot("", managed,
        new JsonObject().put("bob", new JsonArray().add("analyst")))));
    return engine;
  }

  private static Principal who(String sub, List<String> scopes, List<String> roles) {
    return new Principal(Principal.Kind.JWT, Optional.ofNullable(sub), scopes, roles, Optional.empty(), new JsonObject(), 0);
  }

  /** token scopes | token roles | subject | method | path | allowed */
  @ParameterizedTest(name = "scopes [{0}] roles [{1}] sub {2}: {3} {4} → {5}")
  @CsvSource(delimiter = '|', nullValues = "-", value = {
      "''              | member               | alice | GET    | /agents/a1         | true",
      "''              | member               | alice | POST   | /agents/a1/runs    | true",
      "''              | member               | alice | DELETE | /sessions/s1       | false",
      "''              | member               | alice | GET    | /traces            | true",
      "''              | member               | alice | POST   | /memories          | true",
      "''              | member               | alice | GET    | /service-accounts  | false",
      "''              | owner                | alice | DELETE | /sessions/s1       | true",
      "''              | administrator        | alice | DELETE | /agents/a1         | true",
      "''              | reviewer             | alice | GET    | /sessions          | true",
      "sessions:delete | reviewer             | alice | DELETE | /sessions/s1       | false",
      "agent_os:admin  | no-delete            | alice | DELETE | /agents/a1         | false",
      "agent_os:admin  | no-delete            | alice | GET    | /agents/a1         | true",
      "agents:*:delete | no-delete            | alice | DELETE | /agents/a9         | false",
      "''              | made-up              | alice | GET    | /agents/a1         | false",
      "''              | ''                   | bob   | GET    | /metrics           | true",
      "''              | ''                   | alice | GET    | /metrics           | false",
      "''              | owner no-delete      | alice | DELETE | /teams/t1          | false",
      "''              | owner no-delete      | alice | DELETE | /workflows/w1      | true"})
  void expansion(String scopes, String roles, String sub, String method, String path, boolean allowed) {
    Principal p = who(sub, scopes.isBlank() ? List.of() : List.of(scopes.split(" ")), roles.isBlank() ? List.of() : List.of(roles.split(" ")));
    Decision d = engine().authorize(p, method, path);
    assertThat(d.allowed()).as("%s", d.reasons()).isEqualTo(allowed);
  }

  @Test
  @DisplayName("a deny names itself in the reasons and keeps agno's 403 text")
  void denyReason() {
    Decision d = engine().authorize(who("alice", List.of("agent_os:admin"), List.of("no-delete")), "DELETE", "/agents/a1");
    assertThat(d.reasons()).anyMatch(r -> r.contains("denied by a role's deny agents:delete"));
    assertThat(d.detail()).isEqualTo("Insufficient permissions. Required scope(s): agents:delete");
  }

  @Test
  @DisplayName("a per-resource deny leaves that id out of a listing, even under *")
  void listingExclusion() {
    Decision d = engine().authorize(who("alice", List.of("agents:read"), List.of("hide-secret")), "GET", "/agents");
    assertThat(d.allowed()).isTrue();
    assertThat(d.excludedIds()).containsExactly("secret");
    assertThat(engine().authorize(who("alice", List.of("agents:read"), List.of("hide-secret")), "GET", "/agents/secret").allowed()).isFalse();
    Decision only = engine().authorize(who("alice", List.of("agents:secret:read"), List.of("hide-secret")), "GET", "/agents");
    assertThat(only.allowed()).isFalse();
  }

  @Test
  @DisplayName("check applies roles and denies too")
  void checkWithRoles() {
    assertThat(engine().check(who("alice", List.of(), List.of("member")), "agents:run", "a1").allowed()).isTrue();
    assertThat(engine().check(who("alice", List.of("agent_os:admin"), List.of("no-delete")), "agents:delete", "a1").allowed()).isFalse();
  }

  @Test
  @DisplayName("a role holding the admin scope makes the principal an admin (unscoped data)")
  void ownerIsAdmin() {
    PolicyEngine isolated = new PolicyEngine(ConfigLoader.fromJson(new JsonObject().put("authorization",
        new JsonObject().put("user_isolation", true)), Map.of()).authorization());
    Decision d = isolated.authorize(who("alice", List.of(), List.of("owner")), "GET", "/sessions");
    assertThat(d.admin()).isTrue();
    assertThat(d.scopedUserId()).isEmpty();
    assertThat(Set.copyOf(engine().roles().roles().stream().map(RoleDirectory.Role::name).toList()))
        .contains("owner", "administrator", "member", "reviewer", "analyst");
  }
}
