package dev.agentos.authn;

import static dev.agentos.authn.AuthAssertions.accepted;
import static dev.agentos.authn.AuthAssertions.missing;
import static dev.agentos.authn.AuthAssertions.rejected;
import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.testing.TestDatabase;
import dev.agentos.testing.TestServer;
import dev.agentos.testing.Tokens;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Token sources, audience, issuer and agno's authentication modes")
class AuthenticationModesTest {
  private static TestDatabase db;

  @BeforeAll
  static void db() {
    db = TestDatabase.create();
  }

  @AfterAll
  static void drop() {
    db.close();
  }

  private static TestServer with(JsonObject authorization) throws Exception {
    return with(authorization, Map.of());
  }

  private static TestServer with(JsonObject authorization, Map<String, String> env) throws Exception {
    JsonObject conf = TestServer.baseConfig(db);
    conf.getJsonObject("authorization").mergeIn(authorization);
    return TestServer.start(conf, env);
  }

  private static HttpResponse<Buffer> withCookie(TestServer s, String name, String value) {
    return TestServer.send(s.request(HttpMethod.GET, "/metrics").putHeader("Cookie", name + "=" + value));
  }

  private static final String GOOD = Tokens.hs256("alice", "metrics:read");

  @Test
  @DisplayName("cookie source: the token comes from the cookie; without it 401 naming the cookie")
  void cookieSource() throws Exception {
    try (TestServer s = with(new JsonObject().put("token_source", "cookie").put("cookie_name", "sid"))) {
      accepted(withCookie(s, "sid", GOOD));
      missing(s.get("/metrics", GOOD), "JWT cookie 'sid' missing");
      rejected(withCookie(s, "sid", "garbage"), "Invalid token: Not enough segments");
    }
  }

  @Test
  @DisplayName("both: header first, then the cookie; without either the combined agno text")
  void bothSources() throws Exception {
    try (TestServer s = with(new JsonObject().put("token_source", "both"))) {
      accepted(s.get("/metrics", GOOD));
      accepted(withCookie(s, "access_token", GOOD));
      missing(s.get("/metrics"), "JWT token missing from both Authorization header and 'access_token' cookie");
    }
  }

  @Test
  @DisplayName("a custom token header is read instead of Authorization")
  void customHeader() throws Exception {
    try (TestServer s = with(new JsonObject().put("token_header_key", "X-Api-Token"))) {
      accepted(TestServer.send(s.request(HttpMethod.GET, "/metrics").putHeader("X-Api-Token", GOOD)));
      missing(s.get("/metrics", GOOD), "Authorization header missing");
    }
  }

  @Test
  @DisplayName("audience: string or array must name an expected audience; missing or wrong type is 401")
  void audience() throws Exception {
    try (TestServer s = with(new JsonObject().put("verify_audience", true).put("audience", new JsonArray().add("os-a").add("os-b")))) {
      JsonObject c = Tokens.claims("alice", "metrics:read");
      accepted(s.get("/metrics", Tokens.hs256(c.copy().put("aud", "os-b"))));
      accepted(s.get("/metrics", Tokens.hs256(c.copy().put("aud", new JsonArray().add("x").add("os-a")))));
      rejected(s.get("/metrics", Tokens.hs256(c.copy().put("aud", "os-c"))), "Invalid token audience - token not valid for this AgentOS instance");
      rejected(s.get("/metrics", Tokens.hs256(c.copy())),
          "Invalid token: Token is missing the \"aud\" claim. Audience verification requires this claim to be present in the token.");
      rejected(s.get("/metrics", Tokens.hs256(c.copy().put("aud", 7))), "Invalid token: Invalid claim format in token");
      rejected(s.get("/metrics", Tokens.hs256(c.copy().put("aud", new JsonArray().add(1)))), "Invalid token: Invalid claim format in token");
      rejected(s.get("/metrics", Tokens.hs256(c.copy().put("aud", "OS-A"))), "Invalid token audience - token not valid for this AgentOS instance");
    }
  }

  @Test
  @DisplayName("audience defaults to os.id; an expired token with a wrong audience reports expiry first")
  void audienceDefaultsToOsId() throws Exception {
    try (TestServer s = with(new JsonObject().put("verify_audience", true))) {
      JsonObject c = Tokens.claims("alice", "metrics:read");
      accepted(s.get("/metrics", Tokens.hs256(c.copy().put("aud", "test-os"))));
      rejected(s.get("/metrics", Tokens.hs256(c.copy().put("aud", "other").put("exp", Tokens.now() - 100))), "Token has expired");
    }
  }

  @Test
  @DisplayName("issuer: when configured, iss must be present and equal")
  void issuer() throws Exception {
    try (TestServer s = with(new JsonObject().put("issuer", "https://idp.example/realms/a"))) {
      JsonObject c = Tokens.claims("alice", "metrics:read");
      accepted(s.get("/metrics", Tokens.hs256(c.copy().put("iss", "https://idp.example/realms/a"))));
      rejected(s.get("/metrics", Tokens.hs256(c.copy().put("iss", "https://idp.example/realms/b"))), "Invalid token: Invalid issuer");
      rejected(s.get("/metrics", Tokens.hs256(c.copy())), "Invalid token: Token is missing the \"iss\" claim");
      rejected(s.get("/metrics", Tokens.hs256(c.copy().put("iss", 5))), "Invalid token: Invalid issuer");
    }
  }

