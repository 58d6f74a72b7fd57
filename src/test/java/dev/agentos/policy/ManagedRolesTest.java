package dev.agentos.policy;

import dev.agentos.contract.Decision;
import static dev.agentos.testing.TestServer.call;
import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.contract.Principal;
import dev.agentos.authn.KeySet;
import dev.agentos.testing.TestDatabase;
import dev.agentos.testing.TestServer;
import dev.agentos.testing.Tokens;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Managed roles API (/authz)")
class ManagedRolesTest {
  private static final String ADMIN = Tokens.admin();
  private TestDatabase db;
  private TestServer s;

  private static JsonObject config() {
    return new JsonObject().put("authorization", new JsonObject().put("roles_claim", "realm_access.roles")
        .put("roles", new JsonObject().put("auditor", new JsonObject().put("scopes", new JsonArray().add("traces:read")))));
  }

  @BeforeEach
  void start() throws Exception {
    db = TestDatabase.create();
    s = TestServer.start(db, config());
  }

  @AfterEach
  void stop() throws Exception {
    s.close();
    db.close();
  }

  private static String withRoles(String sub, String... roles) {
    return Tokens.hs256(Tokens.claims(sub).put("realm_access", new JsonObject().put("roles", new JsonArray(List.of(roles)))));
  }

  private int get(String path, String token) {
    return s.get(path, token).statusCode();
  }

  @Test
  @DisplayName("a role created through the API is enforced at once for tokens naming it (Keycloak's realm_access.roles)")
  void createAndEnforce() {
    String analyst = withRoles("ann", "analyst");
    assertThat(get("/metrics", analyst)).isEqualTo(403);
    var put = call(s, HttpMethod.PUT, "/authz/roles/analyst", ADMIN, new JsonObject()
        .put("scopes", new JsonArray().add("metrics:read").add("sessions:read")).put("description", "dashboards"));
    assertThat(put.statusCode()).as(put.bodyAsString()).isEqualTo(200);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
    int status = 0;
    while (System.nanoTime() < deadline && (status = get("/metrics", analyst)) != 200) Thread.onSpinWait();
    assertThat(status).isEqualTo(200);
    JsonArray roles = s.get("/authz/roles", ADMIN).bodyAsJsonObject().getJsonArray("data");
    assertThat(roles.stream().map(r -> ((JsonObject) r).getString("name") + "/" + ((JsonObject) r).getString("source")))
        .contains("owner/built_in", "member/built_in", "auditor/config", "analyst/managed");
    assertThat(get("/traces", withRoles("al", "auditor"))).isEqualTo(200);
    assertThat(get("/agents/a1", withRoles("mo", "member"))).isEqualTo(404);
    assertThat(get("/agents/a1", withRoles("mo", "made-up"))).isEqualTo(403);
  }

  @Test
  @DisplayName("a deny in a managed role beats the admin scope")
  void denyBeatsAdmin() {
    assertThat(call(s, HttpMethod.PUT, "/authz/roles/read-only", ADMIN, new JsonObject().put("scopes", new JsonArray())
        .put("deny", new JsonArray().add("sessions:delete").add("sessions:write"))).statusCode()).isEqualTo(200);
    String restrictedAdmin = Tokens.hs256(Tokens.claims("root2", "agent_os:admin")
        .put("realm_access", new JsonObject().put("roles", new JsonArray().add("read-only"))));
    awaitStatus("/sessions/s1", restrictedAdmin, HttpMethod.DELETE, 403);
    assertThat(get("/sessions", restrictedAdmin)).isEqualTo(200);
  }

  @Test
  @DisplayName("roles assigned to a subject apply in addition to the token's roles")
  void subjectRoles() {
    call(s, HttpMethod.PUT, "/authz/roles/analyst", ADMIN, new JsonObject().put("scopes", new JsonArray().add("metrics:read")));
    assertThat(get("/metrics", Tokens.hs256("bob"))).isEqualTo(403);
    var assigned = call(s, HttpMethod.PUT, "/authz/subjects/bob/roles", ADMIN, new JsonObject().put("roles", new JsonArray().add("analyst")));
    assertThat(assigned.statusCode()).isEqualTo(200);
    awaitStatus("/metrics", Tokens.hs256("bob"), HttpMethod.GET, 200);
    assertThat(s.get("/authz/subjects/bob/roles", ADMIN).bodyAsJsonObject().getJsonArray("roles")).containsExactly("analyst");
    assertThat(call(s, HttpMethod.PUT, "/authz/subjects/bob/roles", ADMIN, new JsonObject().put("roles", new JsonArray().add("nope")))
        .statusCode()).isEqualTo(422);
  }

