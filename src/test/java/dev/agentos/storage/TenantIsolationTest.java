package dev.agentos.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.testing.TestDatabase;
import dev.agentos.testing.TestServer;
import dev.agentos.testing.Tokens;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * docs/isolation.md, "Tenants", over real HTTP and PostgreSQL: two customers (acme, globex) with one user id (alice)
 * in both, a second acme user, each tenant's admin, and a platform admin whose home tenant (ops) holds nothing.
 */
@DisplayName("Tenants: one user id in two customers, tenant admins and a platform admin")
class TenantIsolationTest {
  static final String[] USER_SCOPES = {"sessions:read", "sessions:write", "sessions:delete", "memories:read",
      "memories:write", "memories:delete", "traces:read", "agents:read", "agents:run"};

  static String token(String sub, String tenant, String... scopes) {
    JsonObject claims = Tokens.claims(sub, scopes);
    if (tenant != null) claims.put("org", new JsonObject().put("id", tenant));
    return Tokens.hs256(claims);
  }

  static final String ALICE_ACME = token("alice", "acme", USER_SCOPES);
  static final String BOB_ACME = token("bob", "acme", USER_SCOPES);
  static final String ALICE_GLOBEX = token("alice", "globex", USER_SCOPES);
  static final String ADMIN_ACME = token("root", "acme", "agent_os:admin");
  static final String ADMIN_GLOBEX = token("root", "globex", "agent_os:admin");
  static final String PLATFORM = token("operator", "ops", "platform:admin");
  static final String NO_TENANT = token("alice", null, USER_SCOPES);

  static final JsonObject CONFIG = new JsonObject()
      .put("agents", new JsonArray().add(new JsonObject().put("id", "web-agent").put("name", "Web")
          .put("model", new JsonObject().put("provider", "echo").put("id", "echo-1"))))
      .put("authorization", new JsonObject().put("user_isolation", true).put("tenant_id_claim", "org.id")
          .put("platform_admin_scope", "platform:admin"));

  static TestDatabase db;
  static TestServer s;

  static HttpResponse<Buffer> call(HttpMethod method, String uri, String token, String tenantHeader, Object body) {
    HttpRequest<Buffer> r = s.request(method, uri).putHeader("Authorization", "Bearer " + token);
    if (tenantHeader != null) r.putHeader("X-Tenant-Id", tenantHeader);
    return body == null ? TestServer.send(r) : TestServer.send(r, Buffer.buffer(((JsonObject) body).encode()));
  }

  static HttpResponse<Buffer> call(HttpMethod method, String uri, String token, Object body) {
    return call(method, uri, token, null, body);
  }

  static HttpResponse<Buffer> run(String token, String sessionId, String message) {
    MultiMap form = MultiMap.caseInsensitiveMultiMap().add("message", message).add("stream", "false").add("session_id", sessionId);
    return TestServer.send(s.request(HttpMethod.POST, "/agents/web-agent/runs").putHeader("Authorization", "Bearer " + token)
        .putHeader("Content-Type", "application/x-www-form-urlencoded"), Buffer.buffer(encode(form)));
  }

