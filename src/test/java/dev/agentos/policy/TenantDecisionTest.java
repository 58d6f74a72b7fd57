package dev.agentos.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.config.AgentOsConfig;
import dev.agentos.config.ConfigLoader;
import dev.agentos.contract.Decision;
import dev.agentos.contract.Principal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** docs/isolation.md, "Tenants": which tenant a decision is in, as a table over principal kinds, claims and headers. */
@DisplayName("Tenant decisions")
class TenantDecisionTest {
  static final AgentOsConfig.Authorization ON = ConfigLoader.fromJson(new JsonObject().put("authorization", new JsonObject()
      .put("user_isolation", true).put("tenant_id_claim", "org").put("platform_admin_scope", "platform:admin")
      .put("verification_keys", new JsonArray().add("a-test-key-of-at-least-32-bytes-long!"))
      .put("roles", new JsonObject().put("ops", new JsonObject().put("scopes", new JsonArray().add("platform:admin"))))), Map.of())
      .authorization();
  static final AgentOsConfig.Authorization OFF = ConfigLoader.fromJson(new JsonObject().put("authorization", new JsonObject()
      .put("user_isolation", true)), Map.of()).authorization();

  static PolicyEngine engine(AgentOsConfig.Authorization config) {
    PolicyEngine engine = new PolicyEngine(config);
    // acme's own admin made a managed role carrying the platform scope (the routes refuse that; the policy ignores it)
    engine.useRoles(engine.roles().withManaged(config, RoleDirectory.snapshot("acme", new JsonArray().add(new JsonObject()
        .put("name", "escalate").put("scopes", new JsonArray().add("platform:admin")).put("deny", new JsonArray())),
        new JsonObject().put("mallory", new JsonArray().add("escalate")))));
    return engine;
  }

  static Principal principal(String kind, String sub, String tenant, String scopes, String roles) {
    return new Principal(Principal.Kind.valueOf(kind), Optional.ofNullable(sub), split(scopes), split(roles), Optional.empty(),
        new JsonObject(), 0, Optional.ofNullable(tenant));
  }

  static List<String> split(String s) {
    return s == null || s.isBlank() ? List.of() : List.of(s.split(" "));
  }

  /** tenants | kind | sub | tenant claim | scopes | roles | X-Tenant-Id | allowed | tenant | admin | detail */
  @ParameterizedTest(name = "[{0}] {1} {2}@{3} [{4}] roles [{5}] naming {6}: allowed={7} in ''{8}''")
  @CsvSource(delimiter = '|', nullValues = "-", value = {
      "off | JWT             | alice    | acme   | sessions:read           | -         | -      | true  | ''     | false | -",
      "off | JWT             | alice    | -      | sessions:read           | -         | acme   | false | -      | false | X-Tenant-Id is accepted only with tenants on (authorization.tenant_id_claim)",
      "on  | JWT             | alice    | acme   | sessions:read           | -         | -      | true  | acme   | false | -",
      "on  | JWT             | alice    | acme   | sessions:read           | -         | acme   | true  | acme   | false | -",
      "on  | JWT             | alice    | -      | sessions:read           | -         | -      | false | -      | false | Tenant isolation requires a tenant claim ('org')",
      "on  | JWT             | alice    | acme   | sessions:read           | -         | globex | false | -      | false | Acting in another tenant requires the platform admin scope",
      "on  | JWT             | root     | acme   | agent_os:admin          | -         | -      | true  | acme   | true  | -",
      "on  | JWT             | root     | acme   | agent_os:admin          | -         | globex | false | -      | false | Acting in another tenant requires the platform admin scope",
      "on  | JWT             | operator | ops    | platform:admin          | -         | globex | true  | globex | true  | -",
      "on  | JWT             | operator | ops    | platform:admin          | -         | -      | true  | ops    | true  | -",
      "on  | JWT             | operator | ops    | platform:admin          | -         | 'a b'  | false | -      | false | Invalid tenant id in X-Tenant-Id",
      "on  | JWT             | operator | ops    | -                       | ops       | globex | false | -      | false | Acting in another tenant requires the platform admin scope",
      "on  | JWT             | mallory  | acme   | -                       | -         | globex | false | -      | false | Acting in another tenant requires the platform admin scope",
      "on  | SERVICE_ACCOUNT | sa:ci    | acme   | platform:admin          | -         | globex | false | -      | false | Acting in another tenant requires the platform admin scope",
      "on  | SERVICE_ACCOUNT | sa:ci    | ''     | sessions:read           | -         | -      | false | -      | false | This service account belongs to no tenant; mint one in a tenant",
      "on  | SERVICE_ACCOUNT | sa:ci    | acme   | sessions:read           | -         | -      | true  | acme   | false | -",
      "on  | UNVERIFIED      | operator | ops    | platform:admin          | -         | globex | false | -      | false | Acting in another tenant requires the platform admin scope",
      "on  | SECURITY_KEY    | -        | -      | -                       | -         | globex | true  | globex | true  | -",
      "on  | SECURITY_KEY    | -        | -      | -                       | -         | -      | true  | ''     | true  | -"})
  void tenantOfDecision(String tenants, String kind, String sub, String claim, String scopes, String roles, String header,
                        boolean allowed, String tenant, boolean admin, String detail) {
    PolicyEngine engine = engine(tenants.equals("on") ? ON : OFF);
    Decision d = engine.authorize(principal(kind, sub, claim, scopes, roles), "GET", "/sessions", Optional.ofNullable(header));
    assertThat(d.allowed()).as(d.reasons().toString()).isEqualTo(allowed);
    if (allowed) {
      assertThat(d.tenantId()).isEqualTo(tenant);
      assertThat(d.admin()).isEqualTo(admin);
      assertThat(d.owner().tenantId()).isEqualTo(tenant);
    } else {
      assertThat(d.detail()).isEqualTo(detail);
    }
  }

