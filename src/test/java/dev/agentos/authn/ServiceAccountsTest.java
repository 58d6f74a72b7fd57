package dev.agentos.authn;

import static dev.agentos.testing.TestServer.call;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.agentos.testing.TcpProxy;
import dev.agentos.testing.TestDatabase;
import dev.agentos.testing.TestServer;
import dev.agentos.testing.Tokens;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

@DisplayName("Service accounts: scoped, revocable tokens for machines")
class ServiceAccountsTest {
  private static final String ADMIN = Tokens.admin();
  private static TestDatabase db;
  private static TestServer s;

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.create();
    s = TestServer.start(db, new JsonObject().put("http", new JsonObject().put("instances", 2))
        .put("authorization", new JsonObject().put("service_account_cache_ttl_seconds", 300)
            .put("service_account_failures_per_minute", 10_000)));
  }

  @AfterAll
  static void stop() throws Exception {
    s.close();
    db.close();
  }

  private static JsonObject mint(String caller, JsonObject body) {
    HttpResponse<Buffer> r = call(s, HttpMethod.POST, "/service-accounts", caller, body);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201);
    return r.bodyAsJsonObject();
  }

  private static HttpResponse<Buffer> with(String token, HttpMethod method, String path) {
    return TestServer.send(s.request(method, path).putHeader("Authorization", "Bearer " + token));
  }

  @Test
  @DisplayName("a service account never outlives the JWT that minted it, whatever expiry was asked for")
  void boundedByTheMintingToken() {
    long exp = Tokens.now() + 60;
    String shortLived = Tokens.hs256(Tokens.claims("minter", "service_accounts:write", "metrics:read").put("exp", exp));
    JsonObject minted = mint(shortLived, new JsonObject().put("name", "short-bot").put("scopes", new JsonArray().add("metrics:read"))
        .put("expires_in_days", 30));
    assertThat(java.time.OffsetDateTime.parse(minted.getString("expires_at")).toEpochSecond()).isLessThanOrEqualTo(exp);
  }

  @Test
  @DisplayName("only an admin mints an account that never expires")
  void neverExpiresIsForAdmins() {
    String minter = Tokens.hs256("minter", "service_accounts:write", "metrics:read");
    HttpResponse<Buffer> refused = call(s, HttpMethod.POST, "/service-accounts", minter, new JsonObject().put("name", "eternal-bot")
        .put("scopes", new JsonArray().add("metrics:read")).put("never_expires", true));
    assertThat(refused.statusCode()).isEqualTo(403);
    assertThat(refused.bodyAsJsonObject().getString("detail")).isEqualTo("Only an admin can mint a service account that never expires");
    assertThat(mint(ADMIN, new JsonObject().put("name", "eternal-bot").put("scopes", new JsonArray().add("metrics:read"))
        .put("never_expires", true)).getValue("expires_at")).isNull();
  }

  @Test
  @DisplayName("an account minted by an account expires no later than it, and revoking the parent revokes it at once (and its own children)")
  void childrenDieWithTheirParent() {
    JsonObject parent = mint(ADMIN, new JsonObject().put("name", "parent-bot").put("allow_privileged_scopes", true)
        .put("scopes", new JsonArray().add("service_accounts:write").add("metrics:read")).put("expires_in_days", 2));
    JsonObject child = mint(parent.getString("token"), new JsonObject().put("name", "child-bot").put("allow_privileged_scopes", true)
        .put("scopes", new JsonArray().add("service_accounts:write").add("metrics:read")).put("expires_in_days", 30));
    assertThat(java.time.OffsetDateTime.parse(child.getString("expires_at")))
        .isBeforeOrEqualTo(java.time.OffsetDateTime.parse(parent.getString("expires_at")));
    JsonObject grandchild = mint(child.getString("token"), new JsonObject().put("name", "grandchild-bot")
        .put("scopes", new JsonArray().add("metrics:read")));
    for (JsonObject account : new JsonObject[] {parent, child, grandchild}) {
      assertThat(with(account.getString("token"), HttpMethod.GET, "/metrics").statusCode()).isEqualTo(200); // cached now
    }
    assertThat(call(s, HttpMethod.DELETE, "/service-accounts/" + parent.getString("id"), ADMIN, null).statusCode()).isEqualTo(204);
    for (JsonObject account : new JsonObject[] {parent, child, grandchild}) {
      assertThat(with(account.getString("token"), HttpMethod.GET, "/metrics").statusCode()).as(account.getString("name")).isEqualTo(401);
    }
  }

  @Test
  @DisplayName("the lifecycle: mint (token shown once), use within its scopes, list without secrets, revoke (idempotent)")
  void lifecycle() {
    JsonObject minted = mint(ADMIN, new JsonObject().put("name", "ci-bot").put("scopes", new JsonArray()
        .add(new JsonObject().put("scope", "sessions:read").put("effect", "allow")).add("metrics:read")));
    String token = minted.getString("token");
    assertThat(token).startsWith("agentos_pat_").hasSize("agentos_pat_".length() + 43);
    assertThat(minted.getString("principal")).isEqualTo("sa:ci-bot");
    assertThat(minted.getString("token_prefix")).isEqualTo(token.substring(0, 16));
    assertThat(minted.getJsonArray("scopes").getJsonObject(0).getString("raw")).isEqualTo("sessions:read");
    assertThat(minted.getString("expires_at")).isNotNull();
    assertThat(minted.getString("created_by")).isEqualTo("admin-user");

    assertThat(with(token, HttpMethod.GET, "/metrics").statusCode()).isEqualTo(200);
    var sessions = with(token, HttpMethod.GET, "/sessions");
    assertThat(sessions.statusCode()).as(sessions.bodyAsString()).isEqualTo(200);
    var denied = with(token, HttpMethod.DELETE, "/sessions/x");
    assertThat(denied.statusCode()).isEqualTo(403);
    assertThat(denied.bodyAsJsonObject().getString("detail")).isEqualTo("Insufficient permissions. Required scope(s): sessions:delete");

    String listing = call(s, HttpMethod.GET, "/service-accounts", ADMIN, null).bodyAsString();
    assertThat(listing).contains("ci-bot").doesNotContain(token).doesNotContain(ServiceAccountTokens.hash(token));
    JsonObject account = new JsonObject(listing).getJsonArray("data").stream().map(o -> (JsonObject) o)
        .filter(a -> a.getString("name").equals("ci-bot")).findFirst().orElseThrow();
    assertThat(account.getString("last_used_at")).isNotNull();
    assertThat(account.containsKey("token")).isFalse();

    String id = minted.getString("id");
    assertThat(call(s, HttpMethod.DELETE, "/service-accounts/" + id, ADMIN, null).statusCode()).isEqualTo(204);
    assertThat(call(s, HttpMethod.DELETE, "/service-accounts/" + id, ADMIN, null).statusCode()).isEqualTo(204);
    assertThat(call(s, HttpMethod.DELETE, "/service-accounts/no-such-id", ADMIN, null).statusCode()).isEqualTo(404);
    var revoked = with(token, HttpMethod.GET, "/metrics");
    assertThat(revoked.statusCode()).isEqualTo(401);
    assertThat(revoked.bodyAsJsonObject().getString("detail")).isEqualTo("Invalid or expired service account token");
    assertThat(call(s, HttpMethod.GET, "/service-accounts?include_revoked=false", ADMIN, null).bodyAsString()).doesNotContain("ci-bot");
  }

  @Test
  @DisplayName("a revocation is seen at once by every HTTP verticle instance, though each had the token cached")
  void revocationReachesEveryInstance() {
    String token = mint(ADMIN, new JsonObject().put("name", "cached-bot").put("scopes", new JsonArray().add("metrics:read")))
        .getString("token");
    for (int i = 0; i < 12; i++) assertThat(with(token, HttpMethod.GET, "/metrics").statusCode()).isEqualTo(200);
    String id = call(s, HttpMethod.GET, "/service-accounts", ADMIN, null).bodyAsJsonObject().getJsonArray("data").stream()
        .map(o -> (JsonObject) o).filter(a -> a.getString("name").equals("cached-bot")).findFirst().orElseThrow().getString("id");
    assertThat(call(s, HttpMethod.DELETE, "/service-accounts/" + id, ADMIN, null).statusCode()).isEqualTo(204);
    for (int i = 0; i < 12; i++) assertThat(with(token, HttpMethod.GET, "/metrics").statusCode()).isEqualTo(401);
  }

  @Test
  @DisplayName("defaults: agno's scope set and 90 days; never_expires has no expiry")
  void defaults() {
    JsonObject minted = mint(ADMIN, new JsonObject().put("name", "defaults-bot"));
    assertThat(minted.getJsonArray("scopes").stream().map(o -> ((JsonObject) o).getString("raw")))
        .containsExactly("agents:run", "teams:run", "workflows:run", "sessions:read", "config:read");
    assertThat(minted.getString("expires_at")).startsWith(java.time.LocalDate.now(java.time.ZoneOffset.UTC).plusDays(90).toString());
    assertThat(mint(ADMIN, new JsonObject().put("name", "forever-bot").put("never_expires", true)).getValue("expires_at")).isNull();
  }

  @Test
  @DisplayName("escalation is refused: scopes the caller lacks (403), privileged scopes without the flag (400), bad scopes (400)")
  void escalation() {
    String limited = Tokens.hs256("carl", "service_accounts:write", "sessions:read", "agents:a1:run");
    var lacks = call(s, HttpMethod.POST, "/service-accounts", limited, new JsonObject().put("name", "x1")
        .put("scopes", new JsonArray().add("sessions:read").add("memories:read").add("agents:run")));
    assertThat(lacks.statusCode()).isEqualTo(403);
    assertThat(lacks.bodyAsJsonObject().getString("detail")).isEqualTo("Cannot grant scope(s) you do not hold: memories:read, agents:run");
    assertThat(call(s, HttpMethod.POST, "/service-accounts", limited, new JsonObject().put("name", "x2")
        .put("scopes", new JsonArray().add("agents:a1:run").add("sessions:read"))).statusCode()).isEqualTo(201);
    var admin = call(s, HttpMethod.POST, "/service-accounts", limited, new JsonObject().put("name", "x3")
        .put("scopes", new JsonArray().add("agent_os:admin")));
    assertThat(admin.statusCode()).isEqualTo(400);
    assertThat(admin.bodyAsJsonObject().getString("detail")).startsWith("Privileged scope(s) require allow_privileged_scopes=true");
    var adminWithFlag = call(s, HttpMethod.POST, "/service-accounts", limited, new JsonObject().put("name", "x4")
        .put("scopes", new JsonArray().add("agent_os:admin")).put("allow_privileged_scopes", true));
    assertThat(adminWithFlag.statusCode()).isEqualTo(403);
    var write = call(s, HttpMethod.POST, "/service-accounts", ADMIN, new JsonObject().put("name", "x5")
        .put("scopes", new JsonArray().add("sessions:write")));
    assertThat(write.statusCode()).isEqualTo(400);
    var bad = call(s, HttpMethod.POST, "/service-accounts", ADMIN, new JsonObject().put("name", "x6")
        .put("scopes", new JsonArray().add("nonsense").add("a:b:c:d")));
    assertThat(bad.bodyAsJsonObject().getString("detail")).isEqualTo("Invalid scope(s): nonsense, a:b:c:d");
    assertThat(call(s, HttpMethod.POST, "/service-accounts", Tokens.hs256("dan", "sessions:read"),
        new JsonObject().put("name", "x7")).statusCode()).isEqualTo(403);
  }

  @Test
  @DisplayName("names are validated and an active name is unique (409)")
  void names() {
    mint(ADMIN, new JsonObject().put("name", "dup-bot"));
    assertThat(call(s, HttpMethod.POST, "/service-accounts", ADMIN, new JsonObject().put("name", "dup-bot")).statusCode()).isEqualTo(409);
    for (String bad : new String[] {"Upper", "-lead", "", "a".repeat(64), "sp ace", "ünï"}) {
      assertThat(call(s, HttpMethod.POST, "/service-accounts", ADMIN, new JsonObject().put("name", bad)).statusCode())
          .as(bad).isEqualTo(422);
    }
    assertThat(call(s, HttpMethod.POST, "/service-accounts", ADMIN, new JsonObject().put("name", "d1").put("expires_in_days", 0))
        .statusCode()).isEqualTo(422);
    assertThat(call(s, HttpMethod.POST, "/service-accounts", ADMIN, new JsonObject().put("name", "d2").put("expires_in_days", 3651))
        .statusCode()).isEqualTo(422);
  }

  @Test
  @DisplayName("a service account's data is its own, even with isolation off; unknown tokens are 401, never parsed as JWTs")
  void selfScopedAndUnknown() {
    String token = mint(ADMIN, new JsonObject().put("name", "data-bot").put("scopes", new JsonArray().add("sessions:read")))
        .getString("token");
    call(s, HttpMethod.POST, "/sessions", Tokens.hs256("human", "sessions:write"), new JsonObject().put("session_id", "humans-session"));
    var listed = with(token, HttpMethod.GET, "/sessions");
    assertThat(listed.bodyAsJsonObject().getJsonObject("meta").getLong("total_count")).isZero();
    var unknown = with("agentos_pat_" + "A".repeat(43), HttpMethod.GET, "/metrics");
    assertThat(unknown.statusCode()).isEqualTo(401);
    assertThat(unknown.bodyAsJsonObject().getString("detail")).isEqualTo("Invalid or expired service account token");
  }

  @Test
  @DisplayName("failed attempts from one address are limited: past the budget, further failures are 429")
  void rateLimited() throws Exception {
    try (TestDatabase db2 = TestDatabase.create();
         TestServer limited = TestServer.start(db2, new JsonObject().put("http", new JsonObject().put("instances", 1))
             .put("authorization", new JsonObject().put("service_account_failures_per_minute", 3)))) {
      for (int i = 0; i < 3; i++) {
        assertThat(TestServer.send(limited.request(HttpMethod.GET, "/metrics")
            .putHeader("Authorization", "Bearer agentos_pat_wrong" + i)).statusCode()).isEqualTo(401);
      }
      var throttled = TestServer.send(limited.request(HttpMethod.GET, "/metrics").putHeader("Authorization", "Bearer agentos_pat_wrong9"));
      assertThat(throttled.statusCode()).isEqualTo(429);
      assertThat(throttled.bodyAsJsonObject().getString("detail")).isEqualTo("Too many failed authentication attempts");
    }
  }

  @Test
  @DisplayName("the limiter never locks out a valid token: past the budget, an uncached valid token from the same address still gets in")
  void validTokenNeverLockedOut() throws Exception {
    try (TestDatabase db2 = TestDatabase.create();
         TestServer limited = TestServer.start(db2, new JsonObject().put("http", new JsonObject().put("instances", 1))
             .put("authorization", new JsonObject().put("service_account_failures_per_minute", 3)))) {
      HttpResponse<Buffer> minted = call(limited, HttpMethod.POST, "/service-accounts", ADMIN, new JsonObject().put("name", "valid-bot")
          .put("scopes", new JsonArray().add("metrics:read")));
      String valid = minted.bodyAsJsonObject().getString("token");
      for (int i = 0; i < 25; i++) {
        String garbage = i % 2 == 0 ? "agentos_pat_wrong" + i : dev.agentos.authn.ServiceAccountTokens.generate();
        assertThat(TestServer.send(limited.request(HttpMethod.GET, "/metrics").putHeader("Authorization", "Bearer " + garbage))
            .statusCode()).isIn(401, 429);
      }
      assertThat(TestServer.send(limited.request(HttpMethod.GET, "/metrics").putHeader("Authorization", "Bearer " + valid))
          .statusCode()).as("valid, never used before (not cached)").isEqualTo(200);
    }
  }

  @Test
  @DisplayName("X-Forwarded-For decides the client address only when the peer is a trusted proxy")
  void trustedProxies() throws Exception {
    for (boolean trusted : new boolean[] {true, false}) {
      JsonObject http = new JsonObject().put("instances", 1);
      if (trusted) http.put("trusted_proxies", new JsonArray().add("127.0.0.0/8").add("::1"));
      try (TestDatabase db2 = TestDatabase.create();
           TestServer limited = TestServer.start(db2, new JsonObject().put("http", http)
               .put("authorization", new JsonObject().put("service_account_failures_per_minute", 2)))) {
        for (int i = 0; i < 4; i++) {
          TestServer.send(limited.request(HttpMethod.GET, "/metrics").putHeader("Authorization", "Bearer agentos_pat_bad" + i)
              .putHeader("X-Forwarded-For", "203.0.113.7"));
        }
        var other = TestServer.send(limited.request(HttpMethod.GET, "/metrics").putHeader("Authorization", "Bearer agentos_pat_bad9")
            .putHeader("X-Forwarded-For", "198.51.100.9, 127.0.0.1"));
        // behind a trusted proxy the second client has its own budget; otherwise both are the one peer, 127.0.0.1
        assertThat(other.statusCode()).as(trusted ? "trusted proxy" : "untrusted peer").isEqualTo(trusted ? 401 : 429);
      }
    }
    assertThatThrownBy(() -> dev.agentos.config.ConfigLoader.fromJson(new JsonObject().put("http", new JsonObject()
        .put("trusted_proxies", new JsonArray().add("proxy.example"))), java.util.Map.of()))
        .hasMessageContaining("http.trusted_proxies");
  }

  @Test
  @DisplayName("with PostgreSQL unreachable, a service-account token is a 503, never an allow")
  void databaseDown() throws Exception {
    Vertx proxyVertx = Vertx.vertx();
    try (TestDatabase db2 = TestDatabase.create(); TcpProxy proxy = TcpProxy.start(proxyVertx, db2.host(), db2.port())) {
      JsonObject conf = TestServer.baseConfig(db2);
      conf.getJsonObject("storage").put("postgres", db2.postgresConfigVia(proxy));
      try (TestServer down = TestServer.start(conf, Map.of())) {
        var minted = call(down, HttpMethod.POST, "/service-accounts", ADMIN, new JsonObject().put("name", "db-bot")
            .put("scopes", new JsonArray().add("metrics:read")));
        String token = minted.bodyAsJsonObject().getString("token");
        proxy.cut();
        var r = TestServer.send(down.request(HttpMethod.GET, "/metrics").putHeader("Authorization", "Bearer " + token));
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.bodyAsJsonObject().getString("detail")).isEqualTo("Authentication is temporarily unavailable");
      }
    } finally {
      proxyVertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  @DisplayName("the token never appears in any log line")
  void neverLogged() {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    ListAppender<ILoggingEvent> captured = new ListAppender<>();
    captured.start();
    root.addAppender(captured);
    try {
      String token = mint(ADMIN, new JsonObject().put("name", "quiet-bot").put("scopes", new JsonArray().add("metrics:read")))
          .getString("token");
      with(token, HttpMethod.GET, "/metrics");
      with(token, HttpMethod.DELETE, "/sessions/x");
      String secretPart = token.substring(16);
      assertThat(captured.list).noneMatch(e -> e.getFormattedMessage().contains(secretPart));
    } finally {
      root.detachAppender(captured);
    }
  }

  @Test
  @DisplayName("an expired token is refused with the same text as an unknown one")
  void expired() throws Exception {
    String token = mint(ADMIN, new JsonObject().put("name", "old-bot").put("scopes", new JsonArray().add("metrics:read")))
        .getString("token");
    try (java.sql.Connection c = db.connect(); java.sql.Statement st = c.createStatement()) {
      st.executeUpdate("UPDATE service_accounts SET expires_at = now() - interval '1 minute' WHERE name = 'old-bot'");
    }
    var r = with(token, HttpMethod.GET, "/metrics");
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.bodyAsJsonObject().getString("detail")).isEqualTo("Invalid or expired service account token");
  }

  @Test
  @DisplayName("a service account's scopes are enforced even when RBAC is off for JWTs")
  void enforcedWithoutRbac() throws Exception {
    try (TestDatabase db2 = TestDatabase.create();
         TestServer open = TestServer.start(db2, new JsonObject().put("authorization", new JsonObject().put("enabled", false)))) {
      var minted = call(open, HttpMethod.POST, "/service-accounts", Tokens.hs256("anyone", "sessions:read"),
          new JsonObject().put("name", "narrow-bot").put("scopes", new JsonArray().add("sessions:read")));
      assertThat(minted.statusCode()).isEqualTo(201);
      String token = minted.bodyAsJsonObject().getString("token");
      assertThat(TestServer.send(open.request(HttpMethod.GET, "/sessions").putHeader("Authorization", "Bearer " + token)).statusCode())
          .isEqualTo(200);
      assertThat(TestServer.send(open.request(HttpMethod.GET, "/metrics").putHeader("Authorization", "Bearer " + token)).statusCode())
          .isEqualTo(403);
      assertThat(open.get("/metrics", Tokens.hs256("anyone")).statusCode()).isEqualTo(200);
    }
  }

  @Test
  @DisplayName("a revoked name is never minted again: the new token would inherit the old account's data and roles")
  void namesAreNotReused() {
    JsonObject first = mint(ADMIN, new JsonObject().put("name", "reused-bot"));
    assertThat(call(s, HttpMethod.DELETE, "/service-accounts/" + first.getString("id"), ADMIN, null).statusCode()).isEqualTo(204);
    var again = call(s, HttpMethod.POST, "/service-accounts", ADMIN, new JsonObject().put("name", "reused-bot"));
    assertThat(again.statusCode()).isEqualTo(409);
  }

  @Test
  @DisplayName("minting cannot escape the caller's role denies")
  void mintingHonoursDenies() throws Exception {
    try (TestDatabase db2 = TestDatabase.create();
         TestServer withRoles = TestServer.start(db2, new JsonObject().put("authorization", new JsonObject()
             .put("roles", new JsonObject().put("no-secret", new JsonObject().put("deny", new JsonArray().add("agents:secret:run"))))))) {
      String denied = Tokens.hs256(Tokens.claims("eve", "service_accounts:write", "agents:run").put("roles", new JsonArray().add("no-secret")));
      assertThat(call(withRoles, HttpMethod.POST, "/service-accounts", denied, new JsonObject().put("name", "escape")
          .put("scopes", new JsonArray().add("agents:run"))).statusCode()).isEqualTo(403);
      String deniedAdmin = Tokens.hs256(Tokens.claims("root", "agent_os:admin").put("roles", new JsonArray().add("no-secret")));
      assertThat(call(withRoles, HttpMethod.POST, "/service-accounts", deniedAdmin, new JsonObject().put("name", "escape2")
          .put("scopes", new JsonArray().add("agent_os:admin")).put("allow_privileged_scopes", true)).statusCode()).isEqualTo(403);
      assertThat(call(withRoles, HttpMethod.POST, "/service-accounts", denied, new JsonObject().put("name", "fine")
          .put("scopes", new JsonArray().add("agents:public:run"))).statusCode()).isEqualTo(201);
    }
  }
}