  static String encode(MultiMap form) {
    StringBuilder b = new StringBuilder();
    form.forEach(e -> b.append(b.length() == 0 ? "" : "&").append(java.net.URLEncoder.encode(e.getKey(), java.nio.charset.StandardCharsets.UTF_8))
        .append('=').append(java.net.URLEncoder.encode(e.getValue(), java.nio.charset.StandardCharsets.UTF_8)));
    return b.toString();
  }

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.create();
    s = TestServer.start(TestServer.baseConfig(db).mergeIn(CONFIG, true), Map.of());
    // the same session id "chat" for alice in both tenants; bob's in acme is another id (ids are unique per tenant)
    seed(ALICE_ACME, "chat", "acme alice");
    seed(BOB_ACME, "chat-bob", "acme bob");
    seed(ALICE_GLOBEX, "chat", "globex alice");
  }

  static void seed(String token, String sessionId, String label) {
    assertThat(call(HttpMethod.POST, "/sessions?type=agent", token, new JsonObject().put("session_id", sessionId)
        .put("agent_id", "web-agent").put("session_name", label)).statusCode()).as(label).isEqualTo(201);
    assertThat(call(HttpMethod.POST, "/memories", token, new JsonObject().put("memory", label)).statusCode()).as(label).isEqualTo(200);
    HttpResponse<Buffer> r = run(token, sessionId, label);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
  }

  /** Every policy instance reloads on the change notice; the one that answers may be a moment behind the writer. */
  static void awaitStatus(String uri, String token, int status) {
    long until = System.currentTimeMillis() + 5_000;
    int last;
    do {
      last = call(HttpMethod.GET, uri, token, null).statusCode();
      if (last == status) return;
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    } while (System.currentTimeMillis() < until);
    assertThat(last).as(uri).isEqualTo(status);
  }

  @AfterAll
  static void stop() throws Exception {
    s.close();
    db.close();
  }

  static List<String> field(HttpResponse<Buffer> r, String field) {
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return r.bodyAsJsonObject().getJsonArray("data").stream().map(o -> ((JsonObject) o).getString(field)).sorted().toList();
  }

  /** Who sees what: (caller, X-Tenant-Id or null, the labels of the sessions and memories it lists). */
  static Stream<Arguments> visibility() {
    return Stream.of(
        Arguments.of("alice@acme", ALICE_ACME, null, List.of("acme alice")),
        Arguments.of("bob@acme", BOB_ACME, null, List.of("acme bob")),
        Arguments.of("alice@globex", ALICE_GLOBEX, null, List.of("globex alice")),
        Arguments.of("alice@acme naming her own tenant", ALICE_ACME, "acme", List.of("acme alice")),
        Arguments.of("acme's admin", ADMIN_ACME, null, List.of("acme alice", "acme bob")),
        Arguments.of("globex's admin", ADMIN_GLOBEX, null, List.of("globex alice")),
        Arguments.of("the platform admin in its own tenant", PLATFORM, null, List.of()),
        Arguments.of("the platform admin acting in acme", PLATFORM, "acme", List.of("acme alice", "acme bob")),
        Arguments.of("the platform admin acting in globex", PLATFORM, "globex", List.of("globex alice")));
  }

  @ParameterizedTest(name = "{0} lists sessions {3}")
  @MethodSource("visibility")
  @DisplayName("sessions are listed per tenant, then per user")
  void sessions(String who, String token, String tenant, List<String> labels) {
    assertThat(field(call(HttpMethod.GET, "/sessions", token, tenant, null), "session_name")).isEqualTo(labels);
  }

  @ParameterizedTest(name = "{0} lists memories {3}")
  @MethodSource("visibility")
  @DisplayName("memories are listed per tenant, then per user (agno #8851: no bleed between tenants)")
  void memories(String who, String token, String tenant, List<String> labels) {
    assertThat(field(call(HttpMethod.GET, "/memories", token, tenant, null), "memory")).isEqualTo(labels);
  }

  @ParameterizedTest(name = "{0} lists traces of {3}")
  @MethodSource("visibility")
  @DisplayName("traces are listed per tenant, then per user")
  void traces(String who, String token, String tenant, List<String> labels) {
    assertThat(field(call(HttpMethod.GET, "/traces", token, tenant, null), "input")).isEqualTo(labels);
  }

  @Test
  @DisplayName("one session id in two tenants is two sessions: each alice reads, runs in and lists runs of her own")
  void sameIdTwoTenants() {
    assertThat(call(HttpMethod.GET, "/sessions/chat", ALICE_ACME, null).bodyAsJsonObject().getString("session_name")).isEqualTo("acme alice");
    assertThat(call(HttpMethod.GET, "/sessions/chat", ALICE_GLOBEX, null).bodyAsJsonObject().getString("session_name")).isEqualTo("globex alice");
    JsonArray acmeRuns = call(HttpMethod.GET, "/sessions/chat/runs", ALICE_ACME, null).bodyAsJsonArray();
    assertThat(acmeRuns).hasSize(1);
    assertThat(acmeRuns.getJsonObject(0).getJsonObject("run_input").getString("message")).isEqualTo("acme alice");
    // a run id of one tenant is unknown in the other
    String acmeRun = acmeRuns.getJsonObject(0).getString("run_id");
    assertThat(call(HttpMethod.GET, "/sessions/chat/runs/" + acmeRun, ALICE_GLOBEX, null).statusCode()).isEqualTo(404);
    assertThat(call(HttpMethod.GET, "/agents/web-agent/runs/" + acmeRun + "?session_id=chat", ALICE_GLOBEX, null).statusCode()).isEqualTo(404);
    // within a tenant an id taken by another user is still a conflict, as without tenants
    assertThat(call(HttpMethod.POST, "/sessions?type=agent", BOB_ACME, new JsonObject().put("session_id", "chat")).statusCode()).isEqualTo(409);
  }

  @Test
  @DisplayName("a delete in one tenant leaves the other tenant's row of the same id")
  void deleteStaysInTenant() {
    seed(ALICE_GLOBEX, "to-delete", "globex temp");
    seed(ALICE_ACME, "to-delete", "acme temp");
    assertThat(call(HttpMethod.DELETE, "/sessions/to-delete", ALICE_ACME, null).statusCode()).isEqualTo(204);
    assertThat(call(HttpMethod.GET, "/sessions/to-delete", ALICE_ACME, null).statusCode()).isEqualTo(404);
    assertThat(call(HttpMethod.GET, "/sessions/to-delete", ALICE_GLOBEX, null).statusCode()).isEqualTo(200);
    assertThat(call(HttpMethod.DELETE, "/sessions/to-delete", ALICE_GLOBEX, null).statusCode()).isEqualTo(204);
    for (String token : List.of(ALICE_ACME, ALICE_GLOBEX)) {
      String temp = call(HttpMethod.GET, "/memories", token, null).bodyAsJsonObject().getJsonArray("data").stream()
          .map(JsonObject.class::cast).filter(m -> m.getString("memory").endsWith("temp")).findFirst().orElseThrow().getString("memory_id");
      assertThat(call(HttpMethod.DELETE, "/memories/" + temp, token, null).statusCode()).isEqualTo(204);
    }
  }

  @Test
  @DisplayName("with tenants on, a token without the tenant claim gets 403 and a detail that names the claim")
  void noTenantClaim() {
    for (String uri : List.of("/sessions", "/memories", "/traces", "/agents", "/service-accounts")) {
      HttpResponse<Buffer> r = call(HttpMethod.GET, uri, NO_TENANT, null);
      assertThat(r.statusCode()).as(uri).isEqualTo(403);
      assertThat(r.bodyAsJsonObject().getString("detail")).isEqualTo("Tenant isolation requires a tenant claim ('org.id')");
      assertThat(r.getHeader("X-Decision-Id")).isNotBlank();
    }
  }

  @Test
  @DisplayName("a tenant claim that is not a tenant id makes the token invalid (401), never another tenant")
  void malformedTenantClaim() {
    for (Object bad : List.of(42, "", "acme globex", "x".repeat(129), new JsonArray().add("acme"))) {
      JsonObject claims = Tokens.claims("alice", USER_SCOPES).put("org", new JsonObject().put("id", bad));
      assertThat(call(HttpMethod.GET, "/sessions", Tokens.hs256(claims), null).statusCode()).as(String.valueOf(bad)).isEqualTo(401);
    }
  }

  @Test
  @DisplayName("naming another tenant needs the platform admin scope: a user or a tenant admin gets 403")
  void otherTenantNeedsPlatformAdmin() {
    for (String token : List.of(ALICE_ACME, ADMIN_ACME)) {
      HttpResponse<Buffer> r = call(HttpMethod.GET, "/sessions", token, "globex", null);
      assertThat(r.statusCode()).isEqualTo(403);
      assertThat(r.bodyAsJsonObject().getString("detail")).isEqualTo("Acting in another tenant requires the platform admin scope");
    }
    assertThat(call(HttpMethod.GET, "/sessions", PLATFORM, "not a tenant", null).statusCode()).isEqualTo(403);
    HttpRequest<Buffer> twice = s.request(HttpMethod.GET, "/sessions").putHeader("Authorization", "Bearer " + PLATFORM);
    twice.headers().add("X-Tenant-Id", "acme").add("X-Tenant-Id", "globex");
    assertThat(TestServer.send(twice).statusCode()).isEqualTo(400);
  }

  @Test
  @DisplayName("the platform admin scope comes only from the token: a role or a service account cannot carry it")
  void platformScopeNotThroughRolesOrAccounts() {
    HttpResponse<Buffer> role = call(HttpMethod.PUT, "/authz/roles/escalate", ADMIN_ACME,
        new JsonObject().put("scopes", new JsonArray().add("platform:admin")));
    assertThat(role.statusCode()).isEqualTo(422);
    assertThat(role.bodyAsString()).contains("only by the identity provider's token");
    HttpResponse<Buffer> account = call(HttpMethod.POST, "/service-accounts", ADMIN_ACME, new JsonObject().put("name", "escalate")
        .put("scopes", new JsonArray().add("platform:admin")).put("allow_privileged_scopes", true));
    assertThat(account.statusCode()).isEqualTo(400);
    // and a service account's or role's scope list is never where the policy looks for it
    String viaConfigRole = token("root", "acme", "agent_os:admin");
    assertThat(call(HttpMethod.GET, "/sessions", viaConfigRole, "globex", null).statusCode()).isEqualTo(403);
  }

  @Test
  @DisplayName("managed roles, assignments and their audit are per tenant, and so are their effects")
  void rolesPerTenant() {
    assertThat(call(HttpMethod.PUT, "/authz/roles/auditor", ADMIN_ACME,
        new JsonObject().put("scopes", new JsonArray().add("traces:read"))).statusCode()).isEqualTo(200);
    assertThat(call(HttpMethod.PUT, "/authz/subjects/carol/roles", ADMIN_ACME,
        new JsonObject().put("roles", new JsonArray().add("auditor"))).statusCode()).isEqualTo(200);
    assertThat(call(HttpMethod.GET, "/authz/roles/auditor", ADMIN_GLOBEX, null).statusCode()).isEqualTo(404);
    assertThat(call(HttpMethod.GET, "/authz/subjects/carol/roles", ADMIN_GLOBEX, null).bodyAsJsonObject().getJsonArray("roles")).isEmpty();
    assertThat(call(HttpMethod.GET, "/authz/subjects/carol/roles", ADMIN_ACME, null).bodyAsJsonObject().getJsonArray("roles").getList())
        .containsExactly("auditor");
    // carol's role in acme gives carol@acme traces, and carol@globex nothing
    awaitStatus("/traces", token("carol", "acme"), 200);
    assertThat(call(HttpMethod.GET, "/traces", token("carol", "globex"), null).statusCode()).isEqualTo(403);
    List<String> acmeAudit = field(call(HttpMethod.GET, "/authz/audit", ADMIN_ACME, null), "target");
    assertThat(acmeAudit).contains("role:auditor", "subject:carol");
    assertThat(field(call(HttpMethod.GET, "/authz/audit", ADMIN_GLOBEX, null), "target")).doesNotContain("role:auditor", "subject:carol");
    // the platform admin administers acme's roles by naming acme
    assertThat(call(HttpMethod.GET, "/authz/roles/auditor", PLATFORM, "acme", null).statusCode()).isEqualTo(200);
  }

  @Test
  @DisplayName("a service account is minted into its creator's tenant, acts there, and its name is free in other tenants")
  void serviceAccountsPerTenant() {
    HttpResponse<Buffer> minted = call(HttpMethod.POST, "/service-accounts", ADMIN_ACME, new JsonObject().put("name", "ingest")
        .put("scopes", new JsonArray().add("sessions:read").add("sessions:write")).put("allow_privileged_scopes", true));
    assertThat(minted.statusCode()).as(minted.bodyAsString()).isEqualTo(201);
    String acmeToken = minted.bodyAsJsonObject().getString("token");
    assertThat(call(HttpMethod.POST, "/service-accounts", ADMIN_GLOBEX, new JsonObject().put("name", "ingest")
        .put("scopes", new JsonArray().add("sessions:read"))).statusCode()).isEqualTo(201);
    assertThat(field(call(HttpMethod.GET, "/service-accounts", ADMIN_ACME, null), "name")).containsExactly("ingest");
    assertThat(call(HttpMethod.POST, "/sessions?type=agent", acmeToken, new JsonObject().put("session_id", "ingested")
        .put("session_name", "acme ingest")).statusCode()).isEqualTo(201);
    assertThat(field(call(HttpMethod.GET, "/sessions", ADMIN_ACME, null), "session_name")).contains("acme ingest");
    assertThat(field(call(HttpMethod.GET, "/sessions", ADMIN_GLOBEX, null), "session_name")).doesNotContain("acme ingest");
    // a service account's tenant is its own, never one it names
    assertThat(call(HttpMethod.GET, "/sessions", acmeToken, "globex", null).statusCode()).isEqualTo(403);
    call(HttpMethod.DELETE, "/sessions/ingested", ADMIN_ACME, null);
  }

  @Test
  @DisplayName("the what-if check answers with the tenant the decision is in")
  void whatIfCarriesTenant() {
    HttpResponse<Buffer> r = call(HttpMethod.POST, "/authz/check", ADMIN_ACME,
        new JsonObject().put("token", ALICE_GLOBEX).put("method", "GET").put("path", "/sessions"));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    assertThat(r.bodyAsJsonObject().getBoolean("allowed")).isTrue();
    assertThat(r.bodyAsJsonObject().getString("tenant_id")).isEqualTo("globex");
    // a principal given as JSON is one of the asking request's tenant, with that tenant's roles
    HttpResponse<Buffer> asked = call(HttpMethod.POST, "/authz/check", ADMIN_ACME, new JsonObject().put("method", "GET")
        .put("path", "/sessions").put("principal", new JsonObject().put("user_id", "alice").put("scopes", new JsonArray().add("sessions:read"))));
    assertThat(asked.bodyAsJsonObject().getBoolean("allowed")).isTrue();
    assertThat(asked.bodyAsJsonObject().getString("tenant_id")).isEqualTo("acme");
    HttpResponse<Buffer> platform = call(HttpMethod.POST, "/authz/check", PLATFORM, "globex", new JsonObject().put("method", "GET")
        .put("path", "/sessions").put("principal", new JsonObject().put("user_id", "alice").put("scopes", new JsonArray().add("sessions:read"))));
    assertThat(platform.bodyAsJsonObject().getString("tenant_id")).isEqualTo("globex");
  }

  @Nested
  @TestInstance(TestInstance.Lifecycle.PER_CLASS)
  @DisplayName("with tenants off")
  class Off {
    TestDatabase offDb;
    TestServer off;

    @BeforeAll
    void start() throws Exception {
      offDb = TestDatabase.create();
      off = TestServer.start(offDb, new JsonObject().put("authorization", new JsonObject().put("user_isolation", true)));
    }

    @AfterAll
    void stop() throws Exception {
      off.close();
      offDb.close();
    }

    @Test
    @DisplayName("a tenant claim is ignored and X-Tenant-Id is refused: there is one implicit tenant")
    void oneImplicitTenant() {
      assertThat(TestServer.call(off, HttpMethod.POST, "/sessions?type=agent", ALICE_ACME,
          new JsonObject().put("session_id", "x")).statusCode()).isEqualTo(201);
      assertThat(TestServer.call(off, HttpMethod.GET, "/sessions/x", ALICE_GLOBEX, null).statusCode())
          .as("the same user, whatever tenant the token names").isEqualTo(200);
      HttpResponse<Buffer> r = TestServer.send(off.request(HttpMethod.GET, "/sessions")
          .putHeader("Authorization", "Bearer " + ADMIN_ACME).putHeader("X-Tenant-Id", "acme"));
      assertThat(r.statusCode()).isEqualTo(403);
      assertThat(r.bodyAsJsonObject().getString("detail")).contains("only with tenants on");
    }
  }

  @Test
  @DisplayName("the users directory is per tenant: alice disabled in acme is still let in as globex's alice, and each tenant lists its own")
  void usersDirectoryPerTenant() {
    assertThat(call(HttpMethod.PATCH, "/users/alice", ADMIN_ACME, new JsonObject().put("disabled", true)).statusCode()).isEqualTo(200);
    awaitStatus("/sessions", ALICE_ACME, 401);
    assertThat(call(HttpMethod.GET, "/sessions", ALICE_GLOBEX, null).statusCode()).isEqualTo(200);
    assertThat(call(HttpMethod.GET, "/users/alice", ADMIN_GLOBEX, null).bodyAsJsonObject().getBoolean("disabled")).isFalse();
    assertThat(call(HttpMethod.GET, "/users/bob", ADMIN_GLOBEX, null).statusCode()).as("bob is acme's").isEqualTo(404);
    assertThat(call(HttpMethod.GET, "/users/bob", ADMIN_ACME, null).statusCode()).isEqualTo(200);
    // a platform admin reads another tenant's directory only by naming it
    assertThat(call(HttpMethod.GET, "/users/alice", PLATFORM, "acme", null).bodyAsJsonObject().getBoolean("disabled")).isTrue();
    assertThat(call(HttpMethod.PATCH, "/users/alice", ADMIN_ACME, new JsonObject().put("disabled", false)).statusCode()).isEqualTo(200);
    awaitStatus("/sessions", ALICE_ACME, 200);
  }
}
