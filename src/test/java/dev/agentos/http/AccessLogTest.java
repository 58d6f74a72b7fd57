package dev.agentos.http;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.agentos.testing.TestDatabase;
import dev.agentos.testing.TestServer;
import dev.agentos.testing.Tokens;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

@DisplayName("Access log (JSON format)")
class AccessLogTest {
  private static TestDatabase db;
  private static TestServer server;
  private static final ListAppender<ILoggingEvent> captured = new ListAppender<>();

  @BeforeAll
  static void start() throws Exception {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    captured.setContext(ctx);
    captured.start();
    ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).addAppender(captured);
    db = TestDatabase.create();
    server = TestServer.start(db, new JsonObject().put("logging", new JsonObject().put("access_log", "json")));
  }

  @AfterAll
  static void stop() throws Exception {
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(captured);
    server.close();
    db.close();
  }

  private static List<JsonObject> accessLines() {
    return captured.list.stream().filter(e -> e.getLoggerName().equals("agentos.access"))
        .map(e -> new JsonObject(e.getFormattedMessage())).toList();
  }

  @Test
  @DisplayName("one line per request with method, path (no query), status, latency, request id and user")
  void oneLinePerRequest() throws Exception {
    String token = Tokens.hs256("log-user", "metrics:read");
    TestServer.send(server.request(HttpMethod.GET, "/metrics?secret=hunter2").putHeader("Authorization", "Bearer " + token)
        .putHeader("X-Request-Id", "req-42"));
    Thread.sleep(200);
    JsonObject line = accessLines().stream().filter(l -> "req-42".equals(l.getString("request_id"))).findFirst().orElseThrow();
    assertThat(line.getString("method")).isEqualTo("GET");
    assertThat(line.getString("path")).isEqualTo("/metrics");
    assertThat(line.getInteger("status")).isEqualTo(200);
    assertThat(line.getString("user")).isEqualTo("log-user");
    assertThat(line.getDouble("latency_ms")).isNotNull();
  }

  @Test
  @DisplayName("no log line of any logger ever contains a token, valid or rejected")
  void tokensNeverLogged() throws Exception {
    String valid = Tokens.hs256("log-user", "metrics:read");
    String forged = valid.substring(0, valid.length() - 4) + "AAAA";
    String denied = Tokens.hs256("someone", "agents:read");
    server.get("/metrics", valid);
    server.get("/metrics", forged);
    server.get("/metrics", denied);
    Thread.sleep(200);
    for (ILoggingEvent e : captured.list) {
      String text = e.getFormattedMessage() + (e.getThrowableProxy() == null ? "" : e.getThrowableProxy().getMessage());
      for (String token : List.of(valid, forged, denied)) {
        assertThat(text).doesNotContain(token.substring(token.indexOf('.') + 1, token.lastIndexOf('.')));
        assertThat(text).doesNotContain(token.substring(token.lastIndexOf('.') + 1));
      }
    }
    assertThat(captured.list).anyMatch(e -> e.getLoggerName().equals("agentos.decisions"));
  }
}
