package dev.agentos.runtime;

import static dev.agentos.testing.TestServer.call;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentos.config.ConfigException;
import dev.agentos.config.ConfigLoader;
import dev.agentos.testing.TestDatabase;
import dev.agentos.testing.TestServer;
import dev.agentos.testing.Tokens;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.multipart.MultipartForm;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@DisplayName("Agents, teams and workflows: listing, runs with the echo model, run reading")
class ComponentsTest {
  static final JsonObject REGISTRY = new JsonObject()
      .put("agents", new JsonArray()
          .add(new JsonObject().put("id", "web-agent").put("name", "Web").put("description", "searches")
              .put("model", new JsonObject().put("provider", "echo").put("id", "echo-1")))
          .add(new JsonObject().put("id", "finance-agent").put("name", "Finance")))
      .put("teams", new JsonArray()
          .add(new JsonObject().put("id", "both").put("mode", "coordinate").put("members", new JsonArray().add("web-agent").add("finance-agent")))
          .add(new JsonObject().put("id", "router").put("mode", "route").put("members", new JsonArray().add("finance-agent").add("web-agent"))))
      .put("workflows", new JsonArray()
          .add(new JsonObject().put("id", "pipeline").put("steps", new JsonArray()
              .add(new JsonObject().put("agent", "web-agent")).add(new JsonObject().put("team", "both")))));

