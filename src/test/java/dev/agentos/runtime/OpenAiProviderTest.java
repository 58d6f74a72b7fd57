package dev.agentos.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.testing.TestDatabase;
import dev.agentos.testing.TestServer;
import dev.agentos.testing.Tokens;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The openai provider against a fake OpenAI-compatible server written here (real HTTP, real SSE). */
@DisplayName("OpenAI-compatible model provider, streaming and cancel")
class OpenAiProviderTest {
  private static Vertx fakeVertx;
  private static HttpServer fake;
  private static final List<JsonObject> requests = new CopyOnWriteArrayList<>();
  private static final List<String> authorizations = new CopyOnWriteArrayList<>();
  private static TestDatabase db;
  private static TestServer s;

  /** Streams the answer word by word; the model id picks the behaviour. */
  private static void answer(HttpServerResponse response, JsonObject body) {
    String model = body.getString("model");
    String last = body.getJsonArray("messages").getJsonObject(body.getJsonArray("messages").size() - 1).getString("content");
    switch (model) {
      case "broken" -> response.setStatusCode(500).end("{\"error\": \"boom\"}");
      case "silent" -> { } // never answers: the provider's timeout must fire
      default -> {
        response.setChunked(true).putHeader("Content-Type", "text/event-stream");
        String[] words = ("You said: " + last).split(" ");
        long delay = model.equals("slow") ? 300 : 1;
        for (int i = 0; i < words.length; i++) {
          String piece = (i == 0 ? "" : " ") + words[i];
          JsonObject chunk = new JsonObject().put("choices", new JsonArray().add(new JsonObject()
              .put("delta", new JsonObject().put("content", piece))));
          fakeVertx.setTimer(1 + delay * i, id -> { if (!response.ended()) response.write("data: " + chunk.encode() + "\n\n"); });
        }
        fakeVertx.setTimer(1 + delay * words.length, id -> { if (!response.ended()) response.end("data: [DONE]\n\n"); });
      }
    }
  }

  @BeforeAll
  static void start() throws Exception {
    fakeVertx = Vertx.vertx();
    fake = fakeVertx.createHttpServer().requestHandler(req -> req.body().onSuccess(b -> {
      JsonObject body = b.toJsonObject();
      requests.add(body);
      authorizations.add(String.valueOf(req.getHeader("Authorization")));
      answer(req.response(), body);
    })).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    String base = "http://127.0.0.1:" + fake.actualPort() + "/v1";
    JsonObject registry = new JsonObject().put("agents", new JsonArray()
        .add(agent("gpt", "gpt-test", base).put("instructions", "Be brief."))
        .add(agent("slow", "slow", base)).add(agent("broken", "broken", base))
        .add(agent("short", "short-memory", base).put("num_history_runs", 1))
        .add(agent("silent", "silent", base).put("model", new JsonObject().put("provider", "openai").put("id", "silent")
            .put("base_url", base).put("timeout_seconds", 1))));
    db = TestDatabase.create();
    s = TestServer.start(TestServer.baseConfig(db).mergeIn(registry).put("authorization", new JsonObject()
        .put("algorithms", new JsonArray().add("HS256")).put("verification_keys", new JsonArray().add(Tokens.SECRET))
        .put("user_isolation", true)), Map.of("FAKE_OPENAI_KEY", "sk-test-123"));
  }

  private static JsonObject agent(String id, String model, String base) {
    return new JsonObject().put("id", id).put("model", new JsonObject().put("provider", "openai").put("id", model)
        .put("base_url", base).put("api_key_env", "FAKE_OPENAI_KEY"));
  }

