package dev.agentos.storage;

import dev.agentos.contract.StorageApi;
import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.testing.TestDatabase;
import dev.agentos.testing.TestServer;
import dev.agentos.testing.Tokens;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Per-user isolation (docs/isolation.md, docs/isolation.md) over real HTTP and PostgreSQL: two users, an admin,
 * every data endpoint. Runs and traces are seeded through the storage event-bus API, as the runtime will.
 */
@DisplayName("Per-user isolation of sessions, runs, memories and traces")
class IsolationTest {
  static final String ALICE = Tokens.hs256("alice", "sessions:read", "sessions:write", "sessions:delete",
      "memories:read", "memories:write", "memories:delete", "traces:read");
  static final String BOB = Tokens.hs256("bob", "sessions:read", "sessions:write", "sessions:delete",
      "memories:read", "memories:write", "memories:delete", "traces:read");
  static final String ADMIN = Tokens.hs256("root", "agent_os:admin");

  static HttpResponse<Buffer> call(TestServer s, HttpMethod method, String uri, String token, Object body) {
    return TestServer.call(s, method, uri, token, body);
  }

  static JsonObject storage(TestServer s, String action, JsonObject body) throws Exception {
    return s.vertx().eventBus().<JsonObject>request(StorageApi.ADDRESS, body,
            new DeliveryOptions().addHeader(StorageApi.ACTION_HEADER, action))
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).body();
  }

  static void seedRun(TestServer s, String owner, String sessionId, String runId, String message) throws Exception {
    storage(s, StorageApi.RUNS_RECORD, new JsonObject().put("owner", owner).put("session_id", sessionId)
        .put("session_type", "agent").put("component_id", "a1")
        .put("run", new JsonObject().put("run_id", runId).put("status", "COMPLETED")
            .put("input", new JsonObject().put("message", message)).put("content", "echo: " + message)));
  }

  static void seedTrace(TestServer s, String owner, String traceId, String sessionId, String status) throws Exception {
    OffsetDateTime start = OffsetDateTime.parse("2026-11-01T10:00:00Z");
    storage(s, StorageApi.TRACES_RECORD, new JsonObject().put("owner", owner)
        .put("trace", new JsonObject().put("trace_id", traceId).put("run_id", "run-" + traceId).put("session_id", sessionId)
            .put("component_type", "agent").put("component_id", "a1").put("name", "Agent.run").put("status", status)
            .put("start_time", start.toString()).put("end_time", start.plusSeconds(2).toString()).put("input", "hi"))
        .put("spans", new JsonArray()
            .add(new JsonObject().put("span_id", traceId + "-root").put("name", "run").put("kind", "agent")
                .put("start_time", start.toString()).put("end_time", start.plusSeconds(2).toString()))
            .add(new JsonObject().put("span_id", traceId + "-llm").put("parent_span_id", traceId + "-root").put("name", "model")
                .put("kind", "llm").put("status", status).put("start_time", start.toString())
                .put("end_time", start.plusSeconds(1).toString()))));
  }

  static List<String> ids(HttpResponse<Buffer> r, String field) {
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return r.bodyAsJsonObject().getJsonArray("data").stream().map(o -> ((JsonObject) o).getString(field)).sorted().toList();
  }

  @Nested
  @TestInstance(TestInstance.Lifecycle.PER_CLASS)
  @DisplayName("with user_isolation on")
  class On {
    TestDatabase db;
    TestServer s;

    @BeforeAll
    void start() throws Exception {
      db = TestDatabase.create();
      s = TestServer.start(db, new JsonObject().put("authorization", new JsonObject().put("user_isolation", true)));
      for (String[] seed : new String[][] {{"alice", "a-s1"}, {"alice", "a-s2"}, {"bob", "b-s1"}}) {
        String token = seed[0].equals("alice") ? ALICE : BOB;
        assertThat(call(s, HttpMethod.POST, "/sessions?type=agent", token,
            new JsonObject().put("session_id", seed[1]).put("agent_id", "a1").put("session_name", "chat " + seed[1])).statusCode())
            .isEqualTo(201);
      }
      seedRun(s, "alice", "a-s1", "a-r1", "hello");
      seedRun(s, "bob", "b-s1", "b-r1", "secret plans");
      seedTrace(s, "alice", "a-t1", "a-s1", "OK");
      seedTrace(s, "bob", "b-t1", "b-s1", "ERROR");
      seedTrace(s, null, "orphan-t1", null, "OK");
      call(s, HttpMethod.POST, "/memories", ALICE, new JsonObject().put("memory", "likes tea").put("topics", new JsonArray().add("drinks")));
      call(s, HttpMethod.POST, "/memories", BOB, new JsonObject().put("memory", "likes coffee").put("topics", new JsonArray().add("secrets")));
    }

    @org.junit.jupiter.api.AfterAll
    void stop() throws Exception {
      s.close();
      db.close();
    }

    String bobMemoryId() {
      return call(s, HttpMethod.GET, "/memories", BOB, null).bodyAsJsonObject().getJsonArray("data").getJsonObject(0).getString("memory_id");
    }

    @Test
    @DisplayName("each user lists only their own sessions; a spoofed ?user_id is overridden; the admin sees all or filters")
    void listSessions() {
      assertThat(ids(call(s, HttpMethod.GET, "/sessions", ALICE, null), "session_id")).containsExactly("a-s1", "a-s2");
      assertThat(ids(call(s, HttpMethod.GET, "/sessions", BOB, null), "session_id")).containsExactly("b-s1");
      assertThat(ids(call(s, HttpMethod.GET, "/sessions?user_id=bob", ALICE, null), "session_id")).containsExactly("a-s1", "a-s2");
      assertThat(ids(call(s, HttpMethod.GET, "/sessions", ADMIN, null), "session_id")).contains("a-s1", "a-s2", "b-s1");
      assertThat(ids(call(s, HttpMethod.GET, "/sessions?user_id=bob", ADMIN, null), "session_id")).containsExactly("b-s1");
    }

    @Test
    @DisplayName("another user's session is a 404 on read, patch, rename, runs and run; the owner's is 200")
    void crossUserReads() {
      assertThat(call(s, HttpMethod.GET, "/sessions/a-s1", ALICE, null).statusCode()).isEqualTo(200);
      var r = call(s, HttpMethod.GET, "/sessions/b-s1", ALICE, null);
      assertThat(r.statusCode()).isEqualTo(404);
      assertThat(r.bodyAsJsonObject().getString("detail")).isEqualTo("Session with id 'b-s1' not found");
      assertThat(call(s, HttpMethod.GET, "/sessions/b-s1?type=agent", ALICE, null).bodyAsJsonObject().getString("detail"))
          .isEqualTo("Agent Session with id 'b-s1' not found");
      assertThat(call(s, HttpMethod.GET, "/sessions/b-s1?user_id=bob", ALICE, null).statusCode()).isEqualTo(404);
      assertThat(call(s, HttpMethod.PATCH, "/sessions/b-s1", ALICE, new JsonObject().put("session_name", "pwned")).statusCode()).isEqualTo(404);
      assertThat(call(s, HttpMethod.POST, "/sessions/b-s1/rename", ALICE, new JsonObject().put("session_name", "pwned")).statusCode()).isEqualTo(404);
      var runs = call(s, HttpMethod.GET, "/sessions/b-s1/runs", ALICE, null);
      assertThat(runs.statusCode()).isEqualTo(404);
      assertThat(runs.bodyAsJsonObject().getString("detail")).isEqualTo("Session with ID b-s1 not found");
      assertThat(call(s, HttpMethod.GET, "/sessions/b-s1/runs/b-r1", ALICE, null).statusCode()).isEqualTo(404);
      assertThat(call(s, HttpMethod.GET, "/sessions/b-s1", BOB, null).bodyAsJsonObject().getString("session_name")).isEqualTo("chat b-s1");
    }

    @Test
    @DisplayName("a session's detail carries its chat history, and its runs are listed to the owner")
    void sessionDetailAndRuns() {
      JsonObject detail = call(s, HttpMethod.GET, "/sessions/a-s1", ALICE, null).bodyAsJsonObject();
      assertThat(detail.getString("agent_id")).isEqualTo("a1");
      assertThat(detail.getString("agent_session_id")).isEqualTo("a-s1");
      assertThat(detail.getJsonArray("chat_history")).hasSize(2);
      JsonArray runs = new JsonArray(call(s, HttpMethod.GET, "/sessions/a-s1/runs", ALICE, null).bodyAsString());
      assertThat(runs).hasSize(1);
      assertThat(runs.getJsonObject(0).getString("run_id")).isEqualTo("a-r1");
      assertThat(call(s, HttpMethod.GET, "/sessions/a-s1/runs/a-r1", ALICE, null).bodyAsJsonObject().getString("content"))
          .isEqualTo("echo: hello");
      assertThat(call(s, HttpMethod.GET, "/sessions/a-s1/runs/nope", ALICE, null).bodyAsJsonObject().getString("detail"))
          .isEqualTo("Run with ID nope not found in session a-s1");
    }

    @Test
    @DisplayName("deleting another user's session is a 204 that deletes nothing")
    void crossUserDelete() {
      assertThat(call(s, HttpMethod.DELETE, "/sessions/b-s1", ALICE, null).statusCode()).isEqualTo(204);
      assertThat(call(s, HttpMethod.DELETE, "/sessions", ALICE, new JsonObject().put("session_ids", new JsonArray().add("b-s1"))
          .put("session_types", new JsonArray().add("agent"))).statusCode()).isEqualTo(204);
      assertThat(call(s, HttpMethod.GET, "/sessions/b-s1", BOB, null).statusCode()).isEqualTo(200);
    }

    @Test
    @DisplayName("creating a session with a taken id is a 409 that does not reveal the owner; a body user_id is ignored")
    void createConflictsAndOwner() {
      var taken = call(s, HttpMethod.POST, "/sessions", ALICE, new JsonObject().put("session_id", "b-s1"));
      assertThat(taken.statusCode()).isEqualTo(409);
      assertThat(taken.bodyAsJsonObject().getString("detail"))
          .isEqualTo("Session with id 'b-s1' already exists. Use PATCH /sessions/b-s1 to update it.");
      var spoofed = call(s, HttpMethod.POST, "/sessions", ALICE, new JsonObject().put("session_id", "a-spoof").put("user_id", "bob"));
      assertThat(spoofed.statusCode()).isEqualTo(201);
      assertThat(spoofed.bodyAsJsonObject().getString("user_id")).isEqualTo("alice");
      assertThat(call(s, HttpMethod.GET, "/sessions/a-spoof", BOB, null).statusCode()).isEqualTo(404);
    }

    @Test
    @DisplayName("the owner can patch and rename; the admin can act on anyone's session")
    void ownerAndAdminWrites() {
      var patched = call(s, HttpMethod.PATCH, "/sessions/a-s2", ALICE, new JsonObject().put("session_state", new JsonObject().put("k", 1)));
      assertThat(patched.statusCode()).isEqualTo(200);
      assertThat(patched.bodyAsJsonObject().getJsonObject("session_state")).isEqualTo(new JsonObject().put("k", 1));
      assertThat(call(s, HttpMethod.POST, "/sessions/a-s2/rename", ALICE, new JsonObject().put("session_name", "renamed"))
          .bodyAsJsonObject().getString("session_name")).isEqualTo("renamed");
      assertThat(call(s, HttpMethod.POST, "/sessions/b-s1/rename", ADMIN, new JsonObject().put("session_name", "by admin")).statusCode())
          .isEqualTo(200);
    }

    @Test
    @DisplayName("memories: own list, topics and stats only; another user's memory is 404 on read and patch, a no-op on delete")
    void memories() {
      assertThat(ids(call(s, HttpMethod.GET, "/memories", ALICE, null), "memory")).containsExactly("likes tea");
      assertThat(ids(call(s, HttpMethod.GET, "/memories?user_id=bob", ALICE, null), "memory")).containsExactly("likes tea");
      assertThat(new JsonArray(call(s, HttpMethod.GET, "/memory_topics", ALICE, null).bodyAsString())).containsExactly("drinks");
      assertThat(ids(call(s, HttpMethod.GET, "/user_memory_stats", ALICE, null), "user_id")).containsExactly("alice");
      assertThat(ids(call(s, HttpMethod.GET, "/user_memory_stats", ADMIN, null), "user_id")).contains("alice", "bob");
      String bobs = bobMemoryId();
      var read = call(s, HttpMethod.GET, "/memories/" + bobs, ALICE, null);
      assertThat(read.statusCode()).isEqualTo(404);
      assertThat(read.bodyAsJsonObject().getString("detail")).isEqualTo("Memory with ID " + bobs + " not found");
      var patch = call(s, HttpMethod.PATCH, "/memories/" + bobs, ALICE, new JsonObject().put("memory", "pwned"));
      assertThat(patch.statusCode()).isEqualTo(404);
      assertThat(patch.bodyAsJsonObject().getString("detail")).isEqualTo("Memory not found");
      assertThat(call(s, HttpMethod.DELETE, "/memories/" + bobs, ALICE, null).statusCode()).isEqualTo(204);
      assertThat(call(s, HttpMethod.DELETE, "/memories", ALICE, new JsonObject().put("memory_ids", new JsonArray().add(bobs))
          .put("user_id", "bob")).statusCode()).isEqualTo(204);
      assertThat(call(s, HttpMethod.GET, "/memories/" + bobs, BOB, null).bodyAsJsonObject().getString("memory")).isEqualTo("likes coffee");
    }

    @Test
    @DisplayName("a memory created with another user_id in the body belongs to the caller")
    void memorySpoof() {
      var created = call(s, HttpMethod.POST, "/memories", ALICE, new JsonObject().put("memory", "spoofed").put("user_id", "bob"));
      assertThat(created.statusCode()).isEqualTo(200);
      assertThat(created.bodyAsJsonObject().getString("user_id")).isEqualTo("alice");
    }

    @Test
    @DisplayName("traces: own only (ownerless traces excluded), detail and span of another user's trace are 404")
    void traces() {
      assertThat(ids(call(s, HttpMethod.GET, "/traces", ALICE, null), "trace_id")).containsExactly("a-t1");
      assertThat(ids(call(s, HttpMethod.GET, "/traces?user_id=bob", ALICE, null), "trace_id")).containsExactly("a-t1");
      assertThat(ids(call(s, HttpMethod.GET, "/traces", ADMIN, null), "trace_id")).containsExactly("a-t1", "b-t1", "orphan-t1");
      JsonObject detail = call(s, HttpMethod.GET, "/traces/a-t1", ALICE, null).bodyAsJsonObject();
      assertThat(detail.getLong("total_spans")).isEqualTo(2);
      assertThat(detail.getJsonArray("tree").getJsonObject(0).getJsonArray("spans").getJsonObject(0).getString("name")).isEqualTo("model");
      assertThat(call(s, HttpMethod.GET, "/traces/a-t1?span_id=a-t1-llm", ALICE, null).bodyAsJsonObject().getString("type")).isEqualTo("llm");
      var foreign = call(s, HttpMethod.GET, "/traces/b-t1", ALICE, null);
      assertThat(foreign.statusCode()).isEqualTo(404);
      assertThat(foreign.bodyAsJsonObject().getString("detail")).isEqualTo("Trace not found");
      assertThat(call(s, HttpMethod.GET, "/traces/b-t1?span_id=b-t1-llm", ALICE, null).statusCode()).isEqualTo(404);
      assertThat(call(s, HttpMethod.GET, "/traces/orphan-t1", ALICE, null).statusCode()).isEqualTo(404);
      assertThat(ids(call(s, HttpMethod.GET, "/trace_session_stats", ALICE, null), "session_id")).containsExactly("a-s1");
    }

    @Test
    @DisplayName("trace search ANDs the owner into every filter, even one naming another user's trace")
    void traceSearch() {
      JsonObject everything = new JsonObject().put("filter", new JsonObject().put("or", new JsonArray()
          .add(new JsonObject().put("field", "trace_id").put("op", "eq").put("value", "b-t1"))
          .add(new JsonObject().put("field", "status").put("op", "in").put("value", new JsonArray().add("OK").add("ERROR")))));
      assertThat(ids(call(s, HttpMethod.POST, "/traces/search", ALICE, everything), "trace_id")).containsExactly("a-t1");
      assertThat(ids(call(s, HttpMethod.POST, "/traces/search", ADMIN, everything), "trace_id")).contains("a-t1", "b-t1");
      assertThat(ids(call(s, HttpMethod.POST, "/traces/search", ALICE, new JsonObject().put("group_by", "session")), "session_id"))
          .containsExactly("a-s1");
    }

    @Test
    @DisplayName("a non-admin token without a user id gets 403 on isolated routes")
    void noUserId() {
      String anonymous = Tokens.hs256(null, "sessions:read", "memories:read", "traces:read");
      for (String path : List.of("/sessions", "/memories", "/traces", "/memory_topics", "/trace_session_stats", "/sessions/a-s1")) {
        var r = call(s, HttpMethod.GET, path, anonymous, null);
        assertThat(r.statusCode()).as(path).isEqualTo(403);
        assertThat(r.bodyAsJsonObject().getString("detail")).isEqualTo("User isolation requires a user id claim");
      }
      assertThat(call(s, HttpMethod.GET, "/sessions", Tokens.hs256(null, "agent_os:admin"), null).statusCode()).isEqualTo(200);
      var emptyOwner = call(s, HttpMethod.POST, "/sessions", Tokens.hs256(null, "agent_os:admin"),
          new JsonObject().put("session_id", "no-owner").put("user_id", ""));
      assertThat(emptyOwner.statusCode()).isEqualTo(201);
    }
  }

  @Nested
  @TestInstance(TestInstance.Lifecycle.PER_CLASS)
  @DisplayName("with user_isolation off (agno's default behaviour)")
  class Off {
    TestDatabase db;
    TestServer s;

    @BeforeAll
    void start() throws Exception {
      db = TestDatabase.create();
      s = TestServer.start(db, new JsonObject());
      call(s, HttpMethod.POST, "/sessions", ALICE, new JsonObject().put("session_id", "a-s1"));
      call(s, HttpMethod.POST, "/sessions", BOB, new JsonObject().put("session_id", "b-s1"));
    }

    @org.junit.jupiter.api.AfterAll
    void stop() throws Exception {
      s.close();
      db.close();
    }

    @Test
    @DisplayName("callers see every session, and ?user_id filters")
    void noIsolation() {
      assertThat(ids(call(s, HttpMethod.GET, "/sessions", ALICE, null), "session_id")).containsExactly("a-s1", "b-s1");
      assertThat(ids(call(s, HttpMethod.GET, "/sessions?user_id=bob", ALICE, null), "session_id")).containsExactly("b-s1");
      assertThat(call(s, HttpMethod.GET, "/sessions/b-s1", ALICE, null).statusCode()).isEqualTo(200);
    }

    @Test
    @DisplayName("sessions are still owned by the creator's sub, and a memory without user_id is a 400")
    void owners() {
      assertThat(call(s, HttpMethod.GET, "/sessions/b-s1", ALICE, null).bodyAsJsonObject().getString("user_id")).isEqualTo("bob");
      var r = call(s, HttpMethod.POST, "/memories", ALICE, new JsonObject().put("memory", "no owner"));
      assertThat(r.statusCode()).isEqualTo(400);
      assertThat(r.bodyAsJsonObject().getString("detail")).isEqualTo("User ID is required");
      assertThat(call(s, HttpMethod.POST, "/memories", ALICE, new JsonObject().put("memory", "for bob").put("user_id", "bob"))
          .bodyAsJsonObject().getString("user_id")).isEqualTo("bob");
    }
  }

  @Test
  @DisplayName("a custom admin scope sees every user's data under isolation")
  void customAdmin() throws Exception {
    try (TestDatabase db = TestDatabase.create();
         TestServer s = TestServer.start(db, new JsonObject().put("authorization",
             new JsonObject().put("user_isolation", true).put("admin_scope", "ops:admin")))) {
      call(s, HttpMethod.POST, "/sessions", ALICE, new JsonObject().put("session_id", "a-s1"));
      call(s, HttpMethod.POST, "/sessions", BOB, new JsonObject().put("session_id", "b-s1"));
      assertThat(ids(call(s, HttpMethod.GET, "/sessions", Tokens.hs256("ops", "ops:admin"), null), "session_id"))
          .containsExactly("a-s1", "b-s1");
      assertThat(call(s, HttpMethod.GET, "/sessions", Tokens.hs256("x", "agent_os:admin"), null).statusCode()).isEqualTo(403);
    }
  }

  static Map<String, String> none() {
    return Map.of();
  }
}