  @Test
  @DisplayName("validation: bad names and unparseable scopes are 422; built-in roles cannot change (409)")
  void validation() {
    for (String bad : new String[] {"Upper", "-x", "a".repeat(64), "sp%20ace"}) {
      assertThat(call(s, HttpMethod.PUT, "/authz/roles/" + bad, ADMIN, new JsonObject().put("scopes", new JsonArray())).statusCode())
          .as(bad).isIn(400, 422);
    }
    var unparseable = call(s, HttpMethod.PUT, "/authz/roles/r1", ADMIN, new JsonObject().put("scopes", new JsonArray().add("nonsense").add("a:b:c:d")));
    assertThat(unparseable.statusCode()).isEqualTo(422);
    assertThat(unparseable.bodyAsString()).contains("nonsense", "a:b:c:d");
    assertThat(call(s, HttpMethod.PUT, "/authz/roles/r1", ADMIN, new JsonObject()).statusCode()).isEqualTo(422);
    for (String fixed : new String[] {"owner", "administrator", "member"}) {
      assertThat(call(s, HttpMethod.PUT, "/authz/roles/" + fixed, ADMIN, new JsonObject().put("scopes", new JsonArray())).statusCode())
          .isEqualTo(409);
      assertThat(call(s, HttpMethod.DELETE, "/authz/roles/" + fixed, ADMIN, null).statusCode()).isEqualTo(409);
    }
    assertThat(call(s, HttpMethod.DELETE, "/authz/roles/never-made", ADMIN, null).statusCode()).isEqualTo(404);
    assertThat(call(s, HttpMethod.DELETE, "/authz/roles/auditor", ADMIN, null).statusCode())
        .as("a configured role with no run-time change has nothing to delete here").isEqualTo(409);
  }

  @Test
  @DisplayName("a configured role is a seed: a change at run time wins over the configuration, and deleting it restores the seed")
  void configuredRolesAreSeeds() {
    String auditor = withRoles("al", "auditor");
    assertThat(get("/traces", auditor)).isEqualTo(200);
    assertThat(get("/metrics", auditor)).isEqualTo(403);
    var edited = call(s, HttpMethod.PUT, "/authz/roles/auditor", ADMIN, new JsonObject().put("scopes", new JsonArray().add("metrics:read")));
    assertThat(edited.statusCode()).as(edited.bodyAsString()).isEqualTo(200);
    awaitStatus("/metrics", auditor, HttpMethod.GET, 200);
    awaitStatus("/traces", auditor, HttpMethod.GET, 403);
    JsonObject listed = s.get("/authz/roles/auditor", ADMIN).bodyAsJsonObject();
    assertThat(listed.getString("source")).isEqualTo("managed");
    assertThat(listed.getBoolean("seeded_from_config")).isTrue();
    assertThat(s.get("/authz/roles", ADMIN).bodyAsJsonObject().getJsonArray("data").stream()
        .filter(r -> ((JsonObject) r).getString("name").equals("auditor")).count()).as("listed once").isEqualTo(1);
    // undoing the edit keeps who holds the role
    call(s, HttpMethod.PUT, "/authz/subjects/kim/roles", ADMIN, new JsonObject().put("roles", new JsonArray().add("auditor")));
    assertThat(call(s, HttpMethod.DELETE, "/authz/roles/auditor", ADMIN, null).statusCode()).isEqualTo(204);
    assertThat(s.get("/authz/subjects/kim/roles", ADMIN).bodyAsJsonObject().getJsonArray("roles")).containsExactly("auditor");
    awaitStatus("/traces", auditor, HttpMethod.GET, 200);
    awaitStatus("/metrics", auditor, HttpMethod.GET, 403);
    assertThat(s.get("/authz/roles/auditor", ADMIN).bodyAsJsonObject().getString("source")).isEqualTo("config");
  }

