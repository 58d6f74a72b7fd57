package dev.agentos.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.config.AgentOsConfig;
import dev.agentos.config.ConfigLoader;
import dev.agentos.contract.Decision;
import dev.agentos.contract.Principal;
import dev.agentos.contract.StorageRequest;
import dev.agentos.policy.impl.DecisionRecorder;
import dev.agentos.storage.PostgresTarget;
import dev.agentos.storage.StorageClient;
import dev.agentos.storage.StorageVerticle;
import dev.agentos.storage.impl.DecisionStore;
import dev.agentos.storage.impl.ScopedClient;
import dev.agentos.testing.TestDatabase;
import dev.agentos.testing.TestServer;
import dev.agentos.testing.Tokens;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.sql.ResultSet;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** docs/authorization.md, "Decision records": every decision recorded, per tenant, never the token, never in the way. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("Decision records")
class DecisionRecordsTest {
  static String token(String sub, String tenant, String... scopes) {
    return Tokens.hs256(Tokens.claims(sub, scopes).put("org", tenant));
  }

  final String aliceAcme = token("alice", "acme", "sessions:read");
  final String adminAcme = token("root", "acme", "agent_os:admin");
  final String adminGlobex = token("root", "globex", "agent_os:admin");

  TestDatabase db;
  TestServer s;

  @BeforeAll
  void start() throws Exception {
    db = TestDatabase.create();
    s = TestServer.start(db, new JsonObject().put("authorization", new JsonObject().put("user_isolation", true)
        .put("tenant_id_claim", "org")));
  }

  @AfterAll
  void stop() throws Exception {
    s.close();
    db.close();
  }

  HttpResponse<Buffer> get(String uri, String token) {
    return s.get(uri, token);
  }

  /** The recorder writes every 200 ms: the records of a request appear within a bound. */
  JsonArray awaitDecisions(String query, String token, int atLeast) throws InterruptedException {
    long until = System.currentTimeMillis() + 5_000;
    JsonArray data;
    do {
      HttpResponse<Buffer> r = get("/authz/decisions" + query, token);
      assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
      data = r.bodyAsJsonObject().getJsonArray("data");
      if (data.size() >= atLeast) return data;
      Thread.sleep(50);
    } while (System.currentTimeMillis() < until);
    return data;
  }

  @Test
  @DisplayName("allows and denies are recorded with route, required and held scopes, result and a token reference")
  void allowAndDeny() throws Exception {
    assertThat(get("/sessions", aliceAcme).statusCode()).isEqualTo(200);
    assertThat(get("/traces", aliceAcme).statusCode()).isEqualTo(403);
    JsonArray data = awaitDecisions("?subject=alice", adminAcme, 2);
    JsonObject deny = data.stream().map(JsonObject.class::cast).filter(d -> d.getString("path").equals("/traces")).findFirst().orElseThrow();
    assertThat(deny.getString("result")).isEqualTo("deny");
    assertThat(deny.getString("route")).isEqualTo("GET /traces");
    assertThat(deny.getJsonArray("required").getList()).containsExactly("traces:read");
    assertThat(deny.getJsonArray("held").getList()).containsExactly("sessions:read");
    assertThat(deny.getString("method")).isEqualTo("GET");
    assertThat(deny.getString("principal_kind")).isEqualTo("jwt");
    assertThat(deny.getString("token_ref")).matches("sha256:[0-9a-f]{12}");
    assertThat(deny.getString("decision_id")).isNotBlank();
    JsonObject allow = data.stream().map(JsonObject.class::cast).filter(d -> d.getString("path").equals("/sessions")).findFirst().orElseThrow();
    assertThat(allow.getString("result")).isEqualTo("allow");
    assertThat(awaitDecisions("?subject=alice&result=deny", adminAcme, 1).stream().map(JsonObject.class::cast)
        .map(d -> d.getString("result")).distinct().toList()).containsExactly("deny");
    assertThat(awaitDecisions("?path=/traces&subject=alice", adminAcme, 1).size()).isPositive();
  }

  @Test
  @DisplayName("a token with a jti is referred to by it; no column of any record holds a token")
  void neverTheToken() throws Exception {
    String withJti = Tokens.hs256(Tokens.claims("jill", "sessions:read").put("org", "acme").put("jti", "run-42"));
    assertThat(get("/sessions", withJti).statusCode()).isEqualTo(200);
    JsonArray data = awaitDecisions("?subject=jill", adminAcme, 1);
    assertThat(data.getJsonObject(0).getString("token_ref")).isEqualTo("jti:run-42");
    awaitDecisions("?subject=alice", adminAcme, 1);
    try (java.sql.Connection c = db.connect(); ResultSet rs = c.createStatement().executeQuery(
        "SELECT row_to_json(d)::text FROM authz_decisions d")) {
      while (rs.next()) {
        assertThat(rs.getString(1)).doesNotContain(withJti).doesNotContain(aliceAcme).doesNotContain(adminAcme)
            .doesNotContain(withJti.substring(withJti.lastIndexOf('.') + 1));
      }
    }
  }

