package dev.agentos.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.config.Placement.Verticle;
import dev.agentos.testing.TcpProxy;
import dev.agentos.testing.TestDatabase;
import dev.agentos.testing.TestServer;
import dev.agentos.testing.Tokens;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Faults injected under load, bounded in time: PostgreSQL cut while writes are in flight, and the policy
 * verticle taken away while requests keep coming. The figures (writes acknowledged, lost, recovery time)
 * are printed for docs/reliability.md.
 */
@DisplayName("Fault injection under load")
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class FaultInjectionTest {
  private static final String USER = Tokens.hs256("writer", "sessions:write", "sessions:read", "agents:read");

  /** Keeps {@code concurrency} requests in flight until {@code stop}; each one from a fresh id. */
  private static final class Load {
    final HttpClient client;
    final int port;
    final AtomicBoolean stop = new AtomicBoolean();
    final Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
    final ConcurrentLinkedQueue<long[]> timeline = new ConcurrentLinkedQueue<>(); // {startNanos, endNanos, status}
    final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    final AtomicLong sequence = new AtomicLong();
    final Promise<Void> done = Promise.promise();
    final AtomicInteger running = new AtomicInteger();

    Load(Vertx vertx, int port) {
      this.client = vertx.createHttpClient(new HttpClientOptions(), new io.vertx.core.http.PoolOptions().setHttp1MaxSize(16));
      this.port = port;
    }

    void start(int concurrency, boolean writes) {
      running.set(concurrency);
      for (int i = 0; i < concurrency; i++) next(writes);
    }

    private void next(boolean writes) {
      if (stop.get()) {
        if (running.decrementAndGet() == 0) done.tryComplete();
        return;
      }
      String id = "fault-" + sequence.incrementAndGet();
      long started = System.nanoTime();
      RequestOptions options = new RequestOptions().setHost("127.0.0.1").setPort(port)
          .setMethod(writes ? HttpMethod.POST : HttpMethod.GET).setURI(writes ? "/sessions" : "/agents")
          .putHeader("Authorization", "Bearer " + USER).putHeader("Content-Type", "application/json")
          .setTimeout(15_000);
      client.request(options)
          .compose(req -> req.send(writes ? new JsonObject().put("session_id", id).encode() : "")
              .compose(resp -> resp.body().map(b -> resp.statusCode())))
          .onComplete(ar -> {
            int status = ar.succeeded() ? ar.result() : -1;
            statuses.computeIfAbsent(status, s -> new AtomicInteger()).incrementAndGet();
            timeline.add(new long[] {started, System.nanoTime(), status});
            if (writes && status == 201) acknowledged.add(id);
            next(writes);
          });
    }

    void finish() throws Exception {
      stop.set(true);
      done.future().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  private static Set<String> sessionIds(TestDatabase db) throws Exception {
    Set<String> ids = new HashSet<>();
    try (Connection c = db.connect(); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT session_id FROM sessions WHERE session_id LIKE 'fault-%'")) {
      while (rs.next()) ids.add(rs.getString(1));
    }
    return ids;
  }

  @Test
  @DisplayName("PostgreSQL cut while writes are in flight: every acknowledged write is stored, the rest get 503, and the service recovers by itself")
  void databaseCutUnderWrites() throws Exception {
    Vertx side = Vertx.vertx();
    try (TestDatabase db = TestDatabase.create(); TcpProxy proxy = TcpProxy.start(side, db.host(), db.port())) {
      JsonObject conf = TestServer.baseConfig(db);
      conf.getJsonObject("storage").put("postgres", db.postgresConfigVia(proxy));
      try (TestServer s = TestServer.start(conf, Map.of())) {
        Load load = new Load(side, s.port());
        load.start(8, true);
        Thread.sleep(1_500);
        long cutAt = System.nanoTime();
        proxy.cut();
        Thread.sleep(2_000);
        proxy.restore();
        long restoredAt = System.nanoTime();
        // keep writing until writes succeed again (bounded)
        long deadline = restoredAt + TimeUnit.SECONDS.toNanos(40);
        long recoveredAt = -1;
        while (System.nanoTime() < deadline && recoveredAt < 0) {
          for (long[] t : load.timeline) if (t[0] > restoredAt && t[2] == 201) recoveredAt = t[1];
          Thread.sleep(50);
        }
        Thread.sleep(500);
        load.finish();

        Set<String> stored = sessionIds(db);
        Set<String> lost = new HashSet<>(load.acknowledged);
        lost.removeAll(stored);
        long duringCut = load.timeline.stream().filter(t -> t[0] > cutAt + TimeUnit.MILLISECONDS.toNanos(100) && t[1] < restoredAt).count();
        System.out.printf("[fault] postgres cut 2.0 s under 8 concurrent writers: %d requests, %d acknowledged, %d stored, "
                + "%d acknowledged but lost, statuses %s, requests wholly inside the cut %d, recovery %d ms after restore%n",
            load.timeline.size(), load.acknowledged.size(), stored.size(), lost.size(), load.statuses, duringCut,
            recoveredAt < 0 ? -1 : TimeUnit.NANOSECONDS.toMillis(recoveredAt - restoredAt));

        assertThat(lost).as("acknowledged writes missing from the database").isEmpty();
        assertThat(load.statuses.keySet()).as("statuses seen: %s", load.statuses).isSubsetOf(201, 503);
        assertThat(load.statuses).containsKey(503);
        assertThat(recoveredAt).as("writes succeed again after the database is back").isPositive();
        for (long[] t : load.timeline) {
          if (t[0] > cutAt + TimeUnit.MILLISECONDS.toNanos(100) && t[1] < restoredAt) {
            assertThat(t[2]).as("a request made and answered during the cut").isEqualTo(503);
          }
        }
      }
    } finally {
      side.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  @DisplayName("policy verticle undeployed under load: protected routes answer 503, never 200, and recover when it is back")
  void policyVerticleGoneUnderLoad() throws Exception {
    Vertx side = Vertx.vertx();
    try (TestDatabase db = TestDatabase.create(); TestServer s = TestServer.start(db, new JsonObject())) {
      Load load = new Load(side, s.port());
      load.start(8, false);
      Thread.sleep(1_000);
      await(s.server().stopVerticle(Verticle.POLICY));
      long goneAt = System.nanoTime();
      Thread.sleep(2_000);
      long backAt = System.nanoTime();
      await(s.server().startVerticle(Verticle.POLICY));
      long deployedAt = System.nanoTime();
      long deadline = deployedAt + TimeUnit.SECONDS.toNanos(30);
      long recoveredAt = -1;
      while (System.nanoTime() < deadline && recoveredAt < 0) {
        for (long[] t : load.timeline) if (t[0] > deployedAt && t[2] == 200) recoveredAt = t[1];
        Thread.sleep(50);
      }
      load.finish();

      long whileGone = 0;
      Map<Long, Integer> wrong = new ConcurrentHashMap<>();
      for (long[] t : load.timeline) {
        if (t[0] > goneAt && t[1] < backAt) {
          whileGone++;
          if (t[2] != 503) wrong.put(t[0], (int) t[2]);
        }
      }
      System.out.printf("[fault] policy verticle undeployed 2.0 s under 8 concurrent readers: %d requests, statuses %s, "
              + "%d requests wholly while it was gone (all 503: %s), recovery %d ms after redeploy%n",
          load.timeline.size(), load.statuses, whileGone, wrong.isEmpty(),
          recoveredAt < 0 ? -1 : TimeUnit.NANOSECONDS.toMillis(recoveredAt - deployedAt));
      assertThat(whileGone).isPositive();
      assertThat(wrong).as("non-503 answers while no policy verticle existed").isEmpty();
      assertThat(load.statuses.keySet()).isSubsetOf(200, 503);
      assertThat(recoveredAt).as("allowed again once the policy verticle is back").isPositive();
    } finally {
      side.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  private static void await(Future<?> f) throws Exception {
    f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