  @Test
  @DisplayName("a configured role's run-time change survives a restart with the same configuration")
  void seedEditSurvivesRestart() throws Exception {
    call(s, HttpMethod.PUT, "/authz/roles/auditor", ADMIN, new JsonObject().put("scopes", new JsonArray().add("metrics:read")));
    s.close();
    s = TestServer.start(db, config());
    String auditor = withRoles("al", "auditor");
    assertThat(get("/metrics", auditor)).isEqualTo(200);
    assertThat(get("/traces", auditor)).isEqualTo(403);
  }

  @Test
  @DisplayName("escalation is refused: a non-admin cannot create or assign a role holding a scope it lacks")
  void escalation() {
    String manager = Tokens.hs256("mgr", "authz:read", "authz:write", "metrics:read");
    assertThat(call(s, HttpMethod.PUT, "/authz/roles/metrics-only", manager, new JsonObject()
        .put("scopes", new JsonArray().add("metrics:read"))).statusCode()).isEqualTo(200);
    var grab = call(s, HttpMethod.PUT, "/authz/roles/grab", manager, new JsonObject().put("scopes", new JsonArray().add("sessions:delete")));
    assertThat(grab.statusCode()).isEqualTo(403);
    assertThat(grab.bodyAsJsonObject().getString("detail")).isEqualTo("Cannot grant scope(s) you do not hold: sessions:delete");
    assertThat(call(s, HttpMethod.PUT, "/authz/subjects/mgr/roles", manager, new JsonObject().put("roles", new JsonArray().add("owner")))
        .statusCode()).isEqualTo(403);
    assertThat(call(s, HttpMethod.PUT, "/authz/roles/sneaky", manager, new JsonObject().put("scopes", new JsonArray().add("agent_os:admin")))
        .statusCode()).isEqualTo(403);
    assertThat(call(s, HttpMethod.PUT, "/authz/roles/x", Tokens.hs256("nobody", "metrics:read"), new JsonObject()
        .put("scopes", new JsonArray())).statusCode()).isEqualTo(403);
  }

  @Test
  @DisplayName("what-if: /authz/check answers for a principal or a token without performing the request")
  void whatIf() {
    var forPrincipal = call(s, HttpMethod.POST, "/authz/check", ADMIN, new JsonObject().put("method", "delete").put("path", "/agents/a1/")
        .put("principal", new JsonObject().put("user_id", "x").put("roles", new JsonArray().add("member"))));
    assertThat(forPrincipal.statusCode()).isEqualTo(200);
    assertThat(forPrincipal.bodyAsJsonObject().getBoolean("allowed")).isFalse();
    assertThat(forPrincipal.bodyAsJsonObject().getJsonArray("reasons").encode()).contains("missing agents:a1:delete");
    var forToken = call(s, HttpMethod.POST, "/authz/check", ADMIN, new JsonObject().put("method", "GET").put("path", "/traces")
        .put("token", withRoles("al", "auditor")));
    assertThat(forToken.bodyAsJsonObject().getBoolean("allowed")).isTrue();
    var forged = call(s, HttpMethod.POST, "/authz/check", ADMIN, new JsonObject().put("method", "GET").put("path", "/traces")
        .put("token", "not.a.token"));
    assertThat(forged.bodyAsJsonObject().getBoolean("allowed")).isFalse();
  }

  @Test
  @DisplayName("every change leaves an audit row with who, what, before and after")
  void audit() {
    call(s, HttpMethod.PUT, "/authz/roles/analyst", ADMIN, new JsonObject().put("scopes", new JsonArray().add("metrics:read")));
    call(s, HttpMethod.PUT, "/authz/roles/analyst", ADMIN, new JsonObject().put("scopes", new JsonArray().add("traces:read")));
    call(s, HttpMethod.PUT, "/authz/subjects/bob/roles", ADMIN, new JsonObject().put("roles", new JsonArray().add("analyst")));
    call(s, HttpMethod.DELETE, "/authz/roles/analyst", ADMIN, null);
    JsonArray rows = s.get("/authz/audit", ADMIN).bodyAsJsonObject().getJsonArray("data");
    List<String> actions = new ArrayList<>();
    // the users directory's own entries (the admin's first request added it) are in the same trail, by system:jit
    rows.stream().map(JsonObject.class::cast).filter(r -> !"system:jit".equals(r.getString("actor")))
        .forEach(r -> actions.add(r.getString("action")));
    assertThat(actions).containsExactly("role.delete", "subject.roles", "role.update", "role.create");
    JsonObject update = rows.stream().map(JsonObject.class::cast).filter(r -> r.getString("action").equals("role.update")).findFirst().get();
    assertThat(update.getString("actor")).isEqualTo("admin-user");
    assertThat(update.getJsonObject("before").getJsonArray("scopes")).containsExactly("metrics:read");
    assertThat(update.getJsonObject("after").getJsonArray("scopes")).containsExactly("traces:read");
    assertThat(s.get("/authz/subjects/bob/roles", ADMIN).bodyAsJsonObject().getJsonArray("roles")).isEmpty();
  }

