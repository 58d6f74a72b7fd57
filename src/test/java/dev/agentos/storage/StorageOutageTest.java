package dev.agentos.storage;

import dev.agentos.contract.StorageApi;
import static dev.agentos.storage.IsolationTest.call;
import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.testing.TcpProxy;
import dev.agentos.testing.TestDatabase;
import dev.agentos.testing.TestServer;
import dev.agentos.testing.Tokens;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Storage failures: 503, nothing half-written, recovery")
class StorageOutageTest {
  private static final String USER = Tokens.hs256("olga", "sessions:read", "sessions:write", "memories:write", "memories:read");

  private static long count(TestDatabase db, String sql) throws Exception {
    try (Connection c = db.connect(); ResultSet rs = c.createStatement().executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  @DisplayName("with PostgreSQL cut off, data requests are 503 {detail}; when it is back the pool recovers by itself")
  void cutAndRecover() throws Exception {
    Vertx proxyVertx = Vertx.vertx();
    try (TestDatabase db = TestDatabase.create(); TcpProxy proxy = TcpProxy.start(proxyVertx, db.host(), db.port())) {
      JsonObject conf = TestServer.baseConfig(db);
      conf.getJsonObject("storage").put("postgres", db.postgresConfigVia(proxy));
      try (TestServer s = TestServer.start(conf, Map.of())) {
        assertThat(call(s, HttpMethod.POST, "/sessions", USER, new JsonObject().put("session_id", "before")).statusCode()).isEqualTo(201);
        proxy.cut();
        var write = call(s, HttpMethod.POST, "/sessions", USER, new JsonObject().put("session_id", "during"));
        assertThat(write.statusCode()).isEqualTo(503);
        assertThat(write.bodyAsJsonObject().getString("detail")).isEqualTo("Database unavailable");
        assertThat(call(s, HttpMethod.GET, "/sessions", USER, null).statusCode()).isEqualTo(503);
        assertThat(call(s, HttpMethod.POST, "/memories", USER, new JsonObject().put("memory", "m").put("user_id", "olga")).statusCode()).isEqualTo(503);
        assertThat(s.get("/ready").statusCode()).isEqualTo(503);

        proxy.restore();
        long cutEnded = System.nanoTime();
        s.awaitReady(Duration.ofSeconds(30));
        int status = 0;
        while (System.nanoTime() - cutEnded < TimeUnit.SECONDS.toNanos(30)
            && (status = call(s, HttpMethod.GET, "/sessions", USER, null).statusCode()) != 200) {
          Thread.sleep(100);
        }
        assertThat(status).isEqualTo(200);
        // cut() returns once every proxied connection is closed, so the write sent after it never reached the
        // database: nothing was stored, and the retry a client makes after a 503 creates the session once
        assertThat(count(db, "SELECT count(*) FROM sessions WHERE session_id = 'during'")).isZero();
        assertThat(count(db, "SELECT count(*) FROM sessions WHERE session_id = 'before'")).isOne();
        assertThat(call(s, HttpMethod.POST, "/sessions", USER, new JsonObject().put("session_id", "during")).statusCode()).isEqualTo(201);
        assertThat(call(s, HttpMethod.POST, "/sessions", USER, new JsonObject().put("session_id", "during")).statusCode())
            .as("a second retry finds it stored").isEqualTo(409);
        assertThat(count(db, "SELECT count(*) FROM sessions WHERE session_id = 'during'")).isOne();
      }
    } finally {
      proxyVertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  @DisplayName("recording a run is one transaction: when the run cannot be written, its new session is not kept either")
  void runRecordIsAtomic() throws Exception {
    try (TestDatabase db = TestDatabase.create(); TestServer s = TestServer.start(db, new JsonObject())) {
      IsolationTest.seedRun(s, "olga", "first-session", "run-1", "hello");
      // same run id again, into a new session: the run insert fails on its key, so the new session must roll back
      Throwable failure = s.vertx().eventBus().request(StorageApi.ADDRESS, new JsonObject().put("owner", "olga")
              .put("session_id", "second-session").put("session_type", "agent").put("component_id", "a1")
              .put("run", new JsonObject().put("run_id", "run-1").put("content", "x")),
          new DeliveryOptions().addHeader(StorageApi.ACTION_HEADER, StorageApi.RUNS_RECORD))
          .toCompletionStage().toCompletableFuture().handle((ok, err) -> err).get(10, TimeUnit.SECONDS);
      assertThat(((ReplyException) failure).failureCode()).isEqualTo(StorageApi.CONFLICT);
      assertThat(count(db, "SELECT count(*) FROM sessions WHERE session_id = 'second-session'")).isZero();
      assertThat(count(db, "SELECT count(*) FROM runs")).isOne();
    }
  }

  @Test
  @DisplayName("a run cannot be recorded into another user's session")
  void runIntoForeignSession() throws Exception {
    try (TestDatabase db = TestDatabase.create(); TestServer s = TestServer.start(db, new JsonObject())) {
      IsolationTest.seedRun(s, "olga", "olgas-session", "run-1", "hello");
      Throwable failure = s.vertx().eventBus().request(StorageApi.ADDRESS, new JsonObject().put("owner", "mallory")
              .put("session_id", "olgas-session").put("session_type", "agent").put("component_id", "a1")
              .put("run", new JsonObject().put("run_id", "run-evil").put("content", "x")),
          new DeliveryOptions().addHeader(StorageApi.ACTION_HEADER, StorageApi.RUNS_RECORD))
          .toCompletionStage().toCompletableFuture().handle((ok, err) -> err).get(10, TimeUnit.SECONDS);
      assertThat(((ReplyException) failure).failureCode()).isEqualTo(StorageApi.NOT_FOUND);
      assertThat(count(db, "SELECT count(*) FROM runs WHERE run_id = 'run-evil'")).isZero();
    }
  }
}