  @Test
  @DisplayName("a role in one tenant grants nothing to the same subject in another")
  void rolesStayInTheirTenant() {
    PolicyEngine engine = new PolicyEngine(ON);
    engine.useRoles(engine.roles().withManaged(ON, RoleDirectory.snapshot("acme", new JsonArray().add(new JsonObject()
        .put("name", "auditor").put("scopes", new JsonArray().add("traces:read")).put("deny", new JsonArray())),
        new JsonObject().put("carol", new JsonArray().add("auditor")))));
    assertThat(engine.authorize(principal("JWT", "carol", "acme", null, null), "GET", "/traces").allowed()).isTrue();
    assertThat(engine.authorize(principal("JWT", "carol", "globex", null, null), "GET", "/traces").allowed()).isFalse();
    assertThat(engine.authorize(principal("JWT", "carol", "globex", null, "auditor"), "GET", "/traces").allowed())
        .as("a role claim naming another tenant's managed role").isFalse();
  }

  @Test
  @DisplayName("property: naming a tenant never widens a principal without the platform scope (random principals, 2,000 cases)")
  void namingATenantNeverWidens() {
    PolicyEngine engine = engine(ON);
    Random random = new Random(19);
    List<String> pool = List.of("sessions:read", "sessions:write", "agent_os:admin", "memories:read", "traces:read", "agents:read");
    List<String> paths = List.of("/sessions", "/memories", "/traces", "/agents", "/service-accounts", "/authz/roles");
    for (int i = 0; i < 2_000; i++) {
      StringBuilder scopes = new StringBuilder();
      for (String s : pool) if (random.nextBoolean()) scopes.append(s).append(' ');
      String home = random.nextBoolean() ? "acme" : "globex";
      String other = home.equals("acme") ? "globex" : "acme";
      Principal p = principal(random.nextBoolean() ? "JWT" : "SERVICE_ACCOUNT", "u" + i, home, scopes.toString().trim(), null);
      String path = paths.get(random.nextInt(paths.size()));
      Decision named = engine.authorize(p, "GET", path, Optional.of(other));
      assertThat(named.allowed()).as(p + " " + path).isFalse();
      Decision own = engine.authorize(p, "GET", path, Optional.empty());
      if (own.allowed()) assertThat(own.tenantId()).isEqualTo(home);
    }
  }
}
