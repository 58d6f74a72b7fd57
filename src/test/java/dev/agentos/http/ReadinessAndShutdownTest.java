package dev.agentos.http;

import dev.agentos.contract.LifecycleApi;
import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.testing.TcpProxy;
import dev.agentos.testing.TestDatabase;
import dev.agentos.testing.TestServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Readiness follows the database; shutdown drains in-flight requests")
class ReadinessAndShutdownTest {
  private static TestDatabase db;
  private static Vertx proxyVertx;

  @BeforeAll
  static void setUp() {
    db = TestDatabase.create();
    proxyVertx = Vertx.vertx();
  }

  @AfterAll
  static void tearDown() throws Exception {
    proxyVertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    db.close();
  }

  private static JsonObject through(TcpProxy proxy) {
    return new JsonObject().put("storage", new JsonObject().put("postgres",
        db.postgresConfigVia(proxy)));
  }

  @Test
  @DisplayName("the service starts while PostgreSQL is unreachable, is not ready, and becomes ready when it is back")
  void readinessFollowsDatabase() throws Exception {
    try (TcpProxy proxy = TcpProxy.start(proxyVertx, db.host(), db.port())) {
      proxy.cut();
      try (TestServer server = TestServer.startWithoutWaiting(TestServer.baseConfig(db).mergeIn(through(proxy), true), java.util.Map.of())) {
        assertThat(server.get("/health").statusCode()).isEqualTo(200);
        HttpResponse<Buffer> notReady = server.get("/ready");
        assertThat(notReady.statusCode()).isEqualTo(503);
        assertThat(notReady.bodyAsJsonObject().getString("detail")).isEqualTo("Service not ready");
        assertThat(notReady.bodyAsJsonObject().getJsonObject("checks").getString("storage")).isEqualTo("down");
        // the policy verticle cannot load its roles: /ready says so rather than a bare "down"
        assertThat(notReady.bodyAsJsonObject().getJsonObject("checks").getString("policy")).isEqualTo("waiting for storage (roles not loaded)");

        proxy.restore();
        Readiness.await(server, Duration.ofSeconds(30));

        proxy.cut();
        assertThat(server.get("/ready").statusCode()).isEqualTo(503);
        proxy.restore();
        Readiness.await(server, Duration.ofSeconds(30));
      }
    }
  }

  @Test
  @DisplayName("graceful shutdown lets an in-flight request finish, then refuses new connections")
  void shutdownDrainsInFlight() throws Exception {
    try (TcpProxy proxy = TcpProxy.start(proxyVertx, db.host(), db.port())) {
      TestServer server = TestServer.start(db, through(proxy));
      try {
        Readiness.await(server, Duration.ofSeconds(30));
        // The readiness check pings PostgreSQL through the proxy: slow it so the request is in flight.
        proxy.delay(600);
        Future<HttpResponse<Buffer>> inFlight = server.request(io.vertx.core.http.HttpMethod.GET, "/ready").send();
        Thread.sleep(300);
        Future<Void> stopping = server.server().stop();
        HttpResponse<Buffer> r = inFlight.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(r.statusCode()).isEqualTo(200);
        stopping.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        Throwable refused = server.request(io.vertx.core.http.HttpMethod.GET, "/health").send()
            .toCompletionStage().toCompletableFuture().handle((ok, err) -> err).get(10, TimeUnit.SECONDS);
        assertThat(refused).as("a new connection after shutdown").isNotNull();
      } finally {
        server.close();
      }
    }
  }

  @Test
  @DisplayName("once draining has begun, new requests get 503 with Connection: close, readiness is down and liveness stays up")
  void drainingRefusesNewRequests() throws Exception {
    TestServer server = TestServer.start(db, new JsonObject());
    try {
      String admin = dev.agentos.testing.Tokens.admin();
      assertThat(server.get("/agents", admin).statusCode()).isEqualTo(200);
      server.vertx().eventBus().publish(LifecycleApi.DRAINING, null,
          new io.vertx.core.eventbus.DeliveryOptions().setLocalOnly(true));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      HttpResponse<Buffer> refused = server.get("/agents", admin);
      while (refused.statusCode() != 503 && System.nanoTime() < deadline) refused = server.get("/agents", admin);
      assertThat(refused.statusCode()).isEqualTo(503);
      assertThat(refused.bodyAsJsonObject().getString("detail")).isEqualTo("Service is shutting down");
      assertThat(refused.getHeader("Connection")).isEqualToIgnoringCase("close");
      assertThat(server.get("/ready", null).statusCode()).isEqualTo(503);
      assertThat(server.get("/health", null).statusCode()).isEqualTo(200);
    } finally {
      server.close();
    }
  }
}
