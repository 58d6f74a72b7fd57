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
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@DisplayName("Policy decisions")
class PolicyEngineTest {

  static PolicyEngine engine(JsonObject authorization) {
    AgentOsConfig config = ConfigLoader.fromJson(new JsonObject().put("authorization", authorization), Map.of());
    return new PolicyEngine(config.authorization());
  }

  static final PolicyEngine DEFAULT = engine(new JsonObject());

  static Principal jwt(String sub, String... scopes) {
    return new Principal(Principal.Kind.JWT, Optional.ofNullable(sub), List.of(scopes), List.of(), Optional.empty(), new JsonObject(), 0);
  }

  @Nested
  @DisplayName("listing filter (GET /agents, /teams, /workflows)")
  class Listing {
    /** scopes (space-separated) | path | allowed | accessible ids (comma-separated; * = all; - = none) */
    @ParameterizedTest(name = "[{0}] on {1}: allowed={2}, ids={3}")
    @CsvSource(delimiter = '|', value = {
        "agents:read                    | /agents    | true  | *",
        "agents:*:read                  | /agents    | true  | *",
        "agents:a1:read agents:a2:read  | /agents    | true  | a1,a2",
        "agents:a1:run                  | /agents    | false | -",
        "agents:*:run                   | /agents    | false | -",
        "teams:read                     | /agents    | false | -",
        "agent_os:admin                 | /agents    | true  | *",
        "teams:t1:read                  | /teams     | true  | t1",
        "workflows:w1:read              | /workflows | true  | w1",
        "''                             | /agents    | false | -"})
    void listing(String scopes, String path, boolean allowed, String ids) {
      Decision d = DEFAULT.authorize(jwt("u", scopes.isBlank() ? new String[0] : scopes.split(" ")), "GET", path);
      assertThat(d.allowed()).isEqualTo(allowed);
      if (ids.equals("-")) {
        assertThat(d.accessibleIds()).isEmpty();
      } else {
        assertThat(d.accessibleIds()).contains(Set.of(ids.split(",")));
      }
      if (!allowed) {
        assertThat(d.detail()).isEqualTo("Insufficient permissions. Required scope(s): " + path.substring(1) + ":read");
      }
    }
  }

