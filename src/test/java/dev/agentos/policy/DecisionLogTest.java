package dev.agentos.policy;

import dev.agentos.contract.Decision;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.agentos.testing.TestDatabase;
import dev.agentos.testing.TestServer;
import dev.agentos.testing.Tokens;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

@DisplayName("Decision log")
class DecisionLogTest {

  @Test
  @DisplayName("every deny, and the configured share of allows, is one JSON line with id, sub, method, path, required, granted_by, result, latency")
  void logsDecisions() throws Exception {
    Logger decisions = (Logger) LoggerFactory.getLogger("agentos.decisions");
    ListAppender<ILoggingEvent> captured = new ListAppender<>();
    captured.start();
    decisions.addAppender(captured);
    try (TestDatabase db = TestDatabase.create();
         TestServer server = TestServer.start(db, new JsonObject().put("authorization",
             new JsonObject().put("decision_log_allow_percent", 100)))) {
      var denied = server.get("/metrics", Tokens.hs256("dora", "agents:read"));
      server.get("/metrics", Tokens.hs256("alan", "metrics:read"));
      Thread.sleep(200);
      List<JsonObject> lines = captured.list.stream().map(e -> new JsonObject(e.getFormattedMessage())).toList();
      JsonObject deny = lines.stream().filter(l -> "dora".equals(l.getString("sub"))).findFirst().orElseThrow();
      assertThat(deny.getString("decision_id")).isEqualTo(denied.getHeader("X-Decision-Id"));
      assertThat(deny.getString("result")).isEqualTo("deny");
      assertThat(deny.getString("method")).isEqualTo("GET");
      assertThat(deny.getString("path")).isEqualTo("/metrics");
      assertThat(deny.getJsonArray("required")).containsExactly("metrics:read");
      assertThat(deny.getValue("granted_by")).isNull();
      assertThat(deny.getLong("latency_us")).isNotNull();
      JsonObject allow = lines.stream().filter(l -> "alan".equals(l.getString("sub"))).findFirst().orElseThrow();
      assertThat(allow.getString("result")).isEqualTo("allow");
      assertThat(allow.getString("granted_by")).isEqualTo("metrics:read");
    } finally {
      decisions.detachAppender(captured);
    }
  }
}