  private static TestDatabase db;
  private static TestServer s;

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.create();
    s = TestServer.start(TestServer.baseConfig(db).mergeIn(REGISTRY).put("authorization", new JsonObject()
        .put("algorithms", new JsonArray().add("HS256")).put("verification_keys", new JsonArray().add(Tokens.SECRET))
        .put("user_isolation", true)), Map.of());
  }

  @AfterAll
  static void stop() throws Exception {
    s.close();
    db.close();
  }

  private static HttpResponse<Buffer> post(String token, String family, String id, MultiMap form) {
    try {
      return s.request(HttpMethod.POST, "/" + family + "/" + id + "/runs").putHeader("Authorization", "Bearer " + token)
          .sendForm(form).toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static MultiMap form(String... kv) {
    MultiMap m = MultiMap.caseInsensitiveMultiMap();
    for (int i = 0; i < kv.length; i += 2) m.add(kv[i], kv[i + 1]);
    return m;
  }

  private static List<String> ids(HttpResponse<Buffer> r) {
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return new JsonArray(r.bodyAsString()).stream().map(o -> ((JsonObject) o).getString("id")).toList();
  }

  @ParameterizedTest(name = "[{0}] GET /agents lists [{1}]")
  @CsvSource(delimiter = '|', value = {
      "agents:read                         | web-agent finance-agent",
      "agents:*:read                       | web-agent finance-agent",
      "agents:web-agent:read               | web-agent",
      "agents:web-agent:read agents:finance-agent:run | web-agent",
      "agent_os:admin                      | web-agent finance-agent"})
  void listing(String scopes, String expected) {
    assertThat(ids(s.get("/agents", Tokens.hs256("u", scopes.split(" "))))).containsExactly(expected.split(" "));
  }

  @Test
  @DisplayName("a listing with nothing accessible is agno's 403; an unknown id is 404 after the policy")
  void listingForbiddenAndNotFound() {
    var r = s.get("/agents", Tokens.hs256("u", "agents:web-agent:run"));
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(r.bodyAsJsonObject().getString("detail")).isEqualTo("Insufficient permissions. Required scope(s): agents:read");
    assertThat(s.get("/agents/nope", Tokens.admin()).bodyAsJsonObject().getString("detail")).isEqualTo("Agent not found");
    assertThat(s.get("/teams/nope", Tokens.admin()).bodyAsJsonObject().getString("detail")).isEqualTo("Team not found");
    assertThat(s.get("/agents/web-agent", Tokens.hs256("u", "agents:web-agent:read")).bodyAsJsonObject().getString("name")).isEqualTo("Web");
    assertThat(ids(s.get("/teams", Tokens.hs256("u", "teams:read")))).containsExactly("both", "router");
    assertThat(ids(s.get("/workflows", Tokens.hs256("u", "workflows:pipeline:read")))).containsExactly("pipeline");
  }

  @Test
  @DisplayName("a run with stream=false returns the run as JSON; the echo model answers with the message")
  void nonStreaming() {
    var r = post(Tokens.hs256("alice", "agents:web-agent:run"), "agents", "web-agent", form("message", "hello there", "stream", "false"));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    JsonObject run = r.bodyAsJsonObject();
    assertThat(run.getString("content")).isEqualTo("hello there");
    assertThat(run.getString("user_id")).isEqualTo("alice");
    assertThat(run.getString("agent_id")).isEqualTo("web-agent");
    assertThat(run.getString("session_id")).isNotBlank();
  }

  @Test
  @DisplayName("a run streams by default: text/event-stream with RunStarted, RunContent, RunCompleted")
  void streaming() {
    var r = post(Tokens.hs256("alice", "agents:web-agent:run"), "agents", "web-agent", form("message", "stream me"));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.getHeader("Content-Type")).startsWith("text/event-stream");
    String body = r.bodyAsString();
    assertThat(body).contains("event: RunStarted\ndata: ", "event: RunContent\ndata: ", "event: RunCompleted\ndata: ");
    assertThat(body.indexOf("RunStarted")).isLessThan(body.indexOf("RunContent"));
    assertThat(body).contains("\"content\":\"stream me\"");
  }

  @Test
  @DisplayName("multipart forms work as urlencoded ones do")
  void multipart() throws Exception {
    var r = s.request(HttpMethod.POST, "/agents/web-agent/runs").putHeader("Authorization", "Bearer " + Tokens.hs256("alice", "agents:web-agent:run"))
        .sendMultipartForm(MultipartForm.create().attribute("message", "multi").attribute("stream", "false"))
        .toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    assertThat(r.bodyAsJsonObject().getString("content")).isEqualTo("multi");
  }

  @Test
  @DisplayName("session continuity: two runs in one session, read back through the agent's runs and the session")
  void sessionContinuity() {
    String alice = Tokens.hs256("alice", "agents:web-agent:run", "agents:web-agent:read", "sessions:read", "traces:read");
    String session = post(alice, "agents", "web-agent", form("message", "one", "stream", "false")).bodyAsJsonObject().getString("session_id");
    post(alice, "agents", "web-agent", form("message", "two", "stream", "false", "session_id", session));
    JsonArray runs = new JsonArray(s.get("/agents/web-agent/runs?session_id=" + session, alice).bodyAsString());
    assertThat(runs.stream().map(o -> ((JsonObject) o).getString("content")).toList()).containsExactly("one", "two");
    String runId = runs.getJsonObject(1).getString("run_id");
    assertThat(s.get("/agents/web-agent/runs/" + runId + "?session_id=" + session, alice).bodyAsJsonObject().getString("content")).isEqualTo("two");
    assertThat(s.get("/agents/web-agent/runs/nope?session_id=" + session, alice).statusCode()).isEqualTo(404);
    assertThat(s.get("/sessions/" + session, alice).bodyAsJsonObject().getJsonArray("chat_history")).hasSize(4);
    var traces = s.get("/traces?run_id=" + runId, alice).bodyAsJsonObject().getJsonArray("data");
    assertThat(traces).hasSize(1);
    assertThat(traces.getJsonObject(0).getLong("total_spans")).isEqualTo(2);
  }

  @Test
  @DisplayName("runs listed through another component's path are agno's 404 'Session not found': another agent's, a team's, a workflow's")
  void runsOnlyThroughTheirComponent() {
    String alice = Tokens.hs256("alice", "agents:*:run", "agents:*:read", "teams:*:run", "teams:*:read", "workflows:*:run",
        "workflows:*:read");
    String agentSession = post(alice, "agents", "web-agent", form("message", "a", "stream", "false")).bodyAsJsonObject().getString("session_id");
    String teamSession = post(alice, "teams", "both", form("message", "t", "stream", "false")).bodyAsJsonObject().getString("session_id");
    assertThat(new JsonArray(s.get("/agents/web-agent/runs?session_id=" + agentSession, alice).bodyAsString())).hasSize(1);
    for (String path : List.of("/agents/finance-agent/runs?session_id=" + agentSession, "/teams/both/runs?session_id=" + agentSession,
        "/agents/web-agent/runs?session_id=" + teamSession, "/agents/web-agent/runs/x?session_id=" + teamSession)) {
      var r = s.get(path, alice);
      assertThat(r.statusCode()).as(path).isEqualTo(404);
      assertThat(r.bodyAsJsonObject().getString("detail")).as(path).isEqualTo("Session not found");
    }
  }

  @Test
  @DisplayName("cancel checks the run is the named session's: a finished run of another of the caller's sessions is 404 'Run not found'")
  void cancelChecksTheRunsSession() {
    String alice = Tokens.hs256("alice", "agents:web-agent:run", "agents:web-agent:read");
    JsonObject first = post(alice, "agents", "web-agent", form("message", "one", "stream", "false")).bodyAsJsonObject();
    String other = post(alice, "agents", "web-agent", form("message", "two", "stream", "false")).bodyAsJsonObject().getString("session_id");
    String runId = first.getString("run_id");
    var wrongSession = call(s, HttpMethod.POST, "/agents/web-agent/runs/" + runId + "/cancel?session_id=" + other, alice, null);
    assertThat(wrongSession.statusCode()).isEqualTo(404);
    assertThat(wrongSession.bodyAsJsonObject().getString("detail")).isEqualTo("Run not found");
    assertThat(call(s, HttpMethod.POST, "/agents/web-agent/runs/" + runId + "/cancel?session_id=" + first.getString("session_id"), alice, null)
        .statusCode()).as("its own session: agno's 200 {} (the intent is recorded)").isEqualTo(200);
    assertThat(call(s, HttpMethod.POST, "/agents/web-agent/runs/not-stored-yet/cancel?session_id=" + other, alice, null).statusCode())
        .as("a run stored nowhere may be in flight: the runtime checks its session").isEqualTo(200);
  }

  @Test
  @DisplayName("another user cannot continue or read a session: 404, nothing written")
  void runIsolation() {
    String alice = Tokens.hs256("alice", "agents:web-agent:run", "agents:web-agent:read", "teams:both:run");
    String bob = Tokens.hs256("bob", "agents:web-agent:run", "agents:web-agent:read");
    String session = post(alice, "agents", "web-agent", form("message", "private", "stream", "false")).bodyAsJsonObject().getString("session_id");
    var hijack = post(bob, "agents", "web-agent", form("message", "mine now", "stream", "false", "session_id", session));
    assertThat(hijack.statusCode()).isEqualTo(404);
    assertThat(s.get("/agents/web-agent/runs?session_id=" + session, bob).statusCode()).isEqualTo(404);
    assertThat(new JsonArray(s.get("/agents/web-agent/runs?session_id=" + session, alice).bodyAsString())).hasSize(1);
    assertThat(post(alice, "teams", "both", form("message", "x", "stream", "false", "session_id", session)).statusCode()).isEqualTo(404);
  }

  @Test
  @DisplayName("per-agent scopes: agents:web-agent:run runs only web-agent; reading runs needs read and run")
  void perAgentScopes() {
    String token = Tokens.hs256("carol", "agents:web-agent:run");
    assertThat(post(token, "agents", "finance-agent", form("message", "x", "stream", "false")).statusCode()).isEqualTo(403);
    String session = post(token, "agents", "web-agent", form("message", "x", "stream", "false")).bodyAsJsonObject().getString("session_id");
    var readOnlyRuns = s.get("/agents/web-agent/runs?session_id=" + session, token);
    assertThat(readOnlyRuns.statusCode()).isEqualTo(403);
  }

  @Test
  @DisplayName("teams coordinate (every member, combined) or route (the first member); workflows chain their steps")
  void teamsAndWorkflows() {
    String admin = Tokens.admin();
    assertThat(post(admin, "teams", "both", form("message", "m", "stream", "false")).bodyAsJsonObject().getString("content")).isEqualTo("m\n\nm");
    JsonObject routed = post(admin, "teams", "router", form("message", "r", "stream", "false")).bodyAsJsonObject();
    assertThat(routed.getString("content")).isEqualTo("r");
    assertThat(routed.getString("team_id")).isEqualTo("router");
    assertThat(post(admin, "workflows", "pipeline", form("message", "w", "stream", "false")).bodyAsJsonObject().getString("content"))
        .isEqualTo("w\n\nw");
  }

  @Test
  @DisplayName("bad run input is a 422: no message, a non-JSON session_state, a non-boolean stream")
  void badInput() {
    String admin = Tokens.admin();
    assertThat(post(admin, "agents", "web-agent", form("stream", "false")).statusCode()).isEqualTo(422);
    assertThat(post(admin, "agents", "web-agent", form("message", "x", "session_state", "{nope")).statusCode()).isEqualTo(422);
    assertThat(post(admin, "agents", "web-agent", form("message", "x", "stream", "maybe")).statusCode()).isEqualTo(422);
    assertThat(post(admin, "agents", "nope", form("message", "x")).statusCode()).isEqualTo(404);
  }

  @Test
  @DisplayName("/config lists every component whatever the per-resource scopes; /models lists unique models; /info counts")
  void configAndModels() {
    JsonObject cfg = s.get("/config", Tokens.hs256("u", "config:read")).bodyAsJsonObject();
    assertThat(cfg.getJsonArray("agents")).hasSize(2);
    assertThat(cfg.getJsonArray("teams")).hasSize(2);
    assertThat(cfg.getJsonArray("workflows")).hasSize(1);
    JsonArray models = new JsonArray(s.get("/models", Tokens.hs256("u", "config:read")).bodyAsString());
    assertThat(models.stream().map(o -> ((JsonObject) o).getString("id")).toList()).containsExactly("echo-1", "echo");
    assertThat(s.get("/info").bodyAsJsonObject().getInteger("agent_count")).isEqualTo(2);
  }

  @ParameterizedTest(name = "registry error: {1}")
  @CsvSource(delimiter = '|', value = {
      "{\"teams\": [{\"id\": \"t\", \"members\": [\"ghost\"]}]}                             | teams[0].members: unknown agent 'ghost'",
      "{\"agents\": [{\"id\": \"a\"}, {\"id\": \"a\"}]}                                       | agents[1].id: duplicate agent id 'a'",
      "{\"workflows\": [{\"id\": \"w\", \"steps\": [{\"team\": \"nope\"}]}]}                  | workflows[0].steps[0]: unknown team 'nope'",
      "{\"agents\": [{\"id\": \"a\", \"model\": {\"provider\": \"openai\"}}]}                 | agents[0].model.id: the openai provider needs a model id",
      "{\"agents\": [{\"id\": \"a\", \"model\": {\"provider\": \"llama\"}}]}                  | agents[0].model.provider: expected echo or openai",
      "{\"agents\": [{\"id\": \"a\", \"model\": {\"provider\": \"openai\", \"id\": \"m\", \"api_key_env\": \"NO_SUCH_VAR_X\"}}]} | agents[0].model.api_key_env: env var NO_SUCH_VAR_X is not set",
      "{\"agents\": [{\"id\": \"a b\"}]}                                                      | agents[0].id: expected 1-128 characters",
      "{\"agents\": [{\"id\": \"a\", \"tools\": []}]}                                         | agents[0].tools: unknown key"})
  void registryValidation(String json, String message) {
    assertThatThrownBy(() -> ConfigLoader.fromJson(new JsonObject(json), Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith(message);
  }

  @Test
  @DisplayName("GET /registry: agno's paginated components, here the configured models, filtered by type and name")
  void registry() {
    String reader = Tokens.hs256("ops", "registry:read");
    JsonArray models = s.get("/models", Tokens.hs256("ops", "config:read")).bodyAsJsonArray();
    HttpResponse<Buffer> all = s.get("/registry", reader);
    assertThat(all.statusCode()).as(all.bodyAsString()).isEqualTo(200);
    JsonArray data = all.bodyAsJsonObject().getJsonArray("data");
    assertThat(data).hasSize(models.size());
    java.util.List<String> names = new java.util.ArrayList<>();
    data.forEach(o -> names.add(((JsonObject) o).getString("name")));
    assertThat(names).isSorted().contains("echo-1");
    JsonObject echo = data.stream().map(JsonObject.class::cast).filter(o -> o.getString("name").equals("echo-1")).findFirst().orElseThrow();
    assertThat(echo.getString("type")).isEqualTo("model");
    assertThat(echo.getJsonObject("metadata").getString("provider")).isEqualTo("echo");
    assertThat(all.bodyAsJsonObject().getJsonObject("meta").getInteger("total_count")).isEqualTo(models.size());
    assertThat(s.get("/registry?component_type=tool", reader).bodyAsJsonObject().getJsonArray("data")).isEmpty();
    assertThat(s.get("/registry?component_type=model&name=ECHO-1", reader).bodyAsJsonObject().getJsonArray("data")).hasSize(1);
    HttpResponse<Buffer> page = s.get("/registry?limit=1&page=2", reader);
    assertThat(page.bodyAsJsonObject().getJsonObject("meta").getInteger("total_pages")).isEqualTo(models.size());
    assertThat(s.get("/registry?component_type=agent", reader).statusCode()).isEqualTo(422);
    assertThat(s.get("/registry?limit=101", reader).statusCode()).isEqualTo(422);
    assertThat(s.get("/registry", Tokens.hs256("ops", "agents:read")).statusCode()).isEqualTo(403);
  }
}
