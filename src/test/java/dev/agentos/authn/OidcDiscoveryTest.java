package dev.agentos.authn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentos.config.ConfigException;
import dev.agentos.config.ConfigLoader;
import dev.agentos.testing.TestDatabase;
import dev.agentos.testing.TestServer;
import dev.agentos.testing.Tokens;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.security.KeyPair;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** {@code authorization.discovery}: the keys are the ones the issuer's OpenID configuration points at (as Spring's issuer-uri). */
@DisplayName("OpenID Connect discovery")
class OidcDiscoveryTest {
  private static final KeyPair A = TokenSigner.generate("RS256");
  private static final KeyPair B = TokenSigner.generate("RS256");
  private TestDatabase db;
  private Vertx idpVertx;
  private HttpServer idp;
  private String issuer;
  private final AtomicReference<JsonObject> configuration = new AtomicReference<>();
  private final AtomicReference<JsonObject> keys = new AtomicReference<>();
  private final List<String> paths = new java.util.concurrent.CopyOnWriteArrayList<>();
  private TestServer s;

  @BeforeEach
  void start() throws Exception {
    db = TestDatabase.create();
    idpVertx = Vertx.vertx();
    idp = idpVertx.createHttpServer().requestHandler(req -> {
      paths.add(req.path());
      JsonObject body = req.path().endsWith("/.well-known/openid-configuration") ? configuration.get()
          : req.path().startsWith("/keys") ? keys.get() : null;
      if (body == null) req.response().setStatusCode(404).end();
      else req.response().putHeader("Content-Type", "application/json").end(body.encode());
    }).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    issuer = "http://127.0.0.1:" + idp.actualPort() + "/realms/agents";
    keys.set(new JsonObject().put("keys", new JsonArray().add(TokenSigner.publicJwk(A.getPublic(), "RS256", "a"))));
  }

  @AfterEach
  void stop() throws Exception {
    if (s != null) s.close();
    idpVertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    db.close();
  }

  private JsonObject document(String issuerClaim, String jwksPath) {
    return new JsonObject().put("issuer", issuerClaim).put("jwks_uri", "http://127.0.0.1:" + idp.actualPort() + jwksPath)
        .put("token_endpoint", issuer + "/protocol/openid-connect/token");
  }

  private TestServer service(String configuredIssuer) throws Exception {
    JsonObject conf = TestServer.baseConfig(db);
    conf.put("authorization", new JsonObject().put("algorithms", new JsonArray().add("RS256")).put("issuer", configuredIssuer)
        .put("discovery", true).put("jwks_refresh_min_seconds", 1).put("jwks_refresh_max_seconds", 2));
    TestServer started = TestServer.startWithoutWaiting(conf, Map.of());
    started.awaitPolicy(java.time.Duration.ofSeconds(30));
    return started;
  }

  private String token(KeyPair pair, String kid, String iss) {
    return TokenSigner.sign("RS256", pair.getPrivate(), Optional.of(kid), Tokens.claims("alice", "metrics:read").put("iss", iss));
  }

  private int awaitStatus(String token, int expected) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    int last = -1;
    while (System.nanoTime() < deadline && (last = s.get("/metrics", token).statusCode()) != expected) Thread.sleep(50);
    return last;
  }

  @Test
  @DisplayName("the keys come from the jwks_uri of {issuer}/.well-known/openid-configuration; the issuer is checked on tokens too")
  void keysFromTheIssuersDocument() throws Exception {
    configuration.set(document(issuer, "/keys/v1"));
    s = service(issuer);
    assertThat(awaitStatus(token(A, "a", issuer), 200)).isEqualTo(200);
    assertThat(paths).contains("/realms/agents/.well-known/openid-configuration", "/keys/v1");
    assertThat(s.get("/metrics", token(A, "a", "https://elsewhere")).statusCode()).isEqualTo(401);
    assertThat(s.get("/ready").statusCode()).isEqualTo(200);
  }

  @Test
  @DisplayName("a trailing slash on the issuer is not doubled in the document's URL")
  void trailingSlash() throws Exception {
    configuration.set(document(issuer + "/", "/keys/v1"));
    s = service(issuer + "/");
    assertThat(awaitStatus(token(A, "a", issuer + "/"), 200)).isEqualTo(200);
    assertThat(paths).contains("/realms/agents/.well-known/openid-configuration");
  }

  @Test
  @DisplayName("a document that names another issuer is not trusted: no keys from it, every token refused, not ready")
  void issuerMismatch() throws Exception {
    configuration.set(document("http://127.0.0.1:1/realms/evil", "/keys/v1"));
    s = service(issuer);
    Thread.sleep(500);
    assertThat(paths).doesNotContain("/keys/v1");
    assertThat(s.get("/metrics", token(A, "a", issuer)).statusCode()).isEqualTo(401);
    assertThat(s.get("/ready").statusCode()).isEqualTo(503);
  }

  @Test
  @DisplayName("the document is read again on every refresh: a new jwks_uri with a new key is followed, a key removed is refused")
  void refreshedLikeTheJwks() throws Exception {
    configuration.set(document(issuer, "/keys/v1"));
    s = service(issuer);
    assertThat(awaitStatus(token(A, "a", issuer), 200)).isEqualTo(200);
    keys.set(new JsonObject().put("keys", new JsonArray().add(TokenSigner.publicJwk(B.getPublic(), "RS256", "b"))));
    configuration.set(document(issuer, "/keys/v2"));
    // the new kid triggers a refresh (debounced): discovery, then the new URL
    assertThat(awaitStatus(token(B, "b", issuer), 200)).isEqualTo(200);
    assertThat(paths).contains("/keys/v2");
    assertThat(awaitStatus(token(A, "a", issuer), 401)).as("the old key is gone after a refresh").isEqualTo(401);
  }

  @Test
  @DisplayName("discovery needs an issuer, an http(s) one, and excludes jwks_url")
  void configRules() {
    for (JsonObject authz : List.of(new JsonObject().put("discovery", true),
        new JsonObject().put("discovery", true).put("issuer", "urn:not-a-url"),
        new JsonObject().put("discovery", true).put("issuer", "https://idp.example").put("jwks_url", "https://idp.example/keys"))) {
      assertThatThrownBy(() -> ConfigLoader.fromJson(new JsonObject().put("authorization", authz), Map.of()))
          .as(authz.encode()).isInstanceOf(ConfigException.class);
    }
  }
}