  @Test
  @DisplayName("require_exp: false accepts a token without exp")
  void expOptional() throws Exception {
    try (TestServer s = with(new JsonObject().put("require_exp", false))) {
      JsonObject c = Tokens.claims("alice", "metrics:read");
      c.remove("exp");
      accepted(s.get("/metrics", Tokens.hs256(c)));
    }
  }

  @Test
  @DisplayName("nested claims by dotted path (Keycloak's realm_access.roles style)")
  void dottedClaims() throws Exception {
    try (TestServer s = with(new JsonObject().put("scopes_claim", "authz.permissions").put("user_id_claim", "email"))) {
      JsonObject c = Tokens.claims(null).put("email", "a@example.com")
          .put("authz", new JsonObject().put("permissions", new JsonArray().add("metrics:read")));
      c.remove("scopes");
      accepted(s.get("/metrics", Tokens.hs256(c)));
    }
  }

  @Test
  @DisplayName("security-key mode: agno's texts, constant-time comparison, /info says security_key")
  void securityKey() throws Exception {
    JsonObject conf = TestServer.baseConfig(db).put("authorization", new JsonObject().put("enabled", false));
    try (TestServer s = TestServer.start(conf, Map.of("OS_SECURITY_KEY", "the-os-security-key"))) {
      assertThat(s.get("/info").bodyAsJsonObject().getString("auth_mode")).isEqualTo("security_key");
      missing(s.get("/metrics"), "Authorization header required");
      rejected(s.get("/metrics", "the-os-security-kez"), "Invalid authentication token");
      rejected(s.get("/metrics", GOOD), "Invalid authentication token");
      accepted(s.get("/metrics", "the-os-security-key"));
    }
  }

  @Test
  @DisplayName("authentication only (enabled: false with a key): tokens required, scopes not enforced")
  void authenticationOnly() throws Exception {
    try (TestServer s = with(new JsonObject().put("enabled", false))) {
      assertThat(s.get("/info").bodyAsJsonObject().getString("auth_mode")).isEqualTo("jwt");
      missing(s.get("/metrics"), "Authorization header missing");
      accepted(s.get("/metrics", Tokens.hs256("alice")));
    }
  }

  @Test
  @DisplayName("no credential source and RBAC off: an open instance, auth_mode none")
  void open() throws Exception {
    JsonObject conf = TestServer.baseConfig(db).put("authorization", new JsonObject().put("enabled", false));
    try (TestServer s = TestServer.start(conf, Map.of())) {
      assertThat(s.get("/info").bodyAsJsonObject().getString("auth_mode")).isEqualTo("none");
      accepted(s.get("/metrics"));
    }
  }

  @Test
  @DisplayName("validate: false decodes without verifying, and an undecodable token is authenticated-but-empty")
  void validateFalse() throws Exception {
    JsonObject conf = TestServer.baseConfig(db).put("authorization", new JsonObject().put("validate", false));
    try (TestServer s = TestServer.start(conf, Map.of())) {
      String unsigned = TokenSigner.sign("HS256", TokenSigner.hmacKey("whatever-secret-0123456789"), java.util.Optional.empty(),
          Tokens.claims("alice", "metrics:read"));
      accepted(s.get("/metrics", unsigned));
      assertThat(s.get("/metrics", "not-a-token").statusCode()).isEqualTo(403);
    }
  }

  @Test
  @DisplayName("a CORS pre-flight is answered without a token and without reaching a handler")
  void corsPreflight() throws Exception {
    try (TestServer s = with(new JsonObject())) {
      HttpResponse<Buffer> r = TestServer.send(s.request(HttpMethod.OPTIONS, "/metrics")
          .putHeader("Origin", "http://localhost:3000").putHeader("Access-Control-Request-Method", "GET"));
      assertThat(r.statusCode()).isIn(200, 204);
      assertThat(r.getHeader("Access-Control-Allow-Origin")).isEqualTo("http://localhost:3000");
      assertThat(r.bodyAsString() == null || r.bodyAsString().isEmpty()).isTrue();
      // a browser client of a multi-tenant deployment may name the tenant it acts in
      HttpResponse<Buffer> tenant = TestServer.send(s.request(HttpMethod.OPTIONS, "/sessions")
          .putHeader("Origin", "http://localhost:3000").putHeader("Access-Control-Request-Method", "GET")
          .putHeader("Access-Control-Request-Headers", "authorization, x-tenant-id"));
      assertThat(tenant.statusCode()).isIn(200, 204);
      assertThat(tenant.getHeader("Access-Control-Allow-Headers")).containsIgnoringCase("X-Tenant-Id");
      HttpResponse<Buffer> evil = TestServer.send(s.request(HttpMethod.GET, "/metrics").putHeader("Origin", "https://evil.example"));
      assertThat(evil.statusCode()).isIn(401, 403);
      HttpResponse<Buffer> plainOptions = TestServer.send(s.request(HttpMethod.OPTIONS, "/metrics"));
      missing(plainOptions, "Authorization header missing");
    }
  }

  @Test
  @DisplayName("a configured excluded_route_paths list replaces the defaults (fnmatch, * crosses /)")
  void customExclusions() throws Exception {
    try (TestServer s = with(new JsonObject().put("excluded_route_paths", new JsonArray().add("/health").add("/ready").add("/metr*")))) {
      accepted(s.get("/metrics"));
      accepted(s.get("/metrics/"));
      assertThat(s.get("/health").statusCode()).isEqualTo(200);
      missing(s.get("/info"), "Authorization header missing");
      missing(s.get("/"), "Authorization header missing");
    }
  }
}