  @Test
  @DisplayName("managed roles survive a restart")
  void survivesRestart() throws Exception {
    call(s, HttpMethod.PUT, "/authz/roles/analyst", ADMIN, new JsonObject().put("scopes", new JsonArray().add("metrics:read")));
    s.close();
    s = TestServer.start(db, config());
    assertThat(get("/metrics", withRoles("ann", "analyst"))).isEqualTo(200);
  }

  @Test
  @DisplayName("changing, deleting, assigning or unassigning a role needs every scope it grants, before and after (admins excepted)")
  void changingARoleNeedsWhatItGrants() {
    String editor = Tokens.hs256("ed", "authz:read", "authz:write", "sessions:read");
    assertThat(call(s, HttpMethod.PUT, "/authz/roles/ops", ADMIN, new JsonObject().put("scopes", new JsonArray().add("agent_os:admin")))
        .statusCode()).isEqualTo(200);
    assertThat(call(s, HttpMethod.PUT, "/authz/subjects/olive/roles", ADMIN, new JsonObject().put("roles", new JsonArray().add("ops")))
        .statusCode()).isEqualTo(200);
    // rewriting the admin role down to what the editor holds would demote olive: refused
    assertThat(call(s, HttpMethod.PUT, "/authz/roles/ops", editor, new JsonObject().put("scopes", new JsonArray().add("sessions:read")))
        .statusCode()).isEqualTo(403);
    assertThat(call(s, HttpMethod.DELETE, "/authz/roles/ops", editor, null).statusCode()).isEqualTo(403);
    // unassigning it from olive is refused too, and so is assigning it to someone
    assertThat(call(s, HttpMethod.PUT, "/authz/subjects/olive/roles", editor, new JsonObject().put("roles", new JsonArray()))
        .statusCode()).isEqualTo(403);
    assertThat(call(s, HttpMethod.PUT, "/authz/subjects/mallory/roles", editor, new JsonObject().put("roles", new JsonArray().add("ops")))
        .statusCode()).isEqualTo(403);
    assertThat(s.get("/authz/subjects/olive/roles", ADMIN).bodyAsJsonObject().getJsonArray("roles").getList()).containsExactly("ops");
    // a role the editor fully holds, before and after, is theirs to change and hand out
    assertThat(call(s, HttpMethod.PUT, "/authz/roles/readers", editor, new JsonObject().put("scopes", new JsonArray().add("sessions:read")))
        .statusCode()).isEqualTo(200);
    assertThat(call(s, HttpMethod.PUT, "/authz/subjects/rita/roles", editor, new JsonObject().put("roles", new JsonArray().add("readers")))
        .statusCode()).isEqualTo(200);
    assertThat(call(s, HttpMethod.PUT, "/authz/subjects/rita/roles", editor, new JsonObject().put("roles", new JsonArray()))
        .statusCode()).isEqualTo(200);
    assertThat(call(s, HttpMethod.DELETE, "/authz/roles/readers", editor, null).statusCode()).isEqualTo(204);
    // the admin may do all of it
    assertThat(call(s, HttpMethod.PUT, "/authz/subjects/olive/roles", ADMIN, new JsonObject().put("roles", new JsonArray())).statusCode())
        .isEqualTo(200);
    assertThat(call(s, HttpMethod.DELETE, "/authz/roles/ops", ADMIN, null).statusCode()).isEqualTo(204);
  }