  @AfterAll
  static void stop() throws Exception {
    s.close();
    db.close();
    fakeVertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static final String ALICE = Tokens.hs256("alice", "agents:*:run", "agents:read");

  private static HttpResponse<Buffer> post(String token, String agent, MultiMap form) throws Exception {
    return s.request(HttpMethod.POST, "/agents/" + agent + "/runs").putHeader("Authorization", "Bearer " + token).sendForm(form)
        .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static MultiMap form(String... kv) {
    MultiMap m = MultiMap.caseInsensitiveMultiMap();
    for (int i = 0; i < kv.length; i += 2) m.add(kv[i], kv[i + 1]);
    return m;
  }

  @Test
  @DisplayName("a non-streaming run returns the model's whole answer; instructions, history and the key reach the provider")
  void nonStreamingWithHistory() throws Exception {
    JsonObject first = post(ALICE, "gpt", form("message", "hello", "stream", "false")).bodyAsJsonObject();
    assertThat(first.getString("content")).isEqualTo("You said: hello");
    post(ALICE, "gpt", form("message", "again", "stream", "false", "session_id", first.getString("session_id")));
    JsonArray sent = requests.get(requests.size() - 1).getJsonArray("messages");
    assertThat(sent.stream().map(o -> ((JsonObject) o).getString("role") + ":" + ((JsonObject) o).getString("content")).toList())
        .containsExactly("system:Be brief.", "user:hello", "assistant:You said: hello", "user:again");
    assertThat(authorizations.get(authorizations.size() - 1)).isEqualTo("Bearer sk-test-123");
  }

  private static List<String> sentAfter(String agent, String session, int earlierRuns) throws Exception {
    for (int i = 1; i <= earlierRuns; i++) {
      assertThat(post(ALICE, agent, form("message", "m" + i, "stream", "false", "session_id", session)).statusCode()).isEqualTo(200);
    }
    post(ALICE, agent, form("message", "now", "stream", "false", "session_id", session));
    JsonArray sent = requests.get(requests.size() - 1).getJsonArray("messages");
    return sent.stream().map(o -> ((JsonObject) o).getString("role") + ":" + ((JsonObject) o).getString("content")).toList();
  }

  @Test
  @DisplayName("the model sees agno's history window: the session's last 3 completed runs, never the whole session")
  void defaultHistoryWindow() throws Exception {
    assertThat(sentAfter("gpt", "alice-window", 5)).containsExactly("system:Be brief.", "user:m3", "assistant:You said: m3",
        "user:m4", "assistant:You said: m4", "user:m5", "assistant:You said: m5", "user:now");
  }

  @Test
  @DisplayName("num_history_runs sets an agent's window (here 1 run)")
  void configuredHistoryWindow() throws Exception {
    assertThat(sentAfter("short", "alice-short", 4)).containsExactly("user:m4", "assistant:You said: m4", "user:now");
  }

  @Test
  @DisplayName("a streaming run forwards each piece as a RunContent event, then RunCompleted")
  void streaming() throws Exception {
    String body = post(ALICE, "gpt", form("message", "one two three")).bodyAsString();
    assertThat(body.split("event: RunContent", -1).length - 1).isEqualTo(5);
    assertThat(body).startsWith("event: RunStarted").contains("event: RunCompleted").contains("\"content\":\"You said: one two three\"");
  }

  @Test
  @DisplayName("a provider failure is a 502 with a clear detail, and the run is stored as errored")
  void providerFailure() throws Exception {
    var r = post(ALICE, "broken", form("message", "x", "stream", "false", "session_id", "alice-broken"));
    assertThat(r.statusCode()).isEqualTo(502);
    assertThat(r.bodyAsJsonObject().getString("detail")).isEqualTo("Model provider error: HTTP 500");
    JsonArray runs = new JsonArray(s.get("/agents/broken/runs?session_id=alice-broken", Tokens.hs256("alice", "agents:*:run", "agents:*:read"))
        .bodyAsString());
    assertThat(runs.getJsonObject(0).getString("status")).isEqualTo("ERROR");
  }

  @Test
  @DisplayName("a provider that does not answer in time is a 504")
  void providerTimeout() throws Exception {
    var r = post(ALICE, "silent", form("message", "x", "stream", "false"));
    assertThat(r.statusCode()).isEqualTo(504);
    assertThat(r.bodyAsJsonObject().getString("detail")).isEqualTo("Model provider timed out");
  }

  @Test
  @DisplayName("cancel stops a streaming run in the middle: RunCancelled ends the stream and the run is stored as cancelled")
  void cancelMidStream() throws Exception {
    CompletableFuture<String> stream = new CompletableFuture<>();
    StringBuilder received = new StringBuilder();
    CompletableFuture<String> runId = new CompletableFuture<>();
    s.vertx().createHttpClient().request(HttpMethod.POST, s.port(), "127.0.0.1", "/agents/slow/runs").onSuccess(req -> {
      req.putHeader("Authorization", "Bearer " + ALICE).putHeader("Content-Type", "application/x-www-form-urlencoded");
      req.send("message=" + "a b c d e f g h i j k l".replace(" ", "+") + "&session_id=alice-slow").onSuccess(resp -> {
        resp.handler(chunk -> {
          received.append(chunk.toString());
          int at = received.indexOf("\"run_id\":\"");
          if (at >= 0 && !runId.isDone() && received.indexOf("RunContent") >= 0) {
            runId.complete(received.substring(at + 10, received.indexOf("\"", at + 10)));
          }
        });
        resp.endHandler(v -> stream.complete(received.toString()));
      });
    });
    String id = runId.get(10, TimeUnit.SECONDS);
    var other = s.request(HttpMethod.POST, "/agents/slow/runs/" + id + "/cancel?session_id=alice-slow")
        .putHeader("Authorization", "Bearer " + Tokens.hs256("bob", "agents:*:run")).send()
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(other.statusCode()).isEqualTo(404);
    var noUserId = s.request(HttpMethod.POST, "/agents/slow/runs/" + id + "/cancel?session_id=alice-slow")
        .putHeader("Authorization", "Bearer " + Tokens.hs256(null, "agents:*:run")).send()
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(noUserId.statusCode()).isEqualTo(403);
    var noSession = s.request(HttpMethod.POST, "/agents/slow/runs/" + id + "/cancel").putHeader("Authorization", "Bearer " + ALICE).send()
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(noSession.statusCode()).isEqualTo(400);
    var cancel = s.request(HttpMethod.POST, "/agents/slow/runs/" + id + "/cancel?session_id=alice-slow")
        .putHeader("Authorization", "Bearer " + ALICE).send().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(cancel.statusCode()).isEqualTo(200);
    assertThat(cancel.bodyAsJsonObject()).isEqualTo(new JsonObject());
    String all = stream.get(10, TimeUnit.SECONDS);
    assertThat(all).contains("event: RunCancelled").doesNotContain("event: RunCompleted");
    JsonArray runs = new JsonArray(s.get("/agents/slow/runs?session_id=alice-slow", Tokens.hs256("alice", "agents:*:run", "agents:*:read"))
        .bodyAsString());
    assertThat(runs.getJsonObject(0).getString("status")).isEqualTo("CANCELLED");
    assertThat(runs.getJsonObject(0).getString("content")).startsWith("You").doesNotEndWith(" l");
  }

  @Test
  @DisplayName("resume of a run in flight: the events after last_event_index, then the live ones up to RunCompleted; another user gets 404")
  void resumeMidStream() throws Exception {
    CompletableFuture<String> original = new CompletableFuture<>();
    StringBuilder received = new StringBuilder();
    CompletableFuture<String> runId = new CompletableFuture<>();
    s.vertx().createHttpClient().request(HttpMethod.POST, s.port(), "127.0.0.1", "/agents/slow/runs").onSuccess(req -> {
      req.putHeader("Authorization", "Bearer " + ALICE).putHeader("Content-Type", "application/x-www-form-urlencoded");
      req.send("message=" + "one two three four five six".replace(" ", "+") + "&session_id=alice-resume").onSuccess(resp -> {
        resp.handler(chunk -> {
          received.append(chunk.toString());
          int at = received.indexOf("\"run_id\":\"");
          // the client has seen RunStarted and two pieces when it "drops"
          if (at >= 0 && !runId.isDone() && RunRoutesTest.events(received.toString()).size() >= 3) {
            runId.complete(received.substring(at + 10, received.indexOf("\"", at + 10)));
          }
        });
        resp.endHandler(v -> original.complete(received.toString()));
      });
    });
    String id = runId.get(10, TimeUnit.SECONDS);
    var bob = s.request(HttpMethod.POST, "/agents/slow/runs/" + id + "/resume")
        .putHeader("Authorization", "Bearer " + Tokens.hs256("bob", "agents:*:run"))
        .sendForm(form("session_id", "alice-resume", "last_event_index", "2")).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(bob.statusCode()).isEqualTo(404);
    assertThat(original.isDone()).as("the run is still in flight: the resume is answered by the runtime running it").isFalse();
    var resumed = s.request(HttpMethod.POST, "/agents/slow/runs/" + id + "/resume").putHeader("Authorization", "Bearer " + ALICE)
        .sendForm(form("session_id", "alice-resume", "last_event_index", "2")).toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    assertThat(resumed.statusCode()).isEqualTo(200);
    List<JsonObject> all = RunRoutesTest.events(original.get(20, TimeUnit.SECONDS));
    List<JsonObject> rest = RunRoutesTest.events(resumed.bodyAsString());
    assertThat(rest).as("the resumed stream is the original after its third event").isEqualTo(all.subList(3, all.size()));
    assertThat(rest.get(rest.size() - 1).getString("event")).isEqualTo("RunCompleted");
    assertThat(all.get(all.size() - 1).getString("content")).isEqualTo("You said: one two three four five six");
  }
}
