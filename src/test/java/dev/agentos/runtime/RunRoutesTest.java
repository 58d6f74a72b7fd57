package dev.agentos.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.testing.TestDatabase;
import dev.agentos.testing.TestServer;
import dev.agentos.testing.Tokens;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** agno's continue, resume and fork routes over stored runs (a run in flight: OpenAiProviderTest), with isolation on. */
@DisplayName("Run routes: continue, resume (stored runs) and session fork, each only for the caller's own runs and sessions")
class RunRoutesTest {
  private static TestDatabase db;
  private static TestServer s;
  private static final String ALICE = Tokens.hs256("alice", "agents:*:run", "agents:read", "sessions:read", "teams:*:run");
  private static final String BOB = Tokens.hs256("bob", "agents:*:run", "agents:read", "sessions:read");
  private static final String ADMIN = Tokens.admin();

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.create();
    s = TestServer.start(TestServer.baseConfig(db).mergeIn(ComponentsTest.REGISTRY).put("authorization", new JsonObject()
        .put("algorithms", new JsonArray().add("HS256")).put("verification_keys", new JsonArray().add(Tokens.SECRET))
        .put("user_isolation", true)), Map.of());
  }

  @AfterAll
  static void stop() throws Exception {
    s.close();
    db.close();
  }

  private static HttpResponse<Buffer> post(String token, String path, MultiMap form) {
    try {
      return s.request(HttpMethod.POST, path).putHeader("Authorization", "Bearer " + token).sendForm(form)
          .toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static MultiMap form(String... kv) {
    MultiMap m = MultiMap.caseInsensitiveMultiMap();
    for (int i = 0; i < kv.length; i += 2) m.add(kv[i], kv[i + 1]);
    return m;
  }

  /** A completed run of web-agent in the token's session: its JSON. */
  private static JsonObject run(String token, String sessionId, String message) {
    HttpResponse<Buffer> r = post(token, "/agents/web-agent/runs", form("message", message, "stream", "false", "session_id", sessionId));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return r.bodyAsJsonObject();
  }

  /** The events of an SSE body, in order. */
  static List<JsonObject> events(String sse) {
    List<JsonObject> out = new ArrayList<>();
    if (sse == null) return out;
    for (String frame : sse.split("\n\n")) {
      for (String line : frame.split("\n")) if (line.startsWith("data: ")) out.add(new JsonObject(line.substring(6)));
    }
    return out;
  }

  private static List<String> names(List<JsonObject> events) {
    return events.stream().map(e -> e.getString("event")).toList();
  }

  @Test
  @DisplayName("resume of a stored run replays its events after last_event_index as text/event-stream, then ends")
  void resumeStoredRun() {
    String runId = run(ALICE, "resume-s1", "replay me").getString("run_id");
    HttpResponse<Buffer> all = post(ALICE, "/agents/web-agent/runs/" + runId + "/resume", form("session_id", "resume-s1"));
    assertThat(all.statusCode()).isEqualTo(200);
    assertThat(all.getHeader("Content-Type")).isEqualTo("text/event-stream");
    assertThat(names(events(all.bodyAsString()))).containsExactly("RunStarted", "RunContent", "RunCompleted");
    HttpResponse<Buffer> after = post(ALICE, "/agents/web-agent/runs/" + runId + "/resume",
        form("session_id", "resume-s1", "last_event_index", "0"));
    List<JsonObject> rest = events(after.bodyAsString());
    assertThat(names(rest)).containsExactly("RunContent", "RunCompleted");
    assertThat(rest.get(0).getString("content")).isEqualTo("replay me");
    HttpResponse<Buffer> none = post(ALICE, "/agents/web-agent/runs/" + runId + "/resume", form("session_id", "resume-s1",
        "last_event_index", "2"));
    assertThat(none.statusCode()).isEqualTo(200);
    assertThat(events(none.bodyAsString())).isEmpty();
  }

  @Test
  @DisplayName("resume of another user's run, another session's or another component's is 404; a scoped caller must name the session")
  void resumeIsIsolated() {
    String runId = run(ALICE, "resume-s2", "mine").getString("run_id");
    assertThat(post(BOB, "/agents/web-agent/runs/" + runId + "/resume", form("session_id", "resume-s2")).statusCode()).isEqualTo(404);
    assertThat(post(ALICE, "/agents/web-agent/runs/" + runId + "/resume", form("session_id", "other")).statusCode()).isEqualTo(404);
    assertThat(post(ALICE, "/agents/finance-agent/runs/" + runId + "/resume", form("session_id", "resume-s2")).statusCode())
        .isEqualTo(404);
    assertThat(post(ALICE, "/agents/web-agent/runs/no-such-run/resume", form("session_id", "resume-s2")).statusCode()).isEqualTo(404);
    HttpResponse<Buffer> noSession = post(ALICE, "/agents/web-agent/runs/" + runId + "/resume", form());
    assertThat(noSession.statusCode()).isEqualTo(400);
    assertThat(noSession.bodyAsJsonObject().getString("detail")).isEqualTo("session_id is required for this action");
    assertThat(post(ALICE, "/agents/web-agent/runs/" + runId + "/resume", form("session_id", "resume-s2", "last_event_index", "x"))
        .statusCode()).isEqualTo(422);
    assertThat(post(ALICE, "/agents/web-agent/runs/" + runId + "/resume", form("session_id", "resume-s2", "last_event_index", "-2"))
        .statusCode()).isEqualTo(422);
    // an admin (unscoped) finds any run of the tenant, without naming the session
    assertThat(names(events(post(ADMIN, "/agents/web-agent/runs/" + runId + "/resume", form()).bodyAsString())))
        .containsExactly("RunStarted", "RunContent", "RunCompleted");
  }

  @Test
  @DisplayName("continue starts a new run in the run's session with the input, the session's history and continued_from_run_id")
  void continueRun() {
    JsonObject first = run(ALICE, "cont-s1", "first question");
    HttpResponse<Buffer> r = post(ALICE, "/agents/web-agent/runs/" + first.getString("run_id") + "/continue",
        form("input", "and then?", "stream", "false", "session_id", "cont-s1"));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    JsonObject next = r.bodyAsJsonObject();
    assertThat(next.getString("run_id")).isNotEqualTo(first.getString("run_id"));
    assertThat(next.getString("session_id")).isEqualTo("cont-s1");
    assertThat(next.getString("content")).isEqualTo("and then?");
    assertThat(next.getJsonObject("run_input").getJsonObject("metadata").getString("continued_from_run_id"))
        .isEqualTo(first.getString("run_id"));
    JsonArray runs = new JsonArray(s.get("/agents/web-agent/runs?session_id=cont-s1", ALICE).bodyAsString());
    assertThat(runs).hasSize(2);
    // streamed by default
    HttpResponse<Buffer> streamed = post(ALICE, "/agents/web-agent/runs/" + first.getString("run_id") + "/continue",
        form("input", "streamed", "session_id", "cont-s1"));
    assertThat(names(events(streamed.bodyAsString()))).containsExactly("RunStarted", "RunContent", "RunCompleted");
  }

  @Test
  @DisplayName("continue refuses another user's run (404), tools for a run that is not paused (409), bad tools (400), no input (422)")
  void continueRefusals() {
    String runId = run(ALICE, "cont-s2", "hello").getString("run_id");
    String path = "/agents/web-agent/runs/" + runId + "/continue";
    assertThat(post(BOB, path, form("input", "steal", "stream", "false")).statusCode()).isEqualTo(404);
    assertThat(post(ALICE, "/agents/finance-agent/runs/" + runId + "/continue", form("input", "x", "stream", "false")).statusCode())
        .isEqualTo(404);
    assertThat(post(ALICE, path, form("input", "x", "stream", "false", "session_id", "another")).statusCode()).isEqualTo(404);
    HttpResponse<Buffer> tools = post(ALICE, path, form("tools", "[{\"tool_call_id\": \"t1\", \"result\": \"ok\"}]"));
    assertThat(tools.statusCode()).isEqualTo(409);
    assertThat(tools.bodyAsJsonObject().getString("detail")).contains("is not paused (COMPLETED)");
    HttpResponse<Buffer> badTools = post(ALICE, path, form("tools", "{not json"));
    assertThat(badTools.statusCode()).isEqualTo(400);
    assertThat(badTools.bodyAsJsonObject().getString("detail")).isEqualTo("Invalid JSON in tools field");
    assertThat(post(ALICE, path, form()).statusCode()).isEqualTo(422);
    // nothing was run for any refusal
    assertThat(new JsonArray(s.get("/agents/web-agent/runs?session_id=cont-s2", ALICE).bodyAsString())).hasSize(1);
  }

  @Test
  @DisplayName("fork copies the caller's session under a new id, every run with a new id; the original is untouched")
  void fork() {
    String r1 = run(ALICE, "fork-s1", "one").getString("run_id");
    run(ALICE, "fork-s1", "two");
    HttpResponse<Buffer> forked = post(ALICE, "/agents/web-agent/sessions/fork-s1/fork", form());
    assertThat(forked.statusCode()).as(forked.bodyAsString()).isEqualTo(201);
    JsonObject body = forked.bodyAsJsonObject();
    assertThat(body.getString("forked_from_session_id")).isEqualTo("fork-s1");
    String copy = body.getString("session_id");
    assertThat(copy).isNotEqualTo("fork-s1");
    JsonArray copied = new JsonArray(s.get("/agents/web-agent/runs?session_id=" + copy, ALICE).bodyAsString());
    JsonArray original = new JsonArray(s.get("/agents/web-agent/runs?session_id=fork-s1", ALICE).bodyAsString());
    assertThat(copied).hasSize(2);
    assertThat(original).hasSize(2);
    assertThat(copied.stream().map(r -> ((JsonObject) r).getString("content"))).containsExactlyInAnyOrder("one", "two");
    assertThat(copied.stream().map(r -> ((JsonObject) r).getString("run_id"))).doesNotContain(r1);
    // a run in the fork goes on from the copied history, in the fork only
    run(ALICE, copy, "three");
    assertThat(new JsonArray(s.get("/agents/web-agent/runs?session_id=fork-s1", ALICE).bodyAsString())).hasSize(2);
  }

  @Test
  @DisplayName("fork of another user's session, another component's or an unknown one is 404 and writes nothing; an admin's fork stays the user's")
  void forkIsIsolated() {
    run(ALICE, "fork-s2", "private");
    assertThat(post(BOB, "/agents/web-agent/sessions/fork-s2/fork", form()).statusCode()).isEqualTo(404);
    assertThat(post(ALICE, "/agents/finance-agent/sessions/fork-s2/fork", form()).statusCode()).isEqualTo(404);
    assertThat(post(ALICE, "/agents/web-agent/sessions/nope/fork", form()).statusCode()).isEqualTo(404);
    assertThat(post(ALICE, "/teams/both/sessions/fork-s2/fork", form()).statusCode()).isEqualTo(404);
    assertThat(s.request(HttpMethod.POST, "/workflows/pipeline/sessions/fork-s2/fork").putHeader("Authorization", "Bearer " + ADMIN)
        .send().toCompletionStage().toCompletableFuture().join().statusCode()).as("workflows have no fork").isEqualTo(404);
    JsonObject sessions = s.get("/sessions?type=agent", Tokens.hs256("bob", "sessions:read")).bodyAsJsonObject();
    assertThat(sessions.getJsonArray("data")).isEmpty();
    HttpResponse<Buffer> byAdmin = post(ADMIN, "/agents/web-agent/sessions/fork-s2/fork", form());
    assertThat(byAdmin.statusCode()).isEqualTo(201);
    String copy = byAdmin.bodyAsJsonObject().getString("session_id");
    assertThat(new JsonArray(s.get("/agents/web-agent/runs?session_id=" + copy, ALICE).bodyAsString())).as("alice's copy").hasSize(1);
  }

  @Test
  @DisplayName("the route-level checks: continue, resume and fork need run access to that agent")
  void needRunAccess() {
    String runId = run(ALICE, "scope-s1", "x").getString("run_id");
    String readOnly = Tokens.hs256("alice", "agents:read", "sessions:read");
    String otherAgent = Tokens.hs256("alice", "agents:finance-agent:run");
    for (String token : List.of(readOnly, otherAgent)) {
      assertThat(post(token, "/agents/web-agent/runs/" + runId + "/continue", form("input", "x")).statusCode()).isEqualTo(403);
      assertThat(post(token, "/agents/web-agent/runs/" + runId + "/resume", form("session_id", "scope-s1")).statusCode()).isEqualTo(403);
      assertThat(post(token, "/agents/web-agent/sessions/scope-s1/fork", form()).statusCode()).isEqualTo(403);
    }
    String webOnly = Tokens.hs256("alice", "agents:web-agent:run");
    assertThat(post(webOnly, "/agents/web-agent/runs/" + runId + "/resume", form("session_id", "scope-s1")).statusCode()).isEqualTo(200);
  }
}