  @Test
  @DisplayName("two policy verticle instances both enforce a change within one second")
  void twoInstances() throws Exception {
    String second = s.vertx().deployVerticle(new PolicyVerticle(dev.agentos.config.ConfigLoader.fromJson(
            TestServer.baseConfig(db).mergeIn(config(), true), Map.of()).authorization(),
            "agentos-second-policy", dev.agentos.cluster.NodeIdentities.local(), 5_000))
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(second).isNotNull();
    PolicyClient policy = new PolicyClient(s.vertx(), 2_000);
    Principal ann = new Principal(Principal.Kind.JWT, Optional.of("ann"), List.of(), List.of("analyst"), Optional.empty(), new JsonObject(), 0);
    Thread.sleep(200);
    assertThat(call(s, HttpMethod.PUT, "/authz/roles/analyst", ADMIN, new JsonObject().put("scopes", new JsonArray().add("metrics:read")))
        .statusCode()).isEqualTo(200);
    long changed = System.nanoTime();
    boolean allAllowed = false;
    while (System.nanoTime() - changed < TimeUnit.SECONDS.toNanos(1)) {
      allAllowed = true;
      for (int i = 0; i < 10; i++) { // requests are spread over both instances
        Decision d = policy.authorize(ann, "GET", "/metrics").toCompletionStage().toCompletableFuture().get(2, TimeUnit.SECONDS);
        allAllowed &= d.allowed();
      }
      if (allAllowed) break;
    }
    assertThat(allAllowed).isTrue();
  }