  @Nested
  @DisplayName("per-resource checks")
  class PerResource {
    /** scopes | method | path | allowed | detail when denied */
    @ParameterizedTest(name = "[{0}] {1} {2}: {3}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
        "agents:a1:read                  | GET  | /agents/a1                 | true  | -",
        "agents:a1:read                  | GET  | /agents/a2                 | false | Insufficient permissions. Required scope(s): agents:read",
        "agents:a1:run                   | POST | /agents/a1/runs            | true  | -",
        "agents:a1:run                   | POST | /agents/a2/runs            | false | Insufficient permissions. Required scope(s): agents:run",
        "agents:*:run                    | POST | /agents/anything/runs      | true  | -",
        "agents:run                      | POST | /agents/anything/runs      | true  | -",
        "agents:a1:read                  | GET  | /agents/a1/runs            | false | Access denied to run this agent",
        "agents:a1:read agents:a1:run    | GET  | /agents/a1/runs            | true  | -",
        "agents:a1:run                   | GET  | /agents/a1/runs/r1         | false | Insufficient permissions. Required scope(s): agents:read",
        "agents:a1:read                  | POST | /agents/a1/runs/r1/resume  | false | Insufficient permissions. Required scope(s): agents:run",
        "agents:a1:run                   | POST | /agents/a1/runs/r1/resume  | true  | -",
        "teams:t1:run                    | POST | /teams/t1/sessions/s1/fork | true  | -",
        "teams:t2:run                    | POST | /teams/t1/sessions/s1/fork | false | Insufficient permissions. Required scope(s): teams:run",
        "workflows:w1:read               | GET  | /workflows/w1              | true  | -",
        "agents:a1:read                  | POST | /a2a/agents/a1/v1/tasks:get | true | -",
        "sessions:read                   | GET  | /sessions/s1               | true  | -",
        "sessions:s1:read                | GET  | /sessions/s1               | false | Insufficient permissions. Required scope(s): sessions:read",
        "config:read                     | GET  | /config                    | true  | -",
        "system:read                     | GET  | /config                    | true  | -",
        "agents:read                     | POST | /agents                    | false | Insufficient permissions. Required scope(s): agents:write",
        "agents:read                     | HEAD | /agents/a1                 | true  | -",
        "metrics:write                   | HEAD | /metrics                   | false | Insufficient permissions. Required scope(s): metrics:read"})
    void perResource(String scopes, String method, String path, boolean allowed, String detail) {
      Decision d = DEFAULT.authorize(jwt("u", scopes.split(" ")), method, path);
      assertThat(d.allowed()).as("%s", d.reasons()).isEqualTo(allowed);
      if (!allowed) assertThat(d.detail()).isEqualTo(detail);
      assertThat(d.decisionId()).matches("[0-9a-f]{32}");
      assertThat(d.reasons()).isNotEmpty();
    }
  }

  @Test
  @DisplayName("reasons name the granting scope, or what is missing")
  void reasons() {
    assertThat(DEFAULT.authorize(jwt("u", "agents:*:read"), "GET", "/agents/a1").reasons())
        .contains("agents:a1:read granted by agents:*:read");
    assertThat(DEFAULT.authorize(jwt("u", "agents:a2:read"), "GET", "/agents/a1").reasons()).contains("missing agents:a1:read");
  }

  @Test
  @DisplayName("a custom admin scope replaces the default one")
  void customAdmin() {
    PolicyEngine custom = engine(new JsonObject().put("admin_scope", "custom:admin"));
    assertThat(custom.authorize(jwt("u", "custom:admin"), "DELETE", "/agents/a1").allowed()).isTrue();
    assertThat(custom.authorize(jwt("u", "agent_os:admin"), "DELETE", "/agents/a1").allowed()).isFalse();
    assertThat(custom.authorize(jwt("u", "custom:admin"), "GET", "/sessions").admin()).isTrue();
  }

  @Test
  @DisplayName("custom mappings: [] admits any authenticated caller; family scopes are rewritten per resource, others checked as written")
  void customMappings() {
    JsonObject mappings = new JsonObject()
        .put("GET /public/*", new JsonArray())
        .put("POST /agents/*/runs", new JsonArray().add("agents:run").add("app:execute"));
    PolicyEngine custom = engine(new JsonObject().put("scope_mappings", mappings));
    assertThat(custom.authorize(jwt("u"), "GET", "/public/anything").allowed()).isTrue();
    assertThat(custom.authorize(jwt("u", "agents:a1:run", "app:execute"), "POST", "/agents/a1/runs").allowed()).isTrue();
    assertThat(custom.authorize(jwt("u", "agents:a1:run"), "POST", "/agents/a1/runs").allowed()).isFalse();
    assertThat(custom.authorize(jwt("u", "agents:a2:run", "app:execute"), "POST", "/agents/a1/runs").allowed()).isFalse();
    Decision denied = custom.authorize(jwt("u", "agents:a1:run"), "POST", "/agents/a1/runs");
    assertThat(denied.detail()).isEqualTo("Insufficient permissions. Required scope(s): agents:run, app:execute");
  }

  @Test
  @DisplayName("authentication-only mode (enabled: false) allows every authenticated caller")
  void authenticationOnly() {
    PolicyEngine off = engine(new JsonObject().put("enabled", false));
    assertThat(off.authorize(jwt("u"), "DELETE", "/agents/a1").allowed()).isTrue();
  }

  @Test
  @DisplayName("security-key and open-instance principals are unscoped roots")
  void roots() {
    assertThat(DEFAULT.authorize(Principal.securityKey(), "DELETE", "/sessions").allowed()).isTrue();
    assertThat(DEFAULT.authorize(Principal.anonymous(), "POST", "/agents/a1/runs").allowed()).isTrue();
  }

  @Test
  @DisplayName("scoped user id: the sub under isolation, none for admins, none with isolation off")
  void scopedUser() {
    PolicyEngine isolated = engine(new JsonObject().put("user_isolation", true));
    assertThat(isolated.authorize(jwt("alice", "sessions:read"), "GET", "/sessions").scopedUserId()).contains("alice");
    assertThat(isolated.authorize(jwt("root", "agent_os:admin"), "GET", "/sessions").scopedUserId()).isEmpty();
    assertThat(DEFAULT.authorize(jwt("alice", "sessions:read"), "GET", "/sessions").scopedUserId()).isEmpty();
  }

  @Test
  @DisplayName("check: known actions are answered per resource; unknown actions are denied")
  void check() {
    assertThat(DEFAULT.check(jwt("u", "agents:a1:run"), "agents:run", "a1").allowed()).isTrue();
    assertThat(DEFAULT.check(jwt("u", "agents:a1:run"), "agents:run", "a2").allowed()).isFalse();
    assertThat(DEFAULT.check(jwt("u", "agents:run"), "agents:run", null).allowed()).isTrue();
    assertThat(DEFAULT.check(jwt("u", "agent_os:admin"), "agents:fly", "a1").allowed()).isFalse();
    assertThat(DEFAULT.check(jwt("u", "agent_os:admin"), "agents:a1:run", null).allowed()).isFalse();
    assertThat(DEFAULT.check(jwt("u", "agent_os:admin"), "teams:delete", "t1").allowed()).isTrue();
  }

  @Test
  @DisplayName("a custom mapping on GET /agents still filters the list to what the caller may read or run (agno's handler)")
  void customListingMappingStillFilters() {
    PolicyEngine open = engine(new JsonObject().put("scope_mappings", new JsonObject().put("GET /agents", new JsonArray())));
    assertThat(open.authorize(jwt("u", "agents:a1:run"), "GET", "/agents").accessibleIds()).contains(Set.of("a1"));
    Decision none = open.authorize(jwt("u", "sessions:read"), "GET", "/agents");
    assertThat(none.allowed()).isFalse();
    assertThat(none.detail()).isEqualTo("Insufficient permissions. Required scope(s): agents:read");
    PolicyEngine app = engine(new JsonObject().put("scope_mappings", new JsonObject().put("GET /agents", new JsonArray().add("app:read"))));
    assertThat(app.authorize(jwt("u", "app:read"), "GET", "/agents").allowed()).isFalse();
    assertThat(app.authorize(jwt("u", "app:read", "agents:a2:read"), "GET", "/agents").accessibleIds()).contains(Set.of("a2"));
    assertThat(app.authorize(jwt("u", "app:read", "agents:read"), "GET", "/agents").accessibleIds()).contains(Set.of("*"));
  }
}