  @Test
  @DisplayName("records are per tenant: one tenant's admin never reads another's")
  void perTenant() throws Exception {
    assertThat(get("/sessions", token("gus", "globex", "sessions:read")).statusCode()).isEqualTo(200);
    assertThat(awaitDecisions("?subject=gus", adminGlobex, 1)).isNotEmpty();
    assertThat(get("/authz/decisions?subject=gus", adminAcme).bodyAsJsonObject().getJsonArray("data")).isEmpty();
    assertThat(get("/authz/decisions", aliceAcme).statusCode()).as("authz:read is required").isEqualTo(403);
  }

  @Test
  @DisplayName("control characters in what a caller chose are stripped before a record is kept")
  void controlCharactersStripped() throws Exception {
    assertThat(get("/sessions", token("bell\u0007user", "acme", "sessions:read")).statusCode()).isEqualTo(200);
    assertThat(awaitDecisions("?subject=belluser", adminAcme, 1)).isNotEmpty();
    // a subject PostgreSQL could not store at all is no subject: the token is refused, nothing is queried or recorded
    assertThat(get("/sessions", token("nul\u0000user", "acme", "sessions:read")).statusCode()).isEqualTo(401);
    // a lone surrogate, written as JSON's escape (an encoder would replace the character itself)
    String lone = Tokens.rawHs256("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8),
        ("{\"sub\":\"half\\ud800\",\"org\":\"acme\",\"scopes\":[\"sessions:read\"],\"exp\":" + (Tokens.now() + 600) + "}")
            .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertThat(get("/sessions", lone).statusCode()).isEqualTo(401);
    assertThat(DecisionRecorder.clean("a\u0000b\u001bc\u007fd\u0085e\ud800f\ud83d\ude00", 100)).isEqualTo("abcdef\ud83d\ude00");
    assertThat(DecisionRecorder.clean("x".repeat(50), 10)).hasSize(10);
  }

  @Test
  @DisplayName("malformed filters are 422, not a failed query")
  void malformedFilters() {
    assertThat(get("/authz/decisions?result=maybe", adminAcme).statusCode()).isEqualTo(422);
    assertThat(get("/authz/decisions?from=yesterday", adminAcme).statusCode()).isEqualTo(422);
    assertThat(get("/authz/decisions?limit=101", adminAcme).statusCode()).isEqualTo(422);
  }

  @Test
  @DisplayName("records past the retention are pruned, over every tenant")
  void retention() throws Exception {
    String old = Instant.now().minus(40, ChronoUnit.DAYS).toString();
    JsonArray records = new JsonArray();
    for (String tenant : List.of("acme", "globex")) {
      records.add(new JsonObject().put("tenant", tenant).put("at", old).put("decision_id", "old-" + tenant).put("subject", "ghost")
          .put("principal_kind", "jwt").put("method", "GET").put("path", "/sessions").put("required", new JsonArray())
          .put("held", new JsonArray()).put("result", "allow").put("reasons", new JsonArray()));
    }
    new StorageClient(s.vertx(), 5_000).request(new StorageRequest.DecisionsRecord(records))
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(get("/authz/decisions?subject=ghost", adminAcme).bodyAsJsonObject().getJsonArray("data")).hasSize(1);
    AgentOsConfig.Postgres pg = ConfigLoader.fromJson(new JsonObject().put("storage", new JsonObject().put("postgres",
        db.postgresConfig())), Map.of()).postgres();
    Vertx vertx = Vertx.vertx();
    io.vertx.sqlclient.Pool pool = StorageVerticle.createPool(vertx, pg, PostgresTarget.fromConfig(pg).orElseThrow(), "prune-test");
    try {
      int pruned = new DecisionStore(new ScopedClient(pool, true)).prune(30).toCompletionStage().toCompletableFuture()
          .get(10, TimeUnit.SECONDS);
      assertThat(pruned).isEqualTo(2);
    } finally {
      pool.close();
      vertx.close();
    }
    assertThat(get("/authz/decisions?subject=ghost", adminAcme).bodyAsJsonObject().getJsonArray("data")).isEmpty();
    assertThat(get("/authz/decisions?subject=ghost", adminGlobex).bodyAsJsonObject().getJsonArray("data")).isEmpty();
  }

  @Test
  @DisplayName("never in the way: a full queue drops and counts, a write storage does not take drops and counts, nothing throws")
  void boundedAndFailSafe() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      // no storage verticle on this Vert.x: every write fails (NO_HANDLERS)
      DecisionRecorder recorder = new DecisionRecorder(vertx, new StorageClient(vertx, 1_000), 100, null, null);
      Decision d = new Decision(true, List.of("sessions:read"), Optional.empty(), Optional.of("alice"), false, "d", List.of("ok"), null);
      Principal p = new Principal(Principal.Kind.JWT, Optional.of("alice"), List.of("sessions:read"), List.of(), Optional.empty(),
          new JsonObject(), 0);
      vertx.runOnContext(v -> {
        for (int i = 0; i < 150; i++) recorder.record(d, p, "GET", "/sessions", "GET /sessions", List.of("sessions:read"));
      });
      long until = System.currentTimeMillis() + 5_000;
      while (recorder.droppedCount() < 150 && System.currentTimeMillis() < until) {
        vertx.runOnContext(v -> recorder.flush());
        Thread.sleep(50);
      }
      assertThat(recorder.droppedCount()).as("50 past the queue, 100 storage did not take").isEqualTo(150);
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }
}
