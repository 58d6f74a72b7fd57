package dev.agentos.authn;

import static dev.agentos.authn.AuthAssertions.accepted;
import static dev.agentos.authn.AuthAssertions.rejected;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("JWKS key sets")
class JwksTest {
  private static TestDatabase db;
  private static final KeyPair A = TokenSigner.generate("RS256");
  private static final KeyPair B = TokenSigner.generate("RS256");
  private static final KeyPair C = TokenSigner.generate("ES256");

  @BeforeAll
  static void db() {
    db = TestDatabase.create();
  }

  @AfterAll
  static void dropDb() {
    db.close();
  }

  private static JsonObject jwk(KeyPair pair, String alg, String kid) {
    JsonObject jwk = TokenSigner.publicJwk(pair.getPublic(), alg, kid == null ? "x" : kid);
    if (kid == null) jwk.remove("kid");
    return jwk;
  }

  private static String token(KeyPair pair, String alg, String kid) {
    return TokenSigner.sign(alg, pair.getPrivate(), Optional.ofNullable(kid), Tokens.claims("alice", "metrics:read"));
  }

  @Nested
  @DisplayName("from a file (agno's jwks_file)")
  class FromFile {
    @Test
    @DisplayName("keys are chosen by kid; a kid-less key is the default for unknown or absent kids")
    void kidSelection(@TempDir Path dir) throws Exception {
      Path file = dir.resolve("jwks.json");
      Files.writeString(file, new JsonObject().put("keys", new JsonArray().add(jwk(A, "RS256", "a")).add(jwk(C, "ES256", null))).encode());
      JsonObject conf = TestServer.baseConfig(db).put("authorization", new JsonObject()
          .put("algorithms", new JsonArray().add("RS256").add("ES256")).put("jwks_file", file.toString()));
      try (TestServer s = TestServer.start(conf, Map.of())) {
        accepted(s.get("/metrics", token(A, "RS256", "a")));
        accepted(s.get("/metrics", token(C, "ES256", null)));
        accepted(s.get("/metrics", token(C, "ES256", "unknown-kid")));
        rejected(s.get("/metrics", token(A, "RS256", null)), "Invalid token: " + JwtVerifier.NO_KID);
        rejected(s.get("/metrics", token(B, "RS256", "a")), "Invalid token: Signature verification failed");
      }
    }

