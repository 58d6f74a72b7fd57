package dev.agentos.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.config.AgentOsConfig;
import dev.agentos.config.ConfigLoader;
import dev.agentos.contract.Decision;
import dev.agentos.contract.Principal;
import dev.agentos.testing.TestDatabase;
import dev.agentos.testing.TestServer;
import dev.agentos.testing.Tokens;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** docs/authorization.md, "Roles only": {@code authorization.trust_token_scopes}. */
@DisplayName("trust_token_scopes: whether a token's own scopes grant")
class TrustTokenScopesTest {
  static AgentOsConfig.Authorization config(boolean trust) {
    return ConfigLoader.fromJson(new JsonObject().put("authorization", new JsonObject().put("trust_token_scopes", trust)
        .put("roles", new JsonObject().put("reader", new JsonObject().put("scopes", new JsonArray().add("sessions:read")))))
        , Map.of()).authorization();
  }

  static PolicyEngine engine(boolean trust) {
    AgentOsConfig.Authorization c = config(trust);
    PolicyEngine engine = new PolicyEngine(c);
    engine.useRoles(engine.roles().withManaged(c, RoleDirectory.snapshot("", new JsonArray().add(new JsonObject()
        .put("name", "auditor").put("scopes", new JsonArray().add("traces:read")).put("deny", new JsonArray())),
        new JsonObject().put("carol", new JsonArray().add("auditor")))));
    return engine;
  }

  static List<String> split(String s) {
    return s == null || s.isBlank() ? List.of() : List.of(s.split(" "));
  }

  /** trust | kind | sub | scopes | roles claim | method path | allowed */
  @ParameterizedTest(name = "trust={0}: {1} {2} [{3}] roles [{4}] {5}: allowed={6}")
  @CsvSource(delimiter = '|', nullValues = "-", value = {
      "true  | JWT             | alice | sessions:read  | -             | GET /sessions   | true",
      "false | JWT             | alice | sessions:read  | -             | GET /sessions   | false",
      "false | JWT             | alice | -              | reader        | GET /sessions   | true",
      "false | JWT             | alice | sessions:read  | member        | GET /sessions   | true",
      "false | JWT             | carol | -              | -             | GET /traces     | true",
      "false | JWT             | root  | agent_os:admin | -             | DELETE /agents/a1 | false",
      "false | JWT             | root  | -              | owner         | DELETE /agents/a1 | true",
      "true  | JWT             | root  | agent_os:admin | -             | DELETE /agents/a1 | true",
      "false | UNVERIFIED      | alice | sessions:read  | -             | GET /sessions   | false",
      "false | SERVICE_ACCOUNT | sa:ci | sessions:read  | -             | GET /sessions   | true"})
  void decides(boolean trust, String kind, String sub, String scopes, String roles, String request, boolean allowed) {
    String[] mp = request.split(" ");
    Principal p = new Principal(Principal.Kind.valueOf(kind), Optional.of(sub), split(scopes), split(roles), Optional.empty(),
        new JsonObject(), 0);
    Decision d = engine(trust).authorize(p, mp[0], mp[1]);
    assertThat(d.allowed()).as(d.reasons().toString()).isEqualTo(allowed);
  }

  @Test
  @DisplayName("roles only: an admin scope in a token is no admin for the what-if 'may act as admin' check either")
  void adminCheck() {
    Principal scoped = new Principal(Principal.Kind.JWT, Optional.of("root"), List.of("agent_os:admin"), List.of(), Optional.empty(),
        new JsonObject(), 0);
    assertThat(engine(false).check(scoped, "agent_os:admin", null).allowed()).isFalse();
    assertThat(engine(true).check(scoped, "agent_os:admin", null).allowed()).isTrue();
  }

  @Test
  @DisplayName("over HTTP: with roles only, a token's scopes are refused and its roles claim is honoured")
  void overHttp() throws Exception {
    try (TestDatabase db = TestDatabase.create();
         TestServer s = TestServer.start(db, new JsonObject().put("authorization", new JsonObject().put("trust_token_scopes", false)))) {
      assertThat(s.get("/sessions", Tokens.hs256("alice", "sessions:read")).statusCode()).isEqualTo(403);
      assertThat(s.get("/sessions", Tokens.hs256("root", "agent_os:admin")).statusCode()).isEqualTo(403);
      JsonObject member = Tokens.claims("alice").put("roles", new JsonArray().add("member"));
      assertThat(s.get("/sessions", Tokens.hs256(member)).statusCode()).isEqualTo(200);
    }
  }
}
