package dev.agentos.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.testing.TestDatabase;
import dev.agentos.testing.TestServer;
import dev.agentos.testing.Tokens;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Core endpoints over HTTP")
class CoreEndpointsTest {
  private static TestDatabase db;
  private static TestServer server;

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.create();
    server = TestServer.start(db, new JsonObject().put("os", new JsonObject().put("name", "Test OS"))
        .put("http", new JsonObject().put("max_body_bytes", 1024)));
    Readiness.await(server, Duration.ofSeconds(30));
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) server.close();
    if (db != null) db.close();
  }

  @Test
  @DisplayName("GET / answers agno's API info without a token")
  void root() {
    HttpResponse<Buffer> r = server.get("/");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.bodyAsJsonObject()).isEqualTo(new JsonObject().put("name", "AgentOS API").put("id", "test-os").put("version", "1.0.0"));
  }

  @Test
  @DisplayName("GET /health answers ok without a token and without I/O")
  void health() {
    HttpResponse<Buffer> r = server.get("/health");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.bodyAsJsonObject().getString("status")).isEqualTo("ok");
    assertThat(r.bodyAsJsonObject().getString("instantiated_at")).isNotBlank();
  }

  @Test
  @DisplayName("GET /info reports the instance and auth_mode jwt")
  void info() {
    JsonObject body = server.get("/info").bodyAsJsonObject();
    assertThat(body.getString("os_id")).isEqualTo("test-os");
    assertThat(body.getString("name")).isEqualTo("Test OS");
    assertThat(body.getString("auth_mode")).isEqualTo("jwt");
    assertThat(body.getJsonObject("mcp").getBoolean("enabled")).isFalse();
  }

  @Test
  @DisplayName("GET /ready is 200 with storage and policy up")
  void ready() {
    HttpResponse<Buffer> r = server.get("/ready");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.bodyAsJsonObject().getJsonObject("checks"))
        .isEqualTo(new JsonObject().put("storage", "up").put("policy", "up"));
  }

  @Test
  @DisplayName("GET /metrics serves Prometheus text to a caller holding metrics:read")
  void metrics() {
    server.get("/health");
    HttpResponse<Buffer> r = server.get("/metrics", Tokens.hs256("ops", "metrics:read"));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.getHeader("Content-Type")).startsWith("text/plain");
    assertThat(r.bodyAsString()).contains("agentos_policy_decisions_total", "vertx_http_server");
  }

  @Test
  @DisplayName("every agentos_ metric has HELP text")
  void metricsHaveHelp() {
    server.get("/agents", Tokens.hs256("ops", "agents:read")); // a decision, so the policy metrics exist
    String text = server.get("/metrics", Tokens.hs256("ops", "metrics:read")).bodyAsString();
    java.util.List<String> bare = text.lines().filter(l -> l.startsWith("# HELP agentos_"))
        .filter(l -> l.split(" ", 4).length < 4 || l.split(" ", 4)[3].isBlank()).toList();
    assertThat(text).contains("# HELP agentos_policy_decisions_total");
    assertThat(bare).isEmpty();
  }

  @Test
  @DisplayName("GET /metrics without metrics:read is 403 with agno's text and a decision id")
  void metricsForbidden() {
    HttpResponse<Buffer> r = server.get("/metrics", Tokens.hs256("someone", "agents:read"));
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(r.bodyAsJsonObject().getString("detail")).isEqualTo("Insufficient permissions. Required scope(s): metrics:read");
    assertThat(r.getHeader("X-Decision-Id")).isNotBlank();
  }

  @Test
  @DisplayName("an unknown path is a 404 {detail} for an authenticated caller")
  void notFound() {
    HttpResponse<Buffer> r = server.get("/no/such/route", Tokens.admin());
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(r.bodyAsJsonObject()).isEqualTo(new JsonObject().put("detail", "Not Found"));
  }

  @Test
  @DisplayName("a wrong method on a served path is a 405 {detail}")
  void methodNotAllowed() {
    HttpResponse<Buffer> r = TestServer.send(server.request(HttpMethod.DELETE, "/health"));
    assertThat(r.statusCode()).isEqualTo(405);
    assertThat(r.bodyAsJsonObject().getString("detail")).isEqualTo("Method Not Allowed");
  }

  @Test
  @DisplayName("a body over http.max_body_bytes is a 413 {detail}")
  void bodyTooLarge() {
    HttpResponse<Buffer> r = TestServer.send(server.request(HttpMethod.POST, "/metrics/refresh")
        .putHeader("Authorization", "Bearer " + Tokens.admin())
        .putHeader("Content-Type", "application/json"), Buffer.buffer("x".repeat(4096)));
    assertThat(r.statusCode()).isEqualTo(413);
    assertThat(r.bodyAsJsonObject().getString("detail")).isEqualTo("Request body too large");
  }

  @Test
  @DisplayName("oversized request headers are a 431 {detail}, never a 500")
  void headersTooLarge() {
    HttpResponse<Buffer> r = TestServer.send(server.request(HttpMethod.GET, "/health").putHeader("X-Big", "a".repeat(40_000)));
    assertThat(r.statusCode()).isEqualTo(431);
    assertThat(r.bodyAsJsonObject().getString("detail")).isEqualTo("Request header fields too large");
  }

  @Test
  @DisplayName("every response carries a request id, echoing a well-formed incoming one")
  void requestId() {
    HttpResponse<Buffer> r = TestServer.send(server.request(HttpMethod.GET, "/health").putHeader("X-Request-Id", "abc-123"));
    assertThat(r.getHeader("X-Request-Id")).isEqualTo("abc-123");
    HttpResponse<Buffer> hostile = TestServer.send(server.request(HttpMethod.GET, "/health").putHeader("X-Request-Id", "a b\"c"));
    assertThat(hostile.getHeader("X-Request-Id")).matches("[0-9a-f]+");
  }
}
