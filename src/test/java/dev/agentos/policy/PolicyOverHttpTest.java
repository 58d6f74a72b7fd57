package dev.agentos.policy;

import dev.agentos.contract.Decision;
import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.testing.TestDatabase;
import dev.agentos.testing.TestServer;
import dev.agentos.testing.Tokens;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Tokens × routes over real HTTP, on an instance with no agents configured. Routes this service does not
 * serve still get agno's answer: 403 without the scope (the policy runs before routing), 404 or 405 with it.
 * Served routes answer 200 (or 404 for an unknown agent, 422 for a request without its required input)
 * once the policy allows.
 */
@DisplayName("Authorization over HTTP")
class PolicyOverHttpTest {
  private static TestDatabase db;
  private static TestServer server;

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.create();
    server = TestServer.start(db, new JsonObject());
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
    db.close();
  }

  private static HttpResponse<Buffer> call(String method, String path, String scopes) {
    String token = Tokens.hs256("matrix-user", scopes.isBlank() ? new String[0] : scopes.split(" "));
    return TestServer.send(server.request(HttpMethod.valueOf(method), path).putHeader("Authorization", "Bearer " + token));
  }

  /** scopes | method | path | status | detail (for 403) */
  @ParameterizedTest(name = "[{0}] {1} {2} → {3}")
  @CsvSource(delimiter = '|', nullValues = "-", value = {
      "agents:read                | GET    | /agents                    | 200 | -",
      "agents:a1:read             | GET    | /agents                    | 200 | -",
      "agents:a1:run              | GET    | /agents                    | 403 | Insufficient permissions. Required scope(s): agents:read",
      "''                         | GET    | /agents                    | 403 | Insufficient permissions. Required scope(s): agents:read",
      "agents:a1:read             | GET    | /agents/a1                 | 404 | -",
      "agents:a1:read             | GET    | /agents/a2                 | 403 | Insufficient permissions. Required scope(s): agents:read",
      "agents:a1:run              | POST   | /agents/a1/runs            | 404 | -",
      "agents:a1:run              | POST   | /agents/a2/runs            | 403 | Insufficient permissions. Required scope(s): agents:run",
      "agents:a1:read             | GET    | /agents/a1/runs            | 403 | Access denied to run this agent",
      "agents:a1:read agents:a1:run | GET  | /agents/a1/runs            | 422 | -",
      "agents:read                | DELETE | /agents/a1                 | 403 | Insufficient permissions. Required scope(s): agents:delete",
      "teams:t1:run               | POST   | /teams/t1/runs             | 404 | -",
      "teams:t1:run               | POST   | /teams/t2/runs             | 403 | Insufficient permissions. Required scope(s): teams:run",
      "workflows:*:run            | POST   | /workflows/w9/runs         | 404 | -",
      "workflows:read             | POST   | /workflows/w9/runs         | 403 | Insufficient permissions. Required scope(s): workflows:run",
      "sessions:read              | GET    | /sessions                  | 200 | -",
      "sessions:read              | DELETE | /sessions/s1               | 403 | Insufficient permissions. Required scope(s): sessions:delete",
      "sessions:s1:read           | GET    | /sessions/s1               | 403 | Insufficient permissions. Required scope(s): sessions:read",
      "memories:write             | POST   | /memories                  | 422 | -",
      "memories:read              | PATCH  | /memories/m1               | 403 | Insufficient permissions. Required scope(s): memories:write",
      "traces:read                | POST   | /traces/search             | 422 | -",
      "traces:read                | GET    | /trace_session_stats       | 200 | -",
      "sessions:read              | GET    | /traces                    | 403 | Insufficient permissions. Required scope(s): traces:read",
      "config:read                | GET    | /config                    | 200 | -",
      "system:read                | GET    | /models                    | 200 | -",
      "config:read                | GET    | /registry                  | 403 | Insufficient permissions. Required scope(s): registry:read",
      "agent_os:admin             | DELETE | /agents/a1                 | 405 | -",
      "''                         | GET    | /metrics/refresh/status    | 404 | -"})
  void matrix(String scopes, String method, String path, int status, String detail) {
    HttpResponse<Buffer> r = call(method, path, scopes);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(status);
    if (status == 403) {
      assertThat(r.bodyAsJsonObject().getString("detail")).isEqualTo(detail);
      assertThat(r.getHeader("X-Decision-Id")).matches("[0-9a-f]{32}");
    }
  }

  @Nested
  @DisplayName("path spellings: none gets a weaker requirement than the canonical path")
  class Spellings {
    @ParameterizedTest(name = "GET {0} without metrics:read is 403")
    @ValueSource(strings = {"/metrics", "/metrics/", "/metrics//", "//metrics", "/./metrics", "/x/../metrics",
        "/health/../metrics", "/%6detrics", "/%6Detrics", "/metrics/.", "/agents/../metrics", "/metrics?x=/health"})
    void forbiddenEverySpelling(String path) {
      HttpResponse<Buffer> r = call("GET", path, "agents:read");
      assertThat(r.statusCode()).isEqualTo(403);
      assertThat(r.bodyAsJsonObject().getString("detail")).isEqualTo("Insufficient permissions. Required scope(s): metrics:read");
    }

    @ParameterizedTest(name = "GET {0} is refused with 400")
    @ValueSource(strings = {"/metrics;jsessionid=1", "/metrics%2f", "/agents%2fa1", "/metrics%00", "/metrics%5c",
        "/%2e%2e/metrics", "/..", "/metrics%", "/metrics%zz", "/metrics%c0%af"})
    void refusedSpellings(String path) {
      HttpResponse<Buffer> r = call("GET", path, "agent_os:admin");
      assertThat(r.statusCode()).isEqualTo(400);
      assertThat(r.bodyAsJsonObject().getString("detail")).isEqualTo("Invalid request path");
    }

    @ParameterizedTest(name = "{0} {1} is judged as the canonical GET (403 without the scope)")
    @CsvSource({"HEAD, /metrics", "GET, /METRICS"})
    void methodsAndCase(String method, String path) {
      HttpResponse<Buffer> r = call(method, path, "agents:read");
      assertThat(r.statusCode()).isIn(403, 404);
      if (path.equals("/metrics")) assertThat(r.statusCode()).isEqualTo(403);
    }

    @ParameterizedTest(name = "an encoded id {0} is decoded before the per-resource check")
    @ValueSource(strings = {"/agents/%61%31", "/agents/a%31"})
    void encodedIds(String path) {
      assertThat(call("GET", path, "agents:a1:read").statusCode()).isEqualTo(404);
      assertThat(call("GET", path, "agents:a2:read").statusCode()).isEqualTo(403);
    }
  }
}