  private void awaitStatus(String path, String token, HttpMethod method, int expected) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
    int last = -1;
    while (System.nanoTime() < deadline) {
      last = TestServer.send(s.request(method, path).putHeader("Authorization", "Bearer " + token)).statusCode();
      if (last == expected) return;
    }
    assertThat(last).isEqualTo(expected);
  }

  @Test
  @DisplayName("only an admin without denies can lift a deny: not by deleting, weakening or unassigning the role")
  void denyLiftingNeedsAdmin() {
    assertThat(call(s, HttpMethod.PUT, "/authz/roles/no-secret", ADMIN, new JsonObject().put("scopes", new JsonArray())
        .put("deny", new JsonArray().add("agents:secret:run"))).statusCode()).isEqualTo(200);
    assertThat(call(s, HttpMethod.PUT, "/authz/subjects/mgr/roles", ADMIN, new JsonObject().put("roles", new JsonArray().add("no-secret")))
        .statusCode()).isEqualTo(200);
    String manager = Tokens.hs256("mgr", "authz:read", "authz:write", "agents:run");
    awaitStatus("/authz/roles", manager, HttpMethod.GET, 200);
    assertThat(call(s, HttpMethod.PUT, "/authz/subjects/mgr/roles", manager, new JsonObject().put("roles", new JsonArray())).statusCode())
        .isEqualTo(403);
    assertThat(call(s, HttpMethod.DELETE, "/authz/roles/no-secret", manager, null).statusCode()).isEqualTo(403);
    assertThat(call(s, HttpMethod.PUT, "/authz/roles/no-secret", manager, new JsonObject().put("scopes", new JsonArray())
        .put("deny", new JsonArray())).statusCode()).isEqualTo(403);
    // a deny on one agent also withholds the family-wide scope from what the manager can hand out
    assertThat(call(s, HttpMethod.PUT, "/authz/roles/runner", manager, new JsonObject().put("scopes", new JsonArray().add("agents:run")))
        .statusCode()).isEqualTo(403);
    assertThat(call(s, HttpMethod.DELETE, "/authz/roles/no-secret", ADMIN, null).statusCode()).isEqualTo(204);
  }

  @Test
  @DisplayName("PUT …/scopes replaces a role's scopes with effects (a string is an allow), keeps its description, and is enforced")
  void putScopesWithEffects() {
    assertThat(call(s, HttpMethod.PUT, "/authz/roles/editor", ADMIN, new JsonObject().put("scopes", new JsonArray().add("metrics:read"))
        .put("description", "edits")).statusCode()).isEqualTo(200);
    var r = call(s, HttpMethod.PUT, "/authz/roles/editor/scopes", ADMIN, new JsonObject().put("scopes", new JsonArray()
        .add("sessions:read").add(new JsonObject().put("scope", "agents:secret:run").put("effect", "deny"))
        .add(new JsonObject().put("scope", "traces:read"))));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    assertThat(r.bodyAsJsonArray().getJsonObject(0).getMap()).containsEntry("raw", "sessions:read").containsEntry("namespace", "sessions")
        .containsEntry("permission", "read").containsEntry("value", "allow");
    JsonObject role = s.get("/authz/roles/editor", ADMIN).bodyAsJsonObject();
    assertThat(role.getJsonArray("scopes").getList()).containsExactly("sessions:read", "traces:read");
    assertThat(role.getJsonArray("deny").getList()).containsExactly("agents:secret:run");
    assertThat(role.getString("description")).isEqualTo("edits");
    awaitStatus("/traces", withRoles("ed", "editor"), HttpMethod.GET, 200);
    awaitStatus("/metrics", withRoles("ed", "editor"), HttpMethod.GET, 403);
  }

  @Test
  @DisplayName("PATCH …/scopes upserts (adding, or flipping an effect) and removes, keeping the rest; deny wins")
  void patchScopes() {
    call(s, HttpMethod.PUT, "/authz/roles/editor", ADMIN, new JsonObject().put("scopes", new JsonArray().add("sessions:read")
        .add("memories:read")).put("deny", new JsonArray().add("sessions:delete")));
    var r = call(s, HttpMethod.PATCH, "/authz/roles/editor/scopes", ADMIN, new JsonObject()
        .put("upsert", new JsonArray().add(new JsonObject().put("scope", "memories:read").put("effect", "deny")).add("traces:read")
            .add("metrics:read").add(new JsonObject().put("scope", "metrics:read").put("effect", "deny")))
        .put("remove", new JsonArray().add("sessions:read")));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    assertThat(r.bodyAsJsonObject().getJsonArray("scopes").getList()).containsExactly("traces:read");
    assertThat(r.bodyAsJsonObject().getJsonArray("deny").getList()).containsExactlyInAnyOrder("sessions:delete", "memories:read", "metrics:read");
    assertThat(s.get("/authz/roles/editor", ADMIN).bodyAsJsonObject().getJsonArray("scopes").getList()).containsExactly("traces:read");
    JsonArray audit = s.get("/authz/audit", ADMIN).bodyAsJsonObject().getJsonArray("data");
    assertThat(audit.getJsonObject(0).getString("action")).isEqualTo("role.update");
    assertThat(audit.getJsonObject(0).getJsonObject("before").getJsonArray("scopes").getList()).contains("sessions:read");
  }

  @Test
  @DisplayName("the scope routes keep the role rules: 404 unknown, 409 built in, 422 malformed, and no escalation or deny lifting")
  void scopeRoutesRules() {
    assertThat(call(s, HttpMethod.PUT, "/authz/roles/nope/scopes", ADMIN, new JsonObject().put("scopes", new JsonArray())).statusCode())
        .isEqualTo(404);
    assertThat(call(s, HttpMethod.PATCH, "/authz/roles/member/scopes", ADMIN, new JsonObject()).statusCode()).isEqualTo(409);
    call(s, HttpMethod.PUT, "/authz/roles/editor", ADMIN, new JsonObject().put("scopes", new JsonArray().add("sessions:read"))
        .put("deny", new JsonArray().add("agents:secret:run")));
    for (JsonObject bad : List.of(new JsonObject(), new JsonObject().put("scopes", "sessions:read"),
        new JsonObject().put("scopes", new JsonArray().add(new JsonObject().put("scope", "sessions:read").put("effect", "maybe"))),
        new JsonObject().put("scopes", new JsonArray().add(7)), new JsonObject().put("scopes", new JsonArray().add("not a scope")))) {
      assertThat(call(s, HttpMethod.PUT, "/authz/roles/editor/scopes", ADMIN, bad).statusCode()).as(bad.encode()).isEqualTo(422);
    }
    String manager = Tokens.hs256("mgr", "authz:read", "authz:write", "sessions:read");
    assertThat(call(s, HttpMethod.PATCH, "/authz/roles/editor/scopes", manager,
        new JsonObject().put("upsert", new JsonArray().add("traces:read"))).statusCode()).as("escalation").isEqualTo(403);
    var lift = call(s, HttpMethod.PATCH, "/authz/roles/editor/scopes", manager,
        new JsonObject().put("remove", new JsonArray().add("agents:secret:run")));
    assertThat(lift.statusCode()).isEqualTo(403);
    assertThat(lift.bodyAsJsonObject().getString("detail")).isEqualTo("Only an admin can lift a role's deny");
    assertThat(call(s, HttpMethod.PATCH, "/authz/roles/editor/scopes", Tokens.hs256("nobody", "authz:read"),
        new JsonObject().put("upsert", new JsonArray())).statusCode()).as("authz:write is required").isEqualTo(403);
  }
}
