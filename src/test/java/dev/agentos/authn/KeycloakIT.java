package dev.agentos.authn;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.testing.TestDatabase;
import dev.agentos.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * A real Keycloak (the distribution Maven unpacks into target/keycloak, started here in dev mode on a free port with a
 * data directory of its own, killed afterwards) in front of a real service: a realm, a confidential client with an
 * audience mapper, users and realm roles made through its admin REST API; the service configured as
 * docs/integration.md says (discovery, issuer, audience, realm_access.roles).
 */
@DisplayName("Keycloak 26 as the identity provider")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class KeycloakIT {
  private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final String REALM = "agents-" + ProcessHandle.current().pid();
  private static final String CLIENT = "agentos-app";
  private static final String SECRET = "it-client-secret";
  private static Process keycloak;
  private static Path log;
  private static String base;
  private static String issuer;
  private static String realmId;
  private static String annId;
  private static TestDatabase db;
  private static TestServer s;
  /** A token signed by the realm's first key (kept from the rotation test for the removal test). */
  private static String oldKeyToken;

  @BeforeAll
  static void start() throws Exception {
    Path home = Path.of(System.getProperty("keycloak.home", "target/keycloak/keycloak-26.5.6"));
    assertThat(home.resolve("bin/kc.sh")).as("the Keycloak distribution (maven-dependency-plugin unpacks it)").exists();
    // its own data directory: nothing of an earlier run (a realm, a stale H2 lock) is reused
    deleteTree(home.resolve("data"));
    int port = TestServer.freePort();
    base = "http://127.0.0.1:" + port;
    issuer = base + "/realms/" + REALM;
    log = Files.createTempFile("keycloak-it", ".log");
    ProcessBuilder pb = new ProcessBuilder("bash", home.resolve("bin/kc.sh").toString(), "start-dev", "--http-port", String.valueOf(port),
        "--http-host", "127.0.0.1", "--http-management-port", String.valueOf(TestServer.freePort()))
        .redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("KC_BOOTSTRAP_ADMIN_USERNAME", "admin");
    pb.environment().put("KC_BOOTSTRAP_ADMIN_PASSWORD", "admin-it-password");
    long started = System.nanoTime();
    keycloak = pb.start();
    awaitKeycloak(Duration.ofSeconds(120));
    System.out.printf("[keycloak] started in %d ms%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    setUpRealm();
    db = TestDatabase.create();
    JsonObject conf = TestServer.baseConfig(db);
    conf.put("authorization", new JsonObject().put("algorithms", new JsonArray().add("RS256")).put("issuer", issuer)
        .put("discovery", true).put("verify_audience", true).put("audience", new JsonArray().add("agentos"))
        .put("roles_claim", "realm_access.roles").put("user_isolation", true)
        .put("jwks_refresh_min_seconds", 1).put("jwks_refresh_max_seconds", 3)
        .put("roles", new JsonObject().put("analyst", new JsonObject()
            .put("scopes", new JsonArray().add("metrics:read").add("sessions:read").add("sessions:write"))
            .put("deny", new JsonArray().add("sessions:delete")))));
    s = TestServer.start(conf, Map.of());
  }

  @AfterAll
  static void stop() throws Exception {
    if (s != null) s.close();
    if (db != null) db.close();
    if (keycloak != null) {
      keycloak.descendants().forEach(ProcessHandle::destroy);
      keycloak.destroy();
      if (!keycloak.waitFor(20, TimeUnit.SECONDS)) {
        keycloak.descendants().forEach(ProcessHandle::destroyForcibly);
        keycloak.destroyForcibly();
      }
    }
  }

  // ---- Keycloak ---------------------------------------------------------------------------------------

  private static void awaitKeycloak(Duration bound) throws Exception {
    long deadline = System.nanoTime() + bound.toNanos();
    while (System.nanoTime() < deadline) {
      if (!keycloak.isAlive()) throw new AssertionError("Keycloak exited: " + Files.readString(log));
      try {
        if (get(base + "/realms/master/.well-known/openid-configuration", null).statusCode() == 200) return;
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(250);
    }
    throw new AssertionError("Keycloak not up after " + bound + ": " + Files.readString(log));
  }

  private static String adminToken() throws Exception {
    return new JsonObject(form(base + "/realms/master/protocol/openid-connect/token", Map.of("grant_type", "password",
        "client_id", "admin-cli", "username", "admin", "password", "admin-it-password")).body()).getString("access_token");
  }

  private static HttpResponse<String> admin(String method, String path, Object body) throws Exception {
    HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(base + "/admin/realms" + path)).timeout(Duration.ofSeconds(20))
        .header("Authorization", "Bearer " + adminToken()).header("Content-Type", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body.toString()));
    HttpResponse<String> r = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(method + " " + path + ": " + r.body()).isBetween(200, 299);
    return r;
  }

  private static void setUpRealm() throws Exception {
    admin("POST", "", new JsonObject().put("realm", REALM).put("enabled", true).put("accessTokenLifespan", 600));
    realmId = new JsonObject(admin("GET", "/" + REALM, null).body()).getString("id");
    for (String role : new String[] {"member", "analyst", "owner"}) admin("POST", "/" + REALM + "/roles", new JsonObject().put("name", role));
    admin("POST", "/" + REALM + "/clients", new JsonObject().put("clientId", CLIENT).put("publicClient", false).put("secret", SECRET)
        .put("directAccessGrantsEnabled", true).put("serviceAccountsEnabled", true).put("standardFlowEnabled", false)
        .put("protocolMappers", new JsonArray().add(new JsonObject().put("name", "agentos-audience").put("protocol", "openid-connect")
            .put("protocolMapper", "oidc-audience-mapper").put("config", new JsonObject().put("included.custom.audience", "agentos")
                .put("access.token.claim", "true").put("id.token.claim", "false")))));
    // a client whose tokens are not for this service (no audience mapper)
    admin("POST", "/" + REALM + "/clients", new JsonObject().put("clientId", "other-app").put("publicClient", false)
        .put("secret", SECRET).put("directAccessGrantsEnabled", true).put("standardFlowEnabled", false));
    annId = user("ann", "analyst", "member");
    user("moe", "member");
    user("root", "owner");
    // the client's own service account is an analyst too (client credentials)
    String clientId = new JsonArray(admin("GET", "/" + REALM + "/clients?clientId=" + CLIENT, null).body()).getJsonObject(0).getString("id");
    String serviceUser = new JsonObject(admin("GET", "/" + REALM + "/clients/" + clientId + "/service-account-user", null).body()).getString("id");
    grant(serviceUser, "analyst");
  }

  private static String user(String name, String... roles) throws Exception {
    admin("POST", "/" + REALM + "/users", new JsonObject().put("username", name).put("enabled", true).put("email", name + "@example.com")
        .put("emailVerified", true).put("firstName", name).put("lastName", "Example")
        .put("credentials", new JsonArray().add(new JsonObject().put("type", "password").put("value", name + "-pw").put("temporary", false))));
    String id = new JsonArray(admin("GET", "/" + REALM + "/users?exact=true&username=" + name, null).body()).getJsonObject(0).getString("id");
    for (String role : roles) grant(id, role);
    return id;
  }

  private static void grant(String userId, String role) throws Exception {
    JsonObject representation = new JsonObject(admin("GET", "/" + REALM + "/roles/" + role, null).body());
    admin("POST", "/" + REALM + "/users/" + userId + "/role-mappings/realm", new JsonArray().add(representation));
  }

  private static HttpResponse<String> passwordGrant(String client, String user) throws Exception {
    return form(issuer + "/protocol/openid-connect/token", Map.of("grant_type", "password", "client_id", client, "client_secret", SECRET,
        "username", user, "password", user + "-pw"));
  }

  private static String token(String client, String user) throws Exception {
    HttpResponse<String> r = passwordGrant(client, user);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body()).getString("access_token");
  }

  private static String clientCredentials() throws Exception {
    HttpResponse<String> r = form(issuer + "/protocol/openid-connect/token", Map.of("grant_type", "client_credentials",
        "client_id", CLIENT, "client_secret", SECRET));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body()).getString("access_token");
  }

  private static String kid(String jwt) {
    return new JsonObject(new String(java.util.Base64.getUrlDecoder().decode(jwt.split("\\.")[0]), StandardCharsets.UTF_8)).getString("kid");
  }

  private static JsonObject claims(String jwt) {
    return new JsonObject(new String(java.util.Base64.getUrlDecoder().decode(jwt.split("\\.")[1]), StandardCharsets.UTF_8));
  }

  // ---- HTTP -------------------------------------------------------------------------------------------

  private static HttpResponse<String> form(String url, Map<String, String> fields) throws Exception {
    String body = fields.entrySet().stream().map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
        + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8)).collect(Collectors.joining("&"));
    return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20))
        .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> get(String url, String token) throws Exception {
    HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET();
    if (token != null) req.header("Authorization", "Bearer " + token);
    return http.send(req.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static int service(String method, String path, String token) throws Exception {
    HttpRequest.Builder req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + path)).timeout(Duration.ofSeconds(10))
        .method(method, HttpRequest.BodyPublishers.noBody()).header("Authorization", "Bearer " + token);
    return http.send(req.build(), HttpResponse.BodyHandlers.ofString()).statusCode();
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) return;
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
    }
  }

  // ---- the tests --------------------------------------------------------------------------------------

  @Test
  @Order(1)
  @DisplayName("password-grant tokens (aud a list, realm_access.roles) are accepted and mapped: the analyst role and its deny")
  void passwordGrant() throws Exception {
    String ann = token(CLIENT, "ann");
    assertThat(claims(ann).getValue("aud")).isInstanceOf(JsonArray.class);
    assertThat(claims(ann).getString("iss")).isEqualTo(issuer);
    assertThat(service("GET", "/metrics", ann)).as("analyst: metrics:read").isEqualTo(200);
    assertThat(service("GET", "/agents", ann)).as("member: agents:read").isEqualTo(200);
    assertThat(service("GET", "/sessions", ann)).isEqualTo(200);
    assertThat(service("DELETE", "/sessions/s-1", ann)).as("the analyst role's deny").isEqualTo(403);
    String mo = token(CLIENT, "moe");
    assertThat(service("GET", "/agents", mo)).isEqualTo(200);
    assertThat(service("GET", "/metrics", mo)).as("member has metrics:read too").isEqualTo(200);
    assertThat(service("GET", "/authz/roles", mo)).as("no authz scope").isEqualTo(403);
  }

  @Test
  @Order(2)
  @DisplayName("client-credentials tokens work for a machine, with the realm roles of the client's service account")
  void clientCredentials_() throws Exception {
    String machine = clientCredentials();
    assertThat(claims(machine).getString("azp")).isEqualTo(CLIENT);
    assertThat(service("GET", "/metrics", machine)).isEqualTo(200);
    assertThat(service("GET", "/agents", machine)).as("the analyst role grants no agents:read").isEqualTo(403);
  }

  @Test
  @Order(3)
  @DisplayName("a token of the same realm for another audience, or with no token, is refused with 401")
  void audienceAndIssuer() throws Exception {
    String other = token("other-app", "ann");
    assertThat(service("GET", "/metrics", other)).isEqualTo(401);
    assertThat(get("http://127.0.0.1:" + s.port() + "/metrics", null).statusCode()).isEqualTo(401);
  }

  @Test
  @Order(4)
  @DisplayName("a key rotation in Keycloak (a new key provider of higher priority) gives no 401: new tokens carry the new kid, old ones still verify")
  void keyRotationWithoutRefusals() throws Exception {
    String before = token(CLIENT, "ann");
    admin("POST", "/" + REALM + "/components", new JsonObject().put("name", "rsa-rotated").put("providerId", "rsa-generated")
        .put("providerType", "org.keycloak.keys.KeyProvider").put("parentId", realmId).put("config", new JsonObject()
            .put("priority", new JsonArray().add("200")).put("keySize", new JsonArray().add("2048"))
            .put("active", new JsonArray().add("true")).put("enabled", new JsonArray().add("true"))
            .put("algorithm", new JsonArray().add("RS256"))));
    String after = token(CLIENT, "ann");
    assertThat(kid(after)).as("Keycloak signs with the new key").isNotEqualTo(kid(before));
    oldKeyToken = before;
    // the first request with the new kid waits for one refresh and passes: never a 401
    Map<Integer, Integer> statuses = new LinkedHashMap<>();
    for (int i = 0; i < 20; i++) {
      statuses.merge(service("GET", "/metrics", after), 1, Integer::sum);
      statuses.merge(service("GET", "/metrics", before), 1, Integer::sum);
    }
    assertThat(statuses).containsOnlyKeys(200);
  }

  @Test
  @Order(5)
  @DisplayName("a key removed in Keycloak: its tokens are refused within the refresh bound (jwks_refresh_max_seconds), the new key's still pass")
  void removedKeyRefused() throws Exception {
    assertThat(oldKeyToken).as("a token of the first key, from the rotation test").isNotNull();
    String newKeyToken = token(CLIENT, "ann");
    assertThat(kid(oldKeyToken)).isNotEqualTo(kid(newKeyToken));
    assertThat(service("GET", "/metrics", oldKeyToken)).isEqualTo(200);
    String oldKeyProvider = null;
    for (Object o : new JsonArray(admin("GET", "/" + REALM + "/components?type=org.keycloak.keys.KeyProvider", null).body())) {
      if (((JsonObject) o).getString("name").equals("rsa-generated")) oldKeyProvider = ((JsonObject) o).getString("id");
    }
    assertThat(oldKeyProvider).isNotNull();
    admin("DELETE", "/" + REALM + "/components/" + oldKeyProvider, null);
    long start = System.nanoTime();
    long deadline = start + TimeUnit.SECONDS.toNanos(3 + 2);
    int last = 200;
    while (System.nanoTime() < deadline && (last = service("GET", "/metrics", oldKeyToken)) != 401) Thread.sleep(100);
    assertThat(last).as("the removed key's token").isEqualTo(401);
    System.out.printf("[keycloak] removed key's token refused after %d ms (bound: jwks_refresh_max_seconds = 3 s)%n",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    assertThat(service("GET", "/metrics", newKeyToken)).isEqualTo(200);
  }

  @Test
  @Order(6)
  @DisplayName("a user disabled in Keycloak gets no new token (the IdP's part); one still valid is stopped by the users directory")
  void disabledUser() throws Exception {
    String stillValid = token(CLIENT, "ann");
    JsonObject ann = new JsonObject(admin("GET", "/" + REALM + "/users/" + annId, null).body()).put("enabled", false);
    admin("PUT", "/" + REALM + "/users/" + annId, ann);
    HttpResponse<String> refused = passwordGrant(CLIENT, "ann");
    assertThat(refused.statusCode()).as(refused.body()).isEqualTo(400);
    assertThat(new JsonObject(refused.body()).getString("error")).isEqualTo("invalid_grant");
    // Keycloak does not know where its tokens went; the service's kill switch stops the one still valid
    assertThat(service("GET", "/metrics", stillValid)).isEqualTo(200);
    HttpResponse<String> disabled = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + "/users/" + annId))
        .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + token(CLIENT, "root")).header("Content-Type", "application/json")
        .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"disabled\": true}")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(disabled.statusCode()).as(disabled.body()).isEqualTo(200);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
    int last = 200;
    while (System.nanoTime() < deadline && (last = service("GET", "/metrics", stillValid)) != 401) Thread.sleep(20);
    assertThat(last).isEqualTo(401);
  }
}