    @Test
    @DisplayName("a symmetric key (kty oct) in a JWKS is skipped: published next to the RSA key, it never verifies an HS256 token")
    void symmetricKeysSkipped(@TempDir Path dir) throws Exception {
      String secret = "a-published-secret-of-at-least-32-bytes!!";
      JsonObject oct = new JsonObject().put("kty", "oct").put("kid", "shared").put("alg", "HS256")
          .put("k", java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(secret.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
      Path file = dir.resolve("jwks.json");
      Files.writeString(file, new JsonObject().put("keys", new JsonArray().add(jwk(A, "RS256", "a")).add(oct)).encode());
      JsonObject conf = TestServer.baseConfig(db).put("authorization", new JsonObject()
          .put("algorithms", new JsonArray().add("RS256").add("HS256")).put("jwks_file", file.toString()));
      try (TestServer s = TestServer.start(conf, Map.of())) {
        accepted(s.get("/metrics", token(A, "RS256", "a")));
        String forged = TokenSigner.sign("HS256", TokenSigner.hmacKey(secret), Optional.of("shared"),
            Tokens.claims("mallory", "agent_os:admin"));
        assertThat(s.get("/metrics", forged).statusCode()).isEqualTo(401);
      }
    }

    @Test
    @DisplayName("JWT_JWKS_FILE is used when jwks_file is not set")
    void envVariable(@TempDir Path dir) throws Exception {
      Path file = dir.resolve("jwks.json");
      Files.writeString(file, new JsonObject().put("keys", new JsonArray().add(jwk(A, "RS256", "a"))).encode());
      JsonObject conf = TestServer.baseConfig(db).put("authorization", new JsonObject().put("algorithms", new JsonArray().add("RS256")));
      try (TestServer s = TestServer.start(conf, Map.of("JWT_JWKS_FILE", file.toString()))) {
        accepted(s.get("/metrics", token(A, "RS256", "a")));
      }
    }

    @Test
    @DisplayName("a missing file, bad JSON, duplicate kids or only use=enc keys are start-up errors")
    void untrustedFiles(@TempDir Path dir) throws Exception {
      Path dup = dir.resolve("dup.json");
      Files.writeString(dup, new JsonObject().put("keys", new JsonArray().add(jwk(A, "RS256", "k")).add(jwk(B, "RS256", "k"))).encode());
      Path enc = dir.resolve("enc.json");
      Files.writeString(enc, new JsonObject().put("keys", new JsonArray().add(jwk(A, "RS256", "k").put("use", "enc"))).encode());
      Path bad = dir.resolve("bad.json");
      Files.writeString(bad, "{not json");
      for (Object[] c : new Object[][] {{dir.resolve("missing.json"), "JWKS file not found"}, {bad, "invalid JSON in JWKS"},
          {dup, "duplicate kid 'k'"}, {enc, "no key in the JWKS fits"}}) {
        JsonObject conf = new JsonObject().put("authorization", new JsonObject().put("algorithms", new JsonArray().add("RS256"))
            .put("jwks_file", c[0].toString()));
        assertThatThrownBy(() -> KeySources.loadStatic(ConfigLoader.fromJson(conf, Map.of()).authorization()))
            .isInstanceOf(ConfigException.class).hasMessageContaining((String) c[1]);
      }
    }
  }

  @Nested
  @DisplayName("from a URL, refreshed in the background")
  class FromUrl {
    private Vertx idpVertx;
    private HttpServer idp;
    private final AtomicReference<JsonObject> document = new AtomicReference<>();
    private final AtomicInteger fetches = new AtomicInteger();
    private volatile int status = 200;
    private volatile long delayMs = 0;

    @BeforeEach
    void startIdp() throws Exception {
      idpVertx = Vertx.vertx();
      idp = idpVertx.createHttpServer().requestHandler(req -> {
        fetches.incrementAndGet();
        Runnable answer = () -> req.response().setStatusCode(status).putHeader("Content-Type", "application/json")
            .end(status == 200 ? document.get().encode() : "{\"error\":\"down\"}");
        if (delayMs > 0) idpVertx.setTimer(delayMs, id -> answer.run());
        else answer.run();
      }).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stopIdp() throws Exception {
      idpVertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private TestServer service(int minRefresh, int maxRefresh) throws Exception {
      return service(minRefresh, maxRefresh, 1);
    }

    private TestServer service(int minRefresh, int maxRefresh, int instances) throws Exception {
      JsonObject conf = TestServer.baseConfig(db);
      conf.getJsonObject("http").put("instances", instances);
      conf.put("authorization", new JsonObject().put("algorithms", new JsonArray().add("RS256").add("ES256"))
          .put("jwks_url", "http://127.0.0.1:" + idp.actualPort() + "/jwks")
          .put("jwks_refresh_min_seconds", minRefresh).put("jwks_refresh_max_seconds", maxRefresh));
      TestServer s = TestServer.startWithoutWaiting(conf, Map.of()); // readiness depends on the IdP in some of these tests
      s.awaitPolicy(java.time.Duration.ofSeconds(30));
      return s;

    }

    private void awaitStatus(TestServer s, String token, int expected) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      int last = -1;
      while (System.nanoTime() < deadline) {
        last = s.get("/metrics", token).statusCode();
        if (last == expected) return;
        Thread.sleep(100);
      }
      throw new AssertionError("expected " + expected + " within 10 s, last " + last);
    }

    @Test
    @DisplayName("a key added to the set is accepted, and a key removed from it is refused after a refresh")
    void addAndRemove() throws Exception {
      document.set(new JsonObject().put("keys", new JsonArray().add(jwk(A, "RS256", "a"))));
      try (TestServer s = service(1, 1)) {
        accepted(s.get("/metrics", token(A, "RS256", "a")));
        document.set(new JsonObject().put("keys", new JsonArray().add(jwk(A, "RS256", "a")).add(jwk(B, "RS256", "b"))));
        awaitStatus(s, token(B, "RS256", "b"), 200);
        String cachedA = token(A, "RS256", "a");
        accepted(s.get("/metrics", cachedA));
        document.set(new JsonObject().put("keys", new JsonArray().add(jwk(B, "RS256", "b"))));
        awaitStatus(s, cachedA, 401);
        accepted(s.get("/metrics", token(B, "RS256", "b")));
      }
    }

    @Test
    @DisplayName("one key set per node: one fetch at start for every HTTP instance and the policy verticle; a new kid waits for one refresh and passes at once; made-up kids cost no more fetches")
    void unknownKidDebounced() throws Exception {
      document.set(new JsonObject().put("keys", new JsonArray().add(jwk(A, "RS256", "a"))));
      try (TestServer s = service(30, 3600)) {
        int atStart = fetches.get();
        assertThat(atStart).as("the node's JwksVerticle fetches once for all its verticles").isEqualTo(1);
        document.set(new JsonObject().put("keys", new JsonArray().add(jwk(A, "RS256", "a")).add(jwk(B, "RS256", "b"))));
        // the first request that names the new kid waits (bounded) for the node's refresh and passes: no false 401
        assertThat(s.get("/metrics", token(B, "RS256", "b")).statusCode()).isEqualTo(200);
        assertThat(fetches.get()).isEqualTo(atStart + 1);
        for (int i = 0; i < 20; i++) accepted(s.get("/metrics", token(B, "RS256", "b")));
        for (int i = 0; i < 5; i++) {
          rejected(s.get("/metrics", token(C, "ES256", "made-up-" + i)), "Invalid token: No verification keys configured");
        }
        assertThat(fetches.get()).as("the debounce bounds fetches per node").isEqualTo(atStart + 1);
      }
    }

    @Test
    @DisplayName("a key rotation at the identity provider gives no 401 on any connection of any HTTP instance, for one fetch")
    void rotationWithoutFalse401s() throws Exception {
      document.set(new JsonObject().put("keys", new JsonArray().add(jwk(A, "RS256", "a"))));
      try (TestServer s = service(30, 3600, 4)) {
        int atStart = fetches.get();
        document.set(new JsonObject().put("keys", new JsonArray().add(jwk(A, "RS256", "a")).add(jwk(B, "RS256", "b"))));
        String rotated = token(B, "RS256", "b");
        java.util.List<java.util.concurrent.CompletableFuture<Integer>> statuses = new java.util.ArrayList<>();
        io.vertx.core.http.HttpClient[] clients = new io.vertx.core.http.HttpClient[8];
        for (int c = 0; c < clients.length; c++) {
          // one connection per client: the requests land on different HTTP verticle instances
          clients[c] = s.vertx().createHttpClient(new io.vertx.core.http.PoolOptions().setHttp1MaxSize(1));
          for (int i = 0; i < 5; i++) {
            statuses.add(clients[c].request(io.vertx.core.http.HttpMethod.GET, s.port(), "127.0.0.1", "/metrics")
                .compose(req -> req.putHeader("Authorization", "Bearer " + rotated).send())
                .map(io.vertx.core.http.HttpClientResponse::statusCode).toCompletionStage().toCompletableFuture());
          }
        }
        for (var status : statuses) assertThat(status.get(10, TimeUnit.SECONDS)).isEqualTo(200);
        assertThat(fetches.get()).as("one fetch for the node").isEqualTo(atStart + 1);
        for (var client : clients) client.close();
      }
    }

    @Test
    @DisplayName("the wait for a refresh is bounded: with a JWKS server that answers in 4 s, an unknown kid is refused after about 2 s")
    void waitIsBounded() throws Exception {
      document.set(new JsonObject().put("keys", new JsonArray().add(jwk(A, "RS256", "a"))));
      try (TestServer s = service(1, 3600)) {
        Thread.sleep(1_100); // past the debounce window
        delayMs = 4_000;
        document.set(new JsonObject().put("keys", new JsonArray().add(jwk(A, "RS256", "a")).add(jwk(B, "RS256", "b"))));
        long started = System.nanoTime();
        int status = s.get("/metrics", token(B, "RS256", "b")).statusCode();
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        assertThat(status).isEqualTo(401);
        assertThat(status).as("judged before the 4 s fetch ended (a 200 would mean it waited for it)").isEqualTo(401);
        assertThat(tookMs).as("it did wait for the refresh first").isGreaterThanOrEqualTo(1_500L);
        accepted(s.get("/metrics", token(A, "RS256", "a"))); // other tokens are not held up meanwhile
        delayMs = 0;
        awaitStatus(s, token(B, "RS256", "b"), 200);
      }
    }

    @Test
    @DisplayName("during an outage the last good set is kept")
    void outageKeepsLastGoodSet() throws Exception {
      document.set(new JsonObject().put("keys", new JsonArray().add(jwk(A, "RS256", "a"))));
      try (TestServer s = service(1, 1)) {
        accepted(s.get("/metrics", token(A, "RS256", "a")));
        status = 500;
        int before = fetches.get();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (fetches.get() < before + 2 && System.nanoTime() < deadline) Thread.sleep(100);
        assertThat(fetches.get()).isGreaterThanOrEqualTo(before + 2);
        accepted(s.get("/metrics", token(A, "RS256", "a") + ""));
        String fresh = TokenSigner.sign("RS256", A.getPrivate(), Optional.of("a"), Tokens.claims("bob", "metrics:read"));
        accepted(s.get("/metrics", fresh));
        document.set(new JsonObject().put("keys", new JsonArray().add(jwk(A, "RS256", "a")).add(jwk(A, "RS256", "a"))));
        status = 200; // a set with duplicate kids is not trusted either
        Thread.sleep(2_500);
        accepted(s.get("/metrics", TokenSigner.sign("RS256", A.getPrivate(), Optional.of("a"), Tokens.claims("carol", "metrics:read"))));
      }
    }

    @Test
    @DisplayName("while no set was ever fetched, tokens are refused and /ready is 503")
    void neverFetched() throws Exception {
      status = 503;
      try (TestServer s = service(1, 1)) {
        rejected(s.get("/metrics", token(A, "RS256", "a")), "Invalid token: No verification keys configured");
        assertThat(s.get("/ready").statusCode()).isEqualTo(503);
        document.set(new JsonObject().put("keys", new JsonArray().add(jwk(A, "RS256", "a"))));
        status = 200;
        awaitStatus(s, token(A, "RS256", "a"), 200);
      }
    }
  }
}
